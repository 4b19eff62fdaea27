"""Template context shared by every page (NetBox templates read `settings.*`)."""
from django.conf import settings as django_settings


def settings_and_base_path(request):
    return {
        'settings': django_settings,
        'BASE_PATH': django_settings.BASE_PATH,
    }
