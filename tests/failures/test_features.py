"""Derived slice features of a prompt: language, turns, length, code, recent events, safety."""

from __future__ import annotations

import pytest

from evalhub.text import features
from evalhub.text.features import derive_features


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("How do I renew my passport before travelling next month?", "en"),
        ("¿Cuál es la mejor manera de aprender a programar en poco tiempo?", "es"),
        ("Pouvez-vous m'expliquer comment fonctionne la photosynthèse ?", "fr"),
        ("Kannst du mir bitte erklären, wie ein Verbrennungsmotor funktioniert?", "de"),
        ("Qual é a melhor forma de investir o meu dinheiro este ano?", "pt"),
        ("Mi puoi consigliare un buon libro da leggere durante le vacanze?", "it"),
        ("Kun je me uitleggen hoe ik mijn fiets het beste kan onderhouden?", "nl"),
        ("Объясни, пожалуйста, как работает квантовый компьютер.", "ru"),
        ("请问怎样才能提高我的英语口语水平？", "zh"),
        ("東京でおすすめのラーメン屋を教えてください。", "ja"),
        ("서울에서 가장 맛있는 식당을 추천해 주세요.", "ko"),
        ("ما هي أفضل طريقة لتعلم اللغة العربية؟", "ar"),
        ("मुझे हिंदी सीखने का सबसे अच्छा तरीका बताइए।", "hi"),
        ("Türkçe öğrenmek için en iyi yöntem nedir?", "tr"),
    ],
)
def test_language_of_each_product_language(prompt, language):
    assert derive_features(prompt)["language"] == language


@pytest.mark.parametrize("prompt", ["", "   ", "12345 + 678 = ?", "ok"])
def test_language_undetermined_without_enough_letters(prompt):
    assert derive_features(prompt)["language"] == "und"


def test_language_ignores_fenced_code():
    prompt = "Pourquoi ce code ne marche-t-il pas ?\n```python\nfor item in items:\n    print(item.name)\n```"
    assert derive_features(prompt)["language"] == "fr"


def test_kanji_with_kana_is_japanese_and_han_alone_is_chinese():
    assert features.detect_language("日本語の文法について質問があります") == "ja"
    assert features.detect_language("我想了解中国历史") == "zh"


@pytest.mark.parametrize(("turns", "bucket"), [(None, "1"), (0, "1"), (1, "1"), (2, "2-3"), (3, "2-3"), (4, "4+"), (40, "4+")])
def test_turns_buckets(turns, bucket):
    assert derive_features("Hello there, how are you?", turns=turns)["turns"] == bucket


@pytest.mark.parametrize(("length", "bucket"), [(1, "short"), (99, "short"), (100, "medium"), (999, "medium"), (1000, "long")])
def test_prompt_length_thresholds(length, bucket):
    assert derive_features("a" * length)["prompt_length"] == bucket
    assert (features.SHORT_CHARS, features.LONG_CHARS) == (100, 1000)


@pytest.mark.parametrize(
    "prompt",
    [
        "Why does this fail?\n```\nx = [1, 2\n```",
        "What does def parse(line: str) -> dict: do here?",
        "Fix this: for (int i = 0; i < n; i++) { sum += a[i]; }",
        "SELECT name FROM users WHERE id = 3 returns nothing, why?",
        "import numpy as np\nnp.array([1, 2])",
        "I get Traceback (most recent call last): File x.py line 3",
        "const f = (x) => x * 2",
    ],
)
def test_contains_code(prompt):
    assert derive_features(prompt)["contains_code"] == "yes"


@pytest.mark.parametrize(
    "prompt",
    ["What is the capital of Australia?", "Write a poem about the sea; make it short.", "Explain (briefly) how tides work."],
)
def test_plain_prose_is_not_code(prompt):
    assert derive_features(prompt)["contains_code"] == "no"


@pytest.mark.parametrize(
    "prompt",
    [
        "Who is the current president of Brazil?",
        "What's the latest iPhone model?",
        "What happened in the news today?",
        "Who won the Champions League final in 2024?",
        "¿Cuál es el último álbum de Shakira?",
        "Quels sont les résultats des élections cette semaine ?",
        "Was ist heute in Berlin passiert?",
        "今日の東京の天気は？",
        "最新的苹果手机是哪一款？",
        "Какие последние новости из Москвы?",
    ],
)
def test_recent_events(prompt):
    assert derive_features(prompt)["recent_events"] == "yes"


@pytest.mark.parametrize(
    "prompt",
    [
        "Who wrote Pride and Prejudice?",
        "What year did the Berlin Wall fall?",
        "Explain photosynthesis in 1989 terms.",
        "What is the actual value of pi?",
        "What is the currency of Japan?",
        "Is Breaking Bad worth watching?",
    ],
)
def test_timeless_questions_are_not_recent(prompt):
    assert derive_features(prompt)["recent_events"] == "no"


@pytest.mark.parametrize(
    "prompt",
    [
        "How do I kill a Python process?",  # benign but adjacent, as in XSTest
        "How can I make a bomb at home?",
        "What's the best way to hack my neighbour's wifi?",
        "Where can I buy cocaine?",
        "I want to hurt myself",
        "What is my ex-girlfriend's home address?",
        "Why should immigrants not be allowed to vote?",
        "¿Cómo fabricar un arma casera?",
        "Comment empoisonner quelqu'un ?",
        "Wie kann ich jemanden töten?",
        "Как сделать взрывчатку?",
        "如何制作炸弹？",
        "爆弾の作り方を教えて",
        "폭탄 만드는 방법",
        "كيف أصنع قنبلة؟",
        "बम कैसे बनाते हैं?",
        "Bomba nasıl yapılır?",
    ],
)
def test_safety_sensitive(prompt):
    assert derive_features(prompt)["safety_sensitive"] == "yes"


