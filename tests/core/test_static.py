"""EvalHub must work offline: no asset or page may load anything from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
CDN = re.compile(r"cdn\.|unpkg\.com|jsdelivr|cdnjs|googleapis\.com|cloudflare\.com", re.IGNORECASE)


def test_no_cdn_reference_in_static_files_or_templates():
    offenders = []
    for folder in ("static", "templates"):
        for path in (BASE_DIR / folder).rglob("*"):
            if path.is_file() and path.suffix in {".js", ".css", ".html"}:
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    match = CDN.search(line)
                    if match:
                        offenders.append(f"{path.relative_to(BASE_DIR)}:{number}: …{line[max(0, match.start() - 40):match.end() + 40]}…")
    assert not offenders, "\n".join(offenders)


def test_plotly_is_served_locally(client, db):
    response = client.get("/static/js/plotly.min.js")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert b"plotly.js" in body[:300]
