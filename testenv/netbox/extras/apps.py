from django.apps import AppConfig


class ExtrasConfig(AppConfig):
    """NetBox's `extras` app, as far as the gateway uses it: journal entries."""
    name = 'extras'
    default_auto_field = 'django.db.models.BigAutoField'
