"""Fast multi-row INSERT for the intake's hot path.

``QuerySet.bulk_create`` runs Django's SQL compiler over every value of every row; for a file
import that was most of the time spent. :func:`bulk_insert` writes the same rows (each value
converted by its field's own ``pre_save`` and ``get_db_prep_save``, so exactly what
``bulk_create`` would store) with one hand-built ``INSERT ... VALUES (...), (...)`` per batch.
It handles only what the intake needs: plain rows, no signals, no conflict handling, no
multi-table inheritance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, models, router
from django.db.models import signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)


def bulk_insert(objs: Sequence[M], *, returning_ids: bool = True) -> Sequence[M]:
    """Insert unsaved model instances; with ``returning_ids`` their primary keys are set.

    Foreign keys may point at objects saved earlier in the same transaction (their ids are
    read now). Call inside a transaction.
    """
    if not objs:
        return objs
    model = type(objs[0])
    opts = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    relations = [f for f in fields if f.is_relation]
    # pre_save only where it does something (auto_now fields); elsewhere the value as set.
    plan = [
        (
            field.attname,
            _converter(field, connection),
            bool(getattr(field, "auto_now", False)) or bool(getattr(field, "auto_now_add", False)),
            field,
        )
        for field in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(opts.pk.column)}" if returning_ids else ""
    max_params = connection.features.max_query_params or 30000
    batch = max(1, min(500, max_params // len(fields)))

    def row(obj: M) -> list[Any]:
        for field in relations:
            _sync_foreign_key(obj, field)
        values = obj.__dict__  # what the field descriptors would return, without the call
        return [
            convert(
                field.pre_save(obj, True)
                if stamp
                else values[attname]
                if attname in values
                else getattr(obj, attname)
            )
            for attname, convert, stamp, field in plan
        ]

    table = quote(opts.db_table)
    if connection.vendor == "postgresql":
        # One short statement, executed for every row in psycopg's pipeline mode: a single
        # round trip like a multi-row VALUES, but psycopg parses (and soon prepares) the
        # statement once instead of re-parsing thousands of placeholders per batch.
        sql = f"INSERT INTO {table} ({columns}) VALUES {row_sql}{returning}"  # noqa: S608
        with connection.wrap_database_errors:
            cursor = _psycopg_cursor(connection)
            cursor.executemany(sql, [row(obj) for obj in objs], returning=returning_ids)
            if returning_ids:
                for obj in objs:
                    obj.pk = cursor.fetchone()[0]
                    cursor.nextset()
        _mark_saved(objs, connection.alias)
        return objs

    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params = [value for obj in chunk for value in row(obj)]
            # Identifiers come from the model and are quoted; every value is a parameter.
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_sql] * len(chunk))
                + returning
            )
            cursor.execute(sql, params)
            if returning_ids:
                for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                    obj.pk = pk
    _mark_saved(objs, connection.alias)
    return objs


def _mark_saved(objs: Sequence[models.Model], alias: str) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def _psycopg_cursor(connection: Any) -> Any:
    """A server-side-binding cursor on Django's connection (same transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


# Field types whose database value is the Python value itself when it already has the type the
# field stores; anything else goes through the field's own conversion.
_PLAIN: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.BooleanField: bool,
    # DecimalField.to_python(Decimal) is an equal Decimal and no backend adapts it further.
    models.DecimalField: Decimal,
}


