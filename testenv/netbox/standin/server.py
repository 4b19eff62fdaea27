"""HTTP server of the stand-in: Django's threaded development server (the
runserver engine, which already strips request headers containing underscores,
as gunicorn >= 22 does in front of NetBox) plus support for chunked request
bodies.

Django 3.2's development server ignores `Transfer-Encoding: chunked`: it reads
no body and then parses the chunk bytes as the next request on the keep-alive
connection. A reverse proxy may forward a chunked body, and NetBox's real
servers decode it, so the body is decoded here before Django sees it.

Keep-alive: the server keeps HTTP/1.1 connections open between requests
(Django's handler does, for answers with a Content-Length). With keepalive
set, a connection that waits longer than that for its next request is
closed, as gunicorn's --keep-alive (default 2 s) does in front of NetBox.

Workers: with STANDIN_WORKERS > 1 the server forks that many processes, each
accepting on the one socket and serving one request per connection, as
gunicorn's sync workers do (fork_workers, serve); keepalive does not apply.
"""
import ctypes
import io
import os
import signal
import socket

from django.core.servers.basehttp import ServerHandler, ThreadedWSGIServer, WSGIRequestHandler, WSGIServer

MAX_CHUNKED_BODY = 64 << 20


class ChunkedBodyError(Exception):
    pass


def read_chunked(rfile):
    body = bytearray()
    while True:
        line = rfile.readline(1024)
        if not line.endswith(b'\n'):
            raise ChunkedBodyError('bad chunk size line')
        try:
            size = int(line.split(b';', 1)[0].strip(), 16)
        except ValueError:
            raise ChunkedBodyError('bad chunk size')
        if size == 0:
            # Trailer section, ended by an empty line.
            while rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                pass
            return bytes(body)
        if len(body) + size > MAX_CHUNKED_BODY:
            raise ChunkedBodyError('body too large')
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise ChunkedBodyError('truncated chunk')
        body += chunk
        rfile.readline(3)  # CRLF after the chunk


class RequestHandler(WSGIRequestHandler):
    # Seconds an idle connection waits for its next request; None waits for ever.
    keepalive = None

    def handle_one_request(self):
        """Django's handle_one_request, with chunked bodies decoded into CONTENT_LENGTH bytes
        and the idle keep-alive timeout."""
        if self.keepalive:
            self.connection.settimeout(self.keepalive)
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except socket.timeout:
            # Idle for too long: close, without an answer, as gunicorn does.
            self.close_connection = True
            return
        if self.keepalive:
            self.connection.settimeout(None)
        if len(self.raw_requestline) > 65536:
            self.requestline = ''
            self.request_version = ''
            self.command = ''
            self.send_error(414)
            return
        if not self.parse_request():
            return

        stdin = self.rfile
        environ = self.get_environ()
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            try:
                body = read_chunked(self.rfile)
            except ChunkedBodyError as exc:
                self.close_connection = True
                self.send_error(400, str(exc))
                return
            stdin = io.BytesIO(body)
            environ['CONTENT_LENGTH'] = str(len(body))
            environ.pop('HTTP_TRANSFER_ENCODING', None)

        handler = ServerHandler(stdin, self.wfile, self.get_stderr(), environ)
        handler.request_handler = self
        handler.run(self.droppable(self.server.get_app()))

    def droppable(self, app):
        """app, except that a request the fault middleware marked (faults.DROP_CONNECTION) gets
        no answer at all: the connection is shut down after the view ran and committed."""
        def run(environ, start_response):
            result = app(environ, start_response)
            if environ.get('standin.drop_connection'):
                if hasattr(result, 'close'):
                    result.close()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return []
            return result
        return run


def fork_workers(n):
    """Forks n - 1 more processes that serve the same listening socket, as gunicorn's
    pre-fork workers do: the kernel hands each new connection to one of them. The database
    connections opened so far (migrate, seed) are closed first, so that no two processes
    share one. A worker ends with the process that forked it (PR_SET_PDEATHSIG); the Go
    harness signals the whole process group anyway."""
    from django.db import connections
    connections.close_all()
    for _ in range(n - 1):
        if os.fork() == 0:
            _die_with_parent()
            return


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the process group's signal still reaches this worker


def serve(sock, app, keepalive=0, workers=1):
    """Serves app on an already bound socket until the process is stopped, in workers
    processes; idle keep-alive connections are closed after keepalive seconds (0: never)."""
    server = ThreadedWSGIServer
    if workers > 1:
        fork_workers(workers)
        # Each worker takes one request at a time and closes the connection after it
        # (Django's server answers Connection: close when it is not threaded), as gunicorn's
        # sync workers do: a busy worker accepts nothing, so the kernel hands the next
        # connection to an idle one.
        server = WSGIServer
    sock.setblocking(True)
    handler = type('RequestHandler', (RequestHandler,), {'keepalive': keepalive or None})
    httpd = server(sock.getsockname()[:2], handler,
                   ipv6=sock.family == socket.AF_INET6, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = sock
    httpd.server_address = sock.getsockname()
    httpd.server_name, httpd.server_port = httpd.server_address[:2]
    httpd.setup_environ()
    httpd.server_activate()
    httpd.set_app(app)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
