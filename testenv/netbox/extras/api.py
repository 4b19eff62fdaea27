"""NetBox's /api/extras/journal-entries/ (netbox/extras/api/serializers_/journaling.py and
views.py, NetBox 4.3):

- assigned_object_type is "app_label.model" (ContentTypeField) limited to models with the
  journaling feature: anything else answers 400 {"assigned_object_type": [...]}.
- the assigned object must exist: 400 {"assigned_object_id": ["Invalid assigned_object_id:
  object does not exist"]} (JournalEntrySerializer.validate).
- kind must be one of JournalEntryKindChoices: 400 {"kind": ["\"x\" is not a valid choice."]}.
- created_by defaults to the requesting user (CurrentUserDefault).
- permissions are extras.{view,add,change,delete}_journalentry, as for every model.
"""
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from rest_framework import routers, serializers

from standin.serializers import ValidatedModelSerializer
from standin.viewsets import NetBoxModelViewSet, NetBoxRouter

from .models import JOURNALING_MODELS, JournalEntry


class ContentTypeField(serializers.RelatedField):
    """NetBox's ContentTypeField: "app_label.model" in both directions."""
    default_error_messages = {
        'does_not_exist': 'Invalid content type: {content_type}',
        'invalid': 'Invalid value. Specify a content type as \'<app_label>.<model_name>\'.',
    }

    def to_internal_value(self, data):
        try:
            app_label, model = str(data).split('.')
            return self.get_queryset().get(app_label=app_label, model=model)
        except ContentType.DoesNotExist:
            self.fail('does_not_exist', content_type=data)
        except (AttributeError, TypeError, ValueError):
            self.fail('invalid')

    def to_representation(self, obj):
        return f'{obj.app_label}.{obj.model}'


def journaling_content_types():
    ids = [ct.pk for ct in ContentType.objects.all() if (ct.app_label, ct.model) in JOURNALING_MODELS]
    return ContentType.objects.filter(pk__in=ids)


class JournalEntrySerializer(ValidatedModelSerializer):
    assigned_object_type = ContentTypeField(queryset=ContentType.objects.all())
    created_by = serializers.PrimaryKeyRelatedField(
        allow_null=True, queryset=get_user_model().objects.all(), required=False,
        default=serializers.CurrentUserDefault())
    display = serializers.SerializerMethodField()

    class Meta:
        model = JournalEntry
        fields = ['id', 'display', 'assigned_object_type', 'assigned_object_id', 'created',
                  'created_by', 'kind', 'comments', 'last_updated']

    def get_display(self, obj):
        return str(obj)

    def validate_assigned_object_type(self, value):
        if not journaling_content_types().filter(pk=value.pk).exists():
            raise serializers.ValidationError(f'Invalid content type: {value.app_label}.{value.model}')
        return value

    def validate(self, data):
        ct = data.get('assigned_object_type') or getattr(self.instance, 'assigned_object_type', None)
        pk = data.get('assigned_object_id', getattr(self.instance, 'assigned_object_id', None))
        if ct is not None and pk is not None:
            if not ct.model_class().objects.filter(pk=pk).exists():
                raise serializers.ValidationError(
                    {'assigned_object_id': f'Invalid assigned_object_id: object does not exist'})
        return super().validate(data)


class JournalEntryViewSet(NetBoxModelViewSet):
    queryset = JournalEntry.objects.select_related('assigned_object_type', 'created_by')
    serializer_class = JournalEntrySerializer

    def get_queryset(self):
        """
        NetBox's JournalEntryFilterSet for lists: assigned_object_type ("app_label.model"),
        assigned_object_id, and ?ordering=-created (newest first). Unlike the plugin's routes,
        NetBox's own journal API filters.
        """
        qs = super().get_queryset()
        if self.action != 'list':
            return qs
        params = self.request.query_params
        if 'assigned_object_type' in params:
            app_label, _, model = params['assigned_object_type'].partition('.')
            qs = qs.filter(assigned_object_type__app_label=app_label, assigned_object_type__model=model)
        if 'assigned_object_id' in params:
            try:
                qs = qs.filter(assigned_object_id=int(params['assigned_object_id']))
            except ValueError:
                qs = qs.none()
        if params.get('ordering') == '-created':
            qs = qs.order_by('-created', '-pk')
        return qs


class ExtrasRootView(routers.APIRootView):
    def get_view_name(self):
        return 'Extras'


router = NetBoxRouter()
router.APIRootView = ExtrasRootView
router.register('journal-entries', JournalEntryViewSet)

app_name = 'extras-api'
urlpatterns = router.urls
