"""Middleware mirroring netbox/netbox/middleware.py."""
import logging
import platform
import sys
import uuid
from urllib import parse

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import RemoteUserMiddleware as _RemoteUserMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from . import faults

logger = logging.getLogger('netbox.authentication.RemoteUserMiddleware')


class RemoteUserMiddleware(_RemoteUserMiddleware):
    """
    NetBox's RemoteUserMiddleware: a no-op unless REMOTE_AUTH_ENABLED.

    - Header missing: the existing session is kept (force_logout_if_no_header = False).
    - Header names the logged-in user: nothing happens (no profile/group re-sync).
    - Header names another user: _remove_invalid_user() logs out a remote-user session, and
      auth.login() flushes any other session.
    - No valid session: authenticate, copy first/last name and email from their headers,
      save, and auth.login(), which creates a new session and rotates the CSRF token on this
      very request.
    """
    force_logout_if_no_header = False

    @property
    def header(self):
        return settings.REMOTE_AUTH_HEADER

    def process_request(self, request):
        if not settings.REMOTE_AUTH_ENABLED:
            return
        if not hasattr(request, 'user'):
            raise ImproperlyConfigured(
                'The Django remote user auth middleware requires the authentication middleware to be installed.')
        try:
            username = request.META[self.header]
        except KeyError:
            if self.force_logout_if_no_header and request.user.is_authenticated:
                self._remove_invalid_user(request)
            return
        if request.user.is_authenticated:
            if request.user.get_username() == self.clean_username(username, request):
                return
            self._remove_invalid_user(request)

        if settings.REMOTE_AUTH_GROUP_SYNC_ENABLED:
            user = auth.authenticate(request, remote_user=username, remote_groups=self._get_groups(request))
        else:
            user = auth.authenticate(request, remote_user=username)
        if user:
            if settings.REMOTE_AUTH_USER_FIRST_NAME in request.META:
                user.first_name = request.META[settings.REMOTE_AUTH_USER_FIRST_NAME]
            if settings.REMOTE_AUTH_USER_LAST_NAME in request.META:
                user.last_name = request.META[settings.REMOTE_AUTH_USER_LAST_NAME]
            if settings.REMOTE_AUTH_USER_EMAIL in request.META:
                user.email = request.META[settings.REMOTE_AUTH_USER_EMAIL]
            user.save()
            request.user = user
            auth.login(request, user)
        else:
            logger.info(f'Remote user {username!r} was not authenticated')

    def _get_groups(self, request):
        groups_string = request.META.get(settings.REMOTE_AUTH_GROUP_HEADER, None)
        if groups_string:
            return groups_string.split(settings.REMOTE_AUTH_GROUP_SEPARATOR)
        return []


class LoginRequiredMiddleware:
    """
    NetBox 3.x's netbox.middleware.LoginRequiredMiddleware (only with STANDIN_NETBOX_VERSION=3):
    with LOGIN_REQUIRED, an anonymous request outside the exempt paths gets
    302 LOGIN_URL?next=<full path> right here, before CsrfViewMiddleware.process_view, so an
    anonymous POST without a CSRF token is sent to the login page, not refused.

    Exempt, as NetBox's EXEMPT_PATHS: <base>api/, graphql/, login/, oauth/, metrics; and the
    static URL while Django serves it (NetBox under gunicorn never sees static requests from a
    proxy that serves STATIC_ROOT; when it does see one, it redirects it like any page). The
    stand-in's control endpoints (outside BASE_PATH) are exempt too.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        base = f'/{settings.BASE_PATH}'
        exempt = [f'{base}api/', f'{base}graphql/', f'{base}login/', f'{base}oauth/', f'{base}metrics', '/-/standin/']
        if settings.STANDIN_SERVE_STATIC:
            exempt.append(settings.STATIC_URL)
        self.exempt = tuple(exempt)

    def __call__(self, request):
        if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
            if not request.path_info.startswith(self.exempt) and request.path_info != settings.LOGIN_URL:
                return HttpResponseRedirect(f'{settings.LOGIN_URL}?next={parse.quote(request.get_full_path_info())}')
        return self.get_response(request)


def is_api_request(request):
    """netbox/utilities/api.py: path_info starts with the API root."""
    return request.path_info.startswith(reverse('api-root'))


class CoreMiddleware:
    """
    NetBox's CoreMiddleware headers: X-Request-ID, `Vary: HX-Request` (NetBox assigns the
    header, overwriting any earlier value; SessionMiddleware, further out, may still append
    Cookie) and API-Version on API paths.

    Stand-in addition: X-Standin-User names the user Django saw for this request (empty for
    anonymous), so tests can tell which identity reached the backend.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = uuid.uuid4()
        response = self.get_response(request)
        response['X-Request-ID'] = str(request.id)
        response['Vary'] = 'HX-Request'
        if is_api_request(request):
            response['API-Version'] = settings.REST_FRAMEWORK_VERSION
        user = getattr(request, 'user', None)
        response['X-Standin-User'] = user.get_username() if user is not None and user.is_authenticated else ''
        return response

    def process_exception(self, request, exception):
        """NetBox answers an unhandled exception in an API request with rest_api_server_error():
        JSON {"error", "exception", "netbox_version", "python_version"} and status 500."""
        if settings.DEBUG or not is_api_request(request):
            return None
        type_, error, _ = sys.exc_info()
        return JsonResponse({
            'error': str(error),
            'exception': type_.__name__ if type_ else type(exception).__name__,
            'netbox_version': settings.NETBOX_VERSION,
            'python_version': platform.python_version(),
        }, status=500)


class PluginAPIFaultMiddleware:
    """
    Stand-in only (outermost): counts requests to the Hedgehog plugin API by method and answers
    faults injected through /-/standin/faults/ (status, JSON body, optional delay) before any
    NetBox code runs. A fault with only delay_ms delays the request and then lets it through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = faults.route_of(request.path_info)
        if route is None:
            return self.get_response(request)
        faults.count(request.method)
        fault = faults.take_fault(route, request.method)
        if fault is None:
            return self.get_response(request)
        faults.delay(fault)
        if fault['drop']:
            response = self.get_response(request)
            request.META[faults.DROP_CONNECTION] = True  # request.META is the WSGI environ
            return response
        if not fault['status']:
            return self.get_response(request)
        body = faults.fault_body(fault, route, request.method)
        return JsonResponse(body, status=fault['status'], safe=False)
