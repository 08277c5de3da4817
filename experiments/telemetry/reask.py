"""Re-ask detection: the same session (or user) asks again, soon, what it just asked.

A call is a *re-ask* of the previous call of its scope when

* both carry the same scope key: with ``TELEMETRY_REASK_SCOPE = "user"`` (default) the ``unit_id``
  (else ``session_id``), so a user who opens a new chat to ask again is counted too; with
  ``"session"`` the ``session_id`` (else ``unit_id``); calls with neither are skipped;
* it comes at most ``TELEMETRY_REASK_WINDOW_SECONDS`` (default 300 s) after the previous call;
* and either it is an explicit regenerate (``regenerate: true``) or its prompt asks the same thing:
  the Jaccard similarity of the two prompts' character n-gram sets is at least
  ``TELEMETRY_REASK_SIMILARITY`` (default 0.3; half of it when both prompts are written mostly in
  Chinese, Japanese or Korean — see below), and the new prompt is not a follow-up.

Language-independent similarity: text is Unicode-normalised (NFKC), case-folded and split into runs
of letters and digits of any script; each run contributes its character trigrams with word-boundary
padding — except runs of Han, kana and Hangul, written without spaces, which contribute their
characters (a Han character or a Hangul syllable is a morpheme) and character bigrams. Identical
Chinese, Arabic or Russian prompts are then identical sets, and prompts in different scripts share
nothing.

The threshold is halved when both prompts are mostly Han, kana or Hangul (``UNSPACED_FACTOR``): a
rephrasing there swaps short function characters ("怎么" / "如何", "吗" / "呢", Korean endings) that make
up a large share of a short question's characters and bigrams, so the same request scores lower than in
spaced scripts. On the development splits of two human-labelled question-pair sets (Korean Question
Pair, BQ Corpus) the F1-optimal Jaccard threshold was 0.14–0.15, against 0.37 on English MRPC; at a
single 0.3 Chinese recall was 0.26.

Follow-ups share context but ask something new, and do not count:

* the prompts carry different numbers ("what is 17 * 23" → "what is 18 * 23");
* the new prompt opens with a follow-up marker ("and what about…", "now…", "thanks! …",
  "y también…", "那…呢", "じゃあ…") — then only a near-identical prompt (similarity ≥ 0.9) counts.

A re-ask marker ("again", "I meant", "that's not what I asked", "no entiendo", "还是不对") lowers the
threshold by 0.15: the user says they are asking again.

The re-ask is charged to the EARLIER answer (its variant, hour and experiment arm): the user asked
again because that answer did not serve them. Each answer is counted at most once.

Prompts are kept only as fingerprints (CRC-32 hashes of the n-grams, numbers and markers), so
detection works when prompt text is not stored.
"""

from __future__ import annotations

import re
import sys
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from functools import lru_cache

import ahocorasick

FOLLOW_UP_SIMILARITY = 0.9  # a follow-up counts only when it repeats the prompt (almost) verbatim
REASK_MARKER_BONUS = 0.15
UNSPACED_FACTOR = 0.5  # threshold multiplier when both prompts are mostly Han, kana or Hangul

# Fingerprint values: n-gram hashes are CRC-32 (0 … 2**32 - 1); numbers are negative (below
# _NUMBER_BASE); two reserved negatives flag the markers; 2**32, above every hash (so last), marks a
# prompt written mostly in Han, kana or Hangul — kept out of the negatives so that CJK prompts, most of
# which carry no number or marker, skip that branch of ``similarity``.
_FOLLOW_UP_FLAG = -1
_REASK_FLAG = -2
_UNSPACED_MARK = 2**32
_NUMBER_BASE = -16

_LITTLE_ENDIAN = sys.byteorder == "little"
_RUN = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_FOLLOW_UP = re.compile(
    r"^\W*(?:and|also|what about|how about|now|then|next|thanks|thank you|ok(?:ay)?|great|cool|one more|another|"
    r"can you also|could you also|besides|in addition|"
    r"y|también|y qué|qué tal|gracias|ahora|además|"  # es
    r"et|aussi|et si|merci|maintenant|ensuite|"  # fr
    r"und|auch|danke|jetzt|und was|außerdem|"  # de
    r"e|também|e quanto|obrigad[oa]|agora|"  # pt
    r"anche|e se|grazie|ora|inoltre|"  # it
    r"en|ook|bedankt|dank je|nu|"  # nl
    r"а|и|спасибо|теперь|ещё|еще|а что|кроме того|"  # ru
    r"peki|ve|teşekkürler|teşekkür ederim|şimdi|ayrıca|"  # tr
    r"و|شكرا|شكراً|ماذا عن|الآن|"  # ar
    r"और|धन्यवाद|अब"  # hi
    r")\b"
    r"|^\W*(?:那|还有|還有|另外|谢谢|謝謝|然后|然後|接下来|接下來|那么|那麼|では|じゃあ|それでは|ありがとう|次に|それと|"
    r"그럼|그리고|고마워|감사합니다|다음으로|그러면)"
)
# The markers' literal words, found in one Aho–Corasick pass before the regex (which checks word
# boundaries) runs: the alternation tried at every position cost more than the n-grams.
_MARKER_LITERALS = (
    "again", "i said", "i meant", "i mean", "not what i", "that's not", "that is not", "that's wrong", "wrong answer",
    "didn't work", "doesn't work", "did not work", "does not work", "still not", "try again", "you didn't answer",
    "answer my question", "rephrase", "otra vez", "de nuevo", "no es lo que", "no funciona", "encore", "de nouveau",
    "ce n'est pas ce que", "ça ne marche pas", "nochmal", "noch einmal", "erneut", "das meinte ich nicht",
    "funktioniert nicht", "de novo", "novamente", "não é isso", "não funciona", "di nuovo", "ancora una volta",
    "non è quello", "non funziona", "opnieuw", "nog een keer", "werkt niet", "ещё раз", "еще раз", "снова", "опять",
    "не то", "не работает", "tekrar", "yine", "olmadı", "çalışmıyor", "再说一次", "再說一次", "重新", "还是不", "還是不",
    "不对", "不對", "もう一度", "違います", "再度", "다시", "아니요", "مرة أخرى", "مجددا", "ليس هذا", "फिर से", "दोबारा",
)
_MARKER_WORDS = ahocorasick.Automaton()
for _literal in _MARKER_LITERALS:
    _MARKER_WORDS.add_word(_literal, _literal)
