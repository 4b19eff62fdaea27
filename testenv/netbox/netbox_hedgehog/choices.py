"""Choices of the Hedgehog plugin (afewell-hh/hh-netbox-plugin main:netbox_hedgehog/choices.py)."""


class FabricStatusChoices:
    PLANNED = 'planned'
    ACTIVE = 'active'
    MAINTENANCE = 'maintenance'
    DECOMMISSIONED = 'decommissioned'
    CHOICES = [
        (PLANNED, 'Planned'),
        (ACTIVE, 'Active'),
        (MAINTENANCE, 'Maintenance'),
        (DECOMMISSIONED, 'Decommissioned'),
    ]


class ConnectionStatusChoices:
    UNKNOWN = 'unknown'
    CONNECTED = 'connected'
    DISCONNECTED = 'disconnected'
    ERROR = 'error'
    CHOICES = [
        (UNKNOWN, 'Unknown'),
        (CONNECTED, 'Connected'),
        (DISCONNECTED, 'Disconnected'),
        (ERROR, 'Error'),
    ]


class SyncStatusChoices:
    NEVER_SYNCED = 'never_synced'
    IN_SYNC = 'in_sync'
    OUT_OF_SYNC = 'out_of_sync'
    SYNCING = 'syncing'
    ERROR = 'error'
    CHOICES = [
        (NEVER_SYNCED, 'Never Synced'),
        (IN_SYNC, 'In Sync'),
        (OUT_OF_SYNC, 'Out of Sync'),
        (SYNCING, 'Syncing'),
        (ERROR, 'Sync Error'),
    ]


class KubernetesStatusChoices:
    UNKNOWN = 'unknown'
    PENDING = 'pending'
    APPLIED = 'applied'
    LIVE = 'live'
    ERROR = 'error'
    DELETING = 'deleting'
    CHOICES = [
        (UNKNOWN, 'Unknown'),
        (PENDING, 'Pending'),
        (APPLIED, 'Applied'),
        (LIVE, 'Live'),
        (ERROR, 'Error'),
        (DELETING, 'Deleting'),
    ]
