"""NetBox's base REST serializers (netbox/netbox/api/serializers/), as far as plugins see them.

- ValidatedModelSerializer.validate() runs the model's full_clean() on create and update, so
  model validation (blank fields, clean(), unique_together) answers 400 like field errors.
- NetBoxModelSerializer adds `url`, `display`, `custom_fields` (the custom_field_data column)
  and `tags` (always [] here: the stand-in has no tags; input is ignored).
- BulkOperationSerializer: the `{"id": N}` items of bulk update and bulk delete.
- BaseModelSerializer: NetBox 4's `fields` / `omit` (dynamic fields), which the viewsets pass.
"""
from functools import cached_property

from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.utils.serializer_helpers import BindingDict


class BaseModelSerializer(serializers.ModelSerializer):
    """NetBox 4's dynamic fields (netbox/netbox/api/serializers/base.py): `fields` keeps only the
    named fields, in the serializer's own order; `omit` drops the named ones. The viewset passes
    them from ?fields= / ?omit= (see viewsets.NetBoxModelViewSet.field_kwargs)."""

    def __init__(self, *args, fields=None, omit=None, **kwargs):
        self._requested_fields = fields
        self._omit_fields = omit or []
        super().__init__(*args, **kwargs)

    @cached_property
    def fields(self):
        if not self._requested_fields and not self._omit_fields:
            return super().fields
        fields = BindingDict(self)
        for key, value in self.get_fields().items():
            if self._requested_fields and key not in self._requested_fields:
                continue
            if key in self._omit_fields:
                continue
            fields[key] = value
        return fields


class ValidatedModelSerializer(BaseModelSerializer):
    """Enforces full_clean() on a copy of the instance during validation (DRF does not)."""

    def validate(self, data):
        attrs = data.copy()
        attrs.pop('custom_fields', None)
        opts = self.Meta.model._meta
        for field in [*opts.local_many_to_many, *opts.related_objects]:
            attrs.pop(field.name, None)
        if self.instance is None:
            instance = self.Meta.model(**attrs)
        else:
            instance = self.instance
            for k, v in attrs.items():
                setattr(instance, k, v)
        instance.full_clean()
        return data


class NetBoxModelSerializer(ValidatedModelSerializer):
    url = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()
    custom_fields = serializers.JSONField(source='custom_field_data', read_only=True)
    tags = serializers.SerializerMethodField()

    def get_default_field_names(self, declared_fields, model_info):
        # fields='__all__': custom_field_data is shown as custom_fields.
        names = super().get_default_field_names(declared_fields, model_info)
        return [name for name in names if name != 'custom_field_data']

    def get_url(self, obj):
        request = self.context.get('request')
        match = getattr(request, 'resolver_match', None)
        if request is None or match is None:
            return None
        view_name = f'{obj._meta.model_name}-detail'
        if match.namespace:
            view_name = f'{match.namespace}:{view_name}'
        return reverse(view_name, kwargs={'pk': obj.pk}, request=request)

    def get_display(self, obj):
        return str(obj)

    def get_tags(self, obj):
        return []


class BulkOperationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
