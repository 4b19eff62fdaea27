"""Settings of the NetBox stand-in.

Only what a session-guarding gateway can observe is mirrored from NetBox 4.x
(netbox/netbox/settings.py): URL layout under BASE_PATH, session and CSRF
cookies, the middleware order, remote-user authentication and the REST
framework defaults. Configuration comes from environment variables that carry
NetBox's configuration names.

This module must not import django.contrib.auth models (AppRegistryNotReady);
everything with behaviour lives in the other modules.
"""
import os
import tempfile

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_TRUE = {'1', 'true', 'yes', 'on'}


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == '':
        return default
    return value.strip().lower() in _TRUE


def env_str(name, default):
    value = os.environ.get(name)
    return default if value is None else value


def env_list(name, separator=','):
    value = os.environ.get(name, '')
    return [item.strip() for item in value.split(separator) if item.strip()]


#
# NetBox configuration parameters (configuration.py names)
#

# NetBox: BASE_PATH = BASE_PATH.strip('/'); if BASE_PATH: BASE_PATH = f'{BASE_PATH}/'
BASE_PATH = env_str('BASE_PATH', '').strip('/')
if BASE_PATH:
    BASE_PATH = f'{BASE_PATH}/'

# NetBox: LOGIN_REQUIRED defaults to True (since 4.0.2). Views and API honour it.
LOGIN_REQUIRED = env_bool('LOGIN_REQUIRED', True)

# NetBox: LOGIN_TIMEOUT sets SESSION_COOKIE_AGE when given; Django's default is 14 days.
LOGIN_TIMEOUT = int(os.environ['LOGIN_TIMEOUT']) if os.environ.get('LOGIN_TIMEOUT') else None
# NetBox: SESSION_SAVE_EVERY_REQUEST = bool(LOGIN_PERSISTENCE) (sliding expiry).
LOGIN_PERSISTENCE = env_bool('LOGIN_PERSISTENCE', False)

REMOTE_AUTH_ENABLED = env_bool('REMOTE_AUTH_ENABLED', False)
REMOTE_AUTH_HEADER = env_str('REMOTE_AUTH_HEADER', 'HTTP_REMOTE_USER')
REMOTE_AUTH_USER_FIRST_NAME = env_str('REMOTE_AUTH_USER_FIRST_NAME', 'HTTP_REMOTE_USER_FIRST_NAME')
REMOTE_AUTH_USER_LAST_NAME = env_str('REMOTE_AUTH_USER_LAST_NAME', 'HTTP_REMOTE_USER_LAST_NAME')
REMOTE_AUTH_USER_EMAIL = env_str('REMOTE_AUTH_USER_EMAIL', 'HTTP_REMOTE_USER_EMAIL')
REMOTE_AUTH_AUTO_CREATE_USER = env_bool('REMOTE_AUTH_AUTO_CREATE_USER', False)
REMOTE_AUTH_AUTO_CREATE_GROUPS = env_bool('REMOTE_AUTH_AUTO_CREATE_GROUPS', False)
REMOTE_AUTH_GROUP_SYNC_ENABLED = env_bool('REMOTE_AUTH_GROUP_SYNC_ENABLED', False)
REMOTE_AUTH_GROUP_HEADER = env_str('REMOTE_AUTH_GROUP_HEADER', 'HTTP_REMOTE_USER_GROUP')
REMOTE_AUTH_GROUP_SEPARATOR = env_str('REMOTE_AUTH_GROUP_SEPARATOR', '|')
# NetBox takes lists; here they are comma-separated.
REMOTE_AUTH_DEFAULT_GROUPS = env_list('REMOTE_AUTH_DEFAULT_GROUPS')
# NetBox takes {'app_label.codename': constraints}; here a comma-separated list of names.
REMOTE_AUTH_DEFAULT_PERMISSIONS = env_list('REMOTE_AUTH_DEFAULT_PERMISSIONS')
REMOTE_AUTH_SUPERUSER_GROUPS = env_list('REMOTE_AUTH_SUPERUSER_GROUPS')
REMOTE_AUTH_SUPERUSERS = env_list('REMOTE_AUTH_SUPERUSERS')

# NetBox's PAGINATE_COUNT and MAX_PAGE_SIZE defaults.
PAGINATE_COUNT = 50
MAX_PAGE_SIZE = 1000

#
# Test-only knobs (not NetBox settings), part 1: which NetBox the stand-in is
#

