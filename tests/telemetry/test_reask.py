"""Re-ask similarity on labelled prompt pairs (several languages), and the window/regenerate rules."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.telemetry.reask import fingerprint, is_reask, similarity

THRESHOLD = 0.3
PAIRS = Path(__file__).parent / "data" / "reask_pairs.jsonl"

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
    return similarity(fingerprint(a), fingerprint(b), THRESHOLD)


def test_precision_and_recall_at_the_default_threshold():
    found = [_similar(a, b) for a, b in REASKS]
    false = [_similar(a, b) for a, b in DIFFERENT]
    recall = sum(found) / len(found)
    precision = sum(found) / (sum(found) + sum(false))
    assert recall >= 0.9, [pair for pair, f in zip(REASKS, found) if not f]
    assert precision >= 0.9, [pair for pair, f in zip(DIFFERENT, false) if f]


def test_identical_prompts_in_any_script_are_reasks_and_one_shared_latin_word_is_not():
    for text in ("如何把我的数据导出为CSV？", "كيف أصدر بياناتي إلى ملف CSV؟", "Как экспортировать мои данные?", "データを削除するには"):
        assert _similar(text, text)
    # Russian prompts about different things that share one Latin word.
    assert not _similar("Как экспортировать мои данные в CSV?", "Почему сервер не отвечает на CSV запросы ночью?")
    assert not _similar("如何把我的数据导出为CSV？", "谢谢。那怎么删除我的账户？")


def test_follow_ups_with_new_numbers_or_a_follow_up_opening_are_not_reasks():
    assert not _similar("What is 17 * 23 + 5?", "What is 18 * 23 + 5?")
    assert not _similar("How do I export my data to CSV?", "And how do I export my data to JSON?")
    assert _similar("How do I export my data to CSV?", "That didn't work again. How do I export my data to CSV?")


def _pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("pair", _pairs(), ids=lambda p: f"{p['id']}-{p['language']}")
def test_labelled_multilingual_pairs(pair):
    fp_a, fp_b = fingerprint(pair["previous"]), fingerprint(pair["prompt"])
    found = is_reask(previous_fp=fp_a, previous_ts=0.0, fp=fp_b, ts=float(pair["seconds_apart"]),
                     regenerate=pair["regenerate"], window_seconds=300, threshold=THRESHOLD)
    assert found == pair["reask"]


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
    assert all(isinstance(h, int) for h in fp)
    assert "hunter2" not in repr(fp)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_ascii_fast_path_hashes_exactly_each_runs_padded_trigrams(text):
    """The ASCII path hashes slices of one joined byte string; the general path hashes each run's grams."""
    from experiments.telemetry import reask

    runs = reask._RUN.findall(reask.normalise(text))
    general = {zlib.crc32(gram.encode()) for run in set(runs) for gram in reask._grams(run)}
    assert reask._gram_hashes(runs, ascii_only=True) == general


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_packed_fingerprint_round_trips(text):
    from experiments.telemetry import reask

    assert reask.fingerprint_from_bytes(reask.fingerprint_bytes(text)) == reask.fingerprint(text)


def test_packed_fingerprint_is_big_endian_int64():
    from experiments.telemetry import reask

    assert reask.pack_fingerprint([-5, 3]) == bytes.fromhex("fffffffffffffffb" "0000000000000003")
    assert reask.fingerprint_from_bytes(b"") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcé жд 数据导出如何怎么 데이터내보 データを ,?!7"), max_size=60))
def test_unicode_path_hashes_exactly_each_runs_grams(text):
    """The non-ASCII path slices the UTF-8 bytes of all-3-byte runs; it must give ``_grams``' hashes."""
    from experiments.telemetry import reask

    runs = reask._RUN.findall(reask.normalise(text))
    general = {zlib.crc32(gram.encode()) for run in set(runs) for gram in reask._grams(run)}
    assert reask._unicode_gram_hashes(runs)[0] == general


def _jaccard(a: str, b: str) -> float:
    """Reference: the Jaccard similarity of the two prompts' n-gram sets, from ``_grams`` directly."""
    from experiments.telemetry import reask

    def grams(text: str) -> set[str]:
        return {gram for run in reask._RUN.findall(reask.normalise(text)) for gram in reask._grams(run)}

    set_a, set_b = grams(a), grams(b)
    return len(set_a & set_b) / len(set_a | set_b)


