"""Django settings for Vernissage.

Every value that differs between machines comes from the environment through
config.env (documented in docs/configuration.md); everything here is the same
everywhere.
"""

from datetime import timedelta

from csp.constants import NONE, SELF
from kombu import Queue

from config.env import BASE_DIR, read_config

CONFIG = read_config()

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins
VAR_DIR = CONFIG.var_dir
DEMO_PASSWORD = CONFIG.demo_password
# Each app adds its demo data after the accounts app's: called with the demo cohort.
DEMO_SEED_STEPS = [
    "generations.demo.demo_seed_credits",
    "reviews.demo.demo_seed_reviews",
    "feedback.demo.demo_seed_feedback",
]

INSTALLED_APPS = [
    "config.apps.VernissageAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "generations",
    "reviews",
    "feedback",
    "privacy",
]

MIDDLEWARE = [
    "config.health.ProbeMiddleware",  # /healthz and /readyz, before the Host check (kubelets send the pod IP)
    "config.logging.RequestIdMiddleware",  # every log line of a request carries its id
    "accounts.middleware.ForwardedHeadersMiddleware",  # nothing after this may read an unbelieved header
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.http.SharedCacheMiddleware",  # public gallery media without the session's Vary: Cookie
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SuspendedAccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.navigation",
            ],
            "builtins": ["core.templatetags.ui"],  # {% icon %} and {% badge %} on every page
        },
    },
]

# --- Data -------------------------------------------------------------------
DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = CONFIG.redis_url
if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "vernissage",
        }
    }
else:
    # The database cache is shared by the web server and the workers, which the
    # rate limits of later issues need; a per-process memory cache would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "vernissage_cache",
        }
    }

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"  # asks for a display name (never the address)
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # allauth counts these in the default cache, shared by every web process.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Sign-up is by invitation only (the accounts issue); open sign-up stays off.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Vernissage"

