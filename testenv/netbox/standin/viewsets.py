"""NetBox's model viewset and router (netbox/netbox/api/viewsets/, netbox/netbox/api/routers.py,
NetBox 4.3): single-object CRUD plus bulk create / update / delete on the list URL.

- POST a JSON list: bulk create. DRF validates every item first; any invalid item answers 400
  with one error dict per item ({} for valid ones) and nothing is created. Created objects are
  answered as a list in request order (201).
- PUT / PATCH a list of {"id": N, ...}: bulk update in one transaction. Unknown ids are skipped.
  The first object that fails validation answers 400 with that object's error dict, and the
  whole batch is rolled back. Answers the updated objects (200).
- DELETE a list of {"id": N}: bulk delete in one transaction, unknown ids skipped, 204.
- Bad bulk bodies: 400 from BulkOperationSerializer, e.g. [{"id": ["This field is required."]}]
  or {"non_field_errors": ["Expected a list of items but got type \"dict\"."]}.
"""
import copy
from functools import cached_property

from django.conf import settings
from django.db import transaction
from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.viewsets import GenericViewSet

from .serializers import BulkOperationSerializer


class BulkUpdateModelMixin:
    def get_bulk_update_queryset(self):
        return self.get_queryset()

    def bulk_update(self, request, *args, **kwargs):
        partial = kwargs.pop('partial', False)
        serializer = BulkOperationSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        qs = self.get_bulk_update_queryset().filter(pk__in=[o['id'] for o in serializer.data])

        # Map update data by object ID
        update_data = {obj.pop('id'): obj for obj in request.data}

        object_pks = self.perform_bulk_update(qs, update_data, partial=partial)

        qs = self.get_queryset().filter(pk__in=object_pks)
        serializer = self.get_serializer(qs, many=True)
        return Response(serializer.data, status=status.HTTP_200_OK)

    def perform_bulk_update(self, objects, update_data, partial):
        updated_pks = []
        with transaction.atomic():
            for obj in objects:
                data = update_data.get(obj.id)
                serializer = self.get_serializer(obj, data=data, partial=partial)
                serializer.is_valid(raise_exception=True)
                self.perform_update(serializer)
                updated_pks.append(obj.pk)
        return updated_pks

    def bulk_partial_update(self, request, *args, **kwargs):
        kwargs['partial'] = True
        return self.bulk_update(request, *args, **kwargs)


class BulkDestroyModelMixin:
    def get_bulk_destroy_queryset(self):
        return self.get_queryset()

    def bulk_destroy(self, request, *args, **kwargs):
        serializer = BulkOperationSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        qs = self.get_bulk_destroy_queryset().filter(pk__in=[o['id'] for o in serializer.validated_data])
        self.perform_bulk_destroy(qs)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_bulk_destroy(self, objects):
        with transaction.atomic():
            for obj in objects:
                self.perform_destroy(obj)


class NetBoxModelViewSet(BulkUpdateModelMixin,
                         BulkDestroyModelMixin,
                         mixins.CreateModelMixin,
                         mixins.RetrieveModelMixin,
                         mixins.UpdateModelMixin,
                         mixins.DestroyModelMixin,
                         mixins.ListModelMixin,
                         GenericViewSet):
    """No filters: query parameters other than limit/offset, ordering, fields, omit and brief are
    ignored. ?ordering=a,-b sorts by serializer fields as NetBox >= 3.2 does (DRF's OrderingFilter,
    settings.REST_FRAMEWORK), and is ignored with STANDIN_NETBOX_VERSION=3. Like NetBox >= 4.0 (BaseViewSet.field_kwargs), ?fields=a,b renders only those fields
    (unknown names are dropped silently), ?omit=a,b all but those, and ?brief=1 the serializer's
    Meta.brief_fields when it has any; with STANDIN_NETBOX_VERSION=3 all three are ignored, as
    NetBox 3.x has no dynamic fields."""

    def get_serializer(self, *args, **kwargs):
        # A list of objects means a bulk operation.
        if isinstance(kwargs.get('data', {}), list):
            kwargs['many'] = True
        kwargs.update(**self.field_kwargs)
        return super().get_serializer(*args, **kwargs)

    @cached_property
    def field_kwargs(self):
        if settings.NETBOX3:
            return {}
        if requested := self.request.query_params.get('fields'):
            return {'fields': requested.split(',')}
        if omit := self.request.query_params.get('omit'):
            return {'omit': omit.split(',')}
        if self.request.method == 'GET' and self.request.GET.get('brief'):
            if brief := getattr(self.get_serializer_class().Meta, 'brief_fields', None):
                return {'fields': brief}
        return {}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bulk_create = getattr(serializer, 'many', False)
        self.perform_create(serializer)

        if bulk_create:
            # Ordered by pk, so the answer follows the request's order.
            instance_pks = [obj.pk for obj in serializer.instance]
            qs = self.get_queryset().filter(pk__in=instance_pks).order_by('pk')
        else:
            qs = self.get_queryset().get(pk=serializer.instance.pk)
        serializer = self.get_serializer(qs, many=bulk_create)
        headers = self.get_success_headers(serializer.data)
        return Response(serializer.data, status=status.HTTP_201_CREATED, headers=headers)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic():
            instance.delete()


class NetBoxRouter(DefaultRouter):
    """DefaultRouter whose list route also maps PUT, PATCH and DELETE to the bulk actions."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.routes = copy.deepcopy(self.routes)
        self.routes[0].mapping.update({
            'put': 'bulk_update',
            'patch': 'bulk_partial_update',
            'delete': 'bulk_destroy',
        })
