"""Django settings for the ISMS.

Everything that differs between a laptop and a production server comes from the environment:

- ``DATABASE_URL``: PostgreSQL (``postgres://user:pass@host:port/name``); unset means SQLite in
  ``ISMS_DATA_DIR`` with WAL journaling.
- ``ISMS_DATA_DIR``: where the SQLite database, the Huey queue and uploaded files live
  (default ``./var``).
- ``ISMS_SECRET_KEY``: required when ``ISMS_DEBUG`` is off; a development key is generated
  into ``ISMS_DATA_DIR`` otherwise.
- ``ISMS_DEBUG``, ``ISMS_ALLOWED_HOSTS`` (comma separated), ``ISMS_HUEY_REDIS_URL``.
- Outgoing mail (reminders, escalations, incident notices): ``ISMS_SMTP_HOST`` (default
  ``127.0.0.1``), ``ISMS_SMTP_PORT`` (25), ``ISMS_SMTP_USER``, ``ISMS_SMTP_PASSWORD``,
  ``ISMS_SMTP_STARTTLS`` / ``ISMS_SMTP_SSL`` (``1`` to use), ``ISMS_MAIL_FROM``.
- ``ISMS_AUDIT_EVIDENCE_RETENTION_YEARS``: years 監査証拠 are kept after the audit's fiscal year
  (default 5).
- ``ISMS_TRUSTED_PROXIES``: comma-separated addresses or networks (CIDR) of the reverse proxies
  whose ``X-Forwarded-For`` is believed; ``unix`` trusts a peer on a unix socket (empty
  ``REMOTE_ADDR``). Default ``unix``: nginx in front on a unix socket (docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("ISMS_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("ISMS_DEBUG", "0") == "1"
TESTING = os.environ.get("ISMS_TESTING", "0") == "1"


def _secret_key() -> str:
    """Return the secret key: from the environment, or a per-installation file for local use."""
    key = os.environ.get("ISMS_SECRET_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ISMS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

# No django.contrib.admin: it is not mounted (see urls.py), and its registration templates would
# shadow the web app's own password-change pages with ones that link to the missing admin site.
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "axes",
    "isms.core",
    "isms.policy",
    "isms.quarantine",
    "isms.assets",
    "isms.risks",
    "isms.inspections",
    "isms.incidents",
    "isms.incidents.plan",
    "isms.inspections.audits",
    "isms.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "isms.core.middleware.MunicipalityMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "isms.urls"
WSGI_APPLICATION = "isms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "isms.web.context_processors.shell",
            ],
            "string_if_invalid": "",
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "isms.sqlite3",
            "OPTIONS": {
                # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue on busy_timeout instead of deadlocking.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: five failures for one user name from one address lock it for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = not TESTING or os.environ.get("ISMS_TEST_AXES") == "1"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"

# The 無害化 gateway's quarantine (docs/gateway.md): where ``isms sanitize serve`` keeps the
# originals, how long, which sanitizer policy file, and where releases go (``smtp:HOST:PORT``,
# Postfix's re-injection port; or ``dir:PATH`` to write files instead, as in tests).
QUARANTINE_DIR = Path(os.environ.get("ISMS_QUARANTINE_DIR", DATA_DIR / "quarantine"))
QUARANTINE_RETENTION_DAYS = int(os.environ.get("ISMS_QUARANTINE_RETENTION_DAYS", "90"))
# 監査証拠 are kept this many years after the end of the audit's fiscal year.
AUDIT_EVIDENCE_RETENTION_YEARS = int(os.environ.get("ISMS_AUDIT_EVIDENCE_RETENTION_YEARS", "5"))
SANITIZER_POLICY = os.environ.get("ISMS_SANITIZER_POLICY", "")
QUARANTINE_RELEASE_TO = os.environ.get(
    "ISMS_QUARANTINE_RELEASE_TO",
    f"dir:{DATA_DIR / 'release-outbox'}" if TESTING else "smtp:127.0.0.1:10026",
)

# Outgoing mail goes through the municipality's own relay (inside LGWAN, often without auth).
# Tests use Django's in-memory outbox (pytest-django) or a local aiosmtpd sink.
EMAIL_HOST = os.environ.get("ISMS_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("ISMS_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ISMS_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ISMS_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("ISMS_SMTP_STARTTLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("ISMS_SMTP_SSL", "0") == "1"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("ISMS_MAIL_FROM", "isms@localhost")
# Reverse proxies whose X-Forwarded-For is believed (the public form's rate limits per client).
TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("ISMS_TRUSTED_PROXIES", "unix").split(",") if p.strip()
]

HUEY_REDIS_URL = os.environ.get("ISMS_HUEY_REDIS_URL", "")
if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "isms",
        "url": HUEY_REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "isms",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": TESTING,
    }
# Periodic tasks are written in local time (crontab(hour="1") means 01:00 JST); Huey's
# default would read them as UTC.
HUEY["utc"] = False
if TESTING:
    HUEY["immediate"] = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"isms": {"level": "INFO"}},
}
