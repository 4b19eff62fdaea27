"""Request counting and fault injection for the plugin REST API (test-only, not NetBox).

State lives in this process (the stand-in is one threaded process) behind a lock. The
middleware in middleware.PluginAPIFaultMiddleware counts every request whose path is under
<BASE_PATH>api/plugins/hedgehog/, whatever its outcome, and answers injected faults before
NetBox sees the request; control.py reads and changes the state.
"""
import platform
import threading
import time

from django.conf import settings

_lock = threading.Lock()
_counts = {}
_faults = []  # dicts: route, method, status, times (-1 = unlimited), delay_ms, body, drop

COUNTED_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')


def api_prefix():
    return f'/{settings.BASE_PATH}api/plugins/hedgehog/'


def route_of(path_info):
    """'vpcs' for .../hedgehog/vpcs/ and .../hedgehog/vpcs/7/, '' for the API root; None outside."""
    prefix = api_prefix()
    if not path_info.startswith(prefix):
        return None
    return path_info[len(prefix):].split('/', 1)[0]


def count(method):
    with _lock:
        _counts[method] = _counts.get(method, 0) + 1


def counts():
    with _lock:
        data = {m: 0 for m in COUNTED_METHODS}
        data.update(_counts)
        return data


def reset_counts():
    with _lock:
        _counts.clear()


def _matches(pattern, value):
    return pattern in ('', '*') or pattern == value


def add_fault(spec):
    """Validates and adds {"route", "method", "status", "times", "delay_ms", "body"}."""
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
