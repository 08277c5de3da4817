"""Reviewer queue under load: 32 concurrent reviewers doing next + vote against the running app.

Starts gunicorn on 127.0.0.1 (DEBUG off) against the database in DATABASE_URL (or the embedded
one when unset), seeds a throwaway campaign, and runs 32 client threads (httpx, each logged in
with its own session cookie) that loop GET /api/v1/judging/next → POST …/vote?next=false (the
page's vote also returns the next comparison; here each half is timed on its own). Baseline in the
same run, through the same server and the same 32 clients: a trivial Django view (GET /login/).
Prints p50/p95 of next, vote and the baseline, the ratios, the issue's target (p95 < 50 ms on 2
cores) and the over-assignment count (must be 0). Removes its data and stops its server.

Run: DATABASE_URL=... .venv/bin/python bench/judging.py [--reviewers 32] [--iterations 20]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
# The server runs with DEBUG off; sessions minted here must verify there, so both share a key.
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(24))

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the figures

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402

from evalhub.core.models import Completion, ModelVariant, Prompt, Role  # noqa: E402
from evalhub.core.services import roles_ensure  # noqa: E402

N_VARIANTS = 4
K = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(tag: str, reviewers: int, iterations: int) -> tuple[int, list[tuple[str, str]]]:
    from judging.models import Campaign
    from judging.services import campaign_build_comparisons

    roles_ensure()
    pairs = N_VARIANTS * (N_VARIANTS - 1) // 2
    n_prompts = ((reviewers + 1) * iterations) // pairs + 10  # every vote finds work, with room to spare
    variants = ModelVariant.objects.bulk_create([
        ModelVariant(slug=f"{tag}-v{i}", name=f"Bench {tag} {i}", family="bench", base_model="bench",
                     parameter_count=7) for i in range(N_VARIANTS)])
    prompts = Prompt.objects.bulk_create([
        Prompt(messages=[{"role": "user", "content": f"Bench question {i}: explain `x = {i}`."}], category="bench",
               external_id=tag) for i in range(n_prompts)])
    Completion.objects.bulk_create([
        Completion(prompt=p, variant=v, source="bench",
                   output=f"## Answer {j}\n\nSome **markdown** with code:\n\n```python\nprint({i})\n```\n" * 3)
        for i, p in enumerate(prompts) for j, v in enumerate(variants)], batch_size=5000)
    campaign = Campaign.objects.create(name=f"Bench {tag}", slug=tag, redundancy_k=K, status="draft",
                                       criteria=["correctness"])
    campaign.variants.set(variants)
    campaign.prompts.set(prompts)
    campaign_build_comparisons(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status="active")
    group = Group.objects.get(name=Role.REVIEWER)
    users = User.objects.bulk_create([User(username=f"{tag}-r{i}", password="!") for i in range(reviewers)])
    group.user_set.add(*users)
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append((store.session_key, secrets.token_hex(16)))  # (session id, CSRF secret)
    return campaign.pk, sessions


def _cleanup(tag: str, session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from judging.models import Assignment, Campaign, Comparison, Judgment, LeaderboardSnapshot

    campaigns = Campaign.objects.filter(slug=tag)
    LeaderboardSnapshot.objects.filter(campaign__in=campaigns).delete()
    Judgment.objects.filter(campaign__in=campaigns).delete()
    Assignment.objects.filter(campaign__in=campaigns).delete()
    Comparison.objects.filter(campaign__in=campaigns).delete()
    campaigns.delete()
    Completion.objects.filter(prompt__external_id=tag).delete()
    Prompt.objects.filter(external_id=tag).delete()
    ModelVariant.objects.filter(slug__startswith=f"{tag}-").delete()
    User.objects.filter(username__startswith=f"{tag}-").delete()
    Session.objects.filter(session_key__in=session_keys).delete()


def _start_server(port: int) -> subprocess.Popen:
    env = dict(os.environ, DEBUG="0", ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=settings.DATABASE_URL,
               SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", LOG_LEVEL="WARNING")
    workers = str(max(2, (os.cpu_count() or 2) * 2))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "evalhub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", workers, "--worker-class", "gthread", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        time.sleep(0.3)
    _stop_server(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def _stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _client(base: str, session: tuple[str, str]) -> httpx.Client:
    sid, csrf = session
    return httpx.Client(base_url=base, timeout=30, headers={
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={sid}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf, "Accept": "application/json"})


def _run(clients: list[httpx.Client], body) -> tuple[dict[str, list[float]], list[str]]:
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def work(client: httpx.Client) -> None:
        local: dict[str, list[float]] = {}
        try:
            barrier.wait()
            body(client, local)
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(exc))
        with lock:
            for key, values in local.items():
                timings.setdefault(key, []).extend(values)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors


def _timed(local: dict, key: str, fn):
    start = time.perf_counter()
    response = fn()
    local.setdefault(key, []).append((time.perf_counter() - start) * 1000)
    return response


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviewers", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=20, help="next+vote rounds per reviewer")
    args = parser.parse_args()
    tag = f"bench-judge-{uuid.uuid4().hex[:8]}"
    campaign_id, sessions = _seed(tag, args.reviewers, args.iterations)
    connection.close()
    port = _free_port()
    proc = None
    try:
        proc = _start_server(port)
        base = f"http://127.0.0.1:{port}"
        clients = [_client(base, s) for s in sessions]
        url_next = f"/api/v1/judging/next?campaign={tag}"

        def warm(client, local):
            for _ in range(3):
                client.get("/login/")

        def baseline(client, local):
            for _ in range(args.iterations * 2):
                assert _timed(local, "trivial", lambda: client.get("/login/")).status_code == 200

        def judge(client, local):
            for i in range(args.iterations):
                response = _timed(local, "next", lambda: client.get(url_next))
                response.raise_for_status()
                token = response.json()["token"]
                if token is None:
                    local.setdefault("empty", []).append(0.0)
                    continue
                vote = _timed(local, "vote", lambda: client.post(
                    f"/api/v1/judging/assignments/{token}/vote?campaign={tag}&next=false",
                    json={"choice": ["left", "right", "tie", "both_bad"][i % 4]}))
                if vote.status_code != 200:
                    raise RuntimeError(f"vote {vote.status_code}: {vote.text[:200]}")

        _run(clients, warm)
        # One client first: the service time of each request with no queueing in front of it.
        solo_base, _ = _run(clients[:1], baseline)
        solo_judge, solo_err = _run(clients[:1], judge)
        base_t, base_err = _run(clients, baseline)
        judge_t, judge_err = _run(clients, judge)
        judge_err += solo_err
        for client in clients:
            client.close()
    finally:
        if proc is not None:
            _stop_server(proc)
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT
                  (SELECT count(*) FROM judging_comparison c WHERE c.campaign_id = %s AND
                     (SELECT count(*) FROM judging_judgment j WHERE j.comparison_id = c.id) > c.judgments_needed),
                  (SELECT count(*) FROM (SELECT 1 FROM judging_judgment WHERE campaign_id = %s
                     GROUP BY comparison_id, reviewer_id HAVING count(*) > 1) d),
                  (SELECT count(*) FROM judging_judgment WHERE campaign_id = %s)""",
                           [campaign_id, campaign_id, campaign_id])
            over, dupes, judged = cursor.fetchone()
        _cleanup(tag, [s for s, _ in sessions])

    print(f"bench/judging.py — {args.reviewers} concurrent reviewers × {args.iterations} next+vote rounds, "
          f"gunicorn on 127.0.0.1, {os.cpu_count()} cores, DB {settings.DATABASES['default']['HOST'] or 'socket'}")
    print(f"{'request':<40}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    solo_rows = [("1 client: trivial (GET /login/)", solo_base.get("trivial", [])),
                 ("1 client: GET  judging/next", solo_judge.get("next", [])),
                 ("1 client: POST judging/…/vote", solo_judge.get("vote", []))]
    for name, values in solo_rows:
        if values:
            print(f"{name:<40}{len(values):>6}{_pct(values, 50):>10.1f}{_pct(values, 95):>10.1f}")
    rows = [("trivial (GET /login/)", base_t.get("trivial", [])), ("GET  judging/next", judge_t.get("next", [])),
            ("POST judging/…/vote", judge_t.get("vote", []))]
    for name, values in rows:
        if values:
            label = f"{args.reviewers} clients: {name}"
            print(f"{label:<40}{len(values):>6}{_pct(values, 50):>10.1f}{_pct(values, 95):>10.1f}")
    if base_t.get("trivial") and judge_t.get("next") and judge_t.get("vote"):
        b95 = _pct(base_t["trivial"], 95)
        print(f"ratio p95 next/trivial = {_pct(judge_t['next'], 95) / b95:.2f}, "
              f"vote/trivial = {_pct(judge_t['vote'], 95) / b95:.2f}")
        worst = max(_pct(judge_t["next"], 95), _pct(judge_t["vote"], 95))
        print(f"target: p95 < 50 ms on 2 cores → {'MET' if worst < 50 else 'NOT MET'} (worst p95 {worst:.1f} ms)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (figures are only comparable at low load)")
    print(f"judgments stored: {judged}; empty queue answers: {len(judge_t.get('empty', []))}")
    print(f"over-assignment: {over} comparisons over k, {dupes} duplicate (comparison, reviewer) → "
          f"{'OK (0)' if over == 0 and dupes == 0 else 'FAILED'}")
    if base_err or judge_err:
        print(f"errors: {(base_err + judge_err)[:5]}")
        raise SystemExit(1)
    if over or dupes:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
