"""Running the project in a child process, as an operator would: with its
own environment, database and media folder."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Settings read from the environment; a child starts from none of them so the
# developer's or CI's own environment cannot change a test's outcome.
PROJECT_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "MEDIA_ROOT",
    "MEDIA_URL",
    "STATIC_ROOT",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "WEB_CONCURRENCY",
    "BIND",
    "PORT",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "CACHE_KEY_PREFIX",
    "LOG_LEVEL",
}
PROJECT_PREFIXES = ("AXES_", "MEDIA_S3_", "GUNICORN_")


def project_env(**overrides):
    """os.environ without the project's settings, plus `overrides`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PROJECT_VARIABLES and not key.startswith(PROJECT_PREFIXES)
    }
    env["DJANGO_SETTINGS_MODULE"] = "umkm_directory.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def random_secret_key():
    return secrets.token_urlsafe(50)


def run_python(args, env, *, timeout=120, check=False):
    """Run `python ARGS` from the project root."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"python {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def manage(*args, env, timeout=180, check=True):
    """Run `manage.py ARGS`; by default fail the test when it fails."""
    return run_python(["manage.py", *args], env, timeout=timeout, check=check)
