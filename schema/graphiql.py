"""GraphiQL served entirely by this API: the page (graphiql.html) and the exact React,
GraphiQL and explorer-plugin builds Strawberry's stock page loads from a public CDN,
vendored under static/graphiql with their licences. The page works offline and behind
networks that block CDNs; its integrity hashes pin the vendored files."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
ASSETS_DIR = HERE / "static" / "graphiql"
ASSETS_ROUTE = "graphiql-assets"
ASSETS_PATH = "/static/graphiql"
PAGE = (HERE / "graphiql.html").read_text(encoding="utf-8")


def _hashes(tag: str) -> str:
    """CSP source expressions for the page's inline <tag> blocks (those without src)."""
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", PAGE, flags=re.DOTALL)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in found
    )


# Scripts and styles from this origin plus the page's own inline blocks by hash: an
# injected script or style runs nowhere. connect-src 'self' covers fetch and ws(s).
CSP = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'self' {_hashes('script')}",
        f"style-src 'self' {_hashes('style')}",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def assets_mount() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name=ASSETS_ROUTE)


def render_page(request: Request) -> HTMLResponse:
    """The page with asset URLs from the router, so a path prefix (root_path) is kept.
    Paths only: behind a TLS-terminating proxy an absolute http:// URL would be blocked."""
    prefix = request.url_for(ASSETS_ROUTE, path="/").path
    return HTMLResponse(
        PAGE.replace("{{static}}", prefix), headers={"content-security-policy": CSP}
    )
