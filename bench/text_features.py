"""Derived slice features: language accuracy and speed, and how often each yes/no feature fires.

Language: ``evalhub.text.features.detect_language`` on the Tatoeba test sentences of the LASER
multilingual test set (Artetxe & Schwenk 2019; 1,000 sentences per language pair, the files
``tatoeba.<xxx>-eng.<xxx>`` and ``tatoeba.<xxx>-eng.eng`` of the LASER repository's
``data/tatoeba/v1``) for the 13 pairs with English of the product languages; English is read from
the ``ara-eng`` pair's English side. Accuracy per language (a sentence counts as right only with its
own code; ``und`` is wrong), and CPU microseconds per call (process time, so other processes on a
shared machine inflate it less than wall time) after a warm-up with the per-text cache emptied (every
call detects), for the detector as shipped and, for comparison, lingua's low-accuracy
mode.

Features: ``derive_features`` per prompt (µs) on the same sentences, and the share of prompts flagged
``safety_sensitive`` and ``recent_events`` on the XSTest prompts (``--xstest``, the shared
refusal-dev file: every prompt is safety-adjacent by construction, half of them benign) and on
SimpleQA questions (``--simpleqa``, the OpenAI SimpleQA test set CSV with a ``problem`` column:
factual questions, a few of them about violence or crime).

Run: .venv/bin/python bench/text_features.py --tatoeba DIR [--xstest FILE] [--simpleqa FILE] (or set
EVALHUB_TATOEBA_DIR); without the Tatoeba files it says so and exits, so ``make bench`` runs on a fresh checkout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from evalhub.text import features  # noqa: E402

TATOEBA_CODES = {"ara": "ar", "cmn": "zh", "deu": "de", "fra": "fr", "spa": "es", "por": "pt", "ita": "it",
                 "nld": "nl", "rus": "ru", "jpn": "ja", "kor": "ko", "hin": "hi", "tur": "tr"}


def read_tatoeba(directory: Path) -> dict[str, list[str]]:
    sentences: dict[str, list[str]] = {}
    for code3, code in TATOEBA_CODES.items():
        path = directory / f"tatoeba.{code3}-eng.{code3}"
        sentences[code] = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    english = directory / "tatoeba.ara-eng.eng"
    sentences["en"] = [line.strip() for line in english.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sentences


def per_call_us(function, texts: list[str], rounds: int = 3) -> float:
    """Best of ``rounds`` passes; the language cache is emptied before each so every call detects."""
    for text in texts[:50]:
        function(text)
    best = float("inf")
    for _ in range(rounds):
        features._language_of.cache_clear()
        start = time.process_time()
        for text in texts:
            function(text)
        best = min(best, (time.process_time() - start) / len(texts) * 1e6)
    return best


def resident_mb() -> float:
    """Resident memory of this process (Linux), to show what the detector's models take."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def language_report(sentences: dict[str, list[str]]) -> None:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    before = resident_mb()
    print("Language detection on Tatoeba (LASER test set), accuracy per language, n per language:")
    total = right = 0
    misses: Counter[tuple[str, str]] = Counter()
    for code, texts in sorted(sentences.items()):
        got = [features.detect_language(text) for text in texts]
        ok = sum(g == code for g in got)
        misses.update((code, g) for g in got if g != code)
        total += len(texts)
        right += ok
        print(f"  {code}: {ok / len(texts):.3f} (n={len(texts)}, mean {sum(map(len, texts)) / len(texts):.0f} chars)")
    print(f"  all: {right / total:.4f} (n={total}); most frequent confusions: {misses.most_common(6)}")
    print(f"  resident memory of the loaded models: {resident_mb() - before:.0f} MB")
    every = [text for texts in sentences.values() for text in texts]
    latin = [text for code in features.LATIN_LANGUAGES for text in sentences[code]]
    fast = [(features._function_word_language(text), code) for code in features.LATIN_LANGUAGES
            for text in sentences[code]]
    decided = [(got, code) for got, code in fast if got is not None]
    print(f"  function-word fast path: decides {len(decided) / len(fast):.3f} of the Latin-script sentences, "
          f"right on {sum(got == code for got, code in decided) / max(len(decided), 1):.4f} of those; lingua "
          f"reads the rest")
    print(f"  detect_language: {per_call_us(features.detect_language, every):.1f} µs per sentence over all "
          f"{len(every)}; {per_call_us(features.detect_language, latin):.1f} µs on the {len(latin)} Latin-script ones")
    # Same pipeline with lingua's low-accuracy mode, for the record of the choice.
    codes = [getattr(IsoCode639_1, code.upper()) for code in features.LATIN_LANGUAGES]
    shipped = features._latin_detector()
    features._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
    features._language_of.cache_clear()
    try:
        right_low = sum(features.detect_language(t) == code for code in features.LATIN_LANGUAGES for t in sentences[code])
        print(f"  low-accuracy mode (not shipped): Latin-script accuracy {right_low / len(latin):.4f}, "
              f"{per_call_us(features.detect_language, latin):.1f} µs per sentence")
    finally:
        features._detector = shipped
        features._language_of.cache_clear()
    right_high = sum(features.detect_language(t) == code for code in features.LATIN_LANGUAGES for t in sentences[code])
    print(f"  as shipped: Latin-script accuracy {right_high / len(latin):.4f}")


