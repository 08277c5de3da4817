"""Background jobs for suite runs: thin and idempotent (see ``services`` and ``runner``).

Tasks are ``acks_late`` (settings), so a task whose worker dies is redelivered where the broker
supports it; where it does not, the watchdog (``runs_watchdog_task``, on beat) resumes the stalled
run, ``run_resume`` re-dispatches missing items on request, and the (run, item) unique constraint
keeps results exactly-once.
"""

from __future__ import annotations

from celery import shared_task

from experiments.suites import services


@shared_task(bind=True)
def run_dispatch_task(self, *, run_id: int) -> int:
    # Chunks go to the queue the dispatch came from, so a run started on a dedicated queue stays there.
    info = self.request.delivery_info or {}
    return services.run_dispatch(run_id=run_id, queue=info.get("routing_key") or None)


@shared_task
def run_chunk_task(*, run_id: int, item_ids: list[int]) -> int:
    return services.run_chunk(run_id=run_id, item_ids=item_ids)


@shared_task
def runs_watchdog_task() -> list[int]:
    """Resume stalled runs (every minute on beat; see ``services.runs_resume_stalled``). No retry:
    the next beat is the retry, and the pass is idempotent."""
    return services.runs_resume_stalled()
