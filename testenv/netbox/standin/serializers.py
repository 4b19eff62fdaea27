"""NetBox's base REST serializers (netbox/netbox/api/serializers/), as far as plugins see them.

- ValidatedModelSerializer.validate() runs the model's full_clean() on create and update, so
  model validation (blank fields, clean(), unique_together) answers 400 like field errors.
- NetBoxModelSerializer adds `url`, `display`, `custom_fields` (the custom_field_data column)
  and `tags` (always [] here: the stand-in has no tags; input is ignored).
- BulkOperationSerializer: the `{"id": N}` items of bulk update and bulk delete.
"""
from rest_framework import serializers
from rest_framework.reverse import reverse


class ValidatedModelSerializer(serializers.ModelSerializer):
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
