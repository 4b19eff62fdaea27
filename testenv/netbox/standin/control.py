"""Test control endpoints under /-/standin/ (not part of NetBox).

They exist only when STANDIN_CONTROL_TOKEN is set, and every request must carry
`X-Standin-Control: <token>`; anything else gets a plain 404, as if the route
did not exist. They are csrf_exempt and bypass login: tests use them to seed
users and fabrics and to expire sessions without sleeping.
"""
import datetime
import functools
import hmac
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from netbox_hedgehog.models import CRD_KINDS, HedgehogFabric

from . import faults as fault_state
from .authentication import resolve_permissions

# REST route -> model, for objects/<route>/.
ROUTE_MODELS = {'fabrics': HedgehogFabric, **{route: model for route, _, model in CRD_KINDS}}


def control_endpoint(*methods):
    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            expected = settings.STANDIN_CONTROL_TOKEN
            given = request.headers.get('X-Standin-Control', '')
            if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                raise Http404()
            if request.method not in methods:
                return JsonResponse({'error': f'method {request.method} not allowed'}, status=405)
            try:
                return view(request, *args, **kwargs)
            except (ValueError, TypeError, KeyError, FieldDoesNotExist, ValidationError, IntegrityError) as exc:
                return JsonResponse({'error': str(exc)}, status=400)
        return wrapper
    return decorator


def request_data(request):
    """JSON body, or form fields."""
    if request.content_type == 'application/json':
        return json.loads(request.body or b'{}')
    return request.POST.dict()


def fabric_fields(fabric):
    """All stored fields by field name; a foreign key as its id, times in ISO 8601."""
    data = {}
    for field in fabric._meta.concrete_fields:
        value = getattr(fabric, field.attname)
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        data[field.name] = value
    return data


def _sessions_of(username):
    now = timezone.now()
    sessions = Session.objects.filter(expire_date__gt=now)
    if not username:
        return sessions
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return Session.objects.none()
    keys = [s.session_key for s in sessions if s.get_decoded().get('_auth_user_id') == str(user.pk)]
    return Session.objects.filter(session_key__in=keys)


@control_endpoint('POST')
def expire_sessions(request):
    """Moves expire_date into the past: Django's DB store then treats the session as absent."""
    username = request_data(request).get('username') or ''
    past = timezone.now() - datetime.timedelta(seconds=1)
    expired = _sessions_of(username).update(expire_date=past)
    return JsonResponse({'expired': expired})


@control_endpoint('GET')
def sessions(request):
    count = Session.objects.filter(expire_date__gt=timezone.now()).count()
    return JsonResponse({'count': count})


@control_endpoint('POST')
def users(request):
    """Create or update a user: {"username", "password", "superuser", "permissions", "token"}."""
    data = request_data(request)
    username = data['username']
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        if data.get('password'):
            user.set_password(data['password'])
        else:
            user.set_unusable_password()
        superuser = bool(data.get('superuser'))
        user.is_superuser = superuser
        user.is_staff = superuser
        user.is_active = data.get('active', True)
        for name in ('first_name', 'last_name', 'email'):
            if name in data:
                setattr(user, name, data[name])
        user.save()
        user.user_permissions.set(resolve_permissions(data.get('permissions') or []))
        if data.get('token'):
            Token.objects.filter(user=user).delete()
            Token.objects.filter(key=data['token']).delete()
            Token.objects.create(user=user, key=data['token'])
    return JsonResponse({'id': user.pk, 'created': created})


@control_endpoint('POST')
def fabrics(request):
    fabric = HedgehogFabric(**request_data(request))
    fabric.full_clean()
    fabric.save()
    return JsonResponse({'id': fabric.pk}, status=201)


@control_endpoint('GET', 'POST')
def fabric(request, pk):
    """GET: all fields; POST: update the given fields, then answer all fields."""
    obj = get_object_or_404(HedgehogFabric, pk=pk)
    if request.method == 'POST':
        for name, value in request_data(request).items():
            if name == 'id':
                continue
            obj._meta.get_field(name)  # FieldDoesNotExist for unknown names
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
    return JsonResponse(fabric_fields(obj))


@control_endpoint('GET')
def api_requests(request):
    """{"GET": n, "POST": n, "PUT": n, "PATCH": n, "DELETE": n} for /api/plugins/hedgehog/..."""
    return JsonResponse(fault_state.counts())


@control_endpoint('POST')
def api_requests_reset(request):
    fault_state.reset_counts()
    return JsonResponse(fault_state.counts())


@control_endpoint('GET', 'POST', 'DELETE')
def faults(request):
    """POST {"route", "method", "status", "times", "delay_ms", "body"} (or a list of them) adds
    faults; GET lists the remaining ones; DELETE clears them."""
    if request.method == 'POST':
        data = request_data(request)
        for spec in data if isinstance(data, list) else [data]:
            fault_state.add_fault(spec)
    elif request.method == 'DELETE':
        fault_state.clear_faults()
    return JsonResponse(fault_state.faults(), safe=False)


def _route_model(route):
    model = ROUTE_MODELS.get(route)
    if model is None:
        raise Http404()
    return model


@control_endpoint('GET', 'POST')
def objects(request, route):
    """
    GET ?fabric=<id>: every object of that kind (of that fabric), ordered by id, all stored fields.
    POST {fields} or [{fields}, ...]: creates objects without validation (as the plugin's own
    sync does, Model.objects.create()), in one transaction; answers their ids.
    """
    model = _route_model(route)
    if request.method == 'POST':
        data = request_data(request)
        items = data if isinstance(data, list) else [data]
        ids = []
        with transaction.atomic():
            for item in items:
                item = dict(item)
                if model is not HedgehogFabric and 'fabric' in item:
                    item['fabric_id'] = item.pop('fabric')
                ids.append(model.objects.create(**item).pk)
        return JsonResponse({'ids': ids}, status=201)
    qs = model.objects.order_by('pk')
    fabric_id = request.GET.get('fabric')
    if fabric_id:
        qs = qs.filter(pk=int(fabric_id)) if model is HedgehogFabric else qs.filter(fabric_id=int(fabric_id))
    return JsonResponse([fabric_fields(obj) for obj in qs], safe=False)
