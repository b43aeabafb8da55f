"""Test settings: the production settings with a throw-away data directory.

Everything else (database engine, Redis) still comes from the environment, so the same
suite runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...).
"""

import atexit
import os
import shutil
import tempfile

if "SERVICELOOP_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="serviceloop-test-")
    os.environ["SERVICELOOP_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("SERVICELOOP_DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("HUEY_IMMEDIATE", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from serviceloop.settings import *  # noqa: E402,F403
from serviceloop.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
AXES_FAILURE_LIMIT = 3
