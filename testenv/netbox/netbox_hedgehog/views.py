"""Plugin views (afewell-hh/hh-netbox-plugin, branch main).

- FabricListView / FabricDetailView: NetBox ObjectListView / ObjectView, i.e. login
  (302 to LOGIN_URL?next=...) and the view permission (403) are checked by the view.
- FabricStatusView: an htmx partial behind the same checks.
- SimpleFabricSyncView / SimpleFabricTestConnectionView (main:netbox_hedgehog/simple_sync.py):
  Django's login_required on dispatch, POST only (GET -> 405), no csrf_exempt, no
  permission check, get_object_or_404, and HTTP 200 JSON for every outcome.
- DjangoFabricSyncView (stand-in only, fabrics/<pk>/sync-django/): the same view running the
  plugin's real import (sync.py) against the fabric's Kubernetes API server.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import View

from standin.access import ConditionalLoginRequiredMixin, ObjectPermissionRequiredMixin

from .choices import ConnectionStatusChoices, SyncStatusChoices
from .models import HedgehogFabric
from .sync import KubernetesSync

VIEW_PERMISSION = 'netbox_hedgehog.view_hedgehogfabric'


class FabricListView(ConditionalLoginRequiredMixin, ObjectPermissionRequiredMixin, View):
    permission_required = VIEW_PERMISSION

    def get(self, request):
        return render(request, 'netbox_hedgehog/fabric_list.html', {
            'fabrics': HedgehogFabric.objects.all(),
        })


class FabricDetailView(ConditionalLoginRequiredMixin, ObjectPermissionRequiredMixin, View):
    permission_required = VIEW_PERMISSION

    def get(self, request, pk):
        fabric = get_object_or_404(HedgehogFabric, pk=pk)
        return render(request, 'netbox_hedgehog/fabric_detail.html', {'object': fabric})


class FabricStatusView(ConditionalLoginRequiredMixin, ObjectPermissionRequiredMixin, View):
    """GET fabrics/<pk>/status/: the fragment the detail page loads with hx-get."""
    permission_required = VIEW_PERMISSION

    def get(self, request, pk):
        fabric = get_object_or_404(HedgehogFabric, pk=pk)
        return render(request, 'netbox_hedgehog/inc/fabric_status.html', {'object': fabric})


@method_decorator(login_required, name='dispatch')
class SimpleFabricSyncView(View):
    """POST fabrics/<pk>/sync/ with the JSON contract of main's SimpleFabricSyncView.
    The stand-in has no cluster: a connected fabric syncs 0 CRDs successfully."""

    def post(self, request, pk):
        fabric = get_object_or_404(HedgehogFabric, pk=pk)
        fabrics = HedgehogFabric.objects.filter(pk=fabric.pk)

        if fabric.connection_status != ConnectionStatusChoices.CONNECTED:
            fabrics.update(sync_status=SyncStatusChoices.ERROR, sync_error='No active connection')
            messages.error(request, 'Cannot sync: Connection test required first.')
            return JsonResponse({
                'success': False,
                'error': 'Cannot sync: Connection test required first. Please test connection before syncing.',
            })

        fabrics.update(sync_status=SyncStatusChoices.SYNCING)
        now = timezone.now()
        fabrics.update(cached_crd_count=0, cached_vpc_count=0, vpcs_count=0, cached_connection_count=0,
                       connections_count=0, servers_count=0, switches_count=0, last_sync=now, sync_error='')
        fabrics.update(sync_status=SyncStatusChoices.IN_SYNC, last_sync=now, sync_error='')
        messages.success(request, f'Fabric "{fabric.name}" synchronized successfully.')
        return JsonResponse({
            'success': True,
            'message': f'Sync completed successfully! Fabric "{fabric.name}" is now synchronized.',
            'stats': {
                'total_crds': 0,
                'created': 0,
                'updated': 0,
                'errors': 0,
                'status': SyncStatusChoices.IN_SYNC,
                'details': '0 created, 0 updated',
            },
        })


@method_decorator(login_required, name='dispatch')
class SimpleFabricTestConnectionView(View):
    """POST fabrics/<pk>/test-connection/: always succeeds and marks the fabric connected."""

    def post(self, request, pk):
        fabric = get_object_or_404(HedgehogFabric, pk=pk)
        HedgehogFabric.objects.filter(pk=fabric.pk).update(
            connection_status=ConnectionStatusChoices.CONNECTED, connection_error='')
        messages.success(request, f'Connection test successful for fabric "{fabric.name}".')
        return JsonResponse({
            'success': True,
            'message': 'Connection test successful!',
            'details': {
                'cluster_version': 'v1.32.0',
                'platform': 'linux/amd64',
                'namespace_access': True,
                'namespace': fabric.kubernetes_namespace or 'default',
            },
        })


@method_decorator(login_required, name='dispatch')
class DjangoFabricSyncView(View):
    """
    POST fabrics/<pk>/sync-django/ (stand-in only): main's SimpleFabricSyncView with its real
    import (sync.KubernetesSync) against the fabric's Kubernetes API server, for comparison and
    benchmarks. Same decorators, JSON contract and status writes as the plugin's view.
    """

    def post(self, request, pk):
        fabric = get_object_or_404(HedgehogFabric, pk=pk)
        fabrics = HedgehogFabric.objects.filter(pk=fabric.pk)
        try:
            if fabric.connection_status != ConnectionStatusChoices.CONNECTED:
                fabrics.update(sync_status=SyncStatusChoices.ERROR, sync_error='No active connection')
                messages.error(request, 'Cannot sync: Connection test required first.')
                return JsonResponse({
                    'success': False,
                    'error': 'Cannot sync: Connection test required first. Please test connection before syncing.',
                })

            fabrics.update(sync_status=SyncStatusChoices.SYNCING)
            result = KubernetesSync(fabric).sync_all_crds()

            if result['success']:
                status = SyncStatusChoices.IN_SYNC if result['total'] > 0 else SyncStatusChoices.OUT_OF_SYNC
                fabrics.update(sync_status=status, last_sync=timezone.now(), sync_error='')
                messages.success(request, f'Fabric "{fabric.name}" synchronized successfully.')
                return JsonResponse({
                    'success': True,
                    'message': f'Sync completed successfully! Fabric "{fabric.name}" is now synchronized.',
                    'stats': {
                        'total_crds': result['total'],
                        'created': result['created'],
                        'updated': result['updated'],
                        'errors': result['errors'],
                        'status': status,
                        'details': f"{result['created']} created, {result['updated']} updated",
                    },
                })

            fabrics.update(sync_status=SyncStatusChoices.ERROR, sync_error=f"{result['errors']} CRDs failed to sync")
            messages.error(request, f"Sync completed with {result['errors']} errors")
            return JsonResponse({
                'success': False,
                'error': f"Sync completed with {result['errors']} errors",
                'stats': {
                    'total_crds': result['total'],
                    'updated': result['updated'],
                    'errors': result['errors'],
                    'error_details': result['error_details'][:5],
                },
            })
        except Exception as exc:
            fabrics.update(sync_status=SyncStatusChoices.ERROR, sync_error=str(exc))
            messages.error(request, f'Sync failed: {exc}')
            return JsonResponse({'success': False, 'error': f'Sync failed: {exc}'})
