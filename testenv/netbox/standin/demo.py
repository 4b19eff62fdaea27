"""Demo data for `make demo` (STANDIN_DEMO=1): user admin/admin (superuser) and fabric 1
"demo-fabric", already connected so that Sync Now succeeds at once."""
from django.contrib.auth import get_user_model

from netbox_hedgehog.choices import ConnectionStatusChoices, FabricStatusChoices
from netbox_hedgehog.models import HedgehogFabric


def seed():
    User = get_user_model()
    if not User.objects.filter(username='admin').exists():
        User.objects.create_superuser('admin', 'admin@example.com', 'admin')
    if not HedgehogFabric.objects.filter(pk=1).exists() and not HedgehogFabric.objects.filter(
            name='demo-fabric').exists():
        HedgehogFabric.objects.create(
            pk=1,
            name='demo-fabric',
            description='Demo fabric of the NetBox stand-in',
            status=FabricStatusChoices.ACTIVE,
            connection_status=ConnectionStatusChoices.CONNECTED,
            kubernetes_server='https://127.0.0.1:6443',
        )
