"""The plugin's Kubernetes-to-NetBox import as on its main branch (KubernetesSync.sync_all_crds in
main:netbox_hedgehog/utils/kubernetes.py), for comparison with hhgate's sync:

1. Fetch: one list call per kind in the fabric's namespace. A 404 (CRD not installed) counts 0;
   any other failure is recorded and, if any kind failed, nothing at all is imported.
2. Import, per object: get by (fabric, name, namespace), then a queryset update() of every field
   (bypassing change logging and full_clean) or Model.objects.create() (also without
   full_clean, so an empty spec is stored). Every object is rewritten on every run.
3. No deletions. Counts and last_sync go to the fabric with a queryset update, even when some
   objects failed.
"""
import logging

from django.utils import timezone

from .choices import KubernetesStatusChoices
from .kubernetes import ApiException, CustomObjectsClient
from .models import CRD_KINDS, HedgehogFabric

logger = logging.getLogger('netbox.plugins.netbox_hedgehog')

VERSION = 'v1beta1'


def determine_resource_status(resource):
    """Ready condition True -> live, any other Ready value -> error, no Ready condition -> applied."""
    status = resource.get('status') or {}
    for condition in status.get('conditions') or []:
        if condition.get('type') == 'Ready':
            if condition.get('status') == 'True':
                return KubernetesStatusChoices.LIVE
            return KubernetesStatusChoices.ERROR
    return KubernetesStatusChoices.APPLIED


class KubernetesSync:
    def __init__(self, fabric, client_factory=CustomObjectsClient):
        self.fabric = fabric
        self.client_factory = client_factory

    def sync_all_crds(self):
        results = {'success': True, 'total': 0, 'created': 0, 'updated': 0, 'errors': 0,
                   'error_details': [], 'totals_by_type': {}}
        try:
            fetch = self.fetch_crds_from_kubernetes()
            if not fetch['success']:
                results['success'] = False
                results['error_details'] = fetch['errors']
                results['errors'] = len(fetch['errors'])
                # The plugin saves the instance it loaded before the sync started.
                self.fabric.sync_error = '; '.join(fetch['errors'][:3])
                self.fabric.save()
                return results

            imported = self.import_crds_to_netbox(fetch['resources'])
            results['total'] = imported['total']
            results['created'] = imported['created']
            results['updated'] = imported['updated']
            results['errors'] += imported['errors']
            results['error_details'].extend(imported['error_details'])
            results['totals_by_type'] = fetch['totals']
            if imported['errors'] > 0:
                results['success'] = False

            totals = fetch['totals']
            HedgehogFabric.objects.filter(pk=self.fabric.pk).update(
                cached_crd_count=sum(totals.values()),
                cached_vpc_count=totals.get('VPC', 0),
                vpcs_count=totals.get('VPC', 0),
                cached_connection_count=totals.get('Connection', 0),
                connections_count=totals.get('Connection', 0),
                servers_count=totals.get('Server', 0),
                switches_count=totals.get('Switch', 0),
                last_sync=timezone.now(),
                sync_error='' if results['success'] else f"{results['errors']} errors occurred during sync",
            )
        except Exception as exc:
            logger.error('Fabric sync failed: %s', exc)
            results['success'] = False
            results['error_details'].append({'crd': 'fabric_sync', 'error': str(exc)})
            results['errors'] = 1
            self.fabric.sync_error = str(exc)
            self.fabric.save()
        return results

    def fetch_crds_from_kubernetes(self):
        results = {'success': True, 'resources': {}, 'totals': {}, 'errors': []}
        try:
            client = self.client_factory(self.fabric)
            for _, plural, model in CRD_KINDS:
                kind = model.__name__
                try:
                    response = client.list_namespaced_custom_object(
                        group=model.api_group, version=VERSION,
                        namespace=self.fabric.kubernetes_namespace or 'default', plural=plural)
                    items = response.get('items') or []
                    results['resources'][kind] = items
                    results['totals'][kind] = len(items)
                except ApiException as exc:
                    if exc.status == 404:
                        results['resources'][kind] = []
                        results['totals'][kind] = 0
                    else:
                        results['errors'].append(f'Failed to fetch {plural}: {exc}')
                        results['success'] = False
                except Exception as exc:
                    results['errors'].append(f'Unexpected error fetching {plural}: {exc}')
                    results['success'] = False
        except Exception as exc:
            results['errors'].append(f'Failed to initialize Kubernetes client: {exc}')
            results['success'] = False
        return results

    def import_crds_to_netbox(self, resources_by_kind):
        results = {'total': 0, 'created': 0, 'updated': 0, 'errors': 0, 'error_details': []}
        models_by_kind = {model.__name__: model for _, _, model in CRD_KINDS}
        for kind, resources in resources_by_kind.items():
            model = models_by_kind[kind]
            for resource in resources:
                try:
                    metadata = resource.get('metadata') or {}
                    name = metadata.get('name', '')
                    namespace = metadata.get('namespace') or 'default'
                    if not name:
                        continue
                    existing = None
                    try:
                        existing = model.objects.get(fabric=self.fabric, name=name, namespace=namespace)
                    except model.DoesNotExist:
                        pass
                    except Exception as exc:
                        logger.error('Error checking for existing %s %s: %s', kind, name, exc)
                        continue

                    data = {
                        'fabric': self.fabric,
                        'name': name,
                        'namespace': namespace,
                        'spec': resource.get('spec', {}),
                        'labels': metadata.get('labels') or {},
                        'annotations': metadata.get('annotations') or {},
                        'kubernetes_uid': metadata.get('uid', ''),
                        'kubernetes_resource_version': metadata.get('resourceVersion', ''),
                        'kubernetes_status': determine_resource_status(resource),
                        'last_synced': timezone.now(),
                        'sync_error': '',
                        'auto_sync': True,
                    }
                    if existing:
                        try:
                            update = {k: v for k, v in data.items() if k != 'fabric'}
                            model.objects.filter(pk=existing.pk).update(**update)
                            results['updated'] += 1
                        except Exception as exc:
                            results['errors'] += 1
                            results['error_details'].append(
                                {'crd': f'{kind}/{name}', 'error': str(exc), 'operation': 'update'})
                    else:
                        try:
                            model.objects.create(**data)
                            results['created'] += 1
                        except Exception as exc:
                            results['errors'] += 1
                            results['error_details'].append(
                                {'crd': f'{kind}/{name}', 'error': str(exc), 'operation': 'create'})
                    results['total'] += 1
                except Exception as exc:
                    results['errors'] += 1
                    results['error_details'].append({'crd': f'{kind}/unknown', 'error': str(exc),
                                                     'operation': 'process'})
        return results
