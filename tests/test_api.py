"""The Python API without traps: strings where lists are expected, loading with no settings, config read only
when asked, a function to render any output format, and the types and docs a library user reads."""

from __future__ import annotations

import json

import polars as pl
import pytest

import prep
from prep.errors import ConfigError
from tests.conftest import SAMPLE, write_jsonl

ROWS = [{"prompt": f"Question number {i} about topic {i * 7}?", "completion": f"Answer {i}."} for i in range(120)]


def test_count_tokens_of_one_string_is_one_count():
    assert prep.count_tokens("llama3-8b", "what is a large language model?") == 7  # the README's example
    assert prep.count_tokens("llama3-8b", ["what is a large language model?", ""]) == [7, 0]
    assert prep.count_tokens("mistral-7b", ("a", "b")) == prep.count_tokens("mistral-7b", iter(["a", "b"]))
    with pytest.raises(ConfigError, match="unknown base model 'llama3'"):
        prep.count_tokens("llama3", "x")
    with pytest.raises(ConfigError, match="a string or a list of strings"):
        prep.count_tokens("llama3-8b", [1, 2])


def test_lint_takes_a_string_for_models_select_and_ignore(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", ROWS + [ROWS[0]])
    result = prep.lint(path, models="llama3-8b", select="DU", ignore="DU002")
    assert result.settings.models == ("llama3-8b",) and [m.name for m in result.models] == ["llama3-8b"]
    assert {f.code for f in result.findings} == {"DU001"}
    assert prep.lint(path, models=["llama3-8b", "mistral-7b"]).settings.models == ("llama3-8b", "mistral-7b")
    with pytest.raises(ConfigError, match="'models' must be a string or a list of strings"):
        prep.lint(path, models=8)
    with pytest.raises(ConfigError, match="unknown base model 'llama3'"):
        prep.lint(path, models="llama3")
    assert prep.Settings(models="all").models == ("all",)


def test_load_needs_no_settings(tmp_path):
    source = prep.load(SAMPLE)
    assert source.n_records == 153 and source.role == "train"
    frame = prep.load(pl.DataFrame(ROWS))
    assert frame.n_records == 120
    renamed = prep.load(pl.DataFrame({"q": ["a"], "a": ["b"]}), prep.Settings(prompt_col="q", completion_col="a"))
    assert renamed.frame["prompt"].to_list() == ["a"]


def test_lint_reads_no_config_unless_asked(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "a.jsonl", ROWS + [ROWS[0]])
    (tmp_path / "pyproject.toml").write_text('[tool.prep]\nmodel = ["llama3-8b"]\nignore = ["DU001"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    plain = prep.lint(path, models="llama3-8b")
    assert "DU001" in {f.code for f in plain.findings}  # the working directory changes nothing
    settings = prep.load_config()
    assert settings.ignore == ("DU001",) and settings.origin.endswith("pyproject.toml [tool.prep]")
    assert "DU001" not in {f.code for f in prep.lint(path, settings=settings).findings}  # as `prep lint` does
    assert prep.load_config(tmp_path / "pyproject.toml") == settings
    assert prep.load_config(start=tmp_path.parent / "nowhere") == prep.Settings()  # nothing above: defaults


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "sarif", "html"])
def test_render_gives_what_the_cli_prints(fmt, run_cli):
    result = prep.lint(SAMPLE, models="llama3-8b")
    page = prep.render(result, fmt)
    if fmt == "html":
        assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
        return
    _, printed, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--format", fmt)
    if fmt == "json":
        page, printed = json.loads(page), json.loads(printed)
        for doc in (page, printed):
            doc.pop("run", None)
    assert page == printed


def test_render_options_and_refusals():
    result = prep.lint(SAMPLE, models="llama3-8b", select="TK")
    quiet = prep.render(result, "text", quiet=True)
    assert quiet.splitlines()[-1].startswith("1 error, 0 warnings") and "Fit of the" not in quiet
    assert "Findings by rule:" in prep.render(result, statistics=True)
    assert "Findings by rule:" not in prep.render(result)
    with pytest.raises(ConfigError, match="unknown format 'xml'; formats: github, html, json"):
        prep.render(result, "xml")
    with pytest.raises(ConfigError, match="takes no options"):
        prep.render(result, "json", quiet=True)


def test_the_public_names_are_documented_and_typed():
    for name in prep.__all__:
        obj = getattr(prep, name)
        if callable(obj) and name != "__version__":
            assert (obj.__doc__ or "").strip(), f"prep.{name} has no docstring"
    assert "findings" in prep.LintResult.__doc__ and "exit_code" in prep.LintResult.__doc__
    assert "load_config" in prep.Settings.__doc__
    assert "settings=prep.load_config()" in prep.lint.__doc__
    from importlib.resources import files

    assert files("prep").joinpath("py.typed").is_file()
