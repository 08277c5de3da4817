"""Re-ask detection: the same session (or user) asks again, soon, what it just asked.

A call is a *re-ask* of the previous call of its scope when

* both carry the same scope key: with ``TELEMETRY_REASK_SCOPE = "user"`` (default) the ``unit_id``
  (else ``session_id``), so a user who opens a new chat to ask again is counted too; with
  ``"session"`` the ``session_id`` (else ``unit_id``); calls with neither are skipped;
* it comes at most ``TELEMETRY_REASK_WINDOW_SECONDS`` (default 300 s) after the previous call;
* and either it is an explicit regenerate (``regenerate: true``) or its prompt asks the same thing:
  the Jaccard similarity of the two prompts' character n-gram sets is at least
  ``TELEMETRY_REASK_SIMILARITY`` (default 0.3), and the new prompt is not a follow-up.

Language-independent similarity: text is Unicode-normalised (NFKC), case-folded and split into runs
of letters and digits of any script; each run contributes its character trigrams with word-boundary
padding — except runs of Han, kana and Hangul, written without spaces, which contribute their
characters (a Han character or a Hangul syllable is a morpheme) and character bigrams. Identical
Chinese, Arabic or Russian prompts are then identical sets, and prompts in different scripts share
nothing.

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
import unicodedata
import zlib
from functools import lru_cache

FOLLOW_UP_SIMILARITY = 0.9  # a follow-up counts only when it repeats the prompt (almost) verbatim
REASK_MARKER_BONUS = 0.15

# Fingerprint values: n-gram hashes are CRC-32 (0 … 2**32 - 1); numbers are negative (below
# _NUMBER_BASE); two reserved negatives flag the markers.
_FOLLOW_UP_FLAG = -1
_REASK_FLAG = -2
_NUMBER_BASE = -16

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


def fingerprint(text: str | None) -> list[int]:
    """Sorted hashes of the prompt's character n-grams, numbers and markers (a PostgreSQL bigint[];
    not reversible to text without a dictionary attack; collisions too rare to move a similarity)."""
    if not text:
        return []
    return list(_fingerprint(text[:4000]))


@lru_cache(maxsize=8192)
def _fingerprint(text: str) -> tuple[int, ...]:
    # Cached: production prompts repeat (templates, retries), and this is on the ingest hot path.
    norm = normalise(text)
    values = {zlib.crc32(gram.encode()) for run in _RUN.findall(norm) for gram in _grams(run)}
    values.update(_NUMBER_BASE - zlib.crc32(number.replace(",", ".").encode()) for number in _NUMBER.findall(norm))
    if _FOLLOW_UP.search(norm):
        values.add(_FOLLOW_UP_FLAG)
    if _REASK_MARKER.search(norm):
        values.add(_REASK_FLAG)
    return tuple(sorted(values))


def _split(fp: list[int] | tuple[int, ...]) -> tuple[set[int], set[int], set[int]]:
    grams, numbers, flags = set(), set(), set()
    for value in fp:
        if value >= 0:
            grams.add(value)
        elif value <= _NUMBER_BASE:
            numbers.add(value)
        else:
            flags.add(value)
    return grams, numbers, flags


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(previous_fp: list[int], fp: list[int], threshold: float) -> bool:
    """Does the prompt ``fp`` ask again what ``previous_fp`` asked (see the module docstring)?"""
    if previous_fp == fp:  # identical prompts (retries, templates): the common re-ask
        return bool(fp)
    grams_a, numbers_a, _ = _split(previous_fp)
    grams_b, numbers_b, flags = _split(fp)
    if numbers_a != numbers_b and numbers_a and numbers_b:
        return False
    needed = threshold
    if _FOLLOW_UP_FLAG in flags:
        needed = FOLLOW_UP_SIMILARITY
    elif _REASK_FLAG in flags:
        needed = threshold - REASK_MARKER_BONUS
    return jaccard(grams_a, grams_b) >= needed


def is_reask(*, previous_fp: list[int], previous_ts: float, fp: list[int], ts: float, regenerate: bool,
             window_seconds: float, threshold: float) -> bool:
    """Is a call (``fp`` at ``ts`` seconds) a re-ask of the previous call of its scope?"""
    gap = ts - previous_ts
    if gap < 0 or gap > window_seconds:
        return False
    if regenerate:
        return True
    return similarity(previous_fp, fp, threshold)
