"""main:netbox_hedgehog/api/serializers.py: NetBoxModelSerializer with fields='__all__'; the CRD
serializers take `fabric` as a primary key."""
from rest_framework import serializers

from standin.serializers import NetBoxModelSerializer

from .. import models


class FabricSerializer(NetBoxModelSerializer):
    class Meta:
        model = models.HedgehogFabric
        fields = '__all__'


class BaseCRDSerializer(NetBoxModelSerializer):
    fabric = serializers.PrimaryKeyRelatedField(queryset=models.HedgehogFabric.objects.all())


def crd_serializer(model):
    meta = type('Meta', (), {'model': model, 'fields': '__all__'})
    return type(f'{model.__name__}Serializer', (BaseCRDSerializer,), {'Meta': meta, '__module__': __name__})


CRD_SERIALIZERS = {model: crd_serializer(model) for model in models.CRD_MODELS}
