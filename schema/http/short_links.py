"""`/p/<code>`: the short payment link an SMS carries, answered with a 302 to the page it
stands for on this same domain; unknown codes 404, expired ones 410."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from domain.core.viewer import Viewer
from domain.notifications.repository import NotificationRepository
from domain.notifications.short_links import Expired, resolve


async def short_link(request: Request) -> Response:
    rt = request.app.state.runtime
    link = Viewer.system_actor("short-link")  # the unguessable code is the authority
    try:
        async with rt.db.read() as session:
            repo = NotificationRepository(session, link)
            target = await resolve(repo, request.path_params["code"], rt.clock.now())
    except Expired:
        return JSONResponse({"error": "this link has expired"}, status_code=410)
    if target is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return RedirectResponse(f"{rt.settings.public_url.rstrip('/')}{target}", status_code=302)
