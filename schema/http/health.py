"""Probes: /healthz (the process answers), /readyz (its database and Redis answer)."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    rt = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with rt.db.read() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    if rt.settings.redis_url:
        checks["redis"] = await _redis_check(rt.settings.redis_url)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _redis_check(url: str) -> str:
    try:
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()
        return "ok"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
