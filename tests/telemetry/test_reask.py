"""Re-ask similarity on labelled prompt pairs, and the window/regenerate rules."""

from __future__ import annotations

from experiments.telemetry.reask import fingerprint, is_reask, jaccard

THRESHOLD = 0.6

# (previous prompt, next prompt): the user asks the same thing again.
REASKS = [
    ("How do I export my data to CSV?", "how do I export my data to CSV??"),
    ("How do I export my data to CSV?", "How can I export my data to CSV please"),
    ("What is 17 * 23 + 5?", "what is 17*23+5"),
    ("Write a SQL query counting orders per customer.", "Write a SQL query that counts orders per customer"),
    ("Plan a three-day trip to Lisbon on a budget.", "Plan a three day trip to Lisbon on a budget please"),
    ("Explain what a race condition is with an example.", "Explain what a race condition is, with an example!"),
    ("Fix this Python: for i in range(10) print(i)", "fix this python for i in range(10) print(i) again"),
    ("Summarise the attached report in three bullets", "Summarise the attached report in 3 bullets"),
    ("Why is my upload stuck at 99%?", "why is my upload stuck at 99% still"),
    ("Translate 'good morning' into Portuguese", "translate good morning into portuguese"),
]
# Follow-ups and new topics: not re-asks.
DIFFERENT = [
    ("How do I export my data to CSV?", "Thanks! And how do I import it back?"),
    ("What is 17 * 23 + 5?", "What is 1250 - 387 + 42?"),
    ("Plan a three-day trip to Lisbon on a budget.", "What should I pack for Lisbon in March?"),
    ("Write a SQL query counting orders per customer.", "Now sort the customers by revenue."),
    ("Explain what a race condition is with an example.", "How do mutexes prevent it?"),
    ("Why is my upload stuck at 99%?", "My invoice shows a double charge. What now?"),
    ("Write a thank-you note to a colleague.", "Write a short email declining a meeting politely."),
    ("How do I reverse a list in Python?", "How do I sort a dictionary by value in Python?"),
    ("Summarise the attached report in three bullets", "Who wrote the report?"),
    ("Compare renting and buying a home for a young family.", "What are the trade-offs of microservices?"),
]


def _similar(a: str, b: str) -> bool:
    return jaccard(fingerprint(a), fingerprint(b)) >= THRESHOLD


def test_precision_and_recall_at_the_default_threshold():
    found = [_similar(a, b) for a, b in REASKS]
    false = [_similar(a, b) for a, b in DIFFERENT]
    recall = sum(found) / len(found)
    precision = sum(found) / (sum(found) + sum(false))
    assert recall >= 0.8, [pair for pair, f in zip(REASKS, found) if not f]
    assert precision >= 0.9, [pair for pair, f in zip(DIFFERENT, false) if f]


def test_window_and_regenerate_rules():
    fp = fingerprint("How do I export my data to CSV?")
    other = fingerprint("Something else entirely")
    common = {"previous_fp": fp, "previous_ts": 1000.0, "window_seconds": 300, "threshold": THRESHOLD}
    assert is_reask(fp=fp, ts=1100.0, regenerate=False, **common)
    assert not is_reask(fp=fp, ts=1400.1, regenerate=False, **common)  # outside the 5-minute window
    assert not is_reask(fp=other, ts=1100.0, regenerate=False, **common)
    assert is_reask(fp=[], ts=1100.0, regenerate=True, **common)  # explicit regenerate needs no prompt
    assert not is_reask(fp=fp, ts=900.0, regenerate=True, **common)  # earlier than the previous call


def test_fingerprint_keeps_no_text():
    fp = fingerprint("my password is hunter2")
    assert all(isinstance(h, int) for h in fp) and "hunter2" not in repr(fp)
