"""One settings module, driven by the environment (.env.example lists every variable)."""

from __future__ import annotations

import base64
import hashlib
from email.utils import formataddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Where the app runs. Only "development" (make run) and "test" (make test) may talk to the local
# vendor sandbox and fall back to development secrets; anything else is production, where every
# secret must come from the environment or the app refuses to start.
APP_ENV = env("APP_ENV", default="production")
if APP_ENV not in ("development", "test", "production"):
    raise environ.ImproperlyConfigured("APP_ENV must be 'development', 'test' or 'production'")
PRODUCTION = APP_ENV == "production"
_missing_in_production: list[str] = []


def _required_in_production(name: str, development_default: str = "") -> str:
    """A secret (or a vendor address) from the environment; outside production, empty falls back."""
    value = env.str(name, default="")
    if not value and PRODUCTION:
        _missing_in_production.append(name)
    return value or development_default


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _required_in_production(
    "SECRET_KEY", "dev-only-insecure-key-never-used-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The product's name and public address, used in emails and anywhere a page links back to itself.
SITE_NAME = env("SITE_NAME", default="creditapp")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_htmx",
    "health_check",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "creditapp.tenancy",
    "accounts",
    "notifications",
    "billing",
    "finance",
    "creditapp.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "creditapp.core.security.ContentSecurityPolicyMiddleware",
    "creditapp.core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "billing.middleware.StripeFailureMiddleware",
    "creditapp.tenancy.middleware.TenantContextMiddleware",
]

ROOT_URLCONF = "creditapp.urls"
WSGI_APPLICATION = "creditapp.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.alerts",
            ],
            "builtins": ["creditapp.core.site_tags"],
            "libraries": {"money": "creditapp.core.money_tags"},
        },
    }
]

# --- Database: three roles on one database (DESIGN.md §4) --------------------------------------
# DATABASE_URL names the server and database; its user is only used by `manage.py provision_db`
# (dev and CI). The web and workers connect as the app role; migrations as the owner
# (DB_ROLE=owner); staff and schedulers reach the maint role through maintenance_access().
_db = env.db("DATABASE_URL", default="postgres://localhost:5432/creditapp")
# A Unix-socket directory may be given percent-encoded as the URL's host.
_db["HOST"] = unquote(_db.get("HOST") or "")
# Only `manage.py provision_db` connects as this user.
DATABASE_ADMIN = {"USER": _db.get("USER") or "", "PASSWORD": _db.get("PASSWORD") or ""}
DATABASE_ROLES = {
    "owner": env("DB_OWNER_USER", default="creditapp_owner"),
    "app": env("DB_APP_USER", default="creditapp_app"),
    "maint": env("DB_MAINT_USER", default="creditapp_maint"),
}
DATABASE_PASSWORDS = {
    "owner": env("DB_OWNER_PASSWORD", default=""),
    "app": env("DB_APP_PASSWORD", default=""),
    "maint": env("DB_MAINT_PASSWORD", default=""),
}
DB_ROLE = env("DB_ROLE", default="app")
if DB_ROLE not in ("app", "owner"):
    raise environ.ImproperlyConfigured("DB_ROLE must be 'app' or 'owner'")
_db_common = {
    "ENGINE": "django.db.backends.postgresql",
    # An empty DB_NAME (as in .env.example) means "the database DATABASE_URL names".
    "NAME": env("DB_NAME", default="") or _db["NAME"],
    "HOST": _db["HOST"],
    "PORT": _db.get("PORT", ""),
    "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
    "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {"application_name": "creditapp"},
}
if env.bool("DB_POOL", default=False):
    _db_common["CONN_MAX_AGE"] = 0
    _db_common["OPTIONS"] = {
        **_db_common["OPTIONS"],
        "pool": {"min_size": 1, "max_size": env.int("DB_POOL_SIZE", default=8)},
    }
