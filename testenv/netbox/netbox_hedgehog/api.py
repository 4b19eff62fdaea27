"""Plugin REST API at /api/plugins/hedgehog/ (main:netbox_hedgehog/api/): a plain model
viewset with fields='__all__' and no filters, so ?name= and friends are ignored."""
from rest_framework import routers, serializers, viewsets

from .models import HedgehogFabric


class FabricSerializer(serializers.ModelSerializer):
    class Meta:
        model = HedgehogFabric
        fields = '__all__'


class FabricViewSet(viewsets.ModelViewSet):
    queryset = HedgehogFabric.objects.all()
    serializer_class = FabricSerializer


class HedgehogRootView(routers.APIRootView):
    def get_view_name(self):
        return 'Hedgehog'


router = routers.DefaultRouter()
router.APIRootView = HedgehogRootView
router.register('fabrics', FabricViewSet)

app_name = 'netbox_hedgehog-api'
urlpatterns = router.urls
