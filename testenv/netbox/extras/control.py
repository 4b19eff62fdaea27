"""Test control endpoint /-/standin/journal-entries/ (not part of NetBox): every journal
entry with its author's username, oldest first."""
from standin.control import control_endpoint
from django.http import JsonResponse

from .models import JournalEntry


@control_endpoint('GET')
def journal_entries(request):
    qs = JournalEntry.objects.select_related('assigned_object_type', 'created_by').order_by('pk')
    return JsonResponse([{
        'id': e.pk,
        'assigned_object_type': f'{e.assigned_object_type.app_label}.{e.assigned_object_type.model}',
        'assigned_object_id': e.assigned_object_id,
        'kind': e.kind,
        'comments': e.comments,
        'created_by': e.created_by.get_username() if e.created_by else None,
    } for e in qs], safe=False)
