"""A minimal keep-alive HTTP/1.1 client for load generation.

The load generator shares the machine's cores with the servers and PostgreSQL; httpx
spends ~1.3 ms of CPU per request, which at a few hundred requests per second takes
half a core away from the system being measured. This client writes a prebuilt request
and reads a Content-Length response on one connection, ~0.05 ms per request. It only
speaks to our own servers (uvicorn: Content-Length bodies, keep-alive).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class HttpError(RuntimeError):
    pass


class Connection:
    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        self._writer.write(
            (
                f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\n{self._head}"
                f"content-length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise HttpError(f"no content-length in response: {head[:200]!r}")
        return status, await self._reader.readexactly(length)
