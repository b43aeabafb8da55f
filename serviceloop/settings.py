"""ServiceLoop settings: read from environment variables only.

The embedded default needs no variable at all except SERVICELOOP_DEBUG=1 for a
local trial: SQLite in the data directory, Huey on SQLite, mail to the console.
A production start (DEBUG off) refuses to run without SECRET_KEY.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent

env = environ.Env()

DEBUG = env.bool("SERVICELOOP_DEBUG", default=False)

DATA_DIR = Path(env.str("SERVICELOOP_DATA_DIR", default="./.serviceloop")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A key kept in the data directory, so sessions survive restarts in development."""
    key_file = DATA_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. A production start (SERVICELOOP_DEBUG off) needs a "
            "SECRET_KEY environment variable: a long random string kept out of the repository, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))". '
            "For a local trial set SERVICELOOP_DEBUG=1 instead."
        )
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SERVICELOOP_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "serviceloop.core",
    "serviceloop.portfolio",
    "serviceloop.desk",
    "serviceloop.relationship",
    "serviceloop.transition",
    "serviceloop.demand",
    "serviceloop.assurance",
    "serviceloop.support",
    "serviceloop.planning",
    "serviceloop.conformity",
    "serviceloop.evaluation",
    "serviceloop.improvement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "serviceloop.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "serviceloop.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "serviceloop.core.middleware.ModuleGateMiddleware",  # pages of modules switched off: 404
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "serviceloop.urls"
WSGI_APPLICATION = "serviceloop.wsgi.application"

FORM_RENDERER = "serviceloop.core.form_renderer.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "serviceloop.core.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'serviceloop.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the queue writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue up instead of failing half-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env.str("SERVICELOOP_TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("SERVICELOOP_TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background jobs (Huey) -----------------------------------------------------------------
HUEY = {
    "name": "serviceloop",
    "immediate": env.bool("HUEY_IMMEDIATE", default=False),
    "utc": False,  # crontab(hour=9) means 09:00 in TIME_ZONE
    "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")}

# --- Authentication and security ------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("SERVICELOOP_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if env.str("S3_BUCKET", default=""):
    # S3-compatible storage for attachments (install the "s3" extra: django-storages + boto3).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
# A resolved ticket may be reopened by its requester for this many days.
DESK_REOPEN_DAYS = env.int("DESK_REOPEN_DAYS", default=14)
# Recurring-incident detection: this many similar incidents within this many days.
DESK_RECURRENCE_DAYS = env.int("DESK_RECURRENCE_DAYS", default=30)
DESK_RECURRENCE_THRESHOLD = env.int("DESK_RECURRENCE_THRESHOLD", default=5)
# Service assurance (8.7). SECURITY_TEAM names the provider team whose members see confidential
# security incidents (and their tickets); SECURITY_NOTIFY_HOURS after detection, a breach of
# personal data must be notified to the regulator; AVAILABILITY_PLANNED_AS_DOWNTIME counts even
# announced planned maintenance as downtime (default: announced maintenance is excluded).
SECURITY_TEAM = env.str("SECURITY_TEAM", default="信息安全 Information Security")
SECURITY_NOTIFY_HOURS = env.int("SECURITY_NOTIFY_HOURS", default=72)
AVAILABILITY_PLANNED_AS_DOWNTIME = env.bool("AVAILABILITY_PLANNED_AS_DOWNTIME", default=False)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ServiceLoop <serviceloop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
# Key for the HMAC-SHA256 signature of outbound webhooks (X-ServiceLoop-Signature).
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default="")
# Service desk e-mail (docs/email.md): the mailbox customers write to (our notifications'
# Reply-To), polled over IMAP, e.g. imaps://desk%40example.com:pw@host:993/INBOX.
DESK_MAILBOX = env.str("DESK_MAILBOX", default="")
IMAP_URL = env.str("IMAP_URL", default="")
IMAP_DELETE = env.bool("IMAP_DELETE", default=False)  # delete processed mail (else mark it read)
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=30)  # seconds per IMAP command
MAIL_POLL_MINUTES = env.int("MAIL_POLL_MINUTES", default=1)
# Mail from an address no active person has: "reject" (recorded, nothing sent) or "create"
# (a ticket for a new, unverified contact of the organisation whose e-mail domain matches, or
# of MAIL_UNKNOWN_SENDERS_ORGANISATION, given by short name or name).
MAIL_UNKNOWN_SENDERS = env.str("MAIL_UNKNOWN_SENDERS", default="reject")
MAIL_UNKNOWN_SENDERS_ORGANISATION = env.str("MAIL_UNKNOWN_SENDERS_ORGANISATION", default="")
if MAIL_UNKNOWN_SENDERS not in ("reject", "create"):
    raise ImproperlyConfigured(
        f"MAIL_UNKNOWN_SENDERS must be 'reject' or 'create', not {MAIL_UNKNOWN_SENDERS!r}."
    )
if not 1 <= MAIL_POLL_MINUTES <= 59:
    raise ImproperlyConfigured("MAIL_POLL_MINUTES must be between 1 and 59.")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "serviceloop.core.pagination.NewestFirstCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "serviceloop.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ServiceLoop API",
    "DESCRIPTION": "Service management for ISO/IEC 20000-1.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own origin: no CDN, strict CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per choice set where several serializers share it.
    "ENUM_NAME_OVERRIDES": {
        "ProblemStatusEnum": "serviceloop.desk.models.problems.ProblemStatus.choices",
        "AgreementKindEnum": "serviceloop.relationship.models.agreements.AgreementKind.choices",
        "AgreementVersionStatusEnum": "serviceloop.relationship.models.agreements.VersionStatus.choices",
        "ReviewActionStatusEnum": "serviceloop.relationship.models.customers.ActionStatus.choices",
        "SurveyStatusEnum": "serviceloop.relationship.models.customers_surveys.SurveyStatus.choices",
        "ImprovementSourceEnum": "serviceloop.improvement.models.improvements.ImprovementSource.choices",
        "ImprovementPriorityEnum": "serviceloop.improvement.models.improvements.ImprovementPriority.choices",
        "ImprovementStatusEnum": "serviceloop.improvement.models.improvements.ImprovementStatus.choices",
        "NonconformitySourceEnum": "serviceloop.improvement.models.nonconformities.NcSource.choices",
        "NonconformityStatusEnum": "serviceloop.improvement.models.nonconformities.NcStatus.choices",
        "CorrectiveActionStatusEnum": "serviceloop.improvement.models.nonconformities.ActionStatus.choices",
        "ProposalStatusEnum": "serviceloop.improvement.models.signals.ProposalState.choices",
        "AuditProgrammeStatusEnum": "serviceloop.evaluation.models.audits.ProgrammeStatus.choices",
        "InternalAuditStatusEnum": "serviceloop.evaluation.models.audits.AuditStatus.choices",
        "AuditFindingStatusEnum": "serviceloop.evaluation.models.audits.FindingStatus.choices",
        "ServiceReportStatusEnum": "serviceloop.evaluation.models.reports.ReportStatus.choices",
        "ManagementReviewStatusEnum": "serviceloop.evaluation.models.reviews.ReviewStatus.choices",
        "ManagementReviewActionStatusEnum": "serviceloop.evaluation.models.reviews.ActionStatus.choices",
        "LanguageEnum": "serviceloop.settings.LANGUAGES",
        "TicketSourceEnum": "serviceloop.desk.models.tickets.Source.choices",
        "TicketPriorityEnum": "serviceloop.desk.models.config.Priority.choices",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "jieba": {"level": "WARNING"}},
}
