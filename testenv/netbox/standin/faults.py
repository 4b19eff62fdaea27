"""Request counting and fault injection for the plugin REST API (test-only, not NetBox).

The middleware in middleware.PluginAPIFaultMiddleware counts every request whose path is under
<BASE_PATH>api/plugins/hedgehog/, whatever its outcome, and answers injected faults before
NetBox sees the request; control.py reads and changes the state.

The counts live in memory shared by every worker process (STANDIN_WORKERS): an anonymous
shared mapping made before the workers are forked, behind a process-shared lock. Faults live
in this process behind a thread lock, so they are refused when there are several workers: a
fault added through one worker would not be seen by the others.
"""
import mmap
import multiprocessing
import platform
import struct
import threading
import time

from django.conf import settings

COUNTED_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
# Slots of the shared counts: the counted methods, then every other method together.
_SLOTS = (*COUNTED_METHODS, 'HEAD', 'OPTIONS', 'OTHER')
_counts = mmap.mmap(-1, 8 * len(_SLOTS))  # MAP_SHARED | MAP_ANONYMOUS: inherited by fork
_counts_lock = multiprocessing.Lock()

_lock = threading.Lock()
_faults = []  # dicts: route, method, status, times (-1 = unlimited), delay_ms, body, drop


def api_prefix():
    return f'/{settings.BASE_PATH}api/plugins/hedgehog/'


def route_of(path_info):
    """'vpcs' for .../hedgehog/vpcs/ and .../hedgehog/vpcs/7/, '' for the API root; None outside."""
    prefix = api_prefix()
    if not path_info.startswith(prefix):
        return None
    return path_info[len(prefix):].split('/', 1)[0]


def count(method):
    slot = _SLOTS.index(method if method in _SLOTS else 'OTHER')
    with _counts_lock:
        n, = struct.unpack_from('<q', _counts, 8 * slot)
        struct.pack_into('<q', _counts, 8 * slot, n + 1)


def counts():
    """{method: requests} for every counted method, and for any other method seen."""
    with _counts_lock:
        values = struct.unpack_from(f'<{len(_SLOTS)}q', _counts)
    data = dict(zip(_SLOTS, values))
    return {m: n for m, n in data.items() if m in COUNTED_METHODS or n}


def reset_counts():
    with _counts_lock:
        _counts[:] = bytes(len(_counts))


def _matches(pattern, value):
    return pattern in ('', '*') or pattern == value


def add_fault(spec):
    """Validates and adds {"route", "method", "status", "times", "delay_ms", "body"}."""
    if settings.STANDIN_WORKERS > 1:
        raise ValueError(f'fault injection needs one worker process, not STANDIN_WORKERS={settings.STANDIN_WORKERS}: '
                         'a fault lives in the process that took it')
    if not isinstance(spec, dict):
        raise ValueError('a fault is a JSON object')
    unknown = set(spec) - {'route', 'method', 'status', 'times', 'delay_ms', 'body', 'drop'}
    if unknown:
        raise ValueError(f'unknown fault fields: {sorted(unknown)}')
    fault = {
        'route': str(spec.get('route') or '').strip('/'),
        'method': str(spec.get('method') or '').upper(),
        'status': int(spec.get('status') or 0),
        'times': int(spec.get('times') or 1),
        'delay_ms': int(spec.get('delay_ms') or 0),
        'body': spec.get('body'),
        # drop: handle the request normally (it is committed), then close the connection
        # without answering, as when a proxy or the network loses NetBox's answer.
        'drop': bool(spec.get('drop')),
    }
    if fault['status'] and not 100 <= fault['status'] <= 599:
        raise ValueError('status must be an HTTP status code (or 0 to only delay)')
    if not fault['status'] and not fault['delay_ms'] and not fault['drop']:
        raise ValueError('a fault needs a status, a delay_ms, a drop, or a combination')
    if fault['drop'] and fault['status']:
        raise ValueError('a drop fault answers nothing: it takes no status')
    if fault['times'] < -1 or fault['delay_ms'] < 0:
        raise ValueError('times must be >= 1 (or -1 for unlimited), delay_ms >= 0')
    with _lock:
        _faults.append(fault)
    return fault


def clear_faults():
    with _lock:
        _faults.clear()


def faults():
    with _lock:
        return [dict(f) for f in _faults]


def take_fault(route, method):
    """Returns (and uses up one time of) the first fault matching route and method, or None."""
    with _lock:
        for i, fault in enumerate(_faults):
            if _matches(fault['route'], route) and _matches(fault['method'], method):
                if fault['times'] > 0:
                    fault['times'] -= 1
                    if fault['times'] == 0:
                        del _faults[i]
                return dict(fault)
    return None


def fault_body(fault, route, method):
    if fault['body'] is not None:
        return fault['body']
    if fault['status'] >= 500:
        # NetBox's rest_api_server_error() shape.
        return {
            'error': f'Injected fault: {method} {route or "/"} answered {fault["status"]}',
            'exception': 'StandinInjectedFault',
            'netbox_version': settings.NETBOX_VERSION,
            'python_version': platform.python_version(),
        }
    return {'detail': f'Injected fault: {method} {route or "/"} answered {fault["status"]}'}


def delay(fault):
    if fault['delay_ms']:
        time.sleep(fault['delay_ms'] / 1000)


# The WSGI environ key that tells standin.server to close the connection instead of answering.
DROP_CONNECTION = 'standin.drop_connection'
