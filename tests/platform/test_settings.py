"""``platform_gov.settings`` as each environment configures it.

Each case imports the settings in a fresh Python process whose environment is built from
scratch: PATH and HOME, plus the variables under test. pytest's own PYTEST_VERSION is left out
on purpose, since the settings treat it as "running the tests" and relax the production rules.

The settings also read a ``.env`` file beside ``manage.py`` (a developer's checkout has one,
e.g. with ``DJANGO_DEBUG=1`` or a local secret key). So that its contents cannot change what
"variable absent" means here, the settings cases import a copy of the ``platform_gov`` package
in a temporary directory, where ``.env`` is exactly what the test writes (usually nothing).
``manage.py check --deploy`` runs in the checkout itself, with every variable that matters
set explicitly: environment variables win over ``.env`` (django-environ's ``read_env`` only
fills in what the environment lacks), which one test below checks as well.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from platform_gov import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECRET_KEY": s.SECRET_KEY,
    "DB_ENGINE": s.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(s.DATABASES["default"]["NAME"]),
    "DB_HOST": s.DATABASES["default"].get("HOST", ""),
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": s.CACHES["default"].get("LOCATION", ""),
    "SESSION_COOKIE_SECURE": getattr(s, "SESSION_COOKIE_SECURE", False),
    "CSRF_COOKIE_SECURE": getattr(s, "CSRF_COOKIE_SECURE", False),
    "SECURE_HSTS_SECONDS": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "SECURE_SSL_REDIRECT": getattr(s, "SECURE_SSL_REDIRECT", False),
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SAMESITE": s.CSRF_COOKIE_SAMESITE,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": getattr(s, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
    "SECURE_HSTS_PRELOAD": getattr(s, "SECURE_HSTS_PRELOAD", False),
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "SECURE_REFERRER_POLICY": s.SECURE_REFERRER_POLICY,
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": s.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "LANGUAGE_CODE": s.LANGUAGE_CODE,
    "LANGUAGES": [code for code, _name in s.LANGUAGES],
}))
"""

A_SECRET = "a-test-secret-key-that-is-only-used-by-these-tests-0123456789"


def clean_env(**variables: str) -> dict[str, str]:
    """PATH and HOME only, plus ``variables``: nothing else leaks in from this process."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(Path.home())),
        **variables,
    }


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The ``platform_gov`` package alone in a directory without a ``.env`` file."""
    shutil.copytree(
        BASE_DIR / "platform_gov",
        tmp_path / "platform_gov",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


@pytest.fixture
def import_settings(project_copy):
    """Import the settings with exactly ``variables`` set; the completed process."""

    def run(**variables: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", PRINT_SETTINGS],
            cwd=project_copy,
            env=clean_env(**variables),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def load_settings(import_settings):
    """The settings' values (as JSON) with exactly ``variables`` set."""

    def run(**variables: str) -> dict:
        result = import_settings(**variables)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    return run


# ----------------------------------------------------------- secret key and debug


def test_settings_refuse_to_load_without_a_secret_key_outside_debug(import_settings):
    result = import_settings()

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_settings_in_the_checkout_refuse_an_empty_secret_key_whatever_env_file_says():
    """The checkout's own ``.env`` cannot supply DEBUG or a key the environment empties."""
    result = subprocess.run(
        [sys.executable, "-c", "import platform_gov.settings"],
        cwd=BASE_DIR,
        env=clean_env(DJANGO_SECRET_KEY="", DJANGO_DEBUG=""),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_settings_load_without_a_secret_key(load_settings):
    values = load_settings(DJANGO_DEBUG="1")

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"]  # a development key stands in
    assert values["SESSION_COOKIE_SECURE"] is False


def test_production_settings_are_secure_by_default(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET)

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == A_SECRET
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] > 0
    assert values["SECURE_SSL_REDIRECT"] is True


def test_production_headers_and_cookies_are_strict(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET)

    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_hsts_preload_can_be_switched_off(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET, DJANGO_HSTS_PRELOAD="0")

    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600


def test_env_file_is_read_but_the_environment_wins(project_copy, load_settings):
    (project_copy / ".env").write_text("DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=from-the-env-file\n")

    from_file = load_settings()
    overridden = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=A_SECRET)

    assert from_file["DEBUG"] is True
    assert from_file["SECRET_KEY"] == "from-the-env-file"
    assert overridden["DEBUG"] is False
    assert overridden["SECRET_KEY"] == A_SECRET


# ------------------------------------------------------------------------ database


def test_database_is_sqlite_without_database_url(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET)

    assert values["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"].endswith("db.sqlite3")


def test_an_empty_database_url_counts_as_unset(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET, DATABASE_URL="")

    assert values["DB_ENGINE"] == "django.db.backends.sqlite3"


def test_database_url_selects_postgresql(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET, DATABASE_URL="postgres://u@h:5432/d")

    assert values["DB_ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "d"
    assert values["DB_HOST"] == "h"


# --------------------------------------------------------------------- broker, cache


def test_without_redis_tasks_run_eagerly_with_a_local_memory_cache(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET)

    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_selects_the_broker_and_the_cache(load_settings):
    url = "redis://redis.internal:6379/3"

    values = load_settings(DJANGO_SECRET_KEY=A_SECRET, REDIS_URL=url)

    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == url
    assert values["CACHE_BACKEND"] == "platform_gov.redis_cache.ReusedClientRedisCache"
    assert values["CACHE_LOCATION"] == url


# ------------------------------------------------------------------------ languages


def test_chinese_comes_first_and_english_is_offered(load_settings):
    values = load_settings(DJANGO_SECRET_KEY=A_SECRET)

    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert {"zh-hans", "en"} <= set(values["LANGUAGES"])


# --------------------------------------------------------------------- check --deploy


def test_deployment_check_passes_with_production_settings():
    """``check --deploy`` finds nothing to warn about in a production-like environment.

    ``--fail-level WARNING`` makes any deployment warning fail this test; none is expected,
    so there is none to list here. DJANGO_DEBUG is given explicitly because a developer's
    ``.env`` may turn it on; REDIS_URL and DATABASE_URL are left to their defaults, as the
    check connects to neither.
    """
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    secret_key = "".join(secrets.choice(alphabet) for _ in range(60))

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean_env(
            DJANGO_SECRET_KEY=secret_key,
            DJANGO_DEBUG="0",
            DJANGO_ALLOWED_HOSTS="example.org",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
