"""Substring search on both databases (docs/service.md, "Search").

PostgreSQL: the pg_trgm extension and a GIN trigram index on the search document, which serves
``LIKE '%term%'``. SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34+) over the
same column, kept in step by triggers (the external-content pattern of the FTS5 manual).
"""

from django.db import migrations

FTS = [
    "CREATE VIRTUAL TABLE service_search_fts USING fts5("
    "document, content='service_searchentry', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER service_search_ai AFTER INSERT ON service_searchentry BEGIN "
    "INSERT INTO service_search_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER service_search_ad AFTER DELETE ON service_searchentry BEGIN "
    "INSERT INTO service_search_fts(service_search_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER service_search_au AFTER UPDATE ON service_searchentry BEGIN "
    "INSERT INTO service_search_fts(service_search_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); "
    "INSERT INTO service_search_fts(rowid, document) VALUES (new.id, new.document); END",
]
FTS_DROP = [
    "DROP TRIGGER IF EXISTS service_search_au",
    "DROP TRIGGER IF EXISTS service_search_ad",
    "DROP TRIGGER IF EXISTS service_search_ai",
    "DROP TABLE IF EXISTS service_search_fts",
]
TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS service_search_trgm ON service_searchentry "
    "USING gin (document gin_trgm_ops)",
]
TRGM_DROP = ["DROP INDEX IF EXISTS service_search_trgm"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": FTS, "postgresql": TRGM}),
            _run({"sqlite": FTS_DROP, "postgresql": TRGM_DROP}),
        )
    ]