DATABASES = {
    "default": {**_db_common, "USER": DATABASE_ROLES[DB_ROLE], "PASSWORD": DATABASE_PASSWORDS[DB_ROLE]},
    "maint": {
        **_db_common,
        "USER": DATABASE_ROLES["maint"],
        "PASSWORD": DATABASE_PASSWORDS["maint"],
        "TEST": {"MIRROR": "default"},
    },
}
DATABASE_ROUTERS = ["creditapp.tenancy.db.MaintenanceRouter"]
TENANCY_MAINTENANCE_AUDIT = "accounts.audit.audit_maintenance"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker, rate limits, locks -------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="creditapp"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="creditapp")
CELERY_TASK_ALWAYS_EAGER = False

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
LOGIN_REDIRECT_URL = "/app/"
LOGIN_URL = "/accounts/login/"

# A bare address gets the site's name as its display name ("creditapp <no-reply@…>").
_from_address = env("DEFAULT_FROM_EMAIL", default="no-reply@creditapp.local")
DEFAULT_FROM_EMAIL = _from_address if "<" in _from_address else formataddr((SITE_NAME, _from_address))
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)

# --- Secrets at rest -----------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first: MultiFernet encrypts with the first and decrypts with
# any, so keys rotate without re-encrypting first.
# Outside production an unset list falls back to one key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _required_in_production(
        "FIELD_ENCRYPTION_KEYS",
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode(),
    ).split(",")
    if key.strip()
]

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Every /api/v1/ view: a personal API key or the session, a plan with API access, a key whose scope
    # allows the operation, rate limits per plan and kind of operation, and one error shape.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "billing.permissions.HasApiAccess",
        "accounts.api.permissions.KeyScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["billing.api.throttling.PlanRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "creditapp.api.pagination.KeysetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "creditapp.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "creditapp.api.errors.exception_handler",
    # Documents every refusal each operation can answer with, in the error shape, with examples.
    "DEFAULT_SCHEMA_CLASS": "creditapp.api.schema.ApiAutoSchema",
}
# Outgoing webhooks may only reach public addresses; tests deliver to a receiver on 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
if PRODUCTION and WEBHOOKS_ALLOW_PRIVATE_TARGETS:
    raise environ.ImproperlyConfigured("WEBHOOKS_ALLOW_PRIVATE_TARGETS is for tests: production refuses it")
# Outgoing webhooks are a Pro feature; notifications sits below billing, so it is told where to ask.
WEBHOOKS_ENTITLEMENTS = "billing.selectors.entitlements"
# Requests per window, per person and kind of operation; anonymous callers per address.
API_RATE_LIMITS: dict[str, Any] = {
    "pro": {"read": "600/min", "write": "120/min", "sync": "12/hour"},
    "family": {"read": "600/min", "write": "120/min", "sync": "12/hour"},
    "default": {"read": "60/min", "write": "20/min", "sync": "4/hour"},
    "anonymous": "60/min",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        f"Your own {SITE_NAME} data for your scripts, spreadsheets and tools (Pro and Family plans). "
        "Authenticate with a personal API key: `Authorization: Bearer ck_…`. Lists are cursor-paginated "
        "(follow `next`); money is in integer minor units beside its currency, money out negative; every "
        'error is `{"error": {"code", "message", "details"}}`. Start with [the guide](/api/docs/).'
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags and operation ids from the resource, not from "api"
    "SERVE_INCLUDE_SCHEMA": False,
    # Read-only fields stay out of request bodies (clients and generated tests see what they may send).
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names collide across resources ("status"), named after what they are.
    "ENUM_NAME_OVERRIDES": {"CreditReportStatusEnum": "finance.credit.models.CreditReport.Status"},
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar): the CSP allows no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The key typed into "Authorize" lives in the page only, never in localStorage.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": False,
        "displayRequestDuration": True,
    },
}

# --- Vendors (sandbox when no credentials) ---------------------------------------------------------
SANDBOX_URL = env("SANDBOX_URL", default="http://127.0.0.1:8765")
SANDBOX_PUBLIC_URL = env("SANDBOX_PUBLIC_URL", default=SANDBOX_URL)  # what a browser reaches
PLAID_CLIENT_ID = _required_in_production("PLAID_CLIENT_ID")
PLAID_SECRET = _required_in_production("PLAID_SECRET")
PLAID_ENV = env("PLAID_ENV", default="sandbox")  # sandbox | production, used with credentials
PLAID_WEBHOOK_URL = env("PLAID_WEBHOOK_URL", default=f"{SITE_URL}/webhooks/plaid")
PLAID_TIMEOUT_SECONDS = env.float("PLAID_TIMEOUT_SECONDS", default=30)
PLAID_SYNC_PAGE_SIZE = env.int("PLAID_SYNC_PAGE_SIZE", default=500)

