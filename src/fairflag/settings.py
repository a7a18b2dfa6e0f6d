"""Deployment settings from the environment (``FAIRFLAG_*``). Moderation rules live in the policy file."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAIRFLAG_", extra="ignore")

    database_url: str = Field("sqlite:///fairflag.db", description="SQLAlchemy URL; PostgreSQL in production "
                              "(`postgresql://user@host:5432/db`). SQLite runs in WAL mode with `synchronous=FULL`.")
    policy_file: str | None = Field(None, description="Path to a policy TOML file; the packaged default if unset.")
    host: str = Field("127.0.0.1", description="Address `fairflag serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `fairflag serve` listens on.")
    public_transparency: bool = Field(
        False, description="Publish the transparency figures read-only, without login, at /transparency/."
    )
    background_interval_s: float = Field(
        2.0, gt=0, description="How often the server's worker delivers webhooks and ends expired actions."
    )
    run_background: bool = Field(True, description="Run the delivery/expiry worker inside the server.")
    auto_migrate: bool = Field(True, description="Apply pending migrations when the server starts.")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest request body accepted; a larger one is refused with 413 before it "
        "is read (by Content-Length, or by counting a streamed body).")
    metrics_token: str | None = Field(
        None, description="If set, GET /metrics wants `Authorization: Bearer <token>`; open otherwise (scrape it "
        "on a private network).")
    request_timeout_s: float | None = Field(
        30.0, gt=0, description="A request still running after this many seconds is answered 504 "
        "(`request_timeout`) in the error shape; its transaction is not interrupted and may still commit, so a "
        "client retries with the same idempotency key. Unset: no limit.")
    keepalive_timeout_s: float = Field(
        5.0, gt=0, description="`fairflag serve` closes an idle keep-alive connection after this many seconds.")
    db_statement_timeout_ms: int | None = Field(
        20000, ge=1, description="PostgreSQL: `statement_timeout` of every connection (a statement running longer "
        "is cancelled and its transaction rolls back; migrations are exempt). SQLite has none (its lock wait is "
        "bounded at 30 s). Unset: no limit.")
    db_pool_max: int = Field(
        40, ge=2, le=1000, description="PostgreSQL: the most connections one server process opens (ten stay "
        "open). `fairflag serve --workers N` gives each process its share of 80 when this is unset, so N "
        "processes stay under the server's default `max_connections` (100).")
    log_format: Literal["json", "text"] = Field(
        "json", description="`fairflag serve`'s log lines: `json` (one object per line: timestamp, level, "
        "logger, message, request_id; access lines add method, path, status and duration_ms) or `text`.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="`fairflag serve`'s "
                                                                    "log level.")


def default_workers(dialect: str, cpus: int | None = None) -> int:
    """``fairflag serve``'s process count. SQLite: 1 (one writer: a second process only waits on its lock).
    PostgreSQL: two per CPU, at most 4 (docs/throughput.md: more only share the same cores)."""
    if dialect != "postgresql":
        return 1
    return max(1, min(4, 2 * (cpus or os.cpu_count() or 1)))
