"""The API docs page loads everything from Depot itself: no CDN, no other host."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)


def test_swagger_ui_is_served_by_depot(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    refs = _references(html)
    assert any(r.endswith("swagger-ui-bundle.js") for r in refs)
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), "the docs page names another host"
    for ref in refs:
        assert ref.startswith("/"), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.data) > 100
    assert client.get("/api/openapi.json").status_code == 200


def test_no_template_or_stylesheet_loads_anything_from_another_host():
    # Comments in vendored files (a licence's home page) are not loads; anything a browser would fetch is.
    load = re.compile(r"""(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//""", re.I)
    offenders = []
    for pattern in ("*/templates/**/*.html", "*/*/templates/**/*.html", "*/static/**/*.css", "*/*/static/**/*.css"):
        for path in ROOT.glob(pattern):
            if ".venv" in path.parts:
                continue
            if load.search(path.read_text(encoding="utf-8", errors="replace")):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
