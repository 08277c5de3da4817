"""How often the reviewer anomaly test flags an honest reviewer in a small campaign.

Simulates campaigns of honest reviewers only (Bradley–Terry votes from fixed strengths, 10 % ties)
and runs ``evalhub.stats.ratings.anomalous_reviewers`` on each; prints the share of campaigns where
at least one reviewer was flagged. Leaderboards leave flagged reviewers out by default, so this is
the chance that the default board drops an honest reviewer's votes.

Run: .venv/bin/python bench/anomaly_false_flags.py [--campaigns 300] [--reviewers 5] [--votes 60]
"""

from __future__ import annotations

import argparse

import numpy as np

from evalhub.stats import ratings

STRENGTHS = (1150.0, 1050.0, 950.0, 850.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--votes", type=int, default=60)
    parser.add_argument("--prompts", type=int, default=40)
    args = parser.parse_args()
    k = len(STRENGTHS)
    slots = [(i, j, r) for _ in range(args.prompts) for i in range(k) for j in range(i + 1, k)
             for r in range(args.reviewers)]
    flagged = 0
    for seed in range(args.campaigns):
        rng = np.random.default_rng(seed)
        chosen = [slots[s] for s in rng.choice(len(slots), size=args.votes, replace=False)]
        a = np.array([c[0] for c in chosen])
        b = np.array([c[1] for c in chosen])
        reviewer = np.array([c[2] for c in chosen])
        p_a = 1.0 / (1.0 + 10 ** ((np.array(STRENGTHS)[b] - np.array(STRENGTHS)[a]) / 400))
        tie = rng.random(args.votes) < 0.1
        outcome = np.where(tie, ratings.TIE, np.where(rng.random(args.votes) < p_a, ratings.A_WINS, ratings.B_WINS))
        found = ratings.anomalous_reviewers(reviewer, a, b, outcome, k)
        flagged += bool(found.flagged.any())
    print(f"{args.campaigns} campaigns of {args.reviewers} honest reviewers, {args.votes} votes each: "
          f"at least one flagged in {flagged} ({100 * flagged / args.campaigns:.1f} %)")


if __name__ == "__main__":
    main()
