"""HedgehogFabric as in the plugin's main:netbox_hedgehog/models/fabric.py.

NetBoxModel contributes id, created, last_updated and custom_field_data (tags are left out).
"""
from django.db import models
from django.urls import reverse

from .choices import ConnectionStatusChoices, FabricStatusChoices, SyncStatusChoices


class HedgehogFabric(models.Model):
    created = models.DateTimeField(auto_now_add=True, blank=True, null=True)
    last_updated = models.DateTimeField(auto_now=True, blank=True, null=True)
    custom_field_data = models.JSONField(blank=True, default=dict)

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=FabricStatusChoices.CHOICES,
                              default=FabricStatusChoices.PLANNED)
    connection_status = models.CharField(max_length=20, choices=ConnectionStatusChoices.CHOICES,
                                         default=ConnectionStatusChoices.UNKNOWN)
    sync_status = models.CharField(max_length=20, choices=SyncStatusChoices.CHOICES,
                                   default=SyncStatusChoices.NEVER_SYNCED)

    kubernetes_server = models.URLField(blank=True, help_text='Kubernetes API server URL')
    kubernetes_token = models.TextField(blank=True, help_text='Service account token')
    kubernetes_ca_cert = models.TextField(blank=True, help_text='CA certificate (PEM)')
    kubernetes_namespace = models.CharField(max_length=253, default='default')

    sync_enabled = models.BooleanField(default=True)
    sync_interval = models.PositiveIntegerField(default=300, help_text='Seconds between syncs (0 to disable)')
    last_sync = models.DateTimeField(null=True, blank=True, help_text='Timestamp of last successful sync')
    sync_error = models.TextField(blank=True)
    connection_error = models.TextField(blank=True)

    cached_crd_count = models.PositiveIntegerField(default=0)
    cached_vpc_count = models.PositiveIntegerField(default=0)
    cached_connection_count = models.PositiveIntegerField(default=0)

    connections_count = models.PositiveIntegerField(default=0)
    servers_count = models.PositiveIntegerField(default=0)
    switches_count = models.PositiveIntegerField(default=0)
    vpcs_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ['name']
        verbose_name = 'Hedgehog Fabric'
        verbose_name_plural = 'Hedgehog Fabrics'

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse('plugins:netbox_hedgehog:fabric_detail', args=[self.pk])
