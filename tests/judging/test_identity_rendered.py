"""The identity-leak flag reads what the reviewer reads: the rendered answer, not its markdown source."""

from __future__ import annotations

import json

import pytest

from judging.identity import reveals_identity
from judging.models import Judgment
from tests.judging.factories import active_campaign


@pytest.mark.parametrize("text", ["I am Chat**GPT**.", "Built by Open&#65;I", "Made by *Anth*ropic", "I am Chat\u200bGPT",
                                  "ＣｈａｔＧＰＴ here", "`Claude`", "end.\n\nGemini says hi", "Open&#x41;I"])
def test_markup_cannot_hide_a_model_name(text):
    assert reveals_identity(text)


@pytest.mark.parametrize("text", ["The geminids peak in December.", "Plain answer with **bold** text.",
                                  "Read [the docs](https://openai.com/docs).", "Claudette is a name."])
def test_ordinary_text_is_not_flagged(text):
    assert not reveals_identity(text)


@pytest.mark.django_db
def test_a_vote_on_a_markup_disguised_answer_is_flagged(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1,
                               outputs=lambda i, j: "As Chat**GPT**, I think so." if j == 0 else "I think so.")
    token = reviewer_client.get("/api/v1/judging/next", {"campaign": campaign.slug}).json()["token"]
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/vote", json.dumps({"choice": "left"}),
                                    content_type="application/json")
    assert response.status_code == 200
    assert Judgment.objects.get().identity_flag is True
