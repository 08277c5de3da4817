"""Chatbot Arena import: parser, service, management command, page and API."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evalhub.core.models import ModelVariant
from evalhub.core.services import api_key_create
from judging.importers import ArenaImportError, arena_import, parse_arena
from judging.models import ArenaBattle
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

GOOD = [
    {"model_a": "alpha", "model_b": "beta", "winner": "model_a", "judge": "u1", "tstamp": 1700000000.5,
     "language": "English", "category": "coding",
     "conversation_a": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
     "conversation_b": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
    {"model_a": "beta", "model_b": "alpha", "winner": "model_b", "judge": "u2", "tstamp": 1700000001},
    {"model_a": "alpha", "model_b": "beta", "winner": "tie", "judge": "u3", "tstamp": 1700000002},
    {"model_a": "alpha", "model_b": "beta", "winner": "tie (bothbad)", "judge": "u4", "tstamp": 1700000003,
     "question_id": "q1", "anony": True},
]


@pytest.fixture
def variants():
    return VariantFactory(slug="alpha"), VariantFactory(slug="beta")


def jsonl(rows) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_good_file_imports_all_four_winners(variants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        summary = arena_import(data=jsonl(GOOD), source="arena-test")
    assert (summary.imported, summary.skipped_duplicates) == (4, 0)
    assert len(callbacks) == 1  # overall leaderboard refresh enqueued on commit
    stored = list(ArenaBattle.objects.order_by("tstamp").values_list("model_a__slug", "model_b__slug", "winner"))
    assert stored == [("alpha", "beta", "a"), ("beta", "alpha", "b"), ("alpha", "beta", "tie"),
                      ("alpha", "beta", "both_bad")]
    first = ArenaBattle.objects.order_by("tstamp").first()
    assert first.category == "coding"
    assert first.language == "English"
    assert first.judge == "u1"
    assert first.tstamp.timestamp() == pytest.approx(1700000000.5)


def test_json_array_reports_the_line_each_battle_starts_on(variants):
    text = json.dumps(GOOD[:2], indent=2).replace('"model_b"', '"model_B"', 1)  # first battle lacks model_b
    result = parse_arena(text)
    assert [str(e) for e in result.errors] == ["line 2: model_b: is required"]


def test_malformed_rows_named_by_line_and_field_and_nothing_written(variants):
    rows = [json.dumps(GOOD[0]),
            json.dumps({**GOOD[1], "winner": "model_c"}),
            "{not json",
            json.dumps({**GOOD[2], "tstamp": "yesterday"}),
            json.dumps({**GOOD[3], "model_b": "alpha"}),
            json.dumps([1, 2])]
    with pytest.raises(ArenaImportError) as caught:
        arena_import(data="\n".join(rows), source="arena-test")
    found = [(i.line, i.field) for i in caught.value.issues]
    assert found == [(2, "winner"), (3, "json"), (4, "tstamp"), (5, "model_b"), (6, "battle")]
    assert ArenaBattle.objects.count() == 0


def test_unknown_model_named_or_created_on_request(variants):
    rows = [GOOD[0], {**GOOD[1], "model_a": "Gamma-7B"}]
    with pytest.raises(ArenaImportError) as caught:
        arena_import(data=jsonl(rows), source="s")
    assert [str(i) for i in caught.value.issues][0].startswith("line 2: model_a: unknown variant 'Gamma-7B'")
    assert ArenaBattle.objects.count() == 0
    assert not ModelVariant.objects.filter(slug="gamma-7b").exists()
    summary = arena_import(data=jsonl(rows), source="s", create_variants=True)
    assert summary.imported == 2
    assert summary.created_variants == ["gamma-7b"]
    assert ModelVariant.objects.get(slug="gamma-7b").family == "imported"


def test_reimport_is_idempotent(variants):
    arena_import(data=jsonl(GOOD), source="s")
    again = arena_import(data=jsonl(GOOD), source="s")
    assert (again.imported, again.skipped_duplicates) == (0, 4)
    overlap = arena_import(data=jsonl(GOOD[2:] + [{**GOOD[0], "tstamp": 1700000009}]), source="s")
    assert (overlap.imported, overlap.skipped_duplicates) == (1, 2)
    assert ArenaBattle.objects.count() == 5


def test_command_shows_progress_and_errors(variants, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(GOOD))
    out = StringIO()
    call_command("import_arena", str(good), "--source", "cmd", stdout=out)
    text = out.getvalue()
    assert "[##############################] 4/4" in text
    assert "imported 4 battle(s), skipped 0 duplicate(s)" in text
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([GOOD[0], {**GOOD[1], "model_a": "nobody"}]))
    with pytest.raises(CommandError, match=r"line 1: model_a: unknown variant 'nobody'"):
        call_command("import_arena", str(bad), stdout=StringIO())
    out = StringIO()
    call_command("import_arena", str(bad), "--create-variants", "--source", "cmd2", stdout=out)
    assert "created variants: nobody" in out.getvalue()


def test_import_page(engineer_client, viewer_client, variants):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert viewer_client.get("/judge/import/").status_code == 403
    assert engineer_client.get("/judge/import/").status_code == 200
    bad = SimpleUploadedFile("b.jsonl", jsonl([{**GOOD[0], "winner": "x"}]))
    response = engineer_client.post("/judge/import/", {"file": bad, "source": "page"})
    assert response.status_code == 400
    assert b"winner" in response.content
    assert ArenaBattle.objects.count() == 0
    good = SimpleUploadedFile("g.jsonl", jsonl(GOOD))
    response = engineer_client.post("/judge/import/", {"file": good, "source": "page"})
    assert response.status_code == 200
    assert b"Imported 4 battle(s)" in response.content


def test_import_api(engineer, engineer_client, viewer_client, variants, client):
    url = "/api/v1/judging/imports/arena?source=api"
    assert client.post(url, data=jsonl(GOOD), content_type="application/jsonl").status_code == 401
    assert viewer_client.post(url, data=jsonl(GOOD), content_type="application/jsonl").status_code == 403
    bad = engineer_client.post(url, data=jsonl([GOOD[0], {**GOOD[1], "tstamp": None}]),
                               content_type="application/jsonl")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"line": 2, "field": "tstamp", "message": "is required (Unix seconds)"}]
    _, raw = api_key_create(owner=engineer, name="ingest", scopes=["ingest"])
    ok = client.post(url, data=json.dumps(GOOD), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ok.status_code == 201, ok.content
    assert ok.json()["imported"] == 4
    assert ok.json()["skipped_duplicates"] == 0
    again = engineer_client.post(url, data=jsonl(GOOD), content_type="application/jsonl")
    assert again.json()["imported"] == 0
    assert again.json()["skipped_duplicates"] == 4


def test_the_same_battles_under_a_second_source_are_not_stored_twice(variants):
    assert arena_import(data=jsonl(GOOD), source="arena-dump-1").imported == 4
    second = arena_import(data=jsonl(GOOD), source="arena-mirror")
    assert (second.imported, second.skipped_duplicates) == (0, 4)
    assert ArenaBattle.objects.count() == 4


def test_non_anonymous_battles_are_left_out_unless_asked_for(variants, engineer, client):
    named = [{**GOOD[1], "anony": False}, {**GOOD[2], "anony": False}]
    summary = arena_import(data=jsonl([GOOD[0], *named]), source="s")
    assert (summary.imported, summary.skipped_named) == (1, 2)
    assert list(ArenaBattle.objects.values_list("judge", flat=True)) == ["u1"]
    kept = arena_import(data=jsonl(named), source="s", include_named=True)
    assert kept.imported == 2
    assert ArenaBattle.objects.count() == 3
    with pytest.raises(ArenaImportError, match="anony"):
        arena_import(data=jsonl([{**GOOD[3], "anony": "no"}]), source="s")
    _, raw = api_key_create(owner=engineer, name="ingest", scopes=["ingest"])
    api = client.post("/api/v1/judging/imports/arena?source=api", jsonl([{**GOOD[3], "anony": False}]),
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 201
    assert api.json()["skipped_named"] == 1
    assert api.json()["imported"] == 0
