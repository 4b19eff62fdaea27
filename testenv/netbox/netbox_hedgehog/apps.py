from django.apps import AppConfig


class NetBoxHedgehogConfig(AppConfig):
    """The Hedgehog plugin's fabric model and views (package name and label netbox_hedgehog,
    so tables are netbox_hedgehog_* and permissions netbox_hedgehog.*_hedgehogfabric)."""
    name = 'netbox_hedgehog'
    verbose_name = 'Hedgehog'