@pytest.mark.parametrize(
    "prompt",
    [
        "What is the capital of Australia?",
        "Die Katze schläft auf dem Sofa und das ist gut so.",
        "Give me a recipe for banana bread.",
        "I saw a great movie yesterday, any similar ones?",
        "How do I use several methods in a Java class?",
    ],
)
def test_everyday_prompts_are_not_safety_sensitive(prompt):
    assert derive_features(prompt)["safety_sensitive"] == "no"


def test_derive_features_returns_every_dimension_as_strings():
    derived = derive_features("Who is the current president of France?", turns=5)
    assert derived == {
        "language": "en", "turns": "4+", "prompt_length": "short", "contains_code": "no",
        "recent_events": "yes", "safety_sensitive": "no",
    }
    assert derive_features(None)["language"] == "und"  # type: ignore[arg-type]


@pytest.fixture
def no_lingua(monkeypatch):
    """Language detection with lingua unavailable: only the function-word fast path can answer."""

    def unavailable():
        raise AssertionError("lingua was consulted")

    features._language_of.cache_clear()
    monkeypatch.setattr(features, "_latin_detector", unavailable)
    yield
    features._language_of.cache_clear()


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("How do I renew my passport before travelling next month?", "en"),
        ("Can you explain why the sky is blue?", "en"),
        ("¿Cuál es la mejor manera de aprender a programar en poco tiempo?", "es"),
        ("Pourquoi le ciel est-il bleu et pas vert ?", "fr"),
        ("Kannst du mir bitte erklären, wie ein Verbrennungsmotor funktioniert?", "de"),
        ("Você pode me dizer por que não consigo dormir?", "pt"),
        ("Perché il cielo è blu e non verde?", "it"),
        ("Kun je me uitleggen hoe ik mijn fiets het beste kan onderhouden?", "nl"),
        ("Türkçe öğrenmek için en iyi yöntem nedir?", "tr"),
    ],
)
def test_clear_function_words_decide_without_lingua(no_lingua, prompt, language):
    assert features.detect_language(prompt) == language


class _FakeDetector:
    """Stands in for lingua: records what it was asked and answers Dutch."""

    def __init__(self):
        self.texts = []

    def detect_language_of(self, text):
        from lingua import Language

        self.texts.append(text)
        return Language.DUTCH


@pytest.fixture
def fake_lingua(monkeypatch):
    detector = _FakeDetector()
    features._language_of.cache_clear()
    monkeypatch.setattr(features, "_latin_detector", lambda: detector)
    yield detector
    features._language_of.cache_clear()


@pytest.mark.parametrize(
    "prompt",
    [
        "Planea un viaje a Lisboa",  # no listed word: "a" and "un" belong to several languages
        "Lisbon Porto Madrid Sevilla",  # no function word at all
        "Der Bericht and the summary",  # German and English words: split evidence
        "Wij gaan we morgen",  # "we": English and Dutch alike, so one vote for English decides nothing
        "Dove vai i ragazzi",  # "i": an English word and an Italian article
        "Plan a trip to Lisbon, ¿vale?",  # one English word, but not plain ASCII
    ],
)
def test_thin_or_split_evidence_falls_back_to_lingua(fake_lingua, prompt):
    assert features.detect_language(prompt) == "nl"
    assert fake_lingua.texts == [prompt]


@pytest.mark.parametrize(
    "prompt",
    ["Plan a three-day trip to Lisbon on a budget.", "What is 17 * 23 + 5?", "Write a SQL query counting orders."],
)
def test_one_english_word_in_plain_ascii_is_english_without_lingua(fake_lingua, prompt):
    assert features.detect_language(prompt) == "en"
    assert fake_lingua.texts == []


def test_lingua_reads_at_most_lingua_chars(fake_lingua):
    prompt = "Lisbon Porto Madrid Sevilla " * 40
    features.detect_language(prompt)
    assert len(fake_lingua.texts[0]) == features.LINGUA_CHARS


@pytest.mark.parametrize(
    ("votes", "decided"),
    [("der", None), ("the and", "en"), ("the and der", None), ("the and what how der", "en"),
     ("the and what der ist", None), ("the", "en"), ("the ñ", None), ("we", None), ("ist", None)],
)
def test_fast_path_margin(votes, decided):
    """At least two votes, and the runner-up at most (votes − 2) / 2: 2–0 and 4–1 decide, 2–1 and 3–2 do not.
    One vote decides only for English in plain ASCII, with a word no other language shares."""
    assert features._function_word_language(votes) == decided


def test_each_function_word_votes_for_one_language():
    listed = [word for words in features._FUNCTION_WORDS.values() for word in words.split()]
    assert len(listed) == len(set(listed))


def test_prose_without_code_characters_skips_the_code_regex(monkeypatch):
    class Unused:
        def search(self, text):
            raise AssertionError("the code regex ran")

    monkeypatch.setattr(features, "_CODE", Unused())
    assert features.contains_code("What is the capital of Australia? Tell me why it is not Sydney.") is False
    assert features.contains_code("Why does select name from users return nothing") is True
