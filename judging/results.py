"""Selectors and the one service behind the leaderboard page and API.

Reads touch only the latest ``LeaderboardSnapshot`` (plus the campaign row when one is chosen);
the heavy lifting happened in ``judging.leaderboard.snapshot_refresh``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from django.db import transaction

from evalhub.core.errors import NotFound
from judging.leaderboard import COUNT_DEFINITIONS, latest_snapshot
from judging.models import Campaign, LeaderboardSnapshot
from judging.read_models import Board, BoardRow, BoardVariant, Leaderboard, StyleBoard, StyleCoefficient, StyleRow
from judging.tasks import leaderboard_refresh_task


class LeaderboardNotFound(NotFound, LookupError):
    """The requested campaign does not exist."""


@dataclass
class LeaderboardView:
    campaign: Campaign | None
    snapshot: LeaderboardSnapshot | None
    board_key: str = "all"
    board: dict | None = None
    style: dict | None = None
    style_on: bool = False
    categories: list[str] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)
    category: str = ""
    criterion: str = ""
    message: str = ""
    include_flagged: bool = False  # the toggle: boards with the votes of reviewers flagged as random
    flagged_reviewers: int = 0
    definitions: dict = field(default_factory=lambda: dict(COUNT_DEFINITIONS))

    @property
    def n_votes(self) -> int:
        """Votes counted in the boards shown (with flagged reviewers when the toggle is on)."""
        if self.snapshot is None:
            return 0
        payload = self.snapshot.payload
        if self.include_flagged and "n_votes_with_flagged" in payload:
            return int(payload["n_votes_with_flagged"])
        return int(payload.get("n_votes", self.snapshot.n_judgments))

    @property
    def n_judgments(self) -> int | None:
        """Judgments stored in the scope's campaigns (every one, counted or not)."""
        fingerprint = (self.snapshot.payload.get("fingerprint") or {}) if self.snapshot else {}
        return fingerprint.get("judgments")

    @property
    def n_arena(self) -> int:
        fingerprint = (self.snapshot.payload.get("fingerprint") or {}) if self.snapshot else {}
        return int(fingerprint.get("arena") or 0)


def board_key(category: str, criterion: str) -> str:
    if category:
        return f"category:{category}"
    if criterion:
        return f"criterion:{criterion}"
    return "all"


def leaderboard_view(*, campaign_slug: str = "", category: str = "", criterion: str = "",
                     style: bool = False, include_flagged: bool = False) -> LeaderboardView:
    """The board to show for the chosen scope and slice, or a message saying why there is none.

    By default the votes of reviewers the anomaly test flags (random clicking) are left out;
    ``include_flagged`` shows the boards with them."""
    campaign = None
    if campaign_slug:
        campaign = Campaign.objects.filter(slug=campaign_slug).first()
        if campaign is None:
            raise LeaderboardNotFound(f"no campaign {campaign_slug!r}", "campaign")
    snapshot = latest_snapshot(campaign.pk if campaign else None)
    view = LeaderboardView(campaign=campaign, snapshot=snapshot, category=category, criterion=criterion,
                           style_on=style, include_flagged=include_flagged)
    if snapshot is None:
        view.message = "No leaderboard has been computed yet for this scope."
        return view
    payload = snapshot.payload
    view.categories, view.criteria = payload.get("categories", []), payload.get("criteria", [])
    view.board_key = board_key(category, criterion)
    view.flagged_reviewers = int(payload.get("flagged_reviewers") or 0)
    boards = payload.get("boards", {})
    if include_flagged and payload.get("boards_with_flagged"):
        boards = payload["boards_with_flagged"]
    view.board = boards.get(view.board_key)
    if view.board is None:
        view.message = f"No votes in {view.board_key.replace(':', ' ')} in this snapshot."
    elif view.board.get("error"):
        view.message = view.board["error"]
    if style:
        if view.board_key != "all":
            view.message = "Style control is computed for all votes only; clear the category/criterion filter."
        else:
            view.style = payload.get("style")
    return view


def _fields(cls: type, data: dict) -> dict:
    # Snapshots are stored JSON: keys a newer format added may be missing, and are left to defaults.
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _board(data: dict | None) -> Board | None:
    if data is None:
        return None
    return Board(**{
        **_fields(Board, data),
        "rows": tuple(BoardRow(**_fields(BoardRow, r)) for r in data.get("rows") or []),
        "variants": tuple(BoardVariant(**_fields(BoardVariant, v)) for v in data.get("variants") or []),
        "win_rate": tuple(tuple(r) for r in data.get("win_rate") or []),
        **{k: tuple(tuple(r) for r in data.get(k) or []) for k in ("win_rate_lower", "win_rate_upper", "win_rate_n")},
        "predicted": tuple(tuple(r) for r in data.get("predicted") or []),
        "groups": tuple(b for b in (_board(g) for g in data.get("groups") or []) if b is not None),
    })


def _style(data: dict | None) -> StyleBoard | None:
    if data is None:
        return None
    return StyleBoard(**{
        **_fields(StyleBoard, data),
        "rows": tuple(StyleRow(**_fields(StyleRow, r)) for r in data.get("rows") or []),
        "coef": {name: StyleCoefficient(**_fields(StyleCoefficient, c)) for name, c in (data.get("coef") or {}).items()},
    })


def leaderboard_read_model(view: LeaderboardView) -> Leaderboard:
    """The API body: the chosen board plus snapshot metadata."""
    snap = view.snapshot
    return Leaderboard(
        campaign=view.campaign.slug if view.campaign else None,
        computed_at=snap.computed_at.isoformat() if snap else None,
        n_votes=view.n_votes, n_judgments=view.n_judgments, n_arena_battles=view.n_arena,
        flagged_reviewers=view.flagged_reviewers, include_flagged=view.include_flagged, definitions=dict(view.definitions),
        rounds=snap.payload.get("rounds") if snap else None,
        board_key=view.board_key, board=_board(view.board), style=_style(view.style),
        categories=tuple(view.categories), criteria=tuple(view.criteria), message=view.message,
    )


def campaign_choices() -> list[tuple[str, str]]:
    return list(Campaign.objects.order_by("name").values_list("slug", "name"))


def leaderboard_recompute(*, campaign_id: int | None) -> None:
    """Ask for a recompute (forced past the debounce is not needed: unchanged inputs give the same board)."""
    transaction.on_commit(lambda: leaderboard_refresh_task.delay(campaign_id=campaign_id))
