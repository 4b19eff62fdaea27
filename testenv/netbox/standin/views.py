"""Core NetBox pages: home, login, logout, the htmx asset and the GraphQL entry point."""
import logging
import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login, logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import (FileResponse, Http404, HttpResponseForbidden, HttpResponseRedirect, JsonResponse)
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from rest_framework.exceptions import AuthenticationFailed

from .access import ConditionalLoginRequiredMixin
from .authentication import TokenAuthentication


def safe_for_redirect(url):
    """netbox/utilities/request.py: only same-site (relative) URLs are followed."""
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)



class LoginForm(AuthenticationForm):
    """NetBox's account LoginForm: Django's, with Tabler's form-control on its inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ('username', 'password'):
            self.fields[name].widget.attrs['class'] = 'form-control'

class HomeView(View):
    """netbox/netbox/views/misc.py HomeView: `redirect('login')` without `next`."""
    template_name = 'home.html'

    def get(self, request):
        if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
            return redirect('login')
        return render(request, self.template_name)


class LoginView(View):
    """
    netbox/account/views.py LoginView: GET renders the form (200) or, for an authenticated
    user, redirects to `next`; a valid POST logs in (rotating the CSRF token) and redirects
    to `next` or LOGIN_REDIRECT_URL; an invalid POST re-renders the form with 200.
    """
    template_name = 'login.html'

    @method_decorator(sensitive_post_parameters('password'))
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)

    def get(self, request):
        form = LoginForm(request)
        if request.user.is_authenticated:
            return self.redirect_to_next(request)
        return render(request, self.template_name, {'form': form})

    def post(self, request):
        logger = logging.getLogger('netbox.auth.login')
        form = LoginForm(request, data=request.POST)
        if form.is_valid():
            auth_login(request, form.get_user())
            logger.info(f'User {request.user} successfully authenticated')
            messages.success(request, f'Logged in as {request.user}.')
            return self.redirect_to_next(request)
        logger.debug(f"Login form validation failed for username: {form['username'].value()}")
        return render(request, self.template_name, {'form': form})

    def redirect_to_next(self, request):
        data = request.POST if request.method == 'POST' else request.GET
        redirect_url = data.get('next', settings.LOGIN_REDIRECT_URL)
        if not (redirect_url and safe_for_redirect(redirect_url)):
            redirect_url = reverse('home')
        return HttpResponseRedirect(redirect_url)


class LogoutView(View):
    """
    netbox/account/views.py LogoutView: GET only (POST gets 405), ends the session, queues
    "You have logged out.", deletes the 'session_key' cookie (sic) and redirects to
    LOGOUT_REDIRECT_URL ('home'), which in turn redirects to the login page.
    """

    def get(self, request):
        auth_logout(request)
        messages.info(request, 'You have logged out.')
        response = HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
        response.delete_cookie('session_key')
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response


STATIC_TYPES = {'.js': 'application/javascript', '.css': 'text/css'}


def static_files():
    """name -> path of every static file: the stand-in's own and the pinned htmx.org and Tabler builds."""
    files = {name: os.path.join(settings.STATIC_DIR, name) for name in sorted(os.listdir(settings.STATIC_DIR))}
    files['htmx.min.js'] = settings.HTMX_JS_PATH
    files['tabler.min.css'] = settings.TABLER_CSS_PATH
    return files


def static(request, name):
    """
    Serves the static files while the stand-in is not in gunicorn mode (DEBUG is off, so there
    is no staticfiles view); under STANDIN_GUNICORN the URL does not exist, as with NetBox
    under gunicorn, and a proxy serves the directory STANDIN_STATIC_ROOT holds.
    """
    path = static_files().get(name)
    if path is None or not os.path.exists(path):
        raise Http404('no such static file (htmx.org or @tabler/core missing? run testenv/netbox/setup.sh)')
    content_type = STATIC_TYPES.get(os.path.splitext(name)[1], 'application/octet-stream')
    return FileResponse(open(path, 'rb'), content_type=content_type)


class MediaFailureView(ConditionalLoginRequiredMixin, View):
    """
    NetBox's media_failure page, where base.html's onerror handlers send the browser when a
    stylesheet or script does not load. It needs a login (on 3.x through the middleware), so
    behind a proxy that does not serve /static/ the login page reloads itself forever. Like
    NetBox's, the page loads no static files itself.
    """

    def get(self, request):
        return render(request, 'media_failure.html', {'filename': request.GET.get('filename', '')})


@method_decorator(csrf_exempt, name='dispatch')
class GraphQLView(View):
    """
    netbox/netbox/graphql/views.py NetBoxGraphQLView.dispatch: tries a DRF token when there
    is no session user (bad token -> 403 with the error text); anonymous requests are sent
    to the login page when they accept text/html (true for */*), else get
    403 "No credentials provided.". The real view (strawberry) is csrf_exempt too.
    An authenticated query answers an empty result.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            try:
                auth_info = TokenAuthentication().authenticate(request)
                if auth_info is not None:
                    request.user = auth_info[0]
            except AuthenticationFailed as exc:
                return HttpResponseForbidden(exc.detail)
        if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
            if request.accepts('text/html'):
                return redirect_to_login(reverse('graphql'))
            return HttpResponseForbidden('No credentials provided.')
        if request.method not in ('GET', 'POST'):
            return JsonResponse({'errors': [{'message': 'Method not allowed'}]}, status=405)
        return JsonResponse({'data': {}})
