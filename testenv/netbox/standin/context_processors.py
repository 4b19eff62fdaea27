"""Template context shared by every page (NetBox templates read `settings.*`)."""
import functools

from django.conf import settings as django_settings
from django.utils.safestring import mark_safe

# NetBox 3.1's navigation menu (netbox/netbox/navigation_menu.py rendered by
# templates/inc/nav_menu.html): every model of every app, each with its add and import buttons.
# On a real 3.1 page it is some 120 KB, before the page's first form.
_MENU_GROUPS = ['Organization', 'Devices', 'Connections', 'Wireless', 'IPAM', 'Overlay', 'Virtualization', 'Circuits',
                'Power', 'Other', 'Plugins']
_MENU_ITEMS = ['Sites', 'Regions', 'Site Groups', 'Locations', 'Tenants', 'Tenant Groups', 'Contacts', 'Contact Groups',
               'Contact Roles', 'Racks', 'Rack Roles', 'Reservations', 'Devices', 'Device Roles', 'Platforms',
               'Virtual Chassis', 'Device Types', 'Manufacturers', 'Cables', 'Interfaces', 'Front Ports',
               'Rear Ports', 'Console Ports', 'Power Ports']


@functools.lru_cache(maxsize=1)
def nav_menu():
    base = f'/{django_settings.BASE_PATH}'
    parts = ['<ul class="navbar-nav" id="navbar-menu">']
    for group in _MENU_GROUPS:
        slug = group.lower()
        parts.append(f'<li class="nav-item dropdown"><a class="nav-link dropdown-toggle" href="#menu-{slug}" '
                     f'data-bs-toggle="dropdown" data-bs-auto-close="false" role="button" aria-expanded="false">'
                     f'<span class="nav-link-title">{group}</span></a><div class="dropdown-menu" id="menu-{slug}">')
        for item in _MENU_ITEMS:
            path = f'{base}{slug}/{item.lower().replace(" ", "-")}/'
            parts.append(
                f'<div class="dropdown-item d-flex justify-content-between ps-3 py-0">'
                f'<a class="d-inline-flex justify-content-between w-100 px-2 py-1 text-body" href="{path}">{item}</a>'
                f'<div class="btn-group ms-1 dropdown-item-buttons" role="group">'
                f'<a href="{path}add/" title="Add" class="btn btn-sm btn-success lh-1"><i class="mdi mdi-plus-thick"></i></a>'
                f'<a href="{path}import/" title="Import" class="btn btn-sm btn-primary lh-1"><i class="mdi mdi-upload"></i></a>'
                f'</div></div>')
        parts.append('</div></li>')
    parts.append('</ul>')
    return mark_safe('\n'.join(parts))


def settings_and_base_path(request):
    context = {
        'settings': django_settings,
        'BASE_PATH': django_settings.BASE_PATH,
    }
    if django_settings.NETBOX3:
        context['nav_menu'] = nav_menu()
    return context
