from django.apps import AppConfig


class StandinConfig(AppConfig):
    """Core of the stand-in: pages, API root, test control and the serve command."""
    name = 'standin'

    def ready(self):
        from django.db.backends.signals import connection_created

        # WAL lets readers proceed while the threaded server writes sessions.
        def sqlite_wal(sender, connection, **kwargs):
            if connection.vendor == 'sqlite':
                with connection.cursor() as cursor:
                    cursor.execute('PRAGMA journal_mode=WAL')

        connection_created.connect(sqlite_wal, dispatch_uid='standin-sqlite-wal')