def flag_report(name: str, prompts: list[str]) -> None:
    safety = sum(features.safety_sensitive(p) for p in prompts)
    recent = sum(features.asks_recent(p) for p in prompts)
    code = sum(features.contains_code(p) for p in prompts)
    print(f"{name} (n={len(prompts)}): safety_sensitive {safety / len(prompts):.3f}, "
          f"recent_events {recent / len(prompts):.3f}, contains_code {code / len(prompts):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tatoeba", type=Path, default=os.environ.get("EVALHUB_TATOEBA_DIR"),
                        help="directory with the LASER tatoeba.<xxx>-eng.* files (default: $EVALHUB_TATOEBA_DIR)")
    parser.add_argument("--xstest", type=Path, default=BASE_DIR / ".." / "shared" / "data" / "refusal-dev.jsonl")
    parser.add_argument("--simpleqa", type=Path, help="SimpleQA test set CSV (column 'problem')")
    args = parser.parse_args()
    if args.tatoeba is None or not (Path(args.tatoeba) / "tatoeba.ara-eng.eng").exists():
        print("text-features bench skipped: pass --tatoeba DIR or set EVALHUB_TATOEBA_DIR")
        return

    sentences = read_tatoeba(Path(args.tatoeba))
    language_report(sentences)
    every = [text for texts in sentences.values() for text in texts]
    print(f"derive_features: {per_call_us(features.derive_features, every):.1f} µs per Tatoeba sentence")
    if args.xstest.exists():
        prompts = sorted({json.loads(line)["prompt"] for line in args.xstest.open(encoding="utf-8")
                          if line.strip() and json.loads(line).get("kind") == "refusal"})
        flag_report("XSTest prompts", prompts)
        print(f"derive_features: {per_call_us(features.derive_features, prompts):.1f} µs per XSTest prompt")
    if args.simpleqa:
        with args.simpleqa.open(encoding="utf-8") as handle:
            questions = [row["problem"] for row in csv.DictReader(handle)]
        flag_report("SimpleQA questions", questions)
    flag_report("Tatoeba sentences, all languages", every)
    pastes = [" ".join(every)[:1_000_000], "SELECT " * 150_000, "why should " * 100_000]
    per_paste = per_call_us(features.derive_features, pastes, rounds=1) / 1000
    print(f"derive_features on a megabyte paste: {per_paste:.1f} ms (mean of {len(pastes)} pastes)")


if __name__ == "__main__":
    main()
