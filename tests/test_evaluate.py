"""prep.evaluate.score against the reference implementations (scikit-learn, rouge-score, sacrebleu), and
``prep evaluate`` through the real entry point."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from prep.evaluate import OTHER, score
from prep.measures.labels import variant_key
from prep.readers import read_columns
from tests.conftest import shared, write_jsonl

REFS = ["billing", "tech support", "billing", "sales", "tech support", "sales", "billing", "refund"]
PREDS = ["billing", "Tech-Support!", "sales", "no idea", None, "SALES", "  billing ", "billing"]


def mapped(values, label_set):
    """The test's own normalisation: the label with the same variant_key, else (other)."""
    keys = {variant_key(label): label for label in label_set}
    return [keys.get(variant_key((v or "").strip()), OTHER) if (v or "").strip() else OTHER for v in values]


def sklearn_figures(refs, preds, label_set):
    y_true, y_pred = [r.strip() for r in refs], mapped(preds, label_set)
    reference_labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(label_set), zero_division=0)
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, average="macro", labels=reference_labels, zero_division=0),
        "per_label": {lab: (p[i], r[i], f[i], s[i]) for i, lab in enumerate(label_set)},
        "matrix": confusion_matrix(y_true, y_pred, labels=[*label_set, OTHER])[:-1].tolist(),
    }


def assert_labels_match(model, expected, label_set):
    assert model["accuracy"] == pytest.approx(expected["accuracy"])
    assert model["macro_f1"] == pytest.approx(expected["macro_f1"])
    assert model["confusion"] == {"labels": list(label_set), "matrix": expected["matrix"]}
    for label, (p, r, f, s) in expected["per_label"].items():
        got = model["per_label"][label]
        assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx((p, r, f, s)), label


def test_label_metrics_equal_scikit_learn_with_variants_and_answers_outside_the_set():
    out = score(REFS, {"m": PREDS}, label_like=True)
    model = out["models"]["m"]
    label_set = sorted(set(REFS))
    assert out["label_like"] and out["rows"] == 8 and out["rows_without_reference"] == 0
    assert_labels_match(model, sklearn_figures(REFS, PREDS, label_set), label_set)
    assert model["accuracy"] == 4 / 8  # the variants "Tech-Support!" and "SALES" count, "no idea" and None do not
    assert model["invalid_share"] == 2 / 8
    assert model["exact_match"] == 2 / 8  # strict: stripped equality only ("  billing " and "billing")
    assert model["answered"] == 7
    assert model["confusion"]["matrix"][label_set.index("sales")][-1] == 1  # "no idea" in the (other) column


def test_a_given_label_set_keeps_its_order_and_takes_in_unlisted_references():
    labels = ["Sales", "billing", "tech support", "never used"]
    out = score(REFS, {"m": PREDS}, label_like=True, labels=labels)
    model = out["models"]["m"]
    label_set = ["Sales", "billing", "tech support", "never used", "refund"]
    assert model["confusion"]["labels"] == label_set
    refs = [{"sales": "Sales"}.get(r, r) for r in REFS]  # the references map onto the given labels too
    assert_labels_match(model, sklearn_figures(refs, PREDS, label_set), label_set)
    assert model["per_label"]["never used"]["support"] == 0  # listed, but not in the macro-F1


def test_text_metrics_equal_the_reference_implementations():
    refs = ["the cat sat on the mat", "a quick brown fox", "hello world", "same words here"]
    preds = ["the cat sat on a mat", "quick brown foxes jump", None, "  same words here "]
    model = score(refs, {"m": preds}, label_like=False)["models"]["m"]
    hyps = [(p or "").strip() for p in preds]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rouge = sum(scorer.score(r, h)["rougeL"].fmeasure for r, h in zip(refs, hyps)) / len(refs)
    assert model["rouge_l"] == pytest.approx(rouge)
    assert model["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert model["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs]).score)
    assert model["exact_match"] == 0.25 and model["answered"] == 3
    assert "accuracy" not in model and "per_label" not in model


