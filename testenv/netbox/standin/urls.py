"""URL layout of NetBox (netbox/netbox/urls.py), all under BASE_PATH, plus the test
control endpoints at /-/standin/ (outside BASE_PATH, see control.py)."""
from django.conf import settings
from django.urls import include, path

from extras import control as extras_control

from . import api, control, views

plugin_patterns = [
    path('hedgehog/', include('netbox_hedgehog.urls')),
]

plugin_api_patterns = [
    path('', api.PluginsAPIRootView.as_view(), name='api-root'),
    path('hedgehog/', include('netbox_hedgehog.api.urls')),
]

netbox_patterns = [
    path('', views.HomeView.as_view(), name='home'),
    path('login/', views.LoginView.as_view(), name='login'),
    path('logout/', views.LogoutView.as_view(), name='logout'),
    path('media-failure/', views.MediaFailureView.as_view(), name='media_failure'),
    path('plugins/', include((plugin_patterns, 'plugins'))),
    path('api/', api.APIRootView.as_view(), name='api-root'),
    path('api/status/', api.StatusView.as_view(), name='api-status'),
    path('api/authentication-check/', api.AuthenticationCheckView.as_view(), name='authentication-check'),
    path('api/users/config/', api.UserConfigView.as_view(), name='users-api:userconfig'),
    path('api/plugins/', include((plugin_api_patterns, 'plugins-api'))),
    path('api/extras/', include('extras.api')),
    path('graphql/', views.GraphQLView.as_view(), name='graphql'),
]

if settings.STANDIN_SERVE_STATIC:
    netbox_patterns.append(path('static/<str:name>', views.static, name='static'))

control_patterns = [
    path('expire-sessions/', control.expire_sessions),
    path('sessions/', control.sessions),
    path('users/', control.users),
    path('fabrics/', control.fabrics),
    path('fabrics/<int:pk>/', control.fabric),
    path('api-requests/', control.api_requests),
    path('api-requests/reset/', control.api_requests_reset),
    path('faults/', control.faults),
    path('objects/<str:route>/', control.objects),
    path('journal-entries/', extras_control.journal_entries),
]

urlpatterns = [
    path('-/standin/', include(control_patterns)),
    path(settings.BASE_PATH, include(netbox_patterns)),
]
