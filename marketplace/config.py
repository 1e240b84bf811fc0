"""Configuration read once from the environment, each key with an explicit type.

Development needs nothing set: SQLite and a generated secret key live under
``instance/``, search is embedded and jobs run inline. Production refuses to
start on insecure defaults.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment describes an unusable configuration."""


DEFAULT_PLEDGEE_KINDS = "bank,guarantee,financial"


def _organisation_kinds(value: str, name: str) -> tuple[str, ...]:
    """A comma-separated list of organisation kinds, each one the platform knows."""
    from marketplace.accounts.models import OrganisationKind

    kinds = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [kind for kind in kinds if kind not in {k.value for k in OrganisationKind}]
    if unknown or not kinds:
        raise ConfigError(f"{name}: unknown organisation kinds {unknown or value!r}")
    return kinds


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Typed settings; ``from_env`` is the only place environment variables are read."""

    env: str = "development"
    instance_path: Path = Path("instance")
    database_url: str = ""
    secret_key: str = ""
    es_url: str | None = None
    es_index_prefix: str = "patentmkt"
    es_shards: int | None = None
    es_replicas: int = 0
    es_timeout: float = 5.0
    redis_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "noreply@patent-marketplace.local"
    smtp_tls: bool = True
    public_url: str = "http://127.0.0.1:5000"
    max_upload_mb: int = 20
    evidence_max_mb: int = 5
    pledgee_kinds: tuple[str, ...] = tuple(DEFAULT_PLEDGEE_KINDS.split(","))
    demo_mode: bool = False
    extra_segment_file: str | None = None
    extra_synonym_file: str | None = None
    publicity_days: int = 15
    trusted_proxy_hops: int = 0
    inline_jobs: str = "thread"
    fee_schedule_file: str | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, instance_path: Path, environ: dict[str, str] | None = None) -> "Settings":
        env_vars = os.environ if environ is None else environ
        env = env_vars.get("MARKETPLACE_ENV", "development").strip().lower()
        if env not in {"development", "production", "testing"}:
            raise ConfigError("MARKETPLACE_ENV must be development, production or testing")
        production = env == "production"

        secret_key = env_vars.get("SECRET_KEY", "")
        if not secret_key:
            if production:
                raise ConfigError("SECRET_KEY must be set in production")
            secret_key = _development_secret(instance_path)

        database_url = env_vars.get("DATABASE_URL") or f"sqlite:///{instance_path / 'marketplace.sqlite'}"
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://"):]
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

        # unset: one shard, and a rebuild of ≥ 50,000 patents takes two (``matching.es_backend.TWO_SHARDS_FROM``)
        es_shards = _non_negative(env_vars["ES_SHARDS"], "ES_SHARDS") if env_vars.get("ES_SHARDS", "").strip() else None
        if es_shards == 0:
            raise ConfigError("ES_SHARDS must be at least 1 (unset: sized by the catalogue)")

        demo_mode = _bool(env_vars.get("DEMO_MODE", "false" if production else "true"))
        publicity_days = _non_negative(env_vars.get("PUBLICITY_DAYS", "15"), "PUBLICITY_DAYS")
        if publicity_days < (1 if demo_mode else 15):
            raise ConfigError("PUBLICITY_DAYS: at least 15 days (shorter periods only in demo mode)")

        return cls(
            env=env,
            instance_path=instance_path,
            database_url=database_url,
            secret_key=secret_key,
            es_url=env_vars.get("ES_URL") or None,
            es_index_prefix=env_vars.get("ES_INDEX_PREFIX", "patentmkt"),
            es_shards=es_shards,
            es_replicas=int(env_vars.get("ES_REPLICAS", "0")),
            es_timeout=float(env_vars.get("ES_TIMEOUT", "5")),
            redis_url=env_vars.get("REDIS_URL") or None,
            smtp_host=env_vars.get("SMTP_HOST") or None,
            smtp_port=int(env_vars.get("SMTP_PORT", "587")),
            smtp_user=env_vars.get("SMTP_USER") or None,
            smtp_password=env_vars.get("SMTP_PASSWORD") or None,
            smtp_sender=env_vars.get("SMTP_SENDER", "noreply@patent-marketplace.local"),
            smtp_tls=_bool(env_vars.get("SMTP_TLS", "true")),
            public_url=env_vars.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            max_upload_mb=int(env_vars.get("MAX_UPLOAD_MB", "20")),
            evidence_max_mb=int(env_vars.get("EVIDENCE_MAX_MB", "5")),
            pledgee_kinds=_organisation_kinds(env_vars.get("PLEDGEE_KINDS", DEFAULT_PLEDGEE_KINDS), "PLEDGEE_KINDS"),
            demo_mode=demo_mode,
            extra_segment_file=env_vars.get("SEGMENT_FILE") or None,
            extra_synonym_file=env_vars.get("SYNONYM_FILE") or None,
            publicity_days=publicity_days,
            trusted_proxy_hops=_non_negative(env_vars.get("TRUSTED_PROXY_HOPS", "0"), "TRUSTED_PROXY_HOPS"),
            inline_jobs=_choice(env_vars.get("INLINE_JOBS", "sync" if env == "testing" else "thread"),
                                "INLINE_JOBS", ("thread", "sync")),
            fee_schedule_file=env_vars.get("FEE_SCHEDULE_FILE") or None,
        )

    def flask_config(self) -> dict[str, object]:
        """The Flask/extension keys derived from these settings."""
        return {
            "SETTINGS": self,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **self._engine_options()},
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "WTF_CSRF_TIME_LIMIT": None,
            "BABEL_DEFAULT_LOCALE": "zh",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
            "API_TITLE": "Patent Marketplace API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "docs",
            "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        }

    def _engine_options(self) -> dict[str, object]:
        """PostgreSQL runs without JIT: the console's ledger queries are estimated costly enough to trigger it, and
        compiling took 2.7 s of a 3.4 s query at a million deals (executing it, 0.5 s). Behind PgBouncer, add
        ``options`` to its ``ignore_startup_parameters`` or set ``ALTER DATABASE … SET jit = off`` instead."""
        if self.database_url.startswith("postgresql"):
            return {"connect_args": {"options": "-c jit=off"}}
        return {}

    def replace(self, **changes: object) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def _non_negative(value: str, name: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative")
    return number


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    chosen = value.strip().lower()
    if chosen not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return chosen


def _development_secret(instance_path: Path) -> str:
    """A per-checkout secret kept in instance/ so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
