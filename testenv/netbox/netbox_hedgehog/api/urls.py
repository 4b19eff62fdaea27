"""main:netbox_hedgehog/api/urls.py routes, on NetBox's router (bulk actions on list URLs)."""
from rest_framework import routers

from standin.viewsets import NetBoxRouter

from .views import CRD_VIEWSETS, FabricViewSet


class HedgehogRootView(routers.APIRootView):
    def get_view_name(self):
        return 'Hedgehog'


router = NetBoxRouter()
router.APIRootView = HedgehogRootView
router.register('fabrics', FabricViewSet)
for route, viewset in CRD_VIEWSETS.items():
    router.register(route, viewset)

app_name = 'netbox_hedgehog-api'
urlpatterns = router.urls