def test_detection_follows_the_lint_rules_and_says_why():
    free_text = score([f"answer number {i}" for i in range(20)], {"m": ["x"] * 20})
    assert free_text["label_like"] is False and "distinct completions" in free_text["label_reason"]
    assert "macro_f1" not in free_text["models"]["m"]
    labels = score(["yes", "no"] * 10, {"m": ["yes"] * 20})
    assert labels["label_like"] is True and labels["label_reason"] == "2 distinct short completions in 20 rows"
    assert labels["models"]["m"]["accuracy"] == 0.5
    given_ = score(["yes", "no"], {"m": ["yes", "no"]}, label_like=True)
    assert given_["label_reason"] == "given by the caller (label_like=True)"


def test_rows_without_a_reference_are_counted_not_scored():
    out = score(["a", None, "  ", "b"], {"m": ["a", "a", "a", None]}, label_like=True)
    assert (out["rows"], out["rows_without_reference"]) == (2, 2)
    assert out["models"]["m"]["accuracy"] == 0.5 and out["models"]["m"]["answered"] == 1
    empty = score([None, None], {"m": ["a", "b"]})
    assert empty["rows"] == 0 and empty["models"]["m"]["exact_match"] is None
    json.dumps(empty, allow_nan=False)
    forced = score([None], {"m": ["a"]}, label_like=True, tokens={"m": 5}, credits_per_million={"m": 1.0})
    assert forced["models"]["m"]["accuracy"] is None and forced["models"]["m"]["confusion"]["matrix"] == []
    assert forced["models"]["m"]["credits_per_correct"] is None


def test_tokens_and_credits():
    out = score(["a", "b", "a", "b"], {"m": ["a", "b", "x", "B"], "n": ["x"] * 4, "o": ["a"] * 4}, label_like=True,
                tokens={"m": 2_000_000, "n": 500_000}, credits_per_million={"m": 1.5, "n": 2.0})
    m, n, o = (out["models"][k] for k in "mno")
    assert m["tokens"] == 2_000_000 and m["credits"] == pytest.approx(3.0)
    assert m["credits_per_correct"] == pytest.approx(1.0)  # three right: "a", "b" and the variant "B"
    assert n["credits"] == pytest.approx(1.0) and n["credits_per_correct"] is None
    assert "tokens" not in o
    free = score(["one two", "three"], {"m": ["one two", "x"]}, label_like=False, tokens={"m": 10},
                 credits_per_million={"m": 1e5})
    assert free["models"]["m"]["credits_per_correct"] == pytest.approx(1.0)  # one exact match


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="has 1 rows, the references 2"):
        score(["a", "b"], {"m": ["a"]})
    with pytest.raises(TypeError, match="expected strings or None, got int"):
        score(["a", 3], {"m": ["a", "b"]})


def test_the_result_is_json_with_schema_version_1():
    out = score(REFS, {"m": PREDS, "n": REFS}, label_like=True)
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert list(out) == ["schema_version", "rows", "rows_without_reference", "label_like", "label_reason", "models"]
    assert out["schema_version"] == 1 and out["models"]["n"]["macro_f1"] == 1.0


CLASSES = ["cat", "dog", "bird", "fish"]
ANSWERS = [*CLASSES, "Cat", "DOG!", " bird ", "f-i-s-h", "cow", "", None]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CLASSES), st.sampled_from(ANSWERS)), min_size=1, max_size=40))
def test_label_metrics_equal_scikit_learn_on_any_input(pairs):
    refs, preds = [r for r, _ in pairs], [p for _, p in pairs]
    model = score(refs, {"m": preds}, label_like=True)["models"]["m"]
    label_set = sorted(set(refs))
    assert_labels_match(model, sklearn_figures(refs, preds, label_set), label_set)
    assert model["invalid_share"] == pytest.approx(mapped(preds, label_set).count(OTHER) / len(refs))


