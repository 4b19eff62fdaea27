"""REST API core: pagination, API root, status and authentication check
(netbox/netbox/api/pagination.py and netbox/netbox/api/views.py)."""
import platform
import threading

import django
from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .authentication import IsAuthenticatedOrLoginNotRequired


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """
    NetBox's pagination: {"count", "next", "previous", "results"}, `limit`/`offset`,
    default PAGINATE_COUNT (50), capped at MAX_PAGE_SIZE (1000); limit=0 means MAX_PAGE_SIZE.
    """
    default_limit = settings.PAGINATE_COUNT

    def paginate_queryset(self, queryset, request, view=None):
        self.count = self.get_count(queryset)
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.request = request
        if self.count == 0 or self.offset > self.count:
            return []
        if self.limit:
            return list(queryset[self.offset:self.offset + self.limit])
        return list(queryset[self.offset:])

    def get_limit(self, request):
        try:
            limit = int(request.query_params[self.limit_query_param])
            if limit < 0:
                raise ValueError()
            if settings.MAX_PAGE_SIZE:
                return settings.MAX_PAGE_SIZE if limit == 0 else min(limit, settings.MAX_PAGE_SIZE)
            return limit
        except (KeyError, ValueError):
            return self.default_limit

    def get_next_link(self):
        if not self.limit:
            return None
        return super().get_next_link()

    def get_previous_link(self):
        if not self.limit:
            return None
        return super().get_previous_link()


class APIRootView(APIView):
    """The API root (only the sections the stand-in has)."""
    _ignore_model_permissions = True

    def get_view_name(self):
        return 'API Root'

    def get(self, request, format=None):
        return Response({
            'plugins': reverse('plugins-api:api-root', request=request, format=format),
            'status': reverse('api-status', request=request, format=format),
        })


class PluginsAPIRootView(APIView):
    """/api/plugins/: one entry per installed plugin API."""
    _ignore_model_permissions = True

    def get_view_name(self):
        return 'Plugins'

    def get(self, request, format=None):
        return Response({
            'netbox_hedgehog': reverse('plugins-api:netbox_hedgehog-api:api-root', request=request, format=format),
        })


class StatusView(APIView):
    """
    NetBox's /api/status/ is IsAuthenticatedOrLoginNotRequired: with the default
    LOGIN_REQUIRED=True it answers 403 to anonymous clients.
    """
    permission_classes = [IsAuthenticatedOrLoginNotRequired]

    def get(self, request):
        return Response({
            'django-version': django.get_version(),
            'hostname': platform.node(),
            'installed_apps': {},
            'netbox-version': settings.NETBOX_VERSION,
            'netbox-full-version': f'{settings.NETBOX_VERSION}-standin',
            'plugins': {'netbox_hedgehog': '0.1.0'},
            'python-version': platform.python_version(),
            'rq-workers-running': 0,
        })


class AuthenticationCheckView(APIView):
    """Returns the requesting user (NetBox's UserSerializer fields), or 403."""
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response({
            'id': user.pk,
            'url': request.build_absolute_uri(f'/{settings.BASE_PATH}api/users/users/{user.pk}/'),
            'display': user.get_username(),
            'username': user.get_username(),
            'first_name': user.first_name,
            'last_name': user.last_name,
            'email': user.email,
            'is_active': user.is_active,
            'date_joined': user.date_joined,
            'last_login': user.last_login,
            'groups': [{'id': g.pk, 'name': g.name} for g in user.groups.all()],
            'permissions': {},
        })


# UserConfig data by user id. NetBox keeps it in the users_userconfig table; the stand-in
# keeps it in memory for the life of the process.
_user_config = {}
_user_config_lock = threading.Lock()


def deepmerge(original, new):
    """netbox/utilities/utils.py deepmerge: dicts merged recursively, other values replaced."""
    merged = dict(original)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deepmerge(merged[key], value)
        else:
            merged[key] = value
    return merged


class UserConfigView(APIView):
    """
    netbox/users/api/views.py UserConfigView at /api/users/config/: GET the user's config data,
    PATCH deep-merges the JSON body into it and answers the result. Session requests need the
    CSRF token (DRF's SessionAuthentication); an expired session gets DRF's 403. NetBox's table
    configuration form saves {"tables": {"<Table>": {"columns": [...]}}} here.
    """
    permission_classes = [IsAuthenticated]

    def get(self, request):
        with _user_config_lock:
            return Response(_user_config.get(request.user.pk, {}))

    def patch(self, request):
        if not isinstance(request.data, dict):
            return Response({'detail': 'Expected a JSON object.'}, status=400)
        with _user_config_lock:
            data = deepmerge(_user_config.get(request.user.pk, {}), request.data)
            _user_config[request.user.pk] = data
        return Response(data)
