"""A request whose database connection dies under it (failover, a killed backend) is told
to retry with a typed RETRY code, never an INTERNAL error (bench/reliability.py cuts a
real server's connections under load)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from resolvers.base import guarded
from schema.errors import ConflictError


async def test_guarded_maps_an_invalidated_connection_to_retry() -> None:
    async def lost() -> None:
        raise DBAPIError("SELECT 1", {}, ConnectionError("gone"), connection_invalidated=True)

    result = await guarded(lost())
    assert isinstance(result, ConflictError) and result.code == "RETRY"


async def test_guarded_leaves_other_database_errors_alone() -> None:
    async def broken() -> None:
        raise DBAPIError("SELECT 1", {}, ValueError("bad"), connection_invalidated=False)

    with pytest.raises(DBAPIError):
        await guarded(broken())