def test_twenty_thousand_rows_in_a_few_seconds():
    refs = [f"label_{i % 150}" for i in range(20_000)]
    preds = {f"m{k}": [r if (i + k) % 5 else f"label_{(i + 1) % 150}" for i, r in enumerate(refs)] for k in range(2)}
    start = time.perf_counter()
    out = score(refs, preds)
    assert time.perf_counter() - start < 8
    assert out["label_like"] and out["models"]["m0"]["accuracy"] == pytest.approx(0.8)


# -- reading the columns -------------------------------------------------------------------------------------------


def test_read_columns_keeps_every_record_in_every_format(tmp_path):
    records = [{"prompt": "p1", "completion": "a", "m": "a"}, {"prompt": "p2", "completion": "b", "m": 7},
               {"prompt": "p3", "completion": None, "m": "c"}]
    jsonl = write_jsonl(tmp_path / "d.jsonl", records)
    csv = tmp_path / "d.csv"
    csv.write_text("PROMPT,Completion,M\np1,a,a\np2,b,7\np3,,c\n", encoding="utf-8")
    parquet = tmp_path / "d.parquet"
    pl.DataFrame({"prompt": ["p1", "p2", "p3"], "completion": ["a", "b", None], "m": ["a", None, "c"]}).write_parquet(parquet)
    for path, m in ((jsonl, ["a", None, "c"]), (csv, ["a", "7", "c"]), (parquet, ["a", None, "c"])):
        read = read_columns(path, ["completion", "m", "prompt"])
        assert read.values["completion"].to_list() == ["a", "b", None], path
        assert read.values["m"].to_list() == m and read.values["prompt"].to_list() == ["p1", "p2", "p3"]
    assert read_columns(jsonl, ["completion", "m"]).not_text == {"completion": 0, "m": 1}


# -- the command ---------------------------------------------------------------------------------------------------


@pytest.fixture
def answers(tmp_path):
    rows = [{"prompt": f"q{i}", "completion": r, "good": p, "bad": "billing"} for i, (r, p) in enumerate(zip(REFS * 3, PREDS * 3))]
    return write_jsonl(tmp_path / "answers.jsonl", rows)


def test_json_output_is_the_score_dict(run_cli, answers):
    code, out, err = run_cli("evaluate", answers, "--prediction-col", "good", "--prediction-col", "bad", "--format", "json")
    assert code == 0, err
    expected = score(REFS * 3, {"good": PREDS * 3, "bad": ["billing"] * 24})
    assert json.loads(out) == expected
    assert expected["label_like"] is True


def test_text_output_has_a_table_and_the_worst_labels(run_cli, answers):
    code, out, err = run_cli("evaluate", answers, "--prediction-col", "good", "--prediction-col", "bad")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"{answers}: 24 rows scored against 'completion'; label-like: ")
    header = next(line for line in lines if line.strip().startswith("model"))
    assert header.split() == ["model", "rows", "answered", "exact", "match", "accuracy", "macro-F1", "invalid",
                              "ROUGE-L", "BLEU", "chrF"]
    good = next(line for line in lines if line.strip().startswith("good")).split()
    assert good[:7] == ["good", "24", "21", "25.0%", "50.0%", good[5], "25.0%"]
    assert "bad: the 4 labels with the lowest F1" in lines
    worst = lines[lines.index("bad: the 4 labels with the lowest F1") + 2].split()
    assert worst[0] == "sales" and worst[1] == "0.000"  # 6 rows, ahead of refund's 3


