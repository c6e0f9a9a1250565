"""A minimal WebSocket client (RFC 6455) for load generation.

Thousands of clients share the machine's two cores with the servers being measured. A
`websockets` connection costs tens of KiB and a reader task; this one is an asyncio
Protocol that records each text message with the wall-clock time its bytes arrived
(`time.time()`, comparable across processes) and parses nothing else. It answers pings,
sends unfragmented text frames masked with a zero key (legal: the mask bit is set; the
key only guards proxies, and there are none here), and only speaks to our own servers
(uvicorn: unfragmented, uncompressed frames).
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from typing import Any


class WsClosed(ConnectionError):
    pass


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload  # zero mask: payload unchanged


class WsClient(asyncio.Protocol):
    """One connection. `messages` holds (arrival time, text payload) of every text frame
    except those `ignore` accepts (e.g. keep-alive pings it answers itself)."""

    def __init__(self, host: str, path: str, subprotocol: str | None) -> None:
        self.messages: list[tuple[float, bytes]] = []
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = b""
        self._upgraded = False
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._want = 0
        self._waiter: asyncio.Future[None] | None = None
        key = base64.b64encode(os.urandom(16)).decode()
        proto = f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else ""
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{proto}\r\n"
        ).encode()

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self._buffer += data
        if not self._upgraded:
            head, sep, rest = self._buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self._fail(WsClosed(head.split(b"\r\n", 1)[0].decode(errors="replace")))
                return
            self._upgraded = True
            self._buffer = rest
            if not self._ready.done():
                self._ready.set_result(None)
        self._parse(now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(WsClosed("connection closed"))

    # -- frames -----------------------------------------------------------------------
    def _parse(self, now: float) -> None:
        buf = self._buffer
        pos = 0
        while len(buf) - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            start = pos + 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n = struct.unpack_from("!H", buf, pos + 2)[0]
                start = pos + 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                start = pos + 10
            if len(buf) < start + n:
                break
            payload = buf[start : start + n]
            pos = start + n
            opcode = b0 & 0x0F
            if not b0 & 0x80:
                self._fail(WsClosed("fragmented frames are not supported"))
                return
            if opcode == 0x1:
                if not self.ignore(payload):
                    self.messages.append((now, payload))
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(_frame(0xA, payload))
            elif opcode == 0x8:
                self.close()
        self._buffer = buf[pos:]
        if self._waiter is not None and len(self.messages) >= self._want:
            if not self._waiter.done():
                self._waiter.set_result(None)
            self._waiter = None

    def ignore(self, payload: bytes) -> bool:
        """Hook: True for a message the client handles itself and does not record."""
        return False

    def _fail(self, exc: Exception) -> None:
        for fut in (self._ready, self._waiter):
            if fut is not None and not fut.done():
                fut.set_exception(exc)

    # -- API ----------------------------------------------------------------------------
    def send_text(self, text: str | bytes) -> None:
        if self.transport is None or self.closed:
            raise WsClosed("connection closed")
        data = text.encode() if isinstance(text, str) else text
        self.transport.write(_frame(0x1, data))

    async def upgraded(self) -> None:
        """Returns once the server accepted the WebSocket upgrade."""
        await asyncio.shield(self._ready)

    async def wait_for(self, count: int) -> None:
        """Returns once `count` messages have been recorded."""
        if len(self.messages) >= count:
            return
        if self.closed:
            raise WsClosed("connection closed")
        self._want = count
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.write(_frame(0x8, struct.pack("!H", 1000)))
            self.transport.close()


async def open_ws(
    base: str, path: str, subprotocol: str | None = None, cls: type[WsClient] = WsClient
) -> WsClient:
    """Connects to `ws://host:port` + path; returns once the upgrade is accepted."""
    hostport = base.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.partition(":")
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: cls(hostport, path, subprotocol), host, int(port or 80)
    )
    await asyncio.wait_for(client.upgraded(), 30)
    return client
