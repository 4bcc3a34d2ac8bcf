from __future__ import annotations

import pytest

from webapp.config import Config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "UPPFOLJNING_ENV",
                 "CELERY_QUEUE", "PASSWORD_HASHING", "SESSION_COOKIE_SECURE",
                 "SERVED_OVER_PLAIN_HTTP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UPPFOLJNING_INSTANCE", str(tmp_path))


def test_default_is_embedded_sqlite_and_filesystem_broker(tmp_path) -> None:
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'uppfoljning.sqlite'}"
    assert config.CELERY["broker_url"] == "filesystem://"
    assert config.CELERY["broker_transport_options"]["data_folder_in"].startswith(str(tmp_path))


def test_services_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/uppfoljning")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/uppfoljning"
    assert config.CELERY["broker_url"] == "redis://redis:6379/0"
    # A task whose worker vanished goes back to the queue (acks_late) after this long.
    assert config.CELERY["broker_transport_options"] == {"visibility_timeout": 1800}
    assert config.CELERY["task_serializer"] == "json"


def test_production_refuses_the_development_secret(monkeypatch) -> None:
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Config().check()
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment-0123456789")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    Config().check()


def test_app_factory_builds_the_app_with_swedish_defaults(tmp_path) -> None:
    from webapp import create_app

    app = create_app(Config(INSTANCE_PATH=str(tmp_path)))
    assert app.config["BABEL_DEFAULT_LOCALE"] == "sv"
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None  # a form left open for hours still submits
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/logga-in", "/svar/", "/granskning/", "/admin/", "/halsa"} <= rules


@pytest.mark.parametrize("key", ["short", "x" * 31])
def test_production_refuses_a_short_secret(monkeypatch, key) -> None:
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Config().check()


def test_production_refuses_debug(monkeypatch) -> None:
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="FLASK_DEBUG"):
        Config().check()


def test_production_refuses_the_cheap_test_password_hashing(monkeypatch) -> None:
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("PASSWORD_HASHING", "insecure-fast-for-tests")
    with pytest.raises(RuntimeError, match="PASSWORD_HASHING must be argon2id"):
        Config().check()
    monkeypatch.setenv("PASSWORD_HASHING", "argon2id")
    Config().check()


def test_an_unknown_password_hashing_refuses_to_start(monkeypatch) -> None:
    monkeypatch.setenv("PASSWORD_HASHING", "md5")
    with pytest.raises(RuntimeError, match="PASSWORD_HASHING='md5' is unknown"):
        Config().check()


def test_the_test_hashing_still_stores_argon2id_that_verifies(tmp_path) -> None:
    from webapp import create_app
    from webapp.passwords import hash_password, verify_password

    app = create_app(Config(INSTANCE_PATH=str(tmp_path), PASSWORD_HASHING="insecure-fast-for-tests"))
    with app.app_context():
        cheap = hash_password("ett-langt-losenord")
        assert cheap.startswith("$argon2id$") and "m=8," in cheap
        assert verify_password(cheap, "ett-langt-losenord")
        assert not verify_password(cheap, "fel-losenord")
    # Outside the test profile a hash costs argon2-cffi's defaults (64 MiB).
    assert "m=65536," in hash_password("ett-langt-losenord")


def test_logs_are_json_in_production_and_text_in_development(monkeypatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert Config().LOG_FORMAT == "text"
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    assert Config().LOG_FORMAT == "json"
    # Production's failed-statement messages must not carry what people wrote.
    assert Config().SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert Config().LOG_FORMAT == "text"
    monkeypatch.setenv("UPPFOLJNING_ENV", "development")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert Config().LOG_FORMAT == "json"


def test_an_unknown_log_format_refuses_to_start(monkeypatch) -> None:
    import logging

    from webapp import create_app

    monkeypatch.setenv("LOG_FORMAT", "xml")
    root = logging.getLogger()
    saved = list(root.handlers)
    try:
        with pytest.raises(RuntimeError, match="LOG_FORMAT must be json or text"):
            create_app(Config())
    finally:
        root.handlers[:] = saved


def test_production_refuses_cookies_without_the_secure_flag(monkeypatch) -> None:
    """Issue 16: production sends the session cookie over https only, unless it is stated
    that browsers reach it over plain http (a closed trial)."""
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment-0123456789")
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE"):
        Config().check()
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = Config()
    config.check()
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    monkeypatch.setenv("SERVED_OVER_PLAIN_HTTP", "1")
    Config().check()  # said out loud: allowed
    monkeypatch.setenv("UPPFOLJNING_ENV", "development")
    monkeypatch.delenv("SERVED_OVER_PLAIN_HTTP")
    Config().check()  # development on http://localhost needs neither

@pytest.mark.parametrize("hops, seen", [("0", "10.0.0.5"), ("1", "203.0.113.7")])
def test_the_client_address_comes_from_the_proxy_only_when_told_to_trust_it(
        monkeypatch, hops: str, seen: str) -> None:
    """Behind the compose proxy every request comes from the proxy's address; rate limits per
    client need X-Forwarded-For, which nobody may forge when no proxy is in front."""
    from flask import request

    from webapp import create_app
    from webapp.security import public

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", hops)
    app = create_app(Config())
    app.add_url_rule("/vem", "vem", public(lambda: {"addr": request.remote_addr,
                                                    "scheme": request.scheme}))
    answer = app.test_client().get("/vem", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                                   headers={"X-Forwarded-For": "203.0.113.7",
                                            "X-Forwarded-Proto": "https"}).get_json()
    assert answer == {"addr": seen, "scheme": "https" if hops == "1" else "http"}
