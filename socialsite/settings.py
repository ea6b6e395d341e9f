"""Settings for socialsite, read from the environment (see README for the variables)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# DJANGO_DEBUG=1 is local development (make run): a throwaway key, static files from the source
# folders, no TLS. Django's own DEBUG, whose pages show tracebacks and settings instead of the site's
# 404/403/500 pages, is on only when DJANGO_DEBUG_PAGES=1 asks for it too.
DEVELOPMENT = env.bool("DJANGO_DEBUG", default=False)
DEBUG = DEVELOPMENT and env.bool("DJANGO_DEBUG_PAGES", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEVELOPMENT:
        # A guessable key in production would let anyone forge sessions and tokens.
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 - only ever in development

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "photos",
    "recognition",
    # Last, as its docs ask: every file dies with its row (deleted or replaced), once committed.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "socialsite.urls"
WSGI_APPLICATION = "socialsite.wsgi.application"

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
                "photos.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "photos.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Uploads as sent, kept only until a worker has made the photo's copies: outside MEDIA_ROOT, so
# the media view (which serves MEDIA_ROOT alone) can never reach one, whatever path it is asked.
ORIGINALS_ROOT = Path(env.str("ORIGINALS_ROOT", default=str(VAR_DIR / "originals")))
# "Download my data" zips: never under MEDIA_ROOT, served only to their owner through a checked view.
EXPORTS_ROOT = Path(env.str("EXPORTS_ROOT", default=str(VAR_DIR / "exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "originals": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": ORIGINALS_ROOT}},
    "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": EXPORTS_ROOT}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEVELOPMENT
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development WhiteNoise serves the source folders, fresh at each request, so the dev server
# needs no collectstatic whether or not DEBUG is on.
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEVELOPMENT
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not env.str("AWS_STORAGE_BUCKET_NAME", default=""))
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    # Object storage (S3, MinIO, ...) for media when several machines share it.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    # Originals in their own bucket (or the media bucket's private prefix): no URL is ever made for one.
    STORAGES["originals"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ORIGINALS_BUCKET_NAME", default=env.str("AWS_STORAGE_BUCKET_NAME")),
            "location": env.str("ORIGINALS_PREFIX", default="private-originals"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    STORAGES["exports"] = STORAGES["originals"] | {
        "OPTIONS": STORAGES["originals"]["OPTIONS"] | {"location": env.str("EXPORTS_PREFIX", default="private-exports")}
    }

# Content-Security-Policy (django-csp): scripts and styles come only from this site's own files,
# never inline, so injected markup cannot run. Media may come from object storage; the photo page
# draws heat maps from data:/blob: URLs. The API docs load their setup script as a file too
# (SpectacularSwaggerSplitView).
# Behind nginx (docker-compose.yml, socialsite/nginx.conf.template): the media view checks who may
# see a file and answers with this internal location for nginx to send it from, rather than the bytes.
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
if MEDIA_ACCEL_REDIRECT and not (MEDIA_ACCEL_REDIRECT.startswith("/") and MEDIA_ACCEL_REDIRECT.endswith("/")):
    raise ImproperlyConfigured("MEDIA_ACCEL_REDIRECT is an internal location like /_protected_media/")
MEDIA_ORIGINS = env.list("MEDIA_ORIGINS", default=[])
if not MEDIA_ORIGINS and env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    endpoint = urlsplit(env.str("AWS_S3_ENDPOINT_URL", default=""))
    MEDIA_ORIGINS = [
        f"{endpoint.scheme}://{endpoint.netloc}"
        if endpoint.netloc
        else f"https://{env.str('AWS_STORAGE_BUCKET_NAME')}.s3.amazonaws.com"
    ]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *MEDIA_ORIGINS],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploads: Django spools anything past this to a temp file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=25 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
# Decode cost, judged from the JPEG headers: a progressive decoder revisits the whole image in
# every scan. libjpeg-turbo's own tools stop at 100 scans; a normal progressive JPEG has ~10.
PHOTO_MAX_JPEG_SCANS = env.int("PHOTO_MAX_JPEG_SCANS", default=100)
# Pixels x scans: 50 megapixels in 20 scans, about 0.3 s of scan work on this machine.
PHOTO_MAX_DECODE_WORK = env.int("PHOTO_MAX_DECODE_WORK", default=1_000_000_000)
# Wall-clock bound on one decode, checked between the blocks the decoder reads.
PHOTO_DECODE_SECONDS = env.float("PHOTO_DECODE_SECONDS", default=10.0)
# Avatars are shown small: a much lower pixel cap keeps a tiny file from taking a gigabyte.
# Keep an upload's original after its copies are made (never served; deleted with the photo).
PHOTO_KEEP_ORIGINALS = env.bool("PHOTO_KEEP_ORIGINALS", default=False)
# Bounds on one photo's processing in the worker (decode, copies, CNN); the hard limit kills the process.
PHOTO_PROCESS_SOFT_SECONDS = env.int("PHOTO_PROCESS_SOFT_SECONDS", default=60)
PHOTO_PROCESS_HARD_SECONDS = env.int("PHOTO_PROCESS_HARD_SECONDS", default=90)
# Once its photo is done, a processing task takes up to this many more photos still waiting for their
# first attempt and processes them as one batch (PostgreSQL only; 0 turns it off). Within the limits above.
PHOTO_PROCESS_DRAIN = env.int("PHOTO_PROCESS_DRAIN", default=7)
# Added to each Celery worker process's nice value: where web and worker share cores, the worker's
# decoding takes the CPU the site leaves, so uploads stay fast while a backlog is processed.
WORKER_NICENESS = env.int("WORKER_NICENESS", default=10)
AVATAR_MAX_PIXELS = env.int("AVATAR_MAX_PIXELS", default=4096 * 4096)

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

from socialsite.settings_celery import *  # noqa: E402, F403 - the Celery settings, their own module

# How long Explore keeps a person's ranking (a cleared history or the item model's next generation end it sooner).
EXPLORE_RANKING_SECONDS = env.int("EXPLORE_RANKING_SECONDS", default=120)
# How long the best matches of a several-word search are kept for everyone (each viewer's page is checked
# live; a new photo can take this long to join that search's pages).
SEARCH_CANDIDATES_SECONDS = env.int("SEARCH_CANDIDATES_SECONDS", default=60)

# How long a finished data export (and its download link) lasts.
DATA_EXPORT_HOURS = env.int("DATA_EXPORT_HOURS", default=48)

from socialsite.settings_recognition import *  # noqa: E402, F403 - the worker's models and detectors

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "photos.api_tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # orjson writes the same JSON as DRF's JSONRenderer, several times faster (photos.apis.renderers).
    "DEFAULT_RENDERER_CLASSES": [
        "photos.apis.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "photos.pagination.CursorPagination",
    "PAGE_SIZE": 24,  # photos.limits.PAGE_SIZE (settings import no app code)
    "DEFAULT_SCHEMA_CLASS": "photos.apis.schema.AutoSchema",
    "EXCEPTION_HANDLER": "photos.apis.errors.exception_handler",
    # Throttles (photos.throttles) use these, per client address or per account. Behind a reverse
    # proxy set DJANGO_NUM_PROXIES to how many there are: 0 trusts only the socket's address, and
    # any other value past the real count would let a client choose its address in X-Forwarded-For.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "register": env.str("THROTTLE_REGISTER", default="20/hour"),
        "login": env.str("THROTTLE_LOGIN", default="10/minute"),
        "upload": env.str("THROTTLE_UPLOAD", default="120/hour"),
        "comment": env.str("THROTTLE_COMMENT", default="20/minute"),
        "like": env.str("THROTTLE_LIKE", default="60/minute"),
        "follow": env.str("THROTTLE_FOLLOW", default="30/minute"),
        "explain": env.str("THROTTLE_EXPLAIN", default="30/hour"),
        "report": env.str("THROTTLE_REPORT", default="20/hour"),
        "export": env.str("THROTTLE_EXPORT", default="3/day"),
    },
}
# Email (password resets): the console in development, else SMTP from EMAIL_URL
# (smtp+tls://user:password@host:587) and the sender from DEFAULT_FROM_EMAIL.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEVELOPMENT else "smtp://localhost:25")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="socialsite <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# API tokens (django-rest-knox): a new one at each sign-in, stored hashed, refused once expired.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=720)),
    "AUTH_HEADER_PREFIX": "Token",  # clients keep sending `Authorization: Token <key>`
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "socialsite API",
    "DESCRIPTION": "Photo sharing where a CNN tags every upload.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Deep links put a link inside each operation's toggle button: a control inside a control, which
    # screen readers and keyboards cannot use (axe: nested-interactive). Operations keep their ids.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    # Several fields are called "status"; name each choice set once so clients get stable enums.
    "ENUM_NAME_OVERRIDES": {
        "PhotoStatusEnum": "photos.models.Photo.Status",
        "FollowStatusEnum": ["accepted", "pending"],
        "ExplanationStatusEnum": ["ready", "queued"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if REST_FRAMEWORK["NUM_PROXIES"] > 0:
    # Only a proxy in front may say the client used HTTPS: without one, any client could send the
    # header and be taken for secure. DJANGO_NUM_PROXIES > 0 is how the deployment says so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEVELOPMENT:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Similar photos (photos/similar/): the nearest-neighbour index built by beat from the embeddings in
# the database, memory-mapped by web processes. Below SIMILAR_INDEX_MIN_PHOTOS embeddings no index is
# built and queries scan the visible photos' embeddings exactly.
SIMILAR_INDEX_DIR = Path(env.str("SIMILAR_INDEX_DIR", default=str(VAR_DIR / "similar")))
SIMILAR_INDEX_MIN_PHOTOS = env.int("SIMILAR_INDEX_MIN_PHOTOS", default=1000)
SIMILAR_INDEX_DIMS = env.int("SIMILAR_INDEX_DIMS", default=128)

# Learned tags (photos/learned/): feedback on a learned tag retrains it this long after the last change.
LEARNED_TAG_RETRAIN_SECONDS = env.int("LEARNED_TAG_RETRAIN_SECONDS", default=60)
