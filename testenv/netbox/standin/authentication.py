"""Authentication backends and REST permissions mirroring NetBox.

- RemoteUserBackend: netbox/netbox/authentication/__init__.py (RemoteUserBackend).
- TokenAuthentication / TokenPermissions / IsAuthenticatedOrLoginNotRequired:
  netbox/netbox/api/authentication.py.
"""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import RemoteUserBackend as _RemoteUserBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission, DjangoModelPermissions

logger = logging.getLogger('netbox.auth.RemoteUserBackend')


def resolve_permissions(names):
    """Turn ['app_label.codename', ...] into Permission objects (unknown names raise ValueError)."""
    perms = []
    for name in names:
        app_label, _, codename = name.partition('.')
        try:
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist:
            raise ValueError(f'unknown permission {name!r}')
    return perms


class RemoteUserBackend(_RemoteUserBackend):
    """
    NetBox's remote-user backend: users are created only with REMOTE_AUTH_AUTO_CREATE_USER;
    with REMOTE_AUTH_GROUP_SYNC_ENABLED the groups from the group header replace the user's
    groups and superuser status is re-evaluated on every remote login.
    """

    @property
    def create_unknown_user(self):
        return settings.REMOTE_AUTH_AUTO_CREATE_USER

    def authenticate(self, request, remote_user, remote_groups=None):
        remote_user = self.clean_username(remote_user)
        if not remote_user:
            return None
        user = None
        UserModel = get_user_model()
        if self.create_unknown_user:
            user, created = UserModel._default_manager.get_or_create(**{UserModel.USERNAME_FIELD: remote_user})
            if created:
                user = self.configure_user(request, user)
        else:
            try:
                user = UserModel._default_manager.get_by_natural_key(remote_user)
            except UserModel.DoesNotExist:
                pass
        if not self.user_can_authenticate(user):
            return None
        if settings.REMOTE_AUTH_GROUP_SYNC_ENABLED:
            if user is not None and not isinstance(user, AnonymousUser):
                return self.configure_groups(user, remote_groups or [])
            return None
        return user

    def _is_superuser(self, user):
        superuser_groups = settings.REMOTE_AUTH_SUPERUSER_GROUPS
        if superuser_groups and user.groups.filter(name__in=superuser_groups).exists():
            return True
        return user.get_username() in settings.REMOTE_AUTH_SUPERUSERS

    def configure_groups(self, user, remote_groups):
        group_list = []
        for name in remote_groups:
            try:
                group_list.append(Group.objects.get(name=name))
            except Group.DoesNotExist:
                if settings.REMOTE_AUTH_AUTO_CREATE_GROUPS:
                    group_list.append(Group.objects.create(name=name))
                else:
                    logging.error(f'Could not assign group {name} to remotely-authenticated user {user}: '
                                  f'Group not found')
        if group_list:
            user.groups.set(group_list)
        else:
            user.groups.clear()
        user.is_superuser = self._is_superuser(user)
        user.is_staff = user.is_superuser
        user.save()
        return user

    def configure_user(self, request, user):
        # NetBox applies default groups/permissions only to new users and only without group sync.
        if not settings.REMOTE_AUTH_GROUP_SYNC_ENABLED:
            for name in settings.REMOTE_AUTH_DEFAULT_GROUPS:
                group, _ = Group.objects.get_or_create(name=name)
                user.groups.add(group)
            if settings.REMOTE_AUTH_DEFAULT_PERMISSIONS:
                user.user_permissions.add(*resolve_permissions(settings.REMOTE_AUTH_DEFAULT_PERMISSIONS))
        return user


class TokenAuthentication(authentication.TokenAuthentication):
    """
    `Authorization: Token <key>` (NetBox v1 tokens) and `Authorization: Bearer <key>`
    (the v2 scheme; here the same keys are accepted). Any other scheme is ignored, so the
    request falls through to "Authentication credentials were not provided."
    """
    keywords = ('token', 'bearer')

    def authenticate(self, request):
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower().decode('latin-1') not in self.keywords:
            return None
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed('Invalid token header. No credentials provided.')
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed('Invalid token header. Token string should not contain spaces.')
        try:
            key = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                'Invalid token header. Token string should not contain invalid characters.')
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related('user').get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed('Invalid token.')
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed('User inactive')
        return token.user, token


class TokenPermissions(DjangoModelPermissions):
    """
    NetBox's perms_map: reading needs the view permission, writing add/change/delete.
    Anonymous access only when LOGIN_REQUIRED is off. (NetBox also checks a token's
    write_enabled flag and object-level constraints; stand-in tokens are always writable.)
    """
    perms_map = {
        'GET': ['%(app_label)s.view_%(model_name)s'],
        'OPTIONS': [],
        'HEAD': ['%(app_label)s.view_%(model_name)s'],
        'POST': ['%(app_label)s.add_%(model_name)s'],
        'PUT': ['%(app_label)s.change_%(model_name)s'],
        'PATCH': ['%(app_label)s.change_%(model_name)s'],
        'DELETE': ['%(app_label)s.delete_%(model_name)s'],
    }

    def __init__(self):
        self.authenticated_users_only = settings.LOGIN_REQUIRED
        super().__init__()

    def has_permission(self, request, view):
        # Authentication first, also for views without a queryset (the API root).
        if self.authenticated_users_only and not (request.user and request.user.is_authenticated):
            return False
        return super().has_permission(request, view)


class IsAuthenticatedOrLoginNotRequired(BasePermission):
    """Returns True if the user is authenticated or LOGIN_REQUIRED is False."""

    def has_permission(self, request, view):
        if not settings.LOGIN_REQUIRED:
            return True
        return request.user.is_authenticated
