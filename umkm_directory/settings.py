"""Settings for Etalase UMKM, read from the environment with safe local defaults.

Production sets at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL
(see docs/deploy.md). Local development needs nothing: SQLite, DEBUG on,
localhost only.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DEBUG", True)

# Local development runs without configuration; the marker prefix lets
# production refuse this key below.
INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (
    INSECURE_KEY_PREFIX + "local-development-only-never-use-in-production"
)

LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if not DEBUG and (not os.environ.get("SECRET_KEY") or SECRET_KEY.startswith(INSECURE_KEY_PREFIX)):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or is the insecure development default. With DEBUG off, set "
        "SECRET_KEY to a long random value, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
if DEBUG and any(host not in LOCAL_HOSTS for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "DEBUG is on while ALLOWED_HOSTS names public hosts "
        f"({', '.join(ALLOWED_HOSTS)}). Set DEBUG=0 in production."
    )

# The city this directory serves: changing data (districts) and these
# settings is all another city needs.
CITY_NAME = os.environ.get("CITY_NAME", "Balikpapan")
SITE_NAME = os.environ.get("SITE_NAME", f"Etalase UMKM {CITY_NAME}")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "umkm_directory",
    "vendors",
    "products",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "umkm_directory.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "umkm_directory.locale.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "umkm_directory.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "umkm_directory.urls"

TEMPLATES = [
    # The public pages (templates/): Jinja2, several times faster to render
    # than Django's templates on the site's hot path (umkm_directory/templating.py).
    {
        # Django's Jinja2 backend, the templates compiled once per language.
        "BACKEND": "umkm_directory.templating.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "umkm_directory.templating.environment",
            # Compiled once per process; a missing variable renders empty as in
            # Django's templates, which the pages rely on for optional parts.
            "auto_reload": DEBUG,
        },
    },
    # The admin, form widgets and the apps' own templates (vendors/templates/axes/).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "umkm_directory.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "umkm_directory.wsgi.application"

# Database: SQLite file by default, PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # On by default: a connection broken by a database restart is
        # replaced before a request uses it, so no visitor sees an error after
        # the database returns (tests/test_health.py). On PostgreSQL the check
        # is a poll of the socket, no round trip (umkm_directory/postgresql);
        # CONN_HEALTH_CHECKS=0 trades it for one friendly 503 per worker after
        # each database restart.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that costs no round trip.
    DATABASES["default"]["ENGINE"] = "umkm_directory.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server with many readers and an occasional writer: WAL lets
    # readers go on during a write; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue on the busy timeout instead of
    # failing with "database is locked" half-way through.
    # Connections are kept like PostgreSQL's (CONN_MAX_AGE): opening one and
    # running the PRAGMAs below cost ~1.5 ms, more than a product page's SQL.
    # A local file needs no health check.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA mmap_size=134217728;"
            "PRAGMA cache_size=-20000;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, its client objects reused (umkm_directory/redis_cache.py).
            "BACKEND": "umkm_directory.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "umkm"),
            "TIMEOUT": 60 * 60,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "umkm",
            "TIMEOUT": 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

if REDIS_URL:
    # Several app servers share sessions through Redis; the database copy
    # keeps a session alive when the cache is flushed or restarted.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia first, English for visitors.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Makassar")  # WITA, East Kalimantan
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Optional: media in S3-compatible object storage, for several app servers
# without a shared disk. Needs `pip install "django-storages[s3]"` (not a
# dependency otherwise); credentials come from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY. See docs/deploy.md.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
MEDIA_S3_CUSTOM_DOMAIN = os.environ.get("MEDIA_S3_CUSTOM_DOMAIN", "")
MEDIA_S3_ENDPOINT_URL = os.environ.get("MEDIA_S3_ENDPOINT_URL", "")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("MEDIA_S3_REGION") or None,
            "custom_domain": MEDIA_S3_CUSTOM_DOMAIN or None,
            # Public pictures at stable URLs; a re-upload never overwrites.
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": os.environ.get("MEDIA_S3_DEFAULT_ACL") or None,
        },
    }

# Uploads: pictures are at most 10 MB (checked again by the image
# validator); anything larger goes to a temporary file, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# HTTPS and security headers. With DEBUG off every protection is on by
# default; each can be turned off under Django's own setting name, e.g.
# SECURE_SSL_REDIRECT=0 when a proxy in front already redirects to HTTPS,
# or all of them for a private plain-HTTP test. docs/deploy.md lists them.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes /healthz over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a proxy that terminates TLS: "HTTP_X_FORWARDED_PROTO,https". Only
# set it when the proxy always overwrites that header.
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): no inline script or style anywhere;
# pictures may also come from object storage when MEDIA_URL is absolute.
_img_src = ["'self'", "data:"]
for _url in (
    MEDIA_URL,
    MEDIA_S3_ENDPOINT_URL,
    MEDIA_S3_CUSTOM_DOMAIN and f"https://{MEDIA_S3_CUSTOM_DOMAIN}",
):
    _origin = urlsplit(_url or "")
    if _origin.scheme and _origin.netloc:
        _img_src.append(f"{_origin.scheme}://{_origin.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": _img_src,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Powerful browser features this site never uses (umkm_directory.middleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Password guessing on the admin login (django-axes): after
# AXES_FAILURE_LIMIT failures for one username from one address, that pair
# is locked for AXES_COOLOFF_MINUTES. Staff unlock earlier with
# `python manage.py axes_reset_username USERNAME` or Admin > Axes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# The client address: REMOTE_ADDR unless a proxy in front says otherwise,
# e.g. AXES_IPWARE_META_PRECEDENCE_ORDER=HTTP_X_REAL_IP with nginx's
# `proxy_set_header X-Real-IP $remote_addr;` (see docs/deploy.md).
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("AXES_IPWARE_META_PRECEDENCE_ORDER", ["REMOTE_ADDR"])
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", None)
AXES_IPWARE_PROXY_ORDER = os.environ.get("AXES_IPWARE_PROXY_ORDER", "left-most")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