_MARKER_WORDS.make_automaton()
_REASK_MARKER = re.compile(
    r"\b(?:again|i said|i meant|i mean|not what i|that's not|that is not|that's wrong|wrong answer|didn't work|"
    r"doesn't work|did not work|does not work|still not|try again|you didn't answer|answer my question|rephrase|"
    r"otra vez|de nuevo|no es lo que|no funciona|"  # es
    r"encore|de nouveau|ce n'est pas ce que|ça ne marche pas|"  # fr
    r"nochmal|noch einmal|erneut|das meinte ich nicht|funktioniert nicht|"  # de
    r"de novo|novamente|não é isso|não funciona|"  # pt
    r"di nuovo|ancora una volta|non è quello|non funziona|"  # it
    r"opnieuw|nog een keer|werkt niet|"  # nl
    r"ещё раз|еще раз|снова|опять|не то|не работает|"  # ru
    r"tekrar|yine|olmadı|çalışmıyor)\b"  # tr
    r"|再说一次|再說一次|重新|还是不|還是不|不对|不對|もう一度|違います|再度|다시|아니요|"
    r"مرة أخرى|مجددا|ليس هذا|फिर से|दोबारा"
)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _grams(run: str) -> list[str]:
    if _UNSPACED.search(run):
        # Characters (a Han character or Hangul syllable is a morpheme) and character bigrams.
        return [*run, *(run[i:i + 2] for i in range(len(run) - 1))]
    padded = f" {run} "
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


def _gram_hashes(runs: list[str], ascii_only: bool) -> set[int]:
    """CRC-32 of each run's n-grams (of their UTF-8 bytes). ASCII text, the common case, hashes
    slices of one byte string holding every run padded by a space on each side (" run1  run2 "): a
    slice whose middle byte is a space spans two runs and is skipped; the rest are exactly each run's
    padded trigrams — the same values, without a str and an encode per gram or a loop per run."""
    crc32 = zlib.crc32
    if ascii_only:
        joined = b" " + "  ".join(runs).encode() + b" "
        return {crc32(joined[i:i + 3]) for i in range(len(joined) - 2) if joined[i + 1] != 32}
    return _unicode_gram_hashes(runs)[0]


def _unicode_gram_hashes(runs: list[str]) -> tuple[set[int], bool]:
    """``_grams`` hashed for every distinct run, and whether most of those runs' letters are Han, kana
    or Hangul. Runs are sorted by kind first and each kind is hashed in one comprehension (per-run work
    is what costs, above all in Korean, whose runs are short words); a run whose characters are all 3
    bytes in UTF-8 (Han, kana, Hangul) is encoded once and its grams are slices of those bytes."""
    crc32 = zlib.crc32
    three_byte: list[bytes] = []
    other: list[str] = []
    padded: list[str] = []
    unspaced = spaced = 0
    for run in set(runs):
        if _UNSPACED.search(run):
            unspaced += len(run)
            data = run.encode()
            if len(data) == 3 * len(run):
                three_byte.append(data)
            else:
                other.append(run)
        else:
            spaced += len(run)
            padded.append(f" {run} ")
    values = {crc32(data[i:i + width]) for data in three_byte for width in (3, 6)
              for i in range(0, len(data) - width + 1, 3)}
    if padded:
        values.update([crc32(text[i:i + 3].encode()) for text in padded for i in range(len(text) - 2)])
    if other:
        values.update([crc32(gram.encode()) for run in other for gram in _grams(run)])
    return values, unspaced > spaced


def fingerprint(text: str | None) -> list[int]:
    """Sorted hashes of the prompt's character n-grams, numbers and markers (a PostgreSQL bigint[];
    not reversible to text without a dictionary attack; collisions too rare to move a similarity)."""
    if not text:
        return []
    return list(_fingerprint(text[:4000]))


