"""Models of the Hedgehog plugin (afewell-hh/hh-netbox-plugin, branch main).

- HedgehogFabric: main:netbox_hedgehog/models/fabric.py.
- BaseCRD and its 12 subclasses: main:netbox_hedgehog/models/base.py, models/vpc_api.py and
  models/wiring_api.py; tables netbox_hedgehog_<lowercase class>.

NetBoxModel contributes id, created, last_updated and custom_field_data; tags are left out of the
database (the REST API shows an empty list).
"""
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .choices import ConnectionStatusChoices, FabricStatusChoices, KubernetesStatusChoices, SyncStatusChoices


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

    # Badge colours of the status fields, as NetBox's ChoiceSet colours (Tabler's bg-* names).
    STATUS_COLORS = {'planned': 'cyan', 'active': 'green', 'maintenance': 'yellow', 'decommissioned': 'secondary'}
    CONNECTION_COLORS = {'unknown': 'secondary', 'connected': 'green', 'disconnected': 'yellow', 'error': 'red'}
    SYNC_COLORS = {'never_synced': 'secondary', 'in_sync': 'green', 'out_of_sync': 'yellow', 'syncing': 'blue', 'error': 'red'}

    def get_status_color(self):
        return self.STATUS_COLORS.get(self.status, 'secondary')

    def get_connection_status_color(self):
        return self.CONNECTION_COLORS.get(self.connection_status, 'secondary')

    def get_sync_status_color(self):
        return self.SYNC_COLORS.get(self.sync_status, 'secondary')

    def get_absolute_url(self):
        return reverse('plugins:netbox_hedgehog:fabric_detail', args=[self.pk])

    @property
    def crd_count(self):
        return sum(model.objects.filter(fabric=self).count() for model in CRD_MODELS)

    @property
    def active_crd_count(self):
        return sum(model.objects.filter(fabric=self, kubernetes_status=KubernetesStatusChoices.LIVE).count()
                   for model in CRD_MODELS)

    @property
    def error_crd_count(self):
        return sum(model.objects.filter(fabric=self, kubernetes_status=KubernetesStatusChoices.ERROR).count()
                   for model in CRD_MODELS)


class NetBoxModel(models.Model):
    """The fields NetBox's NetBoxModel adds (tags excepted)."""
    created = models.DateTimeField(auto_now_add=True, blank=True, null=True)
    last_updated = models.DateTimeField(auto_now=True, blank=True, null=True)
    custom_field_data = models.JSONField(blank=True, default=dict)

    class Meta:
        abstract = True


K8S_NAME_RE = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')


