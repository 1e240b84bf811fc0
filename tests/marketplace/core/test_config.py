from pathlib import Path

import pytest

from marketplace.config import ConfigError, Settings


def test_development_generates_and_keeps_a_secret(tmp_path: Path):
    first = Settings.from_env(tmp_path, {})
    second = Settings.from_env(tmp_path, {})
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.database_url == f"sqlite:///{tmp_path / 'marketplace.sqlite'}"
    assert first.es_url is None and first.redis_url is None and first.demo_mode


def test_production_refuses_to_start_without_secret(tmp_path: Path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env(tmp_path, {"MARKETPLACE_ENV": "production"})


def test_values_are_parsed_with_their_types(tmp_path: Path):
    settings = Settings.from_env(tmp_path, {
        "MARKETPLACE_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgres://u:p@db/app",
        "ES_URL": "http://es:9200", "ES_REPLICAS": "1", "REDIS_URL": "redis://r:6379/0", "SMTP_PORT": "465",
        "SMTP_TLS": "no"})
    assert settings.database_url == "postgresql+psycopg://u:p@db/app"
    assert settings.es_replicas == 1 and settings.smtp_port == 465 and settings.smtp_tls is False
    assert settings.production and not settings.demo_mode
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True


def test_elasticsearch_shards_are_sized_by_the_catalogue_unless_set(tmp_path: Path):
    assert Settings.from_env(tmp_path, {}).es_shards is None
    assert Settings.from_env(tmp_path, {"ES_SHARDS": " 3 "}).es_shards == 3


@pytest.mark.parametrize("environ", [{"MARKETPLACE_ENV": "staging"}, {"SMTP_TLS": "maybe"}, {"ES_SHARDS": "0"},
                                     {"ES_SHARDS": "two"}])
def test_bad_values_are_refused(tmp_path: Path, environ):
    with pytest.raises(ConfigError):
        Settings.from_env(tmp_path, environ)


def test_the_publicity_period_is_the_laws_fifteen_days_unless_in_demo_mode(tmp_path: Path):
    assert Settings.from_env(tmp_path, {}).publicity_days == 15
    assert Settings.from_env(tmp_path, {"PUBLICITY_DAYS": "2"}).publicity_days == 2  # development: demo mode
    with pytest.raises(ConfigError, match="PUBLICITY_DAYS"):
        Settings.from_env(tmp_path, {"PUBLICITY_DAYS": "2", "DEMO_MODE": "false"})
    with pytest.raises(ConfigError, match="PUBLICITY_DAYS"):
        Settings.from_env(tmp_path, {"PUBLICITY_DAYS": "two"})


def test_postgresql_connections_run_without_jit(tmp_path: Path):
    """JIT compiling cost 2.7 s of a 3.4 s console query at a million deals; SQLite has no such option."""
    def engine_options(url: str) -> dict:
        settings = Settings.from_env(tmp_path, {"SECRET_KEY": "x", "DATABASE_URL": url})
        return settings.flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]

    options = engine_options("postgresql+psycopg://u:p@db/mkt")
    assert options["connect_args"] == {"options": "-c jit=off"} and options["pool_pre_ping"] is True
    assert "connect_args" not in engine_options(f"sqlite:///{tmp_path / 'x.sqlite'}")