# --- Email ------------------------------------------------------------------
DEFAULT_FROM_EMAIL = CONFIG.default_from_email
SERVER_EMAIL = CONFIG.default_from_email
if CONFIG.email_url and not CONFIG.email_url.startswith("console://"):
    import dj_email_url

    _email = dj_email_url.parse(CONFIG.email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = CONFIG.static_root
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = CONFIG.media_root
# Media is private: it is served by permission-checked views, so MEDIA_URL stays unset.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Clips and posters: outside any URL space; served only by permission-checked or signed views.
    "private": CONFIG.private_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads: a whole multipart body (attachments are at most 20 MB each) is capped while it is read, files
# included, before anything is spooled past the cap (core/upload_limits.py; docs/deploy.md for the proxy).
UPLOAD_MAX_REQUEST_BYTES = 21 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "core.upload_limits.RequestBodyCap",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Without collectstatic (make run), WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ---------------------------------------------------------------
SECURE_SSL_REDIRECT = CONFIG.secure_ssl_redirect
SECURE_HSTS_SECONDS = CONFIG.secure_hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.secure_hsts_seconds > 0
SECURE_HSTS_PRELOAD = CONFIG.secure_hsts_seconds > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if CONFIG.trusted_proxies else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = CONFIG.session_cookie_secure
CSRF_COOKIE_SECURE = CONFIG.session_cookie_secure
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own scripts, styles and media only; no inline script or
# style anywhere (htmx's indicator style is in site.css), no eval, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # allauth draws the authenticator's QR code as a data: image
        "media-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
TRUSTED_PROXIES = CONFIG.trusted_proxies
# API tokens: lifetime and rate limits (leak thresholds are per cohort, on the Cohort row).
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
API_RATE_PER_TOKEN_PER_MINUTE = CONFIG.api_rate_per_token
API_RATE_PER_USER_PER_MINUTE = CONFIG.api_rate_per_user
API_REVOKE_EXPOSED_PER_IP_PER_MINUTE = 10
API_PUBLIC_READS_PER_IP_PER_MINUTE = 300  # the gallery API, without sign-in
INVITATION_DAYS = 14

# Generations (docs/generations.md).
GENERATION_BASE_CREDITS = 1
GENERATION_CREDITS_PER_MP_SECOND_STEP = 5
GENERATION_LEASE_SECONDS = CONFIG.generation_lease_seconds  # renewed while rendering; expiry means the worker is gone
# On SIGTERM a worker lets its running job go on this long, then stops it at a step boundary and hands it back.
GENERATION_SHUTDOWN_GRACE_SECONDS = CONFIG.generation_shutdown_grace_seconds
GENERATION_MAX_ATTEMPTS = 3
GENERATION_TIME_LIMIT_SECONDS = 3600  # the longest one job (or batch) may run on a worker
GENERATION_PROMPT_MAX_LENGTH = 2000
MEDIA_URL_MAX_AGE_SECONDS = 3600

# The platform's public address, for links made outside a request (webhook payloads).
SITE_URL = CONFIG.site_url
# Webhooks (generations/webhooks.py): HTTPS to public addresses only; plain HTTP to this machine only
# when a developer says so.
WEBHOOKS_ALLOW_LOOPBACK = CONFIG.webhooks_allow_loopback
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_RETRY_BASE_SECONDS = 30  # then doubling, at most WEBHOOK_RETRY_MAX_DELAY_SECONDS apart
WEBHOOK_RETRY_MAX_DELAY_SECONDS = 3600
WEBHOOK_RETRY_FOR_HOURS = 24
WEBHOOK_PREVIOUS_SECRET_HOURS = 24  # a rotated-out secret signs beside the new one this long
# Where the program's moderation decisions apply, for statements of reasons (DSA Art. 17; the EU
# Transparency Database's territorial_scope): the European Economic Area.
DSA_TERRITORIAL_SCOPE = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
    "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

# The version named in published clips' provenance and Content Credentials (pyproject.toml's).
PLATFORM_VERSION = "0.1.0"
# Content Credentials signer (reviews.credentials): generated here on first use, or an operator's own.
C2PA_DIR = CONFIG.c2pa_dir
METRICS_TOKEN = CONFIG.metrics_token
# /healthz and /readyz answer plain-HTTP probes even with the redirect on: ProbeMiddleware runs first.

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.ApiRateThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "accounts.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vernissage API",
    "DESCRIPTION": "Artist early-access program for a generative video model.",
    "VERSION": "1.0.0",
    # 3.1: a nullable object is oneOf [its schema, null], which strict validators read as meant (3.0's
    # "nullable" beside a $ref is ignored by them).
    "OAS_VERSION": "3.1.0",
    # Where a generated client sends its requests: this site's public address.
    "SERVERS": [{"url": SITE_URL, "description": "This Vernissage site"}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.openapi.tell_the_truth",
        "config.openapi.describe_media",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema documents JSON bodies; forms are accepted too, but JSON can say null and nest.
    "PARSER_WHITELIST": ["core.parsers.JSONParser"],
    # Separate request and response components: what a client may send is described on its own.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" or "state": each enum gets its model's name.
    "ENUM_NAME_OVERRIDES": {
        "GenerationStatusEnum": "generations.models.Generation.Status",
        "PublicationRequestStateEnum": "reviews.models.PublicationRequest.State",
        "ReportStateEnum": "feedback.models.Report.State",
        "ReportKindEnum": "feedback.models.Report.Kind",
        "SeverityEnum": "feedback.models.SEVERITY_CHOICES",
        "GenerationModeEnum": "inference.presets.MODES",
    },
}

# --- Celery -----------------------------------------------------------------
# No result backend: the state of every job lives on our own models.
CELERY_BROKER_URL = CONFIG.celery_broker_url
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders below are the broker; a host name means nothing to it, but kombu warns on every
    # connection without one ("No hostname was supplied"), so it is named.
    if CELERY_BROKER_URL in ("filesystem://", "filesystem:///"):
        CELERY_BROKER_URL = "filesystem://localhost/"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT = "config.broker:AtomicFilesystemTransport"  # whole messages only (config/broker.py)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # Short polls keep the embedded broker responsive at the cost of a little CPU.
        "polling_interval": 0.1,
    }
    # kombu expects the folders to exist; every process (web, worker, beat) may be first.
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # The database lease decides redelivery of generation jobs, so the broker
        # must never redeliver a message while its job may still be running.
        "visibility_timeout": int(timedelta(hours=2).total_seconds()),
        # Fail fast when Redis is unreachable instead of hanging a request or probe.
        "socket_connect_timeout": 5,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: a GPU worker must not hold jobs it cannot start.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("gpu")]
