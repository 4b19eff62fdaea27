"""`manage.py serve_standin`: migrate, optionally seed demo data, then serve
(see standin/server.py) without autoreload or runserver's start-up banner.

The listening socket is either inherited (--fd N: the Go harness binds a free
port and passes it, so no other process can take the port in between) or
bound here (--addr host:port).

With STANDIN_STATIC_ROOT the static files are first copied there (collectstatic).
"""
import os
import shutil
import socket
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import get_internal_wsgi_application

from standin.server import serve


class Command(BaseCommand):
    help = 'Migrate and serve the NetBox stand-in.'
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument('--fd', type=int, help='inherited listening socket')
        parser.add_argument('--addr', default='127.0.0.1:8000', help='host:port to bind when --fd is absent')
        parser.add_argument('--no-migrate', action='store_true')

    def handle(self, *args, **options):
        if not options['no_migrate']:
            call_command('migrate', interactive=False, verbosity=0)
        if settings.STANDIN_STATIC_ROOT:
            collect_static(settings.STANDIN_STATIC_ROOT)
        if settings.STANDIN_DEMO:
            from standin.demo import seed
            seed()

        if options['fd'] is not None:
            sock = socket.socket(fileno=options['fd'])
        else:
            host, _, port = options['addr'].rpartition(':')
            if not host or not port.isdigit():
                raise CommandError(f'bad --addr {options["addr"]!r}')
            host = host.strip('[]')
            sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, int(port)))
            sock.listen(128)

        host, port = sock.getsockname()[:2]
        sys.stderr.write(f'netbox stand-in listening on http://{host}:{port}/{settings.BASE_PATH}\n')
        sys.stderr.flush()
        serve(sock, get_internal_wsgi_application(), keepalive=settings.STANDIN_KEEPALIVE,
              workers=settings.STANDIN_WORKERS)


def collect_static(root):
    """What `manage.py collectstatic` does for NetBox's STATIC_ROOT: copy every static file there."""
    from standin.views import static_files
    os.makedirs(root, exist_ok=True)
    for name, path in static_files().items():
        if not os.path.exists(path):
            raise CommandError(f'static file {name} is missing at {path} (run testenv/netbox/setup.sh)')
        shutil.copyfile(path, os.path.join(root, name))