# STANDIN_NETBOX_VERSION: '4' (default) answers like NetBox 4.x: views enforce login (CSRF
# first), pages embed window.CSRF_TOKEN and the csrftoken cookie is HttpOnly. '3' answers like
# NetBox 3.1 (netbox.md §12): LoginRequiredMiddleware answers anonymous requests with the login
# redirect before CSRF runs, pages have no window.CSRF_TOKEN but a navigation menu of 120 KB+
# before the first form token, and scripts read the token from the (readable) csrftoken cookie.
STANDIN_NETBOX_VERSION = env_str('STANDIN_NETBOX_VERSION', '4').strip().split('.')[0] or '4'
if STANDIN_NETBOX_VERSION not in ('3', '4'):
    raise ValueError(f'STANDIN_NETBOX_VERSION: {STANDIN_NETBOX_VERSION!r} is neither 3 nor 4')
NETBOX3 = STANDIN_NETBOX_VERSION == '3'
# STANDIN_GUNICORN: Django does not serve /static/, as NetBox under gunicorn (nginx or Apache
# serve STATIC_ROOT): the URL is unknown to Django (logged in a 404 page; on 3.x anonymous
# requests get the login redirect).
STANDIN_SERVE_STATIC = not env_bool('STANDIN_GUNICORN', False)
# STANDIN_STATIC_ROOT: a directory the stand-in fills with its static files before serving
# (what `manage.py collectstatic` does for NetBox's STATIC_ROOT).
STANDIN_STATIC_ROOT = os.environ.get('STANDIN_STATIC_ROOT', '')
# STANDIN_KEEPALIVE: seconds an idle keep-alive connection stays open (gunicorn --keep-alive);
# 0 or unset keeps it open until the client closes it.
STANDIN_KEEPALIVE = float(os.environ.get('STANDIN_KEEPALIVE') or 0)
# STANDIN_WORKERS: processes serving the one listening socket, as gunicorn's --workers (NetBox's
# contrib/gunicorn.py runs 5) lets several requests run Python at once. 1 (the default) is one
# threaded process. With more, each worker serves one request at a time and closes the
# connection after it (gunicorn's sync worker; STANDIN_KEEPALIVE does not apply), request
# counts are shared, and injected faults are refused: they live in one process
# (standin/faults.py). The database keeps SQLite's rollback journal; writers queue for its lock
# (standin/sqlite, and the 30 s timeout below).
try:
    STANDIN_WORKERS = int(os.environ.get('STANDIN_WORKERS') or 1)
except ValueError:
    raise ValueError(f"STANDIN_WORKERS: {os.environ['STANDIN_WORKERS']!r} is not a number of processes")
if not 1 <= STANDIN_WORKERS <= 16:
    raise ValueError(f'STANDIN_WORKERS: {STANDIN_WORKERS} is not between 1 and 16')

# Version strings a client may look at (the Hedgehog plugin targets NetBox 4.3).
NETBOX_VERSION = '3.1.11' if NETBOX3 else '4.3.0'
REST_FRAMEWORK_VERSION = '3.1' if NETBOX3 else '4.3'

#
# Test-only knobs (not NetBox settings)
#

# Enables the /-/standin/ control endpoints; requests must carry this value in X-Standin-Control.
STANDIN_CONTROL_TOKEN = os.environ.get('STANDIN_CONTROL_TOKEN', '')
# Seeds admin/admin and demo-fabric on start.
STANDIN_DEMO = env_bool('STANDIN_DEMO', False)
# Logs every request to stderr (otherwise only server errors).
STANDIN_VERBOSE = env_bool('STANDIN_VERBOSE', False)
# Validates the CRD models' `spec` as if the plugin declared it blank=True (its one-line fix for
# empty specs such as every SwitchGroup's); the database schema is the same either way.
STANDIN_SPEC_BLANK_OK = env_bool('STANDIN_SPEC_BLANK_OK', False)

#
# Django settings
#

SECRET_KEY = os.environ.get('STANDIN_SECRET_KEY') or 'hhgate-netbox-standin-insecure-test-key-0123456789abcdef'
DEBUG = False
ALLOWED_HOSTS = ['*']

INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'rest_framework',
    'rest_framework.authtoken',
    'standin',
    'netbox_hedgehog',
    'extras',
]

# Same order as NetBox's MIDDLEWARE for the parts that matter to a gateway (CORS, locale,
# X-Frame-Options, security, htmx detection and maintenance mode are left out).
MIDDLEWARE = [
    # Stand-in only: counts plugin API requests and answers injected faults (see control.py).
    'standin.middleware.PluginAPIFaultMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'standin.middleware.RemoteUserMiddleware',
    'standin.middleware.CoreMiddleware',
]
if NETBOX3:
    # NetBox 3.x: netbox.middleware.LoginRequiredMiddleware right after RemoteUserMiddleware. It
    # answers in __call__, i.e. before CsrfViewMiddleware.process_view checks the token.
    MIDDLEWARE.insert(MIDDLEWARE.index('standin.middleware.RemoteUserMiddleware') + 1,
                      'standin.middleware.LoginRequiredMiddleware')

ROOT_URLCONF = 'standin.urls'

TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
                'standin.context_processors.settings_and_base_path',
            ],
        },
    },
]

WSGI_APPLICATION = 'standin.wsgi.application'

DATABASES = {
    'default': {
        # Django's SQLite backend, transactions begun IMMEDIATE (standin/sqlite/base.py).
        'ENGINE': 'standin.sqlite',
        'NAME': os.environ.get('STANDIN_DB') or os.path.join(tempfile.gettempdir(), 'hhgate-netbox-standin.sqlite3'),
        # Threaded server + sqlite: wait for locks instead of failing with "database is locked".
        'OPTIONS': {'timeout': 30},
    }
}
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

# NetBox: [REMOTE_AUTH_BACKEND, 'netbox.authentication.ObjectPermissionBackend'].
AUTHENTICATION_BACKENDS = [
    'standin.authentication.RemoteUserBackend',
    'django.contrib.auth.backends.ModelBackend',
]

# Short hashing: users are created per test.
PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']

USE_TZ = True
TIME_ZONE = 'UTC'
USE_I18N = False

# Cookies, as in NetBox settings.py.
CSRF_COOKIE_NAME = 'csrftoken'
# NetBox 4.x hard-codes HttpOnly (scripts use window.CSRF_TOKEN); NetBox 3.1 leaves Django's
# default (off), and its scripts read the cookie (project-static/src/util.ts getCsrfToken).
CSRF_COOKIE_HTTPONLY = not NETBOX3
CSRF_COOKIE_PATH = f'/{BASE_PATH.rstrip("/")}'
CSRF_TRUSTED_ORIGINS = env_list('CSRF_TRUSTED_ORIGINS')
SESSION_COOKIE_NAME = 'sessionid'
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH
SESSION_ENGINE = 'django.contrib.sessions.backends.db'
if LOGIN_TIMEOUT is not None:
    SESSION_COOKIE_AGE = LOGIN_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = bool(LOGIN_PERSISTENCE)

LOGIN_URL = f'/{BASE_PATH}login/'
LOGIN_REDIRECT_URL = f'/{BASE_PATH}'
LOGOUT_REDIRECT_URL = 'home'

STATIC_URL = f'/{BASE_PATH}static/'
# The stand-in's own static files (NetBox's project-static, much reduced), plus htmx.min.js.
STATIC_DIR = os.path.join(BASE_DIR, 'standin', 'static')
HTMX_JS_PATH = os.path.join(BASE_DIR, 'node_modules', 'htmx.org', 'dist', 'htmx.min.js')
# Tabler (@tabler/core), which NetBox 4's own stylesheet is built from.
TABLER_CSS_PATH = os.path.join(BASE_DIR, 'node_modules', '@tabler', 'core', 'dist', 'css', 'tabler.min.css')

# NetBox's REST_FRAMEWORK (session first, so failures are 403 without WWW-Authenticate).
REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': (
        'rest_framework.authentication.SessionAuthentication',
        'standin.authentication.TokenAuthentication',
    ),
    'DEFAULT_PERMISSION_CLASSES': (
        'standin.authentication.TokenPermissions',
    ),
    # NetBox >= 3.2 adds OrderingFilter (?ordering=, #8995) after DjangoFilterBackend, which filters
    # nothing on the plugin's viewsets (no filterset): 3.1, the NETBOX3 mode, has neither.
    'DEFAULT_FILTER_BACKENDS': () if NETBOX3 else ('rest_framework.filters.OrderingFilter',),
    'DEFAULT_PAGINATION_CLASS': 'standin.api.OptionalLimitOffsetPagination',
    'DEFAULT_RENDERER_CLASSES': (
        'rest_framework.renderers.JSONRenderer',
        'rest_framework.renderers.BrowsableAPIRenderer',
    ),
    'DEFAULT_PARSER_CLASSES': (
        'rest_framework.parsers.JSONParser',
        'rest_framework.parsers.MultiPartParser',
    ),
    'PAGE_SIZE': PAGINATE_COUNT,
    'UNAUTHENTICATED_USER': 'django.contrib.auth.models.AnonymousUser',
}

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {
        'stderr': {'class': 'logging.StreamHandler'},
    },
    'loggers': {
        # runserver's access log: 4xx/5xx are WARNING/ERROR; keep quiet unless asked.
        'django.server': {'handlers': ['stderr'], 'level': 'INFO' if STANDIN_VERBOSE else 'ERROR', 'propagate': False},
        'django.request': {'handlers': ['stderr'], 'level': 'ERROR', 'propagate': False},
        'django.security.csrf': {'handlers': ['stderr'], 'level': 'INFO' if STANDIN_VERBOSE else 'ERROR',
                                 'propagate': False},
        'netbox': {'handlers': ['stderr'], 'level': 'INFO' if STANDIN_VERBOSE else 'WARNING', 'propagate': False},
    },
}