def _converter(field: Any, connection: Any) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` with shortcuts for the values the intake writes most."""
    prepare = partial(field.get_db_prep_save, connection=connection)
    if type(field) is models.DateTimeField:
        return _datetime_converter(prepare, connection)
    plain = _PLAIN.get(type(field))
    if field.is_relation and type(field.target_field) in (models.AutoField, models.BigAutoField):
        plain = int

    def convert(value: Any) -> Any:
        if value is None or type(value) is plain:
            return value
        return prepare(value)

    return convert


def _datetime_converter(prepare: Callable[[Any], Any], connection: Any) -> Callable[[Any], Any]:
    """An aware datetime as Django's backend would send it: as it is to PostgreSQL; naive in the
    connection's zone and as text to SQLite (``DatabaseOperations.adapt_datetimefield_value``)."""
    if connection.vendor == "postgresql":
        return lambda value: value if type(value) is datetime and value.tzinfo else prepare(value)
    if connection.vendor == "sqlite" and settings.USE_TZ:
        zone = connection.timezone

        def convert(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                return str(value.astimezone(zone).replace(tzinfo=None))
            return None if value is None else prepare(value)

        return convert
    return lambda value: None if value is None else prepare(value)


def _sync_foreign_key(obj: models.Model, field: Any) -> None:
    """Copy the id of a related object saved after it was assigned (as ``save()`` does)."""
    if getattr(obj, field.attname) is not None or not field.is_cached(obj):
        return
    related = field.get_cached_value(obj)
    if related is not None:
        if related.pk is None:
            raise ValueError(f"{field.name} of {obj!r} points at an unsaved object")
        setattr(obj, field.attname, related.pk)


def new_rows(model: type[M]) -> Any:
    """A fast constructor for unsaved rows of ``model`` taking column attnames (``order_id``).

    ``Model(**kwargs)`` runs a descriptor and a signal check per field; for a model nobody
    listens to (no ``pre_init``/``post_init`` receivers) this fills the instance's ``__dict__``
    directly, as ``Model.__init__`` would. Missing values take the field's default.
    """
    fields = model._meta.concrete_fields
    names = frozenset(f.attname for f in fields)
    constant: dict[str, Any] = {}
    computed: list[tuple[str, Callable[[], Any]]] = []
    for f in fields:
        if f.has_default() and callable(f.default):
            computed.append((f.attname, f.get_default))
        else:
            constant[f.attname] = f.get_default()  # None, "" or an immutable literal
    hooked = signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)

    def make(**values: Any) -> M:
        if not values.keys() <= names:
            raise TypeError(f"{model.__name__} has no fields {sorted(values.keys() - names)}")
        if hooked:
            return model(**{**constant, **{n: d() for n, d in computed}, **values})
        obj = model.__new__(model)
        obj._state = ModelState()
        state = obj.__dict__
        state.update(constant)
        for name, default in computed:
            if name not in values:
                state[name] = default()
        state.update(values)
        return obj

    return make


def bulk_set(objs: Sequence[M], fields: Sequence[str]) -> None:
    """``UPDATE ... FROM (VALUES ...)``: write ``fields`` of saved instances in one statement.

    ``QuerySet.bulk_update`` builds a ``CASE WHEN`` per row and field, which costs more than the
    rest of a batch; this joins the table to a list of values instead (PostgreSQL, and SQLite
    3.33 and newer).
    """
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    targets: list[Any] = [opts.get_field(name) for name in fields]
    converters = [_converter(field, connection) for field in targets]
    columns = ["id", *(f"v{i}" for i in range(len(targets)))]
    pk_type = opts.pk.db_type(connection)
    casts = [f"CAST(%s AS {pk_type})"] + [f"CAST(%s AS {f.db_type(connection)})" for f in targets]
    row_sql = "(" + ", ".join(casts) + ")"
    assignments = ", ".join(f"{quote(field.column)} = v.v{i}" for i, field in enumerate(targets))
    table = quote(opts.db_table)
    batch = max(1, min(500, (connection.features.max_query_params or 30000) // len(columns)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params: list[Any] = []
            for obj in chunk:
                for field in targets:
                    if field.is_relation:
                        _sync_foreign_key(obj, field)
                params.append(obj.pk)
                params.extend(
                    convert(getattr(obj, f.attname))
                    for f, convert in zip(targets, converters, strict=True)
                )
            # Identifiers come from the model and are quoted; every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            where = f"{table}.{quote(opts.pk.column)} = v.id"
            sql = f"WITH v ({', '.join(columns)}) AS (VALUES {values}) UPDATE {table} SET "  # noqa: S608
            sql += f"{assignments} FROM v WHERE {where}"
            cursor.execute(sql, params)