# Pairs without numbers or markers, so only the threshold decides; Jaccard spread between 0.1 and 0.5.
CJK_PAIRS = [
    ("如何把我的数据导出为CSV", "怎么把数据导出成表格文件"),
    ("怎么修改绑定的手机号码", "如何更改预留手机号"),
    ("为什么我的借款申请没有通过", "借款申请为啥被拒绝了"),
    ("데이터를 CSV로 내보내려면 어떻게 하나요", "데이터 내보내기 방법 알려줘"),
    ("비밀번호를 잊어버렸어요", "비밀번호 재설정은 어떻게 해요"),
    ("データをエクスポートする方法", "データの書き出し方を教えて"),
]
LATIN_PAIRS = [
    ("How do I export my data to CSV", "export data as a spreadsheet file"),
    ("Why was my loan application rejected", "loan application declined reason"),
    ("Как экспортировать мои данные", "экспорт данных в таблицу"),
]


@pytest.mark.parametrize(("a", "b"), CJK_PAIRS)
def test_chinese_japanese_korean_pairs_use_half_the_threshold(a, b):
    from experiments.telemetry.reask import UNSPACED_FACTOR

    for threshold in (0.2, 0.3, 0.4):
        assert _similar_at(a, b, threshold) == (_jaccard(a, b) >= threshold * UNSPACED_FACTOR - 1e-12)


@pytest.mark.parametrize(("a", "b"), LATIN_PAIRS + [(CJK_PAIRS[0][0], LATIN_PAIRS[0][0])])
def test_other_scripts_and_mixed_pairs_use_the_threshold(a, b):
    for threshold in (0.1, 0.2, 0.3):
        assert _similar_at(a, b, threshold) == (_jaccard(a, b) >= threshold - 1e-12)


def test_the_cjk_half_threshold_separates_some_pairs():
    """The rule above is not vacuous: some CJK pairs fall between half the threshold and the threshold."""
    from experiments.telemetry.reask import UNSPACED_FACTOR

    between = [pair for pair in CJK_PAIRS if THRESHOLD * UNSPACED_FACTOR <= _jaccard(*pair) < THRESHOLD]
    assert between
    assert all(_similar(*pair) for pair in between)


def test_cjk_follow_ups_still_need_a_near_verbatim_repeat():
    assert not _similar("如何把我的数据导出为CSV", "那如何把我的数据导出为JSON")
    assert not _similar("데이터를 CSV로 내보내려면 어떻게 하나요", "그럼 데이터를 JSON으로 내보내려면 어떻게 하나요")
    assert _similar("如何把我的数据导出为CSV", "那如何把我的数据导出为CSV")


def test_fingerprint_is_sorted_ints_with_the_cjk_mark_last():
    fp = fingerprint("怎么修改绑定的手机号码")
    assert fp == sorted(fp)
    assert all(isinstance(value, int) for value in fp)
    assert fp[-1] == 2**32
    assert fingerprint("How do I change my phone number")[-1] < 2**32
    assert fingerprint("Как изменить номер телефона")[-1] < 2**32


def _similar_at(a: str, b: str, threshold: float) -> bool:
    return similarity(fingerprint(a), fingerprint(b), threshold)


def test_a_cjk_follow_up_needs_the_follow_up_similarity_whatever_the_threshold():
    from experiments.telemetry.reask import FOLLOW_UP_SIMILARITY

    previous, follow_up = "如何把我的数据导出为CSV文件", "那如何把我的数据导出为CSV文件呢"
    assert 0.45 <= _jaccard(previous, follow_up) < FOLLOW_UP_SIMILARITY
    for threshold in (0.3, 0.9):  # 0.9 equals the follow-up similarity: still not halved
        assert not _similar_at(previous, follow_up, threshold)
    # Without the opener the same threshold is halved, also when it equals the follow-up similarity.
    again = "怎么把我的数据导出成CSV文件"
    assert 0.45 <= _jaccard(previous, again) < FOLLOW_UP_SIMILARITY
    assert _similar_at(previous, again, FOLLOW_UP_SIMILARITY)
