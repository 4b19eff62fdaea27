"""main:netbox_hedgehog/api/views.py: plain NetBoxModelViewSets, queryset Model.objects.all(),
no filterset_class (so ?fabric_id=, ?name= and the like are ignored)."""
from standin.viewsets import NetBoxModelViewSet

from .. import models
from .serializers import CRD_SERIALIZERS, FabricSerializer


class FabricViewSet(NetBoxModelViewSet):
    queryset = models.HedgehogFabric.objects.all()
    serializer_class = FabricSerializer


def crd_viewset(model):
    attrs = {
        # select_related: `display` is "<name> (<fabric name>)".
        'queryset': model.objects.select_related('fabric'),
        'serializer_class': CRD_SERIALIZERS[model],
        '__module__': __name__,
    }
    return type(f'{model.__name__}ViewSet', (NetBoxModelViewSet,), attrs)


CRD_VIEWSETS = {route: crd_viewset(model) for route, _, model in models.CRD_KINDS}
