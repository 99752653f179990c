"""Production configuration, checked the way it is used: a fresh process with
the environment an operator sets."""

import json

import pytest

from tests.processes import ROOT, manage, project_env, random_secret_key, run_python


def documented_production_env():
    """The variables of .env.example (the documented production setup),
    with a real random SECRET_KEY instead of the placeholder."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    values["SECRET_KEY"] = random_secret_key()
    return values


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in ["
    "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
    "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER', "
    "'SESSION_ENGINE', 'DEBUG']}))"
)


def settings_in_process(**env):
    result = run_python(["-c", SHOW_SETTINGS], project_env(**env), check=True)
    return json.loads(result.stdout)


def test_deploy_check_passes_with_the_documented_production_environment():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=project_env(**documented_production_env())
    )
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_deploy_check_warns_when_https_protections_are_turned_off():
    """The test above can fail: switching the protections off is reported."""
    env = documented_production_env()
    env.update(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=project_env(**env), check=False)
    assert result.returncode != 0
    for check_id in ("security.W004", "security.W008", "security.W012"):
        assert check_id in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY is missing"),
        ({"DEBUG": "0", "SECRET_KEY": ""}, "SECRET_KEY is missing"),
        ({"DEBUG": "0", "SECRET_KEY": "django-insecure-copied-from-a-tutorial"}, "SECRET_KEY is missing"),
        ({"DEBUG": "1", "ALLOWED_HOSTS": "umkm.balikpapan.go.id"}, "DEBUG is on while ALLOWED_HOSTS"),
    ],
    ids=["no-key", "empty-key", "insecure-default-key", "debug-with-public-host"],
)
def test_start_up_refuses_an_insecure_configuration(env, message):
    result = run_python(["-c", "import django; django.setup()"], project_env(**env))
    assert result.returncode != 0
    assert message in result.stderr


def test_start_up_accepts_a_secret_key_with_debug_off():
    result = run_python(
        ["-c", "import django; django.setup()"],
        project_env(DEBUG="0", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="umkm.balikpapan.go.id"),
    )
    assert result.returncode == 0, result.stderr


def test_https_protections_are_on_by_default_with_debug_off():
    values = settings_in_process(DEBUG="0", SECRET_KEY=random_secret_key())
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_each_https_protection_can_be_turned_off_under_its_django_name():
    values = settings_in_process(
        DEBUG="0",
        SECRET_KEY=random_secret_key(),
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="no",
        SECURE_HSTS_SECONDS="0",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_local_development_runs_plain_http():
    values = settings_in_process()
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_sessions_are_shared_through_redis_when_it_is_configured():
    assert settings_in_process()["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    with_redis = settings_in_process(REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_a_malformed_number_is_refused_with_its_name():
    result = run_python(["-c", "import django; django.setup()"], project_env(SECURE_HSTS_SECONDS="a year"))
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS must be a whole number" in result.stderr
