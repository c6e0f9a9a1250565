"""A failing SQL statement must not put the personal data in its parameters (or quoted
back by the database server) into the logs: the error class, codes and request id are
logged instead."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from graphql.error import GraphQLError
from sqlalchemy import text

from khata.runtime import Runtime
from resolvers.base import guarded
from schema.build import build_schema
from schema.errors import UserError
from tests.conftest import BACKEND

NAME = "Zebulon Quixotefinch"
# A NOT NULL violation (PostgreSQL's detail quotes the whole failing row) and, on
# PostgreSQL, a cast whose error message quotes the value itself.
STATEMENTS = ["INSERT INTO customers (name) VALUES (:n)"]
if BACKEND == "postgres":
    STATEMENTS.append("SELECT CAST(:n AS INTEGER)")


async def failing_statement(rt: Runtime, statement: str) -> None:
    async with rt.db.unit_of_work() as session:
        await session.execute(text(statement), {"n": NAME})


def capture(caplog: pytest.LogCaptureFixture) -> None:
    """Everything at INFO, and our own loggers at DEBUG (`khata serve` keeps aiosqlite,
    which logs each call's parameters at DEBUG, at INFO)."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="khata")


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_the_database_error_itself_hides_parameters(runtime: Runtime) -> None:
    with pytest.raises(Exception) as caught:
        await failing_statement(runtime, STATEMENTS[0])
    assert "parameters hidden" in str(caught.value).lower() or NAME not in str(caught.value)
    assert f"'{NAME}'" not in str(caught.value)


@pytest.mark.parametrize("statement", STATEMENTS)
async def test_masked_graphql_error_logs_no_parameters(
    runtime: Runtime, statement: str, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        await failing_statement(runtime, statement)
    except Exception as exc:
        error = exc
    else:
        raise AssertionError("the statement should fail")
    schema = build_schema(runtime.settings)

    class Ctx:
        request_id = "req-privacy-1"

    class Execution:
        context = Ctx()

    capture(caplog)
    execution: Any = Execution()  # what process_errors reads: context.request_id
    schema.process_errors([GraphQLError("boom", original_error=error)], execution)
    logged = logged_text(caplog)
    assert "req-privacy-1" in logged and type(error).__name__ in logged, logged
    assert NAME not in logged and "Quixotefinch" not in logged, logged


async def test_integrity_conflict_logs_no_parameters(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    capture(caplog)
    result = await guarded(failing_statement(runtime, STATEMENTS[0]))
    assert isinstance(result, UserError) and result.code == "CONFLICT"
    logged = logged_text(caplog)
    assert "IntegrityError" in logged, logged
    assert NAME not in logged and "Quixotefinch" not in logged, logged