# --- Billing (billing/plans.py holds the plans and their entitlements) ------------------------------
STRIPE_SECRET_KEY = _required_in_production("STRIPE_SECRET_KEY")  # empty → the local sandbox
STRIPE_WEBHOOK_SECRET = _required_in_production("STRIPE_WEBHOOK_SECRET", "whsec_local_sandbox_secret")
STRIPE_PRICES = {
    "basic_monthly": env("STRIPE_PRICE_BASIC_MONTHLY", default="price_basic_monthly"),
    "basic_yearly": env("STRIPE_PRICE_BASIC_YEARLY", default="price_basic_yearly"),
    "pro_monthly": env("STRIPE_PRICE_PRO_MONTHLY", default="price_pro_monthly"),
    "pro_yearly": env("STRIPE_PRICE_PRO_YEARLY", default="price_pro_yearly"),
    "family_monthly": env("STRIPE_PRICE_FAMILY_MONTHLY", default="price_family_monthly"),
    "family_yearly": env("STRIPE_PRICE_FAMILY_YEARLY", default="price_family_yearly"),
}
TRIAL_DAYS = env.int("TRIAL_DAYS", default=14)
PAST_DUE_GRACE_DAYS = env.int("PAST_DUE_GRACE_DAYS", default=7)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20)

# --- Experian ----------------------------------------------------------------------------------------
EXPERIAN_BASE_URL = _required_in_production(
    "EXPERIAN_BASE_URL"
)  # empty → the local sandbox; required in production
EXPERIAN_USERNAME = _required_in_production("EXPERIAN_USERNAME")
EXPERIAN_PASSWORD = _required_in_production("EXPERIAN_PASSWORD")
EXPERIAN_CLIENT_ID = _required_in_production("EXPERIAN_CLIENT_ID")
EXPERIAN_CLIENT_SECRET = _required_in_production("EXPERIAN_CLIENT_SECRET")
EXPERIAN_SUBSCRIBER_CODE = env("EXPERIAN_SUBSCRIBER_CODE", default="2222222")
EXPERIAN_TIMEOUT_SECONDS = env.float("EXPERIAN_TIMEOUT_SECONDS", default=30)
# Asked for in every pull: the score model (V4: VantageScore 4.0) and the permissible purpose code your
# Experian subscriber agreement assigns to "written instructions of the consumer" (FCRA 604(a)(2)).
EXPERIAN_RISK_MODEL = env("EXPERIAN_RISK_MODEL", default="V4")
EXPERIAN_PERMISSIBLE_PURPOSE = env("EXPERIAN_PERMISSIBLE_PURPOSE", default="3F")
# A person may ask for a fresh report this often; scheduled refreshes follow their plan (billing.plans).
CREDIT_REFRESH_COOLDOWN_HOURS = env.int("CREDIT_REFRESH_COOLDOWN_HOURS", default=24)
# A score moving by at least this many points between two pulls raises an alert.
CREDIT_SCORE_ALERT_POINTS = env.int("CREDIT_SCORE_ALERT_POINTS", default=20)

# --- Static, i18n ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / ".local" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env("STATICFILES_STORAGE", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security ---------------------------------------------------------------------------------------
# HTTPS defaults on; dev and tests turn it off through the environment (HTTPS=0).
HTTPS = env.bool("HTTPS", default=True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Proxies that append to X-Forwarded-For in front of the app: the client address (audit log, consent
# records, allauth's per-address rate limits) is the entry the outermost one appended. 0 = REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Everything the app serves comes from our own origin (assets are built at install time; no CDN).
# form-action also names the vendors' hosted pages, added per request from the settings above
# (creditapp.core.security.ContentSecurityPolicyMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if _missing_in_production:
    raise environ.ImproperlyConfigured(
        "APP_ENV=production refuses to start without these settings from the environment: "
        + ", ".join(_missing_in_production)
        + " (development and tests: APP_ENV=development or APP_ENV=test, as make run and make test set)"
    )
