"""One settings module, driven by the environment (twelve-factor).

With nothing set, the project runs embedded: SQLite in ./var, Celery tasks run eagerly in the web
process, e-mail goes to the console. Set DATABASE_URL, REDIS_URL and EMAIL_URL for the production
shape. Anything that is not DEBUG refuses to start without a real SECRET_KEY.
"""

from datetime import time
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ccpl import oidc

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_KEY = "django-insecure-embedded-demo-only"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY if DEBUG else "")
if not DEBUG and (len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "guardian",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "ccpl",
    "roles",
    "appointments",
    "appraisals",
    "governance",
    "surveys",
    "devdata",
    "api",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "ccpl.observability.RequestIdMiddleware",  # request id, log line and metrics of every request
    "django.middleware.security.SecurityMiddleware",
    "ccpl.health.ProbeMiddleware",  # /healthz, /readyz, /metrics: before sessions and sign-in
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ccpl.middleware.SessionLimitsMiddleware",
    "ccpl.middleware.RequireMFAMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "ccpl.urls"
WSGI_APPLICATION = "ccpl.wsgi.application"

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
                "ccpl.context_processors.service",
            ],
        },
    }
]
FORM_RENDERER = "ccpl.forms.NHSFormRenderer"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(exist_ok=True)
    # A real file for the test database too, so --reuse-db keeps it between runs.
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / "test.sqlite3")
    # Two requests writing at once (a double click) wait for each other instead of failing
    # with "database is locked": a write transaction takes the lock when it begins (a deferred
    # one that read first cannot wait for it: SQLite refuses it at once), others wait for it up
    # to the timeout, and in WAL mode readers never wait for a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # The register's tables fit in memory on any host it runs on: PostgreSQL's default cost of a
    # random page (4, made for spinning disks) has it scan every appointment of the country
    # rather than follow the index of a system's posts (27 ms against 5 for the dashboard's
    # counts). Set per connection, so the planner sees what the hardware is; 4 restores it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "ccpl.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Redis, Celery and the cache --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task not acknowledged within this many seconds (its worker died) is delivered again.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for such tasks (seconds between sweeps, and every Nth sweep scans).
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
CELERY_TIMEZONE = TIME_ZONE
REMINDER_SWEEP_AT = env.str("REMINDER_SWEEP_AT", default="06:30")
_sweep_at = time.fromisoformat(REMINDER_SWEEP_AT)
CELERY_BEAT_SCHEDULE = {
    "daily-reminder-sweep": {
        "task": "ccpl.tasks.sweep_reminders",
        "schedule": crontab(hour=_sweep_at.hour, minute=_sweep_at.minute),
    },
    "daily-token-use-retention": {
        "task": "ccpl.tasks.forget_old_token_uses",
        "schedule": crontab(hour=3, minute=15),
    },
}
# Days the record of each request made with an access token (method, path, address) is kept.
ACCESS_TOKEN_USE_DAYS = env.int("ACCESS_TOKEN_USE_DAYS", default=90)
if ACCESS_TOKEN_USE_DAYS < 1:
    raise ImproperlyConfigured("ACCESS_TOKEN_USE_DAYS must be a whole number of days, 1 or more.")

# --- E-mail ----------------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CCPL register <noreply@ccpl.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Sessions, cookies and security headers ---------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- The product -----------------------------------------------------------------------------
CCPL_SERVICE_NAME = "Clinical and care professional leadership"
# Demo accounts exist only in the embedded demo (DEBUG); production never creates them.
CCPL_DEMO_PASSWORD = env.str("CCPL_DEMO_PASSWORD", default="demo-password-2026")


# --- Sign-in (django-allauth) ------------------------------------------------------------------
# E-mail and password; no open sign-up (accounts are invited); TOTP required for staff roles
# (ccpl.middleware.RequireMFAMiddleware); failed sign-ins rate-limited; the same answer whether or
# not an address has an account.
ACCOUNT_ADAPTER = "ccpl.accounts.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "CCPL: "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
    "signup": "20/m/ip",
}
ACCOUNT_FORMS = {
    "login": "ccpl.accounts.LoginForm",
    "reset_password": "ccpl.accounts.ResetPasswordForm",
    "reset_password_from_key": "ccpl.accounts.ResetPasswordKeyForm",
    "change_password": "ccpl.accounts.ChangePasswordForm",
    "reauthenticate": "ccpl.accounts.ReauthenticateForm",
}
MFA_FORMS = {
    "authenticate": "ccpl.accounts.AuthenticateForm",
    "reauthenticate": "ccpl.accounts.AuthenticateForm",
    "activate_totp": "ccpl.accounts.ActivateTOTPForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CCPL"
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
PASSWORD_RESET_TIMEOUT = 7 * 24 * 60 * 60  # invitation links last a week
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

# --- The REST API (api/, README § API) --------------------------------------------------------
# Personal access tokens or the browser's session; every endpoint scoped by the same QuerySets as
# the pages; cursor pagination; rates per signed-in user and per anonymous address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.SignedInWithScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CCPL register API",
    "DESCRIPTION": "The register of clinical and care professional leadership posts, people, "
                   "appointments and extensions. Every endpoint answers with what the token's "
                   "user may see on the pages, no more. Authenticate with a personal access "
                   "token from your account page: `Authorization: Bearer ccpl_pat_…`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SystemKindEnum": "roles.models.System.Kind",
        "OrganisationKindEnum": "roles.models.Organisation.Kind",
        "BodyKindEnum": "governance.models.Body.Kind",
        "HowAgreedEnum": ["request", "outside", "override"],
        "HowEndedEnum": [("end", "Ended early"), ("cease", "Ceased")],
    },
    # Served from this server (drf-spectacular-sidecar), so the strict CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# --- Operations: probes, metrics, logs, error reporting (README § Operations) ----------------
# /healthz, /readyz and /metrics answer plain HTTP from inside the cluster (ccpl/health.py).
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]
if not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A database that does not answer fails a request (and /readyz) in seconds, not after the
    # minutes TCP takes to give up.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
# Where tasks go to a worker, /readyz also waits for one to answer a ping, unless this is off:
# then a worker outage leaves the web ready (e-mails wait in the ledger) and only the worker's
# own health check shows it.
READYZ_REQUIRE_WORKER = env.bool("READYZ_REQUIRE_WORKER", default=True)
# /metrics answers only to "Authorization: Bearer <METRICS_TOKEN>"; unset, it is not there (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 24 characters long.")
# PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself; see ccpl/metrics.py) adds up the
# metrics of every gunicorn worker and Celery process that shares the directory.

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ccpl.observability.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s "
                           "[request=%(request_id)s task=%(task_id)s] %(message)s"},
        "json": {"()": "ccpl.observability.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # One line per request (method, URL name, status, time, request id, user id).
    "loggers": {"ccpl.requests": {"level": "INFO"}},
}

# Errors to Sentry (or a Sentry-compatible service) when SENTRY_DSN is set; nothing is imported
# otherwise. No personal data leaves: no user details, request bodies or local variables.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        environment="debug" if DEBUG else "production",
    )

# --- Single sign-on (OpenID Connect) ---------------------------------------------------------
# Providers from the environment (ccpl/oidc.py; none = passwords only). Only invited accounts
# sign in, matched by a verified e-mail address, and staff still need a second factor
# (ccpl/sso.py). PKCE on every provider; no tokens kept; no sign-up through a provider.
OIDC_APPS = oidc.providers_from_environment()
SOCIALACCOUNT_ADAPTER = "ccpl.sso.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": OIDC_APPS}}
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ONLY = False
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += oidc.form_action_sources(OIDC_APPS)
