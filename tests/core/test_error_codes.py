"""Error codes come from the code enums of their context, never from free strings, and
every code is a value of the GraphQL `ErrorCode` enum."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

from graphql import GraphQLEnumType
from graphql import build_schema as build_graphql_schema

import domain
from domain.core.codes import CoreCode, ErrorCode
from schema.build import build_schema
from schema.errors import CODE_ENUMS, merged_codes

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("domain", "schema", "resolvers", "workers", "khata")
CODE_LIKE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
# the domain error classes; subclasses declared in scanned files are added by the scan
ERROR_CLASSES = {
    "DomainError",
    "ValidationFailed",
    "NotFound",
    "PermissionDenied",
    "Unauthenticated",
    "Conflict",
    "RateLimited",
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _is_str(node: ast.expr | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _error_classes(trees: list[ast.Module]) -> set[str]:
    known = set(ERROR_CLASSES)
    classes = [n for t in trees for n in ast.walk(t) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for c in classes:
            if c.name not in known and any(_name(b) in known for b in c.bases):
                known.add(c.name)
                grew = True
    return known


def free_string_codes(sources: dict[str, str]) -> list[str]:
    """`path:line` of every error code given as a string literal: the code argument of
    FieldError(...), ValidationFailed.one(...) and ErrorCollector.add(...); any code-like
    string or `code=` string passed to a DomainError class; `code = "..."` in the body of
    an error class or FieldError; `<x>.code = "..."`; a `code` parameter defaulting to a
    string."""
    trees = {path: ast.parse(text, path) for path, text in sources.items()}
    error_classes = _error_classes(list(trees.values()))
    found: list[str] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                code_kw = next((k.value for k in node.keywords if k.arg == "code"), None)
                if name in ("FieldError", "one", "add") and (
                    name != "add" or len(node.args) >= 3 or code_kw is not None
                ):
                    code = node.args[2] if len(node.args) >= 3 else code_kw
                    if _is_str(code):
                        found.append(f"{path}:{node.lineno}")
                elif name in error_classes and (
                    _is_str(code_kw)
                    or any(
                        isinstance(a, ast.Constant)
                        and isinstance(a.value, str)
                        and CODE_LIKE.match(a.value)
                        for a in node.args
                    )
                ):
                    found.append(f"{path}:{node.lineno}")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
                pairs = [
                    *zip(positional, defaults, strict=True),
                    *zip(args.kwonlyargs, args.kw_defaults, strict=True),
                ]
                if any(a.arg == "code" and _is_str(d) for a, d in pairs):
                    found.append(f"{path}:{node.lineno}")
            elif isinstance(node, ast.ClassDef) and node.name in {*error_classes, "FieldError"}:
                for stmt in node.body:
                    value: ast.expr | None
                    if isinstance(stmt, ast.Assign):
                        targets, value = stmt.targets, stmt.value
                    elif isinstance(stmt, ast.AnnAssign):
                        targets, value = [stmt.target], stmt.value
                    else:
                        continue
                    if _name(targets[0]) == "code" and _is_str(value):
                        found.append(f"{path}:{stmt.lineno}")
            elif (
                isinstance(node, ast.Assign)
                and _is_str(node.value)
                and any(isinstance(t, ast.Attribute) and t.attr == "code" for t in node.targets)
            ):
                found.append(f"{path}:{node.lineno}")
    return sorted(found, key=lambda site: (site.rsplit(":", 1)[0], int(site.rsplit(":", 1)[1])))


def _app_sources() -> dict[str, str]:
    out = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            out[str(rel)] = path.read_text(encoding="utf-8")
    return out


def test_no_error_code_is_a_free_string() -> None:
    assert free_string_codes(_app_sources()) == []


def test_the_scan_finds_each_kind_of_free_string_code() -> None:
    sample = """
from domain.core.errors import Conflict, ErrorCollector, FieldError, ValidationFailed
class Special(Conflict):
    code = "SPECIAL"
class Deeper(Special):
    code: str = "DEEPER"
class Rejected(Special):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = "OVERRIDDEN"
def f(errors: ErrorCollector, code):
    errors.add("name", "is required", "REQUIRED")
    errors.add("name", "is required", code=f"{code}")
    FieldError("name", "bad", "INVALID")
    ValidationFailed.one("name", "bad", code="INVALID")
    raise Conflict("taken", code="TAKEN")
def g():
    raise Rejected("LINK_EXPIRED", "expired")
def h(field, message, code="INVALID"):
    pass
class FieldError:
    code: str = "INVALID"
def fine(errors: ErrorCollector, seen: set[str]):
    seen.add("NOT_A_CODE")
    errors.add("name", "is required")
    raise Conflict("MESSAGE IN CAPITALS IS STILL A MESSAGE")
"""
    lines = [int(s.split(":")[1]) for s in free_string_codes({"sample.py": sample})]
    assert lines == [4, 6, 10, 12, 13, 14, 15, 16, 18, 19, 22]


def _domain_code_enums() -> set[type[ErrorCode]]:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        if module.name.endswith(".codes"):
            importlib.import_module(module.name)
    found: set[type[ErrorCode]] = set()
    todo = list(ErrorCode.__subclasses__())
    while todo:
        enum = todo.pop()
        if enum.__module__.startswith("domain."):
            found.add(enum)
        todo.extend(enum.__subclasses__())
    return found


def test_every_context_code_enum_is_part_of_the_graphql_enum() -> None:
    enums = _domain_code_enums()
    assert {CoreCode} < enums  # core plus the contexts'
    assert enums == set(CODE_ENUMS)
    gql = build_graphql_schema(build_schema().as_str()).get_type("ErrorCode")
    assert isinstance(gql, GraphQLEnumType)
    members = {m.name: m.value for e in enums for m in e}
    assert sum(len(e) for e in enums) == len(members), "a code name is defined twice"
    assert set(gql.values) == set(members)
    for name, value in members.items():
        assert name == value  # a response carries the same string as the domain code


def test_a_code_defined_in_two_enums_is_refused() -> None:
    class Clash(ErrorCode):
        REQUIRED = "REQUIRED"

    try:
        merged_codes((CoreCode, Clash))
    except ValueError as exc:
        assert "REQUIRED" in str(exc)
    else:
        raise AssertionError("a duplicate code name was merged")
