"""Reviewer queue under load: 32 concurrent reviewers doing next + vote against the running app.

Runs the PRODUCTION configuration: ``collectstatic`` into STATIC_ROOT, then gunicorn on 127.0.0.1
with DEBUG=0, SECRET_KEY and ALLOWED_HOSTS set (checked: a 404 must not be Django's debug page),
against the database in DATABASE_URL. Seeds a throwaway campaign and 32 reviewer sessions (httpx
clients, one session cookie each) that do GET /api/v1/judging/next → POST …/vote?next=false (the
page's vote also returns the next comparison; here each half is timed on its own).

Three measurements, each beside a trivial Django view (GET /login/) measured the same way:
  1. one client, no think time: the service time of each request with nothing queued in front;
  2. SATURATION: 32 closed-loop clients with zero think time. On 2 cores this measures queueing at
     full load (latency ≈ clients / throughput), not what a reviewer waits; reported as throughput
     (req/s) with p50/p95, for capacity planning only;
  3. PACED: 32 reviewers who each wait a think time (default 1 s — far faster than a human, who
     reads two answers for many seconds) after every action, starts staggered. This is the load
     32 real reviewers put on the app, and the issue's target (p95 < 50 ms on 2 cores) is judged
     on it. Also the over-assignment check (must be 0). Removes its data and stops its server.

Run: DATABASE_URL=... .venv/bin/python bench/judging.py [--reviewers 32] [--iterations 20]
     [--paced-rounds 10] [--think 1.0] [--workers 2] [--worker-class gthread] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import random
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


def _production_env() -> dict[str, str]:
    return dict(os.environ, DEBUG="0", ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=settings.DATABASE_URL,
                SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", LOG_LEVEL="WARNING")


def _collectstatic() -> None:
    # Production serves static files from STATIC_ROOT (whitenoise, no autorefresh): collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                   env=_production_env(), check=True)


def _start_server(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "evalhub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
         "--log-level", "warning"],
        cwd=ROOT, env=_production_env(), start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code == 200:
                missing = httpx.get(f"http://127.0.0.1:{port}/bench-no-such-page/", timeout=5)
                if missing.status_code != 404 or b"URLconf" in missing.content:
                    _stop_server(proc)
                    raise SystemExit("the server runs with DEBUG on: a benchmark must run production settings")
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


def _run(clients: list[httpx.Client], body) -> tuple[dict[str, list[float]], list[str], float]:
    """Run ``body(client, local, index)`` on every client at once; timings, errors, wall seconds."""
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)

    def work(index: int, client: httpx.Client) -> None:
        local: dict[str, list[float]] = {}
        try:
            barrier.wait()
            body(client, local, index)
        except Exception as exc:  # reported below
            with lock:
                errors.append(repr(exc))
        with lock:
            for key, values in local.items():
                timings.setdefault(key, []).extend(values)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return timings, errors, time.perf_counter() - start


def _timed(local: dict, key: str, fn):
    start = time.perf_counter()
    response = fn()
    local.setdefault(key, []).append((time.perf_counter() - start) * 1000)
    return response


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _row(label: str, values: list[float], wall: float | None = None) -> str:
    rate = f"{len(values) / wall:>9.0f}" if wall else f"{'':>9}"
    return f"{label:<44}{len(values):>6}{rate}{_pct(values, 50):>9.1f}{_pct(values, 95):>9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviewers", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=20, help="closed-loop next+vote rounds per reviewer")
    parser.add_argument("--paced-rounds", type=int, default=10, help="paced next+vote rounds per reviewer")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a paced reviewer waits after each action")
    # 2 cores: 2 gthread workers × 4 threads measured ~2× the saturation throughput of 4 sync workers
    # in the same conditions (requests wait on PostgreSQL about half the time; threads overlap that
    # without the memory and context switches of more processes).
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (sync or gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    args = parser.parse_args()
    tag = f"bench-judge-{uuid.uuid4().hex[:8]}"
    campaign_id, sessions = _seed(tag, args.reviewers, args.iterations + args.paced_rounds + 1)
    connection.close()
    _collectstatic()
    port = _free_port()
    proc = None
    try:
        proc = _start_server(port, args.workers, args.worker_class, args.threads)
        base = f"http://127.0.0.1:{port}"
        clients = [_client(base, s) for s in sessions]
        url_next = f"/api/v1/judging/next?campaign={tag}"

        def pause(index: int, seconds: float) -> None:
            if seconds:
                time.sleep(seconds)

        def warm(client, local, index):
            for _ in range(3):
                client.get("/login/")

        def trivial(rounds: int, think: float):
            def body(client, local, index):
                rng = random.Random(index)
                pause(index, rng.uniform(0, 2 * think))  # staggered starts: reviewers don't arrive in lockstep
                for _ in range(rounds * 2):
                    assert _timed(local, "trivial", lambda: client.get("/login/")).status_code == 200
                    pause(index, think)
            return body

        def judge(rounds: int, think: float):
            def body(client, local, index):
                rng = random.Random(index)
                pause(index, rng.uniform(0, 2 * think))
                for i in range(rounds):
                    response = _timed(local, "next", lambda: client.get(url_next))
                    response.raise_for_status()
                    token = response.json()["token"]
                    if token is None:
                        local.setdefault("empty", []).append(0.0)
                        continue
                    pause(index, think)  # reading the two answers
                    vote = _timed(local, "vote", lambda token=token, i=i: client.post(
                        f"/api/v1/judging/assignments/{token}/vote?campaign={tag}&next=false",
                        json={"choice": ["left", "right", "tie", "both_bad"][i % 4]}))
                    if vote.status_code != 200:
                        raise RuntimeError(f"vote {vote.status_code}: {vote.text[:200]}")
                    pause(index, think)
            return body

        _run(clients, warm)
        results = {}
        # 1. One client: the service time of each request with no queueing in front of it.
        results["solo_base"] = _run(clients[:1], trivial(args.iterations, 0))
        results["solo_judge"] = _run(clients[:1], judge(args.iterations, 0))
        # 2. Saturation: every client closed-loop with zero think time.
        results["sat_base"] = _run(clients, trivial(args.iterations, 0))
        results["sat_judge"] = _run(clients, judge(args.iterations, 0))
        # 3. Paced: realistic (still fast) reviewers.
        results["paced_base"] = _run(clients, trivial(args.paced_rounds, args.think))
        results["paced_judge"] = _run(clients, judge(args.paced_rounds, args.think))
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

    n = args.reviewers
    print(f"bench/judging.py — production settings (DEBUG=0, collectstatic, whitenoise), gunicorn "
          f"{args.workers}×{args.worker_class}{f'/{args.threads} threads' if args.threads > 1 else ''} on 127.0.0.1, "
          f"{os.cpu_count()} cores, DB {settings.DATABASES['default']['HOST'] or 'socket'}")
    print(f"{'request':<44}{'n':>6}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    sections = [
        ("1 client, no think time (service time)", "solo", None),
        (f"SATURATION: {n} closed-loop clients, zero think time — queueing at full load, not reviewer latency",
         "sat", "rate"),
        (f"PACED: {n} reviewers, {args.think:g} s think time after every action (a human takes far longer)",
         "paced", None),
    ]
    errors: list[str] = []
    for title, key, rate in sections:
        base_t, base_err, base_wall = results[f"{key}_base"]
        judge_t, judge_err, judge_wall = results[f"{key}_judge"]
        errors += base_err + judge_err
        print(title)
        if base_t.get("trivial"):
            print(_row("  trivial Django view (GET /login/)", base_t["trivial"], base_wall if rate else None))
        if rate and judge_t.get("next"):
            both = judge_t.get("next", []) + judge_t.get("vote", [])
            print(f"  {'next+vote throughput':<42}{len(both):>6}{len(both) / judge_wall:>9.0f}")
        for label, name in (("  GET  judging/next", "next"), ("  POST judging/…/vote", "vote")):
            if judge_t.get(name):
                print(_row(label, judge_t[name]))
        if base_t.get("trivial") and judge_t.get("next") and judge_t.get("vote"):
            b95 = _pct(base_t["trivial"], 95)
            print(f"  ratio p95 next/trivial = {_pct(judge_t['next'], 95) / b95:.2f}, "
                  f"vote/trivial = {_pct(judge_t['vote'], 95) / b95:.2f}")
    paced = results["paced_judge"][0]
    if paced.get("next") and paced.get("vote"):
        worst = max(_pct(paced["next"], 95), _pct(paced["vote"], 95))
        print(f"target (judged on the PACED run): p95 < 50 ms on 2 cores → {'MET' if worst < 50 else 'NOT MET'} "
              f"(worst p95 {worst:.1f} ms; the saturation run is capacity, not the target)")
    print(f"load average after the run: {os.getloadavg()[0]:.1f} (figures are only comparable at low load)")
    empty = sum(len(results[k][0].get("empty", [])) for k in ("solo_judge", "sat_judge", "paced_judge"))
    print(f"judgments stored: {judged}; empty queue answers: {empty}")
    print(f"over-assignment: {over} comparisons over k, {dupes} duplicate (comparison, reviewer) → "
          f"{'OK (0)' if over == 0 and dupes == 0 else 'FAILED'}")
    if errors:
        print(f"errors: {errors[:5]}")
        raise SystemExit(1)
    if over or dupes:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
