"""Plugin URLs, mounted at /plugins/hedgehog/ (main:netbox_hedgehog/urls.py names)."""
from django.urls import path

from . import views

app_name = 'netbox_hedgehog'

urlpatterns = [
    path('fabrics/', views.FabricListView.as_view(), name='fabric_list'),
    path('fabrics/<int:pk>/', views.FabricDetailView.as_view(), name='fabric_detail'),
    path('fabrics/<int:pk>/status/', views.FabricStatusView.as_view(), name='fabric_status'),
    path('fabrics/<int:pk>/sync/', views.SimpleFabricSyncView.as_view(), name='fabric_sync'),
    path('fabrics/<int:pk>/sync-django/', views.DjangoFabricSyncView.as_view(), name='fabric_sync_django'),
    path('fabrics/<int:pk>/test-connection/', views.SimpleFabricTestConnectionView.as_view(),
         name='fabric_test_connection'),
]
