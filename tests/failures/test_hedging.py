"""Hedged answers and stated confidences, in the product languages."""

from __future__ import annotations

import pytest

from evalhub.text.hedging import expresses_uncertainty, stated_confidence


@pytest.mark.parametrize(
    "answer",
    [
        "I'm not sure, but I think it was 1912.",
        "It was probably Marie Curie.",
        "As far as I know, the answer is 42.",
        "I may be wrong, but Canberra is the capital.",
        "This might be the Treaty of Utrecht.",
        "I don’t have that information.",  # typographic apostrophe
        "It's a long shot, but was it 1840?",
        "je ne suis pas sûr, mais c'est peut-être Lyon",
        "No estoy seguro, pero creo que fue en 1990.",
        "Ich bin mir nicht sicher, vielleicht 1990.",
        "Não tenho certeza, talvez seja Lisboa.",
        "Non sono sicuro, forse era Torino.",
        "Ik weet het niet zeker, misschien Utrecht.",
        "Не уверен, но, кажется, это был Пушкин.",
        "可能是北京。",
        "たぶん東京だと思います。",
        "아마 서울일 것 같습니다.",
        "ربما كانت القاهرة.",
        "शायद यह दिल्ली है।",
        "Emin değilim, belki Ankara.",
        "Paris. Confidence: 40%",
        "I'm sorry, but I don't know who won.",
    ],
)
def test_hedged_answers(answer):
    assert expresses_uncertainty(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "The capital of Australia is Canberra.",
        "Without a doubt, it was 1912.",
        "I'm sure it was Marie Curie.",
        "The Treaty of Utrecht was signed on 11 April 1713.",
        "C'est Lyon.",
        "Es imposible saberlo con menos datos: la respuesta es 7.",
        "这是不可能的。答案是北京。",
        "Paris. Confidence: 95%",
        "I'm sorry for the confusion: the answer is 12.",
        "",
        None,
    ],
)
def test_confident_answers(answer):
    assert not expresses_uncertainty(answer)


@pytest.mark.parametrize(
    ("answer", "confidence"),
    [
        ("Paris.\nConfidence: 80%", 0.8),
        ("Answer: Lyon (confidence 0.7)", 0.7),
        ("I'm 90% sure it's Lyon.", 0.9),
        ("I am about 65 percent confident.", 0.65),
        ("Confidence level: 8/10", 0.8),
        ("Confidence: 85", 0.85),
        ("Confianza: 75 %", 0.75),
        ("Niveau de confiance : 60 %", 0.6),
        ("置信度：80%", 0.8),
        ("Уверенность: 70%", 0.7),
        ("確信度：70%", 0.7),
        ("확신도: 70%", 0.7),
        ("Sicherheit: 70 %", 0.7),
        ("Güven düzeyi: %70", 0.7),
        ("الثقة: 70%", 0.7),
        ("Confidence: 30%. On reflection, confidence: 55%", 0.55),  # the last one stated
        ("Canberra.", None),
        ("It costs 80% less.", None),
        ("Confidence: 250%", None),
        ("", None),
        (None, None),
    ],
)
def test_stated_confidence(answer, confidence):
    found = stated_confidence(answer)
    if confidence is None:
        assert found is None
    else:
        assert found == pytest.approx(confidence)
