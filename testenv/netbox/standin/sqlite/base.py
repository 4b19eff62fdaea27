"""Django's SQLite backend, with every transaction begun IMMEDIATE (what Django 5.1's
`"transaction_mode": "IMMEDIATE"` option does; Django 3.2 has no such option).

A deferred transaction that reads before it writes (a bulk update validates its objects
inside its transaction) cannot wait for another writer: SQLite refuses it at once with
"database is locked", whatever the timeout. NetBox's PostgreSQL lets two such writes run side
by side. Begun IMMEDIATE, a transaction takes the write lock first and waits up to the
timeout for it, so concurrent writes queue instead of failing.
"""
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper


class DatabaseWrapper(SQLiteDatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        self.cursor().execute('BEGIN IMMEDIATE')