# gpu: generation jobs, one process per GPU. signing: C2PA signing of published clips (CPU, seconds to
# minutes per clip), never on a GPU worker. exports: artists' data exports (disk and CPU, minutes for
# hundreds of clips). default: everything else (email, webhooks, sweeps).
CELERY_TASK_ROUTES = {
    "generations.gpu.*": {"queue": "gpu"},
    "reviews.sign_publication": {"queue": "signing"},
    "privacy.build_export": {"queue": "exports"},
}
# Every queue a deployment's workers must consume (/metrics and /staff/health/ report each, 0 when none does).
WORKER_QUEUES = ("default", "gpu", "signing", "exports")
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_WORKER_SEND_TASK_EVENTS = False
# Connections live as in a request (CONN_MAX_AGE, health checks; see config/celery.py); Celery's own
# close around every task would then run only once in this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    "accounts.clear_expired_sessions": {"task": "accounts.clear_expired_sessions", "schedule": timedelta(hours=6)},
    # The outbox: emails whose message was lost or whose attempt the mail server refused.
    "accounts.send_due_emails": {"task": "accounts.send_due_emails", "schedule": timedelta(minutes=1)},
    # A killed worker's job is queued again within a lease (30 s) plus this interval (soak: bench/soak.py).
    "generations.requeue_expired": {"task": "generations.requeue_expired", "schedule": timedelta(seconds=10)},
    # No queued job depends on one wake-up message: while runnable jobs wait, a worker is woken.
    "generations.wake_workers": {"task": "generations.wake_workers", "schedule": timedelta(seconds=30)},
    "generations.refill_credits": {"task": "generations.refill_credits", "schedule": timedelta(minutes=15)},
    "reviews.flag_overdue": {"task": "reviews.flag_overdue", "schedule": timedelta(minutes=5)},
    # Checked hourly; each reviewer gets at most one digest a day.
    "reviews.send_digests": {"task": "reviews.send_digests", "schedule": timedelta(hours=1)},
    # Decisions held for the review desk's undo window: sent a second after it; this catches a lost message.
    "reviews.release_decisions": {"task": "reviews.release_decisions", "schedule": timedelta(seconds=30)},
    "reviews.sign_publications": {"task": "reviews.sign_publications", "schedule": timedelta(minutes=1)},
    # A webhook retry whose message was lost still goes out (the row says when it is due).
    "generations.deliver_due_webhooks": {"task": "generations.deliver_due_webhooks", "schedule": timedelta(minutes=1)},
    "feedback.flag_overdue_disputes": {"task": "feedback.flag_overdue_disputes", "schedule": timedelta(minutes=15)},
    # Expired export archives removed; an export a dead worker or a lost message left is queued again.
    "privacy.sweep_exports": {"task": "privacy.sweep_exports", "schedule": timedelta(minutes=5)},
    "privacy.erase_due": {"task": "privacy.erase_due", "schedule": timedelta(minutes=5)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Workers log through LOGGING below (plain or JSON lines with the task's id), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A lost broker connection does not stop a running render (config/celery.py says why).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonLines"},  # LOG_FORMAT=json: one object per line, with ids
    },
    "filters": {
        "client_errors_without_traceback": {"()": "config.logging.ClientErrorsWithoutTraceback"},
        "context_ids": {"()": "config.logging.ContextIds"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CONFIG.log_format,
            "filters": ["client_errors_without_traceback", "context_ids"],
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
