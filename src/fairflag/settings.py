"""Deployment settings from the environment (``FAIRFLAG_*``). Moderation rules live in the policy file."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAIRFLAG_", extra="ignore")

    database_url: str = Field("sqlite:///fairflag.db", description="SQLAlchemy URL; PostgreSQL in production.")
    policy_file: str | None = Field(None, description="Path to a policy TOML file; the packaged default if unset.")
    host: str = Field("127.0.0.1", description="Address `fairflag serve` listens on.")
    port: int = Field(8000, ge=1, le=65535)
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


def default_workers(dialect: str, cpus: int | None = None) -> int:
    """``fairflag serve``'s process count. SQLite: 1 (one writer: a second process only waits on its lock).
    PostgreSQL: two per CPU, at most 4 (docs/throughput.md: more only share the same cores)."""
    if dialect != "postgresql":
        return 1
    return max(1, min(4, 2 * (cpus or os.cpu_count() or 1)))