def fingerprint_bytes(text: str | None) -> bytes:
    """``fingerprint(text)`` packed as big-endian signed 64-bit integers: what the session state
    stores (a ``bytea``; cached: prompts repeat, and this is built for every call of a session on the
    ingest path). Packing is one C call; a PostgreSQL ``bigint[]`` literal of the same values took a
    ``str`` per value here and a parse per value in the database."""
    if not text:
        return b""
    return _fingerprint_bytes(text[:4000])


@lru_cache(maxsize=8192)
def _fingerprint_bytes(text: str) -> bytes:
    return pack_fingerprint(_fingerprint(text))


def pack_fingerprint(values: list[int] | tuple[int, ...]) -> bytes:
    packed = array("q", values)
    if _LITTLE_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def fingerprint_from_bytes(data: bytes | memoryview | None) -> list[int]:
    """The sorted fingerprint a ``fingerprint_bytes`` value holds."""
    packed = array("q")
    if data:
        packed.frombytes(data)
        if _LITTLE_ENDIAN:
            packed.byteswap()
    return packed.tolist()


@lru_cache(maxsize=8192)
def _fingerprint(text: str) -> tuple[int, ...]:
    # Cached: production prompts repeat (templates, retries), and this is on the ingest hot path.
    norm = normalise(text)
    if norm.isascii():
        values = _gram_hashes(_RUN.findall(norm), True)
    else:
        values, unspaced = _unicode_gram_hashes(_RUN.findall(norm))
        if unspaced:
            values.add(_UNSPACED_MARK)
    values.update(_NUMBER_BASE - zlib.crc32(number.replace(",", ".").encode()) for number in _NUMBER.findall(norm))
    if _FOLLOW_UP.search(norm):
        values.add(_FOLLOW_UP_FLAG)
    if any(True for _ in _MARKER_WORDS.iter(norm)) and _REASK_MARKER.search(norm):
        values.add(_REASK_FLAG)
    return tuple(sorted(values))


def similarity(previous_fp: list[int], fp: list[int], threshold: float) -> bool:
    """Does the prompt ``fp`` ask again what ``previous_fp`` asked (see the module docstring)?

    Both fingerprints are sorted, as ``fingerprint`` returns them and the session state stores them:
    numbers first, then the flags, then the n-gram hashes (≥ 0)."""
    if previous_fp == fp:  # identical prompts (retries, templates): the common re-ask
        return bool(fp)
    start_a, start_b = bisect_left(previous_fp, 0), bisect_left(fp, 0)
    needed = threshold
    if start_a or start_b:  # numbers or markers (most prompts have neither)
        negatives = fp[:start_b]  # the numbers (≤ _NUMBER_BASE, sorted first), then the flags
        if start_a and start_b and previous_fp[0] <= _NUMBER_BASE and fp[0] <= _NUMBER_BASE:
            numbers_from = _NUMBER_BASE + 1
            if (previous_fp[:bisect_left(previous_fp, numbers_from, 0, start_a)]
                    != fp[:bisect_left(fp, numbers_from, 0, start_b)]):
                return False
        if _FOLLOW_UP_FLAG in negatives:
            needed = FOLLOW_UP_SIMILARITY
        elif _REASK_FLAG in negatives:
            needed = threshold - REASK_MARKER_BONUS
    size_a, size_b = len(previous_fp) - start_a, len(fp) - start_b
    if not size_a or not size_b:
        return False
    shared_mark = 0
    if previous_fp[-1] == _UNSPACED_MARK or fp[-1] == _UNSPACED_MARK:  # the CJK mark is not an n-gram
        marked_a, marked_b = previous_fp[-1] == _UNSPACED_MARK, fp[-1] == _UNSPACED_MARK
        size_a -= marked_a
        size_b -= marked_b
        if not size_a or not size_b:
            return False
        if marked_a and marked_b:
            shared_mark = 1
            if _FOLLOW_UP_FLAG not in fp[:start_b]:  # a follow-up still needs a near-verbatim repeat
                needed *= UNSPACED_FACTOR
    # The Jaccard similarity is at most shorter / longer. Hash the shorter list into a set and probe it
    # with the longer one (building a set costs more than probing it).
    if size_a <= size_b:
        if size_a < needed * size_b:
            return False
        common = len(set(previous_fp[start_a:] if start_a else previous_fp).intersection(fp)) - shared_mark
    else:
        if size_b < needed * size_a:
            return False
        common = len(set(fp[start_b:] if start_b else fp).intersection(previous_fp)) - shared_mark
    return common / (size_a + size_b - common) >= needed


def is_reask(*, previous_fp: list[int], previous_ts: float, fp: list[int], ts: float, regenerate: bool,
             window_seconds: float, threshold: float) -> bool:
    """Is a call (``fp`` at ``ts`` seconds) a re-ask of the previous call of its scope?"""
    gap = ts - previous_ts
    if gap < 0 or gap > window_seconds:
        return False
    if regenerate:
        return True
    return similarity(previous_fp, fp, threshold)
