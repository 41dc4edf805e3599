"""Builds prep/data/samples/support_tickets.jsonl, the sample the README lints.

Source: the support_tickets.csv of Snowflake's Cortex fine-tuning quickstart (Apache-2.0, see
prep/data/samples/NOTICE). Each ticket becomes a classification example: the prompt asks for one of five categories,
the completion is the category, labelled by the keyword rules the quickstart's categories make near-certain. A
few rows are then damaged the way real exports are, so that the sample shows real findings: an over-long pasted
transcript, mojibake, chat-template tokens, an empty completion, a conflicting label, a cut-off JSON line, and a
ticket exported with the customer's contact details (name and e-mail from the CSV, a fictional 555 phone number).

    python tools/build_sample.py ../shared/data/support_tickets/support_tickets.csv
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

INSTRUCTION = (
    "Classify this customer support ticket into exactly one category: Roaming fees, Slow data speed, "
    "Lost phone, Add new line, Closing account. Answer with the category only.\n\nTicket: "
)
KEYWORDS = [
    ("Roaming fees", ("roaming", "international")),
    ("Slow data speed", ("slow", "speed")),
    ("Lost phone", ("lost", "stolen", "misplaced")),
    ("Add new line", ("new line", "add a line", "additional line")),
    ("Closing account", ("clos", "cancel", "terminat")),
]


def label(request: str) -> str | None:
    text = request.lower()
    for category, words in KEYWORDS:
        if any(w in text for w in words):
            return category
    return None


def main(csv_path: str) -> None:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        tickets = list(csv.DictReader(handle))
    lines = []
    for ticket in tickets:
        category = label(ticket["REQUEST"])
        if category is not None:
            lines.append(json.dumps({"prompt": INSTRUCTION + ticket["REQUEST"], "completion": category}))
    requests = [t["REQUEST"] for t in tickets]
    transcript = "\n".join(f"[agent {i % 7}] {requests[i % len(requests)]}" for i in range(260))
    damaged = [
        {"prompt": INSTRUCTION + "Full chat transcript follows.\n" + transcript, "completion": "Roaming fees"},
        {"prompt": INSTRUCTION + "Iâ€™m charged roaming fees since my trip to Canada, please refund.",
         "completion": "Roaming fees"},
        {"prompt": "<|start_header_id|>user<|end_header_id|>\n\n" + INSTRUCTION + requests[3] + "<|eot_id|>",
         "completion": "Roaming fees"},
        {"prompt": INSTRUCTION + requests[5], "completion": ""},
        {"prompt": INSTRUCTION + requests[1], "completion": "Closing account"},
    ]
    lines[20:20] = [json.dumps(d, ensure_ascii=False) for d in damaged[:2]]
    lines[60:60] = [json.dumps(d, ensure_ascii=False) for d in damaged[2:]]
    cut = json.dumps({"prompt": INSTRUCTION + requests[7], "completion": "Lost phone"})
    lines.insert(90, cut[: len(cut) // 2])
    contact = tickets[9]
    lines.append(json.dumps({
        "prompt": f"{INSTRUCTION}{contact['REQUEST']}\n\nCustomer: {contact['CUSTOMER_NAME']}, "
        f"{contact['CUSTOMER_EMAIL']}, phone (415) 555-0132",
        "completion": label(contact["REQUEST"]) or "Roaming fees",
    }, ensure_ascii=False))
    out = Path(__file__).resolve().parents[1] / "prep" / "data" / "samples" / "support_tickets.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} records to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/support_tickets/support_tickets.csv")
