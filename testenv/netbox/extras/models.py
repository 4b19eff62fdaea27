"""NetBox's JournalEntry (netbox/extras/models/models.py, NetBox 4.3): a note with a kind on
any object of a model that supports journaling, with who wrote it and when."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class JournalEntryKindChoices(models.TextChoices):
    """netbox/extras/choices.py JournalEntryKindChoices."""
    INFO = 'info', 'Info'
    SUCCESS = 'success', 'Success'
    WARNING = 'warning', 'Warning'
    DANGER = 'danger', 'Danger'


# Models with NetBox's "journaling" feature in the stand-in (NetBoxModel subclasses).
JOURNALING_MODELS = {('netbox_hedgehog', 'hedgehogfabric')}


class JournalEntry(models.Model):
    assigned_object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name='+')
    assigned_object_id = models.PositiveBigIntegerField()
    assigned_object = GenericForeignKey(ct_field='assigned_object_type', fk_field='assigned_object_id')
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, blank=True, null=True)
    kind = models.CharField(max_length=30, choices=JournalEntryKindChoices.choices, default=JournalEntryKindChoices.INFO)
    comments = models.TextField()

    class Meta:
        ordering = ('-created',)
        verbose_name_plural = 'journal entries'

    def __str__(self):
        return f'{self.created:%Y-%m-%d %H:%M} ({self.get_kind_display()})'
