"""Settings from the environment; the defaults are the embedded, zero set-up mode."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - the embedded mode's known value
MIN_SECRET_KEY_LENGTH = 32
# Production turns these off (or on) unless the operator sets them explicitly.
PRODUCTION_DEFAULTS = {"graphiql": False, "introspection": False, "log_json": True}


class Settings(BaseSettings):
    # Errors never echo the input: it holds the secret key and database password.
    model_config = SettingsConfigDict(
        env_prefix="KHATA_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "production", "test"] = "development"
    database_url: str = Field(
        default="sqlite+aiosqlite:///./khata.db",
        validation_alias="DATABASE_URL",
    )
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    # Prefixes every pub/sub channel and the arq queue name: pub/sub ignores the Redis
    # database number, so deployments sharing one Redis must differ here. arq cron runs
    # are named with it too (workers/arq_worker.py); job ids are random outbox ids.
    redis_namespace: str = Field(default="khata", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    host: str = "127.0.0.1"
    port: int = 8000

    access_token_ttl_minutes: int = 12 * 60
    graphiql: bool = True
    introspection: bool = True
    max_query_depth: int = 12
    max_aliases: int = 20
    max_tokens: int = 4000
    max_query_cost: int = 50_000  # estimated fields resolved (schema/cost.py)
    max_page_size: int = 100
    max_body_bytes: int = 4 * 1024 * 1024
    max_subscriptions_per_connection: int = 20
    # Realtime (README, Realtime): open subscriptions per user or API key in one API
    # process, each subscriber's bounded queue of live events, the keep-alive ping interval,
    # and how long the event stream keeps events for resuming (`after: <cursor>`).
    max_subscriptions_per_user: int = Field(default=100, ge=1)
    stream_queue_size: int = Field(default=256, ge=1)
    ws_keep_alive_seconds: float = Field(default=20.0, gt=0)
    stream_retention_days: float = Field(default=7.0, ge=7.0)

    auto_migrate: bool | None = None  # None: on for SQLite, off otherwise
    # connections per process (as many again in overflow); a checkout that waits longer
    # than db_pool_timeout answers SERVICE_BUSY (retry later) instead of hanging. An arq
    # worker runs at most db_pool_size jobs at once (workers/arq_worker.py).
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout: float = Field(default=30.0, gt=0)
    db_echo: bool = False
    outbox_sweep_seconds: float = 15.0
    outbox_stale_seconds: float = 10.0
    # Subscription groups (schema/http/cohorts.py): identical subscriptions of one audience
    # share one execution; each member buffers this many frames before it is told it fell
    # behind; a group's stream is renewed (resuming from its cursor) after this many events
    # to bound graphql-core's per-subscription memo (0: never renewed).
    ws_cohorts: bool = True
    ws_member_buffer: int = Field(default=256, ge=1)
    subscription_renew_events: int = Field(default=1000, ge=0)
    # Idempotency keys of create mutations are kept at least this long, then swept.
    idempotency_retention_hours: float = Field(default=24.0, ge=24.0)
    # The customer status rules (lapsed / VIP) are a daily rule checked this often, so each
    # business flips soon after its own midnight (embedded timer; arq runs it hourly).
    customer_status_seconds: float = Field(default=3600.0, gt=0)
    # `invoice.overdue` is announced the day after the due date in the business's time
    # zone: checked this often (embedded timer; arq runs it hourly).
    invoice_overdue_seconds: float = Field(default=3600.0, gt=0)
    # The monthly statement emails go on the 1st in the business's time zone: checked this
    # often (embedded timer; arq runs it hourly).
    monthly_statements_seconds: float = Field(default=3600.0, gt=0)
    # Recurring invoice schedules: the due scan runs this often (embedded timer; arq runs
    # it every 15 minutes), each occurrence on its date in the business's time zone.
    recurring_invoices_seconds: float = Field(default=900.0, gt=0)
    # payment reminders go on their day in the business's time zone: checked this often
    # (embedded timer; arq runs it hourly); scheduled invoice sends are looked for this often
    payment_reminder_seconds: float = Field(default=3600.0, gt=0)
    scheduled_send_seconds: float = Field(default=30.0, gt=0)

    # "dev" records and prints; "twilio" / "sendgrid" send through the providers' SDKs.
    sms_provider: Literal["dev", "twilio"] = "dev"
    email_provider: Literal["dev", "sendgrid"] = "dev"
    public_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None  # the sender: a phone number or alphanumeric sender id
    # Unset: api.twilio.com. Tests point the real SDK at a fake server here.
    twilio_api_base_url: str | None = None
    sendgrid_api_key: str | None = None
    sendgrid_from_email: str | None = None
    sendgrid_api_base_url: str = "https://api.sendgrid.com"
    # The Event Webhook's verification key (base64 DER, as SendGrid shows it); unset: 503.
    sendgrid_webhook_public_key: str | None = None
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    # Messages per second per provider account, shared by every worker process.
    sms_rate_per_second: float = Field(default=10.0, gt=0)
    email_rate_per_second: float = Field(default=50.0, gt=0)
    # A campaign recipient claimed this long ago by a worker that went silent is taken again.
    campaign_claim_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Recipients a campaign lane claims and sends as one batch (fewer at a low rate: a
    # batch is at most what the rate sends in a third of the lease).
    campaign_batch_size: int = Field(default=100, ge=1, le=1000)
    # A SendGrid event older than this (by its signed timestamp) is refused as stale.
    webhook_max_age_seconds: int = Field(default=300, ge=10)

    # Drafting from prompts: offline rules by default; an OpenAI-compatible endpoint if set.
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 10.0
    # Signs short-lived PDF download links; set the same value on every API process.
    secret_key: str = DEV_SECRET_KEY
    # Shared with the payment provider; unset -> the webhook answers 503.
    payment_webhook_secret: str | None = None
    # Sign-in delays (domain/accounts/throttle.py): free failures per account and IP and
    # per IP, then 2^k-second waits up to the cap; counters restart after the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_ip_max_failures: int = Field(default=100, ge=1)
    login_max_delay_seconds: int = Field(default=900, ge=1)
    login_window_minutes: int = Field(default=60, ge=1)
    password_reset_ttl_minutes: int = Field(default=30, ge=1)
    password_reset_max_per_email: int = Field(default=3, ge=1)
    password_reset_max_per_ip: int = Field(default=20, ge=1)
    password_reset_window_minutes: int = Field(default=60, ge=1)
    log_level: str = "INFO"
    log_json: bool = False
    # Browser origins allowed to call the API (CORS); empty: no cross-origin access.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Unset: no /metrics. Set: Prometheus scrapes /metrics with this bearer token.
    metrics_token: str | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        """A comma-separated list, as operators write it in the environment."""
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the plain URLs operators paste and pick the async driver for them."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: Any) -> Any:
        """In production GraphiQL and introspection default to off and JSON logs to on; a
        value the operator sets (environment, `.env` or argument) is kept."""
        if isinstance(data, dict) and data.get("env") == "production":
            data = {**PRODUCTION_DEFAULTS, **data}
        return data

    @model_validator(mode="after")
    def _production_ready(self) -> Settings:
        """Production refuses to start on a configuration that only suits a laptop, and
        names every problem at once so one fix-and-retry is enough."""
        problems = self._provider_problems()
        if self.env != "production":
            if problems:
                raise ValueError("\n".join(problems))
            return self
        if self.secret_key == DEV_SECRET_KEY:
            problems.append("KHATA_SECRET_KEY is the development key: set a random secret")
        elif len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"KHATA_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
        if self.is_sqlite:
            problems.append("DATABASE_URL is SQLite: production needs postgresql://")
        if not self.redis_url:
            problems.append("REDIS_URL is unset: production needs Redis for broadcast and arq jobs")
        if problems:
            raise ValueError(
                "KHATA_ENV=production refuses to start:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        return self

    def _provider_problems(self) -> list[str]:
        """A real provider needs its credentials and sender, whatever the mode."""
        needed = {
            "twilio": ["twilio_account_sid", "twilio_auth_token", "twilio_from"],
            "sendgrid": ["sendgrid_api_key", "sendgrid_from_email"],
        }
        return [
            f"KHATA_{name.upper()} is unset: the {provider} provider needs it"
            for provider in (self.sms_provider, self.email_provider)
            for name in needed.get(provider, [])
            if not getattr(self, name)
        ]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def broadcast_url(self) -> str:
        return self.redis_url or "memory://"

    @property
    def arq_queue_name(self) -> str:
        return f"{self.redis_namespace}:arq:queue"

    @property
    def uses_arq(self) -> bool:
        return self.redis_url is not None

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate


@lru_cache
def get_settings() -> Settings:
    return Settings()
