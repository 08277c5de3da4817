"""Leaderboard at 1,000,000 judgments: snapshot recompute and page render, each beside a baseline.

Issue #4 targets: snapshot recompute (SQL counts + 1,000-round bootstrap CIs, sandwich CIs, rank
intervals, Elo in time order, per-category and per-criterion boards, style control) < 3 s; page
render < 200 ms. Baselines measured in the same run:
  - recompute: load every judgment into Python through the ORM and fit a per-battle logistic
    regression (the textbook Bradley–Terry) on a 100k subsample — one point estimate, no CIs;
  - render: the login page through the same Django test client (a trivial view).

Writes a throwaway campaign (8 variants × 2,000 prompts, 56k comparisons, 18 reviewers) into the
database from DATABASE_URL (or the embedded one), with judgments written by COPY, and deletes it
all afterwards. Run: DATABASE_URL=... .venv/bin/python bench/judging_leaderboard.py [--judgments N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from evalhub.core.models import Completion, ModelVariant, Prompt, Role  # noqa: E402
from evalhub.core.services import roles_ensure  # noqa: E402

N_VARIANTS = 8
N_PROMPTS = 2000
N_REVIEWERS = 18
STRENGTHS = np.linspace(1150, 850, N_VARIANTS)
CATEGORIES = ["coding", "writing", "math", "support", "summarise"]


def _setup(tag: str, n_judgments: int) -> dict:
    from django.contrib.auth.models import Group

    from judging.models import Campaign

    roles_ensure()
    variants = ModelVariant.objects.bulk_create([
        ModelVariant(slug=f"{tag}-v{i}", name=f"Bench {i}", family="bench", base_model="bench", parameter_count=7)
        for i in range(N_VARIANTS)])
    prompts = Prompt.objects.bulk_create([
        Prompt(messages=[{"role": "user", "content": f"bench {i}"}], category=CATEGORIES[i % len(CATEGORIES)],
               external_id=tag) for i in range(N_PROMPTS)])
    rng = np.random.default_rng(0)
    completions = Completion.objects.bulk_create([
        Completion(prompt=p, variant=v, output="word " * int(rng.integers(20, 300 + 40 * j))
                   + ("\n## Heading\n- a\n- b\n**bold**" if rng.random() < 0.2 + 0.08 * j else ""), source="bench")
        for p in prompts for j, v in enumerate(variants)], batch_size=5000)
    comp_of = {(c.prompt_id, c.variant_id): c.pk for c in completions}
    users = User.objects.bulk_create([User(username=f"{tag}-r{i}") for i in range(N_REVIEWERS)])
    viewer = User.objects.create(username=f"{tag}-viewer")
    viewer.groups.add(Group.objects.get(name=Role.VIEWER))
    campaign = Campaign.objects.create(name=f"Bench {tag}", slug=tag, status="active", criteria=["correctness"])
    pairs = [(i, j) for i in range(N_VARIANTS) for j in range(i + 1, N_VARIANTS)]
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
                "COPY judging_comparison (campaign_id, prompt_id, completion_a_id, completion_b_id, variant_a_id,"
                " variant_b_id, is_gold, judgments_needed, judgments_done, created_at) FROM STDIN") as copy:
            for p in prompts:
                for i, j in pairs:
                    va, vb = variants[i].pk, variants[j].pk
                    copy.write_row((campaign.pk, p.pk, comp_of[(p.pk, va)], comp_of[(p.pk, vb)], va, vb, False,
                                    N_REVIEWERS, N_REVIEWERS, "2026-01-01T00:00:00Z"))
        reviewer_ids = "{" + ",".join(str(u.pk) for u in users) + "}"
        cursor.execute(
            """INSERT INTO judging_assignment (comparison_id, campaign_id, reviewer_id, token, swapped, leased_at,
                                               expires_at, status, skip_reason)
               SELECT c.id, c.campaign_id, r, gen_random_uuid(), false, now(), now(), 'judged', ''
               FROM judging_comparison c CROSS JOIN unnest(%s::int[]) r
               WHERE c.campaign_id = %s ORDER BY c.id, r LIMIT %s""", [reviewer_ids, campaign.pk, n_judgments])
        cursor.execute(
            """SELECT a.id, a.comparison_id, a.reviewer_id, c.variant_a_id, c.variant_b_id, p.category
               FROM judging_assignment a JOIN judging_comparison c ON c.id = a.comparison_id
               JOIN core_prompt p ON p.id = c.prompt_id WHERE a.campaign_id = %s ORDER BY a.id""", [campaign.pk])
        rows = cursor.fetchall()
        index = {v.pk: i for i, v in enumerate(variants)}
        a_idx = np.array([index[r[3]] for r in rows])
        b_idx = np.array([index[r[4]] for r in rows])
        p_a = 1 / (1 + 10 ** ((STRENGTHS[b_idx] - STRENGTHS[a_idx]) / 400))
        u, v = rng.random(len(rows)), rng.random(len(rows))
        outcome = np.where(u < 0.1, "tie", np.where(u < 0.13, "both_bad", np.where(v < p_a, "a", "b")))
        crit = np.where(v < p_a, '{"correctness": "a"}', '{"correctness": "b"}')
        seconds = rng.gamma(4, 5, len(rows))
        base = 1_767_225_600  # 2026-01-01
        with raw.cursor().copy(
                "COPY judging_judgment (assignment_id, comparison_id, campaign_id, reviewer_id, variant_a_id,"
                " variant_b_id, outcome, criteria, rationale, seconds_taken, identity_flag, excluded, category,"
                " created_at) FROM STDIN") as copy:
            for k, r in enumerate(rows):
                copy.write_row((r[0], r[1], campaign.pk, r[2], r[3], r[4], outcome[k], crit[k], "",
                                float(seconds[k]), False, False, r[5],
                                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + k * 3))))
        cursor.execute("ANALYZE judging_judgment")
    return {"campaign": campaign, "viewer": viewer, "variants": variants, "prompts": prompts, "users": users,
            "n": len(rows)}


def _cleanup(tag: str) -> None:
    from judging.models import Campaign, LeaderboardSnapshot

    campaign = Campaign.objects.filter(slug=tag).first()
    with connection.cursor() as cursor:
        if campaign:
            for table in ("judging_judgment", "judging_assignment", "judging_comparison"):
                cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])
            LeaderboardSnapshot.objects.filter(campaign=campaign).delete()
            campaign.delete()
    Completion.objects.filter(variant__slug__startswith=f"{tag}-").delete()
    Prompt.objects.filter(external_id=tag).delete()
    ModelVariant.objects.filter(slug__startswith=f"{tag}-").delete()
    User.objects.filter(username__startswith=f"{tag}-").delete()


def _baseline_recompute(campaign_id: int) -> float:
    from sklearn.linear_model import LogisticRegression

    from judging.models import Judgment

    start = time.perf_counter()
    rows = list(Judgment.objects.filter(campaign_id=campaign_id, excluded=False)
                .values_list("variant_a_id", "variant_b_id", "outcome"))
    ids = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {v: i for i, v in enumerate(ids)}
    rng = np.random.default_rng(1)
    sample = [rows[i] for i in rng.choice(len(rows), size=min(100_000, len(rows)), replace=False)]
    decisive = [r for r in sample if r[2] in ("a", "b")]
    x = np.zeros((len(decisive), len(ids)))
    for k, (a, b, _) in enumerate(decisive):
        x[k, index[a]], x[k, index[b]] = 1.0, -1.0
    y = np.array([1 if r[2] == "a" else 0 for r in decisive])
    LogisticRegression(fit_intercept=False, C=1e6).fit(x, y)
    return time.perf_counter() - start


def _time_get(client: Client, url: str, repeat: int) -> float:
    client.get(url)  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--judgments", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from judging.leaderboard import snapshot_refresh

    tag = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"database: {connection.settings_dict['NAME']} on {connection.settings_dict['HOST'] or 'socket'}")
    try:
        start = time.perf_counter()
        data = _setup(tag, args.judgments)
        print(f"setup: {data['n']:,} judgments (COPY) in {time.perf_counter() - start:.1f} s")
        campaign = data["campaign"]

        times = []
        for _ in range(3):
            start = time.perf_counter()
            snap = snapshot_refresh(campaign_id=campaign.pk, force=True, cascade=False)
            times.append(time.perf_counter() - start)
        recompute, cold = min(times), times[0]
        base = _baseline_recompute(campaign.pk)
        top = snap.payload["boards"]["all"]["rows"]
        print(f"boards: {len(snap.payload['boards'])} (all + {len(snap.payload['categories'])} categories + "
              f"{len(snap.payload['criteria'])} criteria) + style; top {top[0]['slug']} "
              f"{top[0]['score']:.0f} [{top[0]['ci_lower']:.0f}, {top[0]['ci_upper']:.0f}]")
        print(f"recompute (SQL counts + 1,000-round CIs + Elo + style), best of 3: {recompute * 1000:8.0f} ms "
              f"(first, filling the style cache: {cold * 1000:.0f} ms)   target < 3000 ms")
        print(f"  baseline (ORM load of every vote + per-battle logistic BT on a 100k subsample, one point estimate, "
              f"no CIs): {base * 1000:8.0f} ms   ratio recompute/baseline {recompute / base:4.2f}")
        start = time.perf_counter()
        snapshot_refresh(campaign_id=campaign.pk, cascade=False)
        print(f"debounced refresh (unchanged inputs): {(time.perf_counter() - start) * 1000:.0f} ms")

        client = Client()
        client.force_login(data["viewer"])
        render = _time_get(client, f"/judge/leaderboard/?campaign={tag}", 20)
        trivial = _time_get(client, "/login/", 20)
        print(f"leaderboard page render, median of 20: {render * 1000:6.1f} ms   target < 200 ms   "
              f"baseline (login page, same client): {trivial * 1000:6.1f} ms   ratio page/baseline {render / trivial:4.2f}")
    finally:
        start = time.perf_counter()
        _cleanup(tag)
        print(f"cleanup: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
