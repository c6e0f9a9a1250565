"""`khata` command: serve, worker, migrate, demo, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import orjson
from pydantic import ValidationError

from domain.core.settings import get_settings

SDL_PATH = Path(__file__).parent / "schema" / "schema.graphql"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "outbox_id", "channel"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(data).decode()


def setup_logging() -> None:
    settings = get_settings()
    handler = logging.StreamHandler()
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    # fontTools reports every table it subsets at INFO (dozens of lines per PDF)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # aiosqlite logs every call with its SQL parameters (personal data) at DEBUG
    logging.getLogger("aiosqlite").setLevel(logging.INFO)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from khata.composition import create_app
    from schema.stalls import settle_collector

    settings = get_settings()
    app = create_app(settings)
    settle_collector()  # fewer, shorter full collections (its docstring: measured, trade-offs)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        ws_per_message_deflate=False,  # per-connection deflate buffers cost memory at scale
        ws_max_size=settings.max_body_bytes,  # a WebSocket message is held to the body cap
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
    )


def cmd_worker(_: argparse.Namespace) -> None:
    settings = get_settings()
    if not settings.redis_url:
        sys.exit("khata worker needs REDIS_URL (embedded mode runs jobs in the API process)")
    from arq import run_worker

    from workers.arq_worker import WorkerSettings

    run_worker(WorkerSettings)  # type: ignore[arg-type]


def cmd_migrate(_: argparse.Namespace) -> None:
    from domain.migrations.run import upgrade_sync

    upgrade_sync(get_settings().database_url)
    print("database is at the latest migration")


def cmd_demo(args: argparse.Namespace) -> None:
    from workers.demo import load_demo

    print(asyncio.run(load_demo(get_settings(), customers_per_business=args.customers)))


def export_sdl() -> str:
    from schema.build import build_schema

    return build_schema().as_str().strip() + "\n"


def cmd_export_schema(args: argparse.Namespace) -> None:
    sdl = export_sdl()
    if args.check:
        if not SDL_PATH.exists() or SDL_PATH.read_text() != sdl:
            sys.exit("schema/schema.graphql is out of date: run `khata export-schema`")
        print("schema/schema.graphql is current")
        return
    SDL_PATH.write_text(sdl)
    print(f"wrote {SDL_PATH}")


def settings_problems(exc: ValidationError) -> str:
    """The settings' validation errors as an operator reads them (never the input values)."""
    lines = ["khata: the settings are not valid"]
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="khata",
        description="Khata GraphQL API. Settings come from the environment (or .env): "
        "see the Configuration table in README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="run the API (uvicorn): /graphql over HTTP and WebSocket, /healthz, /readyz",
        description="Run the API. In embedded mode (no REDIS_URL) it also runs jobs in "
        "process; SQLite databases are migrated on start unless KHATA_AUTO_MIGRATE=false.",
    )
    serve.add_argument("--host", help="address to listen on (default: KHATA_HOST, else 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, help="port to listen on (default: KHATA_PORT, else 8000)"
    )
    serve.set_defaults(func=cmd_serve)
    sub.add_parser(
        "worker",
        help="run an arq worker: sends notifications and sweeps the outbox (needs REDIS_URL)",
        description="Run an arq worker on REDIS_URL, consuming the queue named after "
        "KHATA_REDIS_NAMESPACE. Run as many as the load needs.",
    ).set_defaults(func=cmd_worker)
    sub.add_parser(
        "migrate",
        help="apply database migrations to DATABASE_URL",
        description="Upgrade DATABASE_URL to the latest migration (safe to repeat).",
    ).set_defaults(func=cmd_migrate)
    demo = sub.add_parser(
        "demo",
        help="load demo businesses, customers and invoices (idempotent)",
        description="Load the demo owner (demo@khata.dev / khata-demo-123) with four "
        "businesses; a second run changes nothing.",
    )
    demo.add_argument(
        "--customers",
        type=int,
        default=120,
        metavar="N",
        help="customers per business besides the walk-in (default: 120)",
    )
    demo.set_defaults(func=cmd_demo)
    export = sub.add_parser(
        "export-schema",
        help="write the GraphQL SDL to schema/schema.graphql",
        description="Write the committed GraphQL contract, schema/schema.graphql.",
    )
    export.add_argument(
        "--check", action="store_true", help="write nothing; fail if the file is stale"
    )
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        get_settings()
    except ValidationError as exc:
        sys.exit(settings_problems(exc))
    setup_logging()
    args.func(args)


if __name__ == "__main__":
    main()