def test_html_output_is_a_self_contained_page(run_cli, answers, tmp_path):
    target = tmp_path / "eval.html"
    code, out, _ = run_cli("evaluate", answers, "--prediction-col", "good", "--format", "html", "-o", target)
    page = target.read_text(encoding="utf-8")
    assert code == 0 and out == ""
    assert page.startswith("<!DOCTYPE html>") and "Most frequent confusions" in page and "<svg" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_free_text_has_no_label_columns(run_cli, tmp_path):
    rows = [{"prompt": f"q{i}", "completion": f"a long answer number {i}", "m": f"a long answer {i}"} for i in range(10)]
    code, out, _ = run_cli("evaluate", write_jsonl(tmp_path / "t.jsonl", rows), "--prediction-col", "m")
    line = next(line for line in out.splitlines() if line.strip().startswith("m ")).split()
    assert code == 0 and "not label-like" in out.splitlines()[0]
    assert line[4:7] == ["-", "-", "-"] and "lowest F1" not in out


def test_reference_col_and_config_mapping(run_cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question,ANSWER,model\nq1,yes,yes\nq2,no,yes\nq3,no,no\nq4,yes,Yes.\n", encoding="utf-8")
    code, out, _ = run_cli("evaluate", path, "--prediction-col", "model", "--reference-col", "answer", "--format", "json")
    assert code == 0 and json.loads(out)["models"]["model"]["accuracy"] == 0.75
    (tmp_path / "prep.toml").write_text('completion-col = "answer"\n[labels]\nmode = "on"\n', encoding="utf-8")
    code, out, _ = run_cli("evaluate", path, "--prediction-col", "model", "--config", tmp_path / "prep.toml",
                           "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["label_reason"] == "labels.mode = 'on'" and result["models"]["model"]["accuracy"] == 0.75


def test_values_that_are_not_text_are_warned_about(run_cli, tmp_path):
    rows = [{"prompt": "a", "completion": "x", "m": 1}, {"prompt": "b", "completion": "y", "m": "y"}]
    code, out, err = run_cli("evaluate", write_jsonl(tmp_path / "n.jsonl", rows), "--prediction-col", "m")
    assert code == 0 and err == "prep: warning: column 'm': 1 value not text, scored as empty answers\n"


@pytest.mark.parametrize(("make", "args", "message"), [
    (lambda d: write_jsonl(d / "a.jsonl", [{"completion": "x", "m": "x"}]), ["--prediction-col", "nope"],
     "a.jsonl: no column 'nope' (columns present: 'completion', 'm')"),
    (lambda d: write_jsonl(d / "a.jsonl", [{"completion": "x", "m": "x"}]), ["--prediction-col", "m", "--reference-col", "gold"],
     "a.jsonl: no column 'gold' (columns present: 'completion', 'm')"),
    (lambda d: write_jsonl(d / "e.jsonl", []), ["--prediction-col", "m"], "e.jsonl: no records"),
    (lambda d: (d / "g.jsonl").write_bytes(b"\x00\x01garbage\xff") and d / "g.jsonl", ["--prediction-col", "m"], "g.jsonl:"),
    (lambda d: (d / "h.jsonl").write_text("not json\n") and d / "h.jsonl", ["--prediction-col", "m"],
     "h.jsonl: no readable record among 1 record (prep lint says why)"),
    (lambda d: write_jsonl(d / "r.jsonl", [{"completion": None, "m": "x"}]), ["--prediction-col", "m"],
     "r.jsonl: no record has a reference (text in column 'completion')"),
    (lambda d: (d / "c.csv").write_text("completion,m,m\nx,y,z\n") and d / "c.csv", ["--prediction-col", "m"],
     "c.csv: column 'm' is ambiguous (header positions 2, 3): rename the duplicates"),
    (lambda d: (d / "t.txt").write_text("x") and d / "t.txt", ["--prediction-col", "m"], "unsupported file type '.txt'"),
    (lambda d: d / "missing.jsonl", ["--prediction-col", "m"], "missing.jsonl"),
    (lambda d: write_jsonl(d / "a.jsonl", [{"completion": "x", "m": "x"}]), [], "Missing option '--prediction-col'"),
    (lambda d: write_jsonl(d / "a.jsonl", [{"completion": "x", "m": "x"}]), ["--prediction-col", "m", "--format", "xml"],
     "Invalid value for '--format'"),
    (lambda d: write_jsonl(d / "a.jsonl", [{"completion": "x", "m": "x"}]), ["--prediction-col", "m", "-o", "/nonexistent-prep-dir/x.txt"],
     "no such directory"),
])
def test_bad_input_is_one_line_and_exit_2(run_cli, tmp_path, make, args, message):
    code, out, err = run_cli("evaluate", make(tmp_path), *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("prep: error: ") and message in err, err
    assert "Traceback" not in err


# -- real data -----------------------------------------------------------------------------------------------------


def synthetic_answers(labels: list[str]) -> dict[str, list[str]]:
    """Two deterministic "models" for a label column. ``good``, by row number modulo 20: right on 16 rows (80%),
    a case/punctuation variant of the right label on 1 (5%), an answer outside the label set on 1 (5%), and the
    next label in sorted order on 2 (10%). ``always_oos`` answers ``oos`` everywhere."""
    ordered = sorted(set(labels))
    after = {label: ordered[(i + 1) % len(ordered)] for i, label in enumerate(ordered)}
    good = []
    for i, label in enumerate(labels):
        slot = i % 20
        good.append(label if slot < 16 else label.upper().replace("_", " ") + "." if slot == 16
                    else "no idea" if slot == 17 else after[label])
    return {"good": good, "always_oos": ["oos"] * len(labels)}


def write_synthetic(source, target):
    """``source``'s rows with the columns of :func:`synthetic_answers` added, as JSONL at ``target``."""
    rows = [json.loads(line) for line in open(source, encoding="utf-8")]
    answers = synthetic_answers([r["completion"] for r in rows])
    return write_jsonl(target, [{**r, **{k: v[i] for k, v in answers.items()}} for i, r in enumerate(rows)])


def test_clinc150_validation_with_synthetic_predictions(run_cli, tmp_path):
    path = write_synthetic(shared("clinc150/clinc150_val.jsonl"), tmp_path / "val.jsonl")
    start = time.perf_counter()
    code, out, err = run_cli("evaluate", path, "--prediction-col", "good", "--prediction-col", "always_oos",
                             "--format", "json")
    assert code == 0 and err == "" and time.perf_counter() - start < 8
    result = json.loads(out)
    good, oos = result["models"]["good"], result["models"]["always_oos"]
    assert result["rows"] == 3_100 and result["label_like"] and len(good["per_label"]) == 151
    assert (good["exact_match"], good["accuracy"], good["invalid_share"]) == pytest.approx((0.80, 0.85, 0.05))
    # Rows come in runs of 20 per intent (100 for oos), so every run gets the same pattern: 17 of 20 right; each
    # label also receives the 2 wrong answers of the label before it in sorted order: 149 labels score 34/39, oos
    # (85 right, 2 received) 170/187 and the label after oos (which receives oos's 10) 34/47.
    assert good["per_label"]["translate"] == pytest.approx({"precision": 17 / 19, "recall": 0.85, "f1": 34 / 39,
                                                            "support": 20})
    assert good["per_label"]["oos"]["f1"] == pytest.approx(170 / 187)
    assert good["macro_f1"] == pytest.approx((149 * 34 / 39 + 170 / 187 + 34 / 47) / 151)
    assert oos["accuracy"] == pytest.approx(100 / 3_100)
    assert oos["macro_f1"] == pytest.approx(2 * 100 / (100 + 3_100) / 151)
    labels = [json.loads(line)["completion"] for line in open(path, encoding="utf-8")]
    expected = sklearn_figures(labels, synthetic_answers(labels)["good"], good["confusion"]["labels"])
    assert good["macro_f1"] == pytest.approx(expected["macro_f1"])