class BaseCRD(NetBoxModel):
    """
    The plugin's abstract BaseCRD, field for field. `spec` is a JSONField without blank=True, so
    full_clean() (which NetBox's API serializers call) refuses an empty spec ({} or []) with
    "This field cannot be blank." STANDIN_SPEC_BLANK_OK=1 behaves as if the plugin had
    blank=True (its one-line fix) without changing the migration.
    """
    fabric = models.ForeignKey(
        'netbox_hedgehog.HedgehogFabric',
        on_delete=models.CASCADE,
        related_name='%(class)s_set',
        help_text='Hedgehog fabric this CRD belongs to',
    )
    name = models.CharField(max_length=253, help_text='Kubernetes resource name (must be DNS-1123 compliant)')
    namespace = models.CharField(max_length=253, default='default', help_text='Kubernetes namespace for this resource')
    spec = models.JSONField(help_text='CRD specification as JSON')
    labels = models.JSONField(default=dict, blank=True, help_text='Kubernetes labels as JSON')
    annotations = models.JSONField(default=dict, blank=True, help_text='Kubernetes annotations as JSON')
    kubernetes_status = models.CharField(max_length=20, choices=KubernetesStatusChoices.CHOICES,
                                         default=KubernetesStatusChoices.UNKNOWN,
                                         help_text='Current status in Kubernetes')
    kubernetes_uid = models.CharField(max_length=36, blank=True, help_text='Kubernetes resource UID')
    kubernetes_resource_version = models.CharField(max_length=50, blank=True,
                                                   help_text='Kubernetes resource version')
    last_applied = models.DateTimeField(null=True, blank=True,
                                        help_text='When this CRD was last applied to Kubernetes')
    last_synced = models.DateTimeField(null=True, blank=True,
                                       help_text='When this CRD was last synced from Kubernetes')
    sync_error = models.TextField(blank=True, help_text='Last sync error message (if any)')
    auto_sync = models.BooleanField(default=True, help_text='Enable automatic sync for this resource')

    # Set on each subclass: the CRD's API group.
    api_group = None

    class Meta:
        abstract = True
        unique_together = [['fabric', 'namespace', 'name']]
        ordering = ['fabric', 'namespace', 'name']

    def __str__(self):
        return f'{self.name} ({self.fabric.name})'

    def clean_fields(self, exclude=None):
        if getattr(settings, 'STANDIN_SPEC_BLANK_OK', False):
            field = self._meta.get_field('spec')
            if self.spec is not None and self.spec in field.empty_values:
                exclude = list(exclude or []) + ['spec']
        super().clean_fields(exclude=exclude)

    def clean(self):
        """The plugin's BaseCRD.clean(): DNS-1123 name and namespace."""
        super().clean()
        if not self.is_valid_k8s_name(self.name):
            raise ValidationError({'name': 'Name must be a valid Kubernetes resource name (DNS-1123 compliant)'})
        if not self.is_valid_k8s_name(self.namespace):
            raise ValidationError({'namespace': 'Namespace must be a valid Kubernetes namespace name'})

    @staticmethod
    def is_valid_k8s_name(name):
        return isinstance(name, str) and bool(K8S_NAME_RE.match(name)) and len(name) <= 253

    def get_api_version(self):
        return f'{self.api_group}/v1beta1'

    def get_kind(self):
        return self.__class__.__name__


VPC_GROUP = 'vpc.githedgehog.com'
WIRING_GROUP = 'wiring.githedgehog.com'


class VPC(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'VPC'
        verbose_name_plural = 'VPCs'


class External(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'External'
        verbose_name_plural = 'Externals'


class ExternalAttachment(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'External Attachment'
        verbose_name_plural = 'External Attachments'


class ExternalPeering(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'External Peering'
        verbose_name_plural = 'External Peerings'


class IPv4Namespace(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'IPv4 Namespace'
        verbose_name_plural = 'IPv4 Namespaces'


class VPCAttachment(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'VPC Attachment'
        verbose_name_plural = 'VPC Attachments'


class VPCPeering(BaseCRD):
    api_group = VPC_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'VPC Peering'
        verbose_name_plural = 'VPC Peerings'


class Connection(BaseCRD):
    api_group = WIRING_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'Connection'
        verbose_name_plural = 'Connections'


class Server(BaseCRD):
    api_group = WIRING_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'Server'
        verbose_name_plural = 'Servers'


class Switch(BaseCRD):
    api_group = WIRING_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'Switch'
        verbose_name_plural = 'Switches'


class SwitchGroup(BaseCRD):
    api_group = WIRING_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'Switch Group'
        verbose_name_plural = 'Switch Groups'


class VLANNamespace(BaseCRD):
    api_group = WIRING_GROUP

    class Meta(BaseCRD.Meta):
        verbose_name = 'VLAN Namespace'
        verbose_name_plural = 'VLAN Namespaces'


# (REST route, Kubernetes plural, model), in the order of the plugin's KubernetesSync.crd_types.
CRD_KINDS = [
    ('vpcs', 'vpcs', VPC),
    ('externals', 'externals', External),
    ('external-attachments', 'externalattachments', ExternalAttachment),
    ('external-peerings', 'externalpeerings', ExternalPeering),
    ('ipv4-namespaces', 'ipv4namespaces', IPv4Namespace),
    ('vpc-attachments', 'vpcattachments', VPCAttachment),
    ('vpc-peerings', 'vpcpeerings', VPCPeering),
    ('connections', 'connections', Connection),
    ('servers', 'servers', Server),
    ('switches', 'switches', Switch),
    ('switch-groups', 'switchgroups', SwitchGroup),
    ('vlan-namespaces', 'vlannamespaces', VLANNamespace),
]
CRD_MODELS = [model for _, _, model in CRD_KINDS]
