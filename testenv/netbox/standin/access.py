"""Access checks of NetBox UI views (netbox/utilities/views.py).

NetBox UI views enforce login themselves (there is no LoginRequiredMiddleware):
an anonymous user gets Django's AccessMixin.handle_no_permission(), i.e.
redirect_to_login(request.get_full_path()) = 302 LOGIN_URL?next=<path>; an
authenticated user without the object permission gets PermissionDenied (403).
"""
from django.conf import settings
from django.contrib.auth.mixins import AccessMixin


class ConditionalLoginRequiredMixin(AccessMixin):
    """Requires login when LOGIN_REQUIRED is set (NetBox's default)."""

    def dispatch(self, request, *args, **kwargs):
        if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class ObjectPermissionRequiredMixin(AccessMixin):
    """Requires `permission_required` (e.g. netbox_hedgehog.view_hedgehogfabric), as ObjectView does."""
    permission_required = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
