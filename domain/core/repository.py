"""Repository base: a session and the viewer it reads for.

Each repository has one read policy (`read_policy`), a `match` on the viewer's kind that
turns the viewer into the WHERE clause of every read (as Polar's `get_readable_statement`
does). A read builds its statement with `readable()` and adds its own conditions; no
method takes a business id from its caller. A new kind of actor is a new branch in each
policy and nowhere else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import Unauthenticated
from domain.core.viewer import Viewer, ViewerKind


class TenantRepository:
    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        self.s = session
        self.viewer = viewer

    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """The rows of `model` (a business-owned table) this viewer may read."""
        raise NotImplementedError

    def readable(self, model: Any, *columns: Any) -> Select[Any]:
        """SELECT `columns` (default: the model itself) of the rows the policy allows."""
        return select(*(columns or (model,))).where(self.read_policy(model))

    def business_rows(self, model: Any) -> ColumnElement[bool]:
        """The common branch: the viewer's own business (staff, API key, system actor
        acting for a business)."""
        return model.business_id == self.viewer.require_business()  # type: ignore[no-any-return]


def unauthenticated(viewer: Viewer) -> Unauthenticated:
    return Unauthenticated(f"sign in first ({viewer.kind.value} viewer)")


__all__ = ["TenantRepository", "ViewerKind", "unauthenticated"]
