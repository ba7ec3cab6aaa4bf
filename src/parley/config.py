"""Settings: one object, read from PARLEY_* environment variables, validated once, passed in.

Nothing here runs at import time; `Settings()` is built by the CLI or by tests.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    domain: str = "127.0.0.1:8000"
    database_url: str = "sqlite+aiosqlite:///./parley.db"
    redis_url: str | None = None
    media_dir: Path = Path("./media")
    data_dir: Path = Path(".")
    secret_key: str = ""
    federation_allow_insecure: bool = False
    # "https" in production; derived as "http" for loopback domains so local use works.
    scheme: str = ""
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "parley@localhost"
    # Where mail goes when no SMTP server is configured: one .eml file per message.
    mail_outbox_dir: Path | None = None
    # argon2id cost; the defaults follow RFC 9106's second recommendation.
    password_time_cost: int = 3
    password_memory_cost_kib: int = 65536
    embedded_worker: bool = True
    session_max_age_days: int = 30
    debug: bool = False
    # The web UI refuses to set cookies without Secure over https; tests run over http.
    cookie_secure: bool | None = None
    max_post_chars_default: int = Field(default=1000, ge=1, le=100_000)
    # Media uploads: byte limits, and S3-compatible storage instead of media_dir when a
    # bucket is set (media_base_url: the public address files are served from, if not /media).
    media_max_image_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    media_max_video_bytes: int = Field(default=99 * 1024 * 1024, ge=1)
    media_remote_max_bytes: int = Field(default=40 * 1024 * 1024, ge=1)
    media_base_url: str | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None

    @field_validator("domain")
    @classmethod
    def _domain_has_no_scheme(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if "://" in value or not value:
            raise ValueError("PARLEY_DOMAIN is a host name (optionally host:port), not a URL")
        return value.lower()

    @property
    def url_scheme(self) -> str:
        if self.scheme:
            return self.scheme
        host = self.domain.split(":")[0]
        return "http" if host in {"127.0.0.1", "localhost", "::1"} else "https"

    @property
    def base_url(self) -> str:
        return f"{self.url_scheme}://{self.domain}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.url_scheme == "https"

    @property
    def outbox_dir(self) -> Path:
        return self.mail_outbox_dir or self.data_dir / "mail-outbox"

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set, generating and storing one on first run."""
        if self.secret_key:
            return self
        key_file = self.data_dir / ".parley-secret-key"
        if key_file.exists():
            key = key_file.read_text().strip()
        else:
            key = secrets.token_urlsafe(48)
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(key)
            key_file.chmod(0o600)
        return self.model_copy(update={"secret_key": key})
