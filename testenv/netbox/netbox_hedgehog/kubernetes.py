"""A minimal Kubernetes client for the Django-side sync (stand-in for the `kubernetes` package's
CustomObjectsApi.list_namespaced_custom_object as the plugin's main branch uses it).

Connection settings follow HedgehogFabric.get_kubernetes_config() on main: the fabric's
`kubernetes_server`, `Authorization: Bearer <kubernetes_token>`, and TLS verification only when
`kubernetes_ca_cert` is set (the plugin turns verification off without a CA). Where main is broken
-- it hands the PEM text to a setting that expects a file path -- the CA is used as intended here
(ssl cadata). An empty `kubernetes_server` fails like the kubeconfig fallback does on a host
without a kubeconfig. Lists are single GETs without `limit`/`continue`, like the plugin's.
"""
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

# Seconds per request; the kubernetes package sets none by default, a test stand-in should not hang.
REQUEST_TIMEOUT = 60


class ConfigException(Exception):
    """kubernetes.config.ConfigException."""


class ApiException(Exception):
    """kubernetes.client.exceptions.ApiException: an HTTP answer other than 2xx."""

    def __init__(self, status, reason, body=''):
        super().__init__(status, reason, body)
        self.status = status
        self.reason = reason
        self.body = body

    def __str__(self):
        message = f'({self.status})\nReason: {self.reason}\n'
        if self.body:
            message += f'HTTP response body: {self.body}\n'
        return message


class CustomObjectsClient:
    def __init__(self, fabric, timeout=REQUEST_TIMEOUT):
        server = (fabric.kubernetes_server or '').strip()
        if not server:
            raise ConfigException('Invalid kube-config file. No configuration found.')
        self.host = server.rstrip('/')
        self.token = (fabric.kubernetes_token or '').strip()
        self.timeout = timeout
        ca = (fabric.kubernetes_ca_cert or '').strip()
        if self.host.startswith('https://'):
            if ca:
                self.ssl_context = ssl.create_default_context(cadata=ca)
            else:
                self.ssl_context = ssl._create_unverified_context()
        else:
            self.ssl_context = None

    def list_namespaced_custom_object(self, group, version, namespace, plural):
        """GET /apis/<group>/<version>/namespaces/<namespace>/<plural>: the decoded list (a dict)."""
        path = '/apis/{}/{}/namespaces/{}/{}'.format(*(urllib.parse.quote(p, safe='')
                                                       for p in (group, version, namespace, plural)))
        request = urllib.request.Request(self.host + path, headers={'Accept': 'application/json'})
        if self.token:
            request.add_header('Authorization', f'Bearer {self.token}')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.ssl_context) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode('utf-8', 'replace')
            raise ApiException(exc.code, exc.reason, body) from None
