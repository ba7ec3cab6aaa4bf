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
    # Jobs one worker process runs at once. Keep 1 on SQLite (one writer); raise it on PostgreSQL.
    worker_concurrency: int = Field(default=1, ge=1, le=256)
    # Deliveries in flight to one remote host, across every worker process (a lease in the DB).
    delivery_per_host: int = Field(default=4, ge=1, le=256)
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
    # Abuse protection (docs/operations.md). Client addresses come from the socket, or from
    # X-Forwarded-For when the socket's address is one of the trusted proxies (comma-separated
    # addresses or networks). Safelisted addresses are never rate-limited (Mastodon does the same
    # for localhost); behind a trusted proxy the address checked is the forwarded one.
    trusted_proxies: str = "127.0.0.1,::1"
    ratelimit_enabled: bool = True
    ratelimit_safelist: str = "127.0.0.1,::1"
    # Limits in the `limits` notation ("300/5 minutes"); defaults follow Mastodon's rack-attack.
    limit_per_ip: str = "7500/5 minutes"
    limit_per_token: str = "300/5 minutes"  # noqa: S105 (a limit, not a secret)
    limit_per_account: str = "1500/5 minutes"
    limit_api_anonymous: str = "300/5 minutes"
    limit_media_uploads: str = "30/30 minutes"
    limit_sign_ups: str = "5/30 minutes"
    limit_sign_in_ip: str = "25/5 minutes"
    limit_sign_in_account: str = "25/hour"
    limit_two_factor: str = "10/10 minutes"
    limit_anonymous_paging: str = "300/15 minutes"
    limit_federation_ip: str = "3000/5 minutes"
    # A refused request is answered after this long (a tarpit for floods); 0: at once.
    ratelimit_delay_ms: int = Field(default=1000, ge=0, le=30_000)
    # Anonymous requests (no session, no token) in flight at once from one address; 0: no cap.
    anonymous_concurrency_per_ip: int = Field(default=4, ge=0)
    # Anonymous visitors page back through timelines and profiles this far (days); 0: no cap.
    anonymous_paging_days: int = Field(default=90, ge=0)
    # Under-attack mode: proof-of-work difficulty (leading zero bits of SHA-256), how long a
    # solved challenge lets a browser in, and the automatic trigger: on when more than
    # `under_attack_auto_rps` anonymous page requests per second arrive (averaged over
    # `under_attack_auto_window` seconds, 0 turns the trigger off), for `..._auto_minutes`.
    under_attack_difficulty: int = Field(default=16, ge=1, le=32)
    under_attack_pass_hours: int = Field(default=6, ge=1)
    under_attack_auto_rps: int = Field(default=50, ge=0)
    under_attack_auto_window: int = Field(default=30, ge=1)
    under_attack_auto_minutes: int = Field(default=30, ge=1)
    # Cache-Control max-age (seconds) of anonymous pages; nginx micro-caches them as long.
    anonymous_cache_seconds: int = Field(default=10, ge=0)
    # Signed-in /home pages kept in each process (parley.web.page_cache): at most this many
    # seconds (0: off), in at most this many MB; changes drop them long before.
    page_cache_seconds: int = Field(default=30, ge=0)
    page_cache_mb: int = Field(default=64, ge=0)
    # /metrics answers loopback clients, or a request bearing this token.
    metrics_token: str | None = None
    # Logs: "json" (one object a line) or "text"; the level name.
    log_format: str = "json"
    log_level: str = "INFO"
    # /health reports "not ready" when a due job has waited longer than this (seconds).
    health_queue_stuck_seconds: int = Field(default=900, ge=1)

    @field_validator(
        "limit_per_ip",
        "limit_per_token",
        "limit_per_account",
        "limit_api_anonymous",
        "limit_media_uploads",
        "limit_sign_ups",
        "limit_sign_in_ip",
        "limit_sign_in_account",
        "limit_two_factor",
        "limit_anonymous_paging",
        "limit_federation_ip",
    )
    @classmethod
    def _limit_notation(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a limit like '300/5 minutes': {value!r}") from exc
        return value

    @field_validator("trusted_proxies", "ratelimit_safelist")
    @classmethod
    def _address_list(cls, value: str) -> str:
        import ipaddress

        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {part!r}") from exc
        return value

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
