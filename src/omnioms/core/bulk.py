"""Fast multi-row INSERT for the intake's hot path.

``QuerySet.bulk_create`` runs Django's SQL compiler over every value of every row; for a file
import that was most of the time spent. :func:`bulk_insert` writes the same rows (each value
converted as its field's own ``pre_save`` and ``get_db_prep_save`` would, so exactly what
``bulk_create`` would store) with one hand-built statement per batch: ``INSERT ... VALUES
(...), (...)`` on SQLite, ``INSERT ... SELECT FROM unnest(...)`` on PostgreSQL. It handles
only what the intake needs: plain rows, no signals, ``ON CONFLICT DO NOTHING`` as the only
conflict handling, no multi-table inheritance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, models, router
from django.db.models import signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)
_NO_OFFSET = timedelta(0)


class JsonText(str):
    """JSON already serialised, for a ``JSONField`` written by :func:`bulk_insert`: stored as
    this text instead of the text ``json.dumps`` would make of the value it encodes."""

    __slots__ = ()


def bulk_insert(
    objs: Sequence[M], *, returning_ids: bool = True, ignore_conflicts: bool = False
) -> Sequence[M]:
    """Insert unsaved model instances; with ``returning_ids`` their primary keys are set.

    ``ignore_conflicts`` skips rows a unique constraint refuses (``ON CONFLICT DO NOTHING``);
    their ids are not known, so it cannot be combined with ``returning_ids``.

    Foreign keys may point at objects saved earlier in the same transaction (their ids are
    read now). Call inside a transaction, or with one object in autocommit mode (one statement,
    committed when it returns).
    """
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    plan = _insert_plan(model, connection.alias)
    if ignore_conflicts and returning_ids:
        raise ValueError("ignore_conflicts cannot return ids: pass returning_ids=False")
    row = plan.row
    # What follows the VALUES: the ids to return, or what to do with a refused row.
    suffix = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning_ids:
        suffix = plan.returning
    if connection.vendor == "postgresql":
        with connection.wrap_database_errors:
            cursor = _psycopg_cursor(connection)
            if len(objs) == 1:  # a webhook's payload: one short statement
                cursor.execute(plan.insert + plan.row_sql + suffix, row(objs[0]))
            else:
                # One statement whatever the number of rows: each column is sent as one
                # array and the rows are read back out of them (``unnest``), as Django's
                # bulk_create does on PostgreSQL. The statement's text is the same for any
                # number of rows, so psycopg prepares it once, and the server parses and
                # plans it once instead of once per row; ids come back in the rows' order.
                # The arrays are sent in binary (``%b``): the text format escapes each quote
                # and backslash of every element in Python, hundreds per JSON snapshot.
                columns = list(zip(*(row(obj) for obj in objs), strict=True))
                cursor.execute(plan.insert_unnest + suffix, [list(c) for c in columns])
            if returning_ids:
                for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = pk
        _mark_saved(objs, connection.alias)
        return objs

    connection.ensure_connection()
    with connection.wrap_database_errors:
        # The driver's own cursor with its own ``?`` placeholders: Django's wrapper would
        # rewrite every ``%s`` of a 500-row statement with a regular expression first.
        cursor = connection.connection.cursor()
        try:
            for start in range(0, len(objs), plan.batch):
                chunk = objs[start : start + plan.batch]
                params = [value for obj in chunk for value in row(obj)]
                # Identifiers come from the model and are quoted; every value is a parameter.
                sql = plan.insert + ", ".join([plan.row_sql] * len(chunk)) + suffix
                cursor.execute(sql, params)
                if returning_ids:
                    for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                        obj.pk = pk
        finally:
            cursor.close()
    _mark_saved(objs, connection.alias)
    return objs


@dataclass(frozen=True)
class _InsertPlan:
    insert: str
    """``INSERT INTO table (columns) VALUES `` (the rows follow)."""
    insert_unnest: str
    """PostgreSQL: ``INSERT INTO table (columns) SELECT * FROM unnest(...)``, one array a
    column."""
    row_sql: str
    returning: str
    batch: int
    """Rows per statement on SQLite (its parameter limit)."""
    row: Callable[[Any], list[Any]]
    """An object's values in column order, converted for the database."""


@cache
def _insert_plan(model: type[models.Model], alias: str) -> _InsertPlan:
    """What :func:`bulk_insert` needs of a model, worked out once per model and database."""
    connection = connections[alias]
    opts = model._meta
    # A generated primary key is left to the database; one the row carries (a one-to-one
    # primary key such as an order's stock status) is written like any other column.
    generated = opts.pk if isinstance(opts.pk, models.AutoField) else None
    fields = [f for f in opts.concrete_fields if f is not generated]
    quote = connection.ops.quote_name
    marker = "?" if connection.vendor == "sqlite" else "%s"
    columns = ", ".join(quote(f.column) for f in fields)
    max_params = connection.features.max_query_params or 30000
    arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields)
    return _InsertPlan(
        insert=f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ",  # noqa: S608
        insert_unnest=f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays})",
        row_sql="(" + ", ".join([marker] * len(fields)) + ")",
        returning=f" RETURNING {quote(opts.pk.column)}",
        batch=max(1, min(500, max_params // len(fields))),
        row=_row_function(model, fields, connection),
    )


def _row_function(model: type[models.Model], fields: list[Any], connection: Any) -> Any:
    """A function giving an object's values for ``fields``, converted for the database.

    It runs once per row and value of every import, so it is generated as straight-line code
    (the way ``dataclasses`` and ``attrs`` build ``__init__``): one expression per field that
    reads the instance's ``__dict__`` (what the field descriptor would return), passes a value
    that already has the type the column takes (``None``, a ``str`` for a ``CharField``...) as
    it is, and hands anything else to the field's own conversion. ``auto_now`` fields go through
    ``pre_save`` as in ``save()``. A foreign key still ``None`` whose related object was saved
    after it was assigned takes that object's id first, as ``save()`` does.
    """
    names: dict[str, Any] = {"_sync": _sync_foreign_key}
    syncs: list[str] = []
    values: list[str] = []
    for i, field in enumerate(fields):
        names[f"F{i}"], names[f"C{i}"] = field, _converter(field, connection)
        read = f"d[{field.attname!r}]"
        if field.is_relation:
            syncs.append(
                f"    if {read} is None and {field.cache_name!r} in cached: _sync(obj, F{i})"
            )
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append(f"C{i}(F{i}.pre_save(obj, True))")
        elif (plain := _plain_type(field)) is str:
            # Django passes any str through a text column as it is, choices' enum members too.
            values.append(f"(v if (v := {read}) is None or isinstance(v, str) else C{i}(v))")
        elif plain is not None:
            names[f"T{i}"] = plain
            values.append(f"(v if (v := {read}) is None or type(v) is T{i} else C{i}(v))")
        else:
            values.append(f"C{i}({read})")
    source = "\n".join(
        [
            "def row(obj, d):",
            "    cached = obj._state.fields_cache",
            *syncs,
            "    return [",
            *(f"        {value}," for value in values),
            "    ]",
        ]
    )
    exec(compile(source, f"<bulk row of {model._meta.label}>", "exec"), names)  # noqa: S102
    built: Callable[[Any, dict[str, Any]], list[Any]] = names["row"]
    relations = [field for field in fields if field.is_relation]

    def row(obj: Any) -> list[Any]:
        try:
            return built(obj, obj.__dict__)
        except KeyError:  # a deferred field: read every value through its descriptor
            for field in relations:
                _sync_foreign_key(obj, field)
            values = {field.attname: getattr(obj, field.attname) for field in fields}
            return built(obj, values)

    return row


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


def _plain_type(field: Any) -> type | None:
    """The Python type whose values ``field`` stores as they are, if there is one."""
    if field.is_relation:
        target = type(field.target_field)
        return int if target in (models.AutoField, models.BigAutoField) else None
    return _PLAIN.get(type(field))


def _converter(field: Any, connection: Any) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` with shortcuts for the values the intake writes most."""
    prepare = partial(field.get_db_prep_save, connection=connection)
    if type(field) is models.DateTimeField:
        return _datetime_converter(prepare, connection)
    if type(field) is models.JSONField:
        return _json_converter(field, prepare, connection)
    plain = _plain_type(field)
    if plain is str:  # as the generated row code: any str, choices' enum members too

        def convert_text(value: Any) -> Any:
            return value if value is None or isinstance(value, str) else prepare(value)

        return convert_text

    def convert(value: Any) -> Any:
        if value is None or type(value) is plain:
            return value
        return prepare(value)

    return convert


def _json_converter(
    field: Any, prepare: Callable[[Any], Any], connection: Any
) -> Callable[[Any], Any]:
    """A JSON value as Django's backend sends it; :class:`JsonText` as the text it holds.

    On SQLite that is ``json.dumps`` with the field's encoder, called directly instead of
    through the three field and backend methods that end there.
    """
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        def convert_pg(value: Any) -> Any:
            return Jsonb(value, dumps=str) if type(value) is JsonText else prepare(value)

        return convert_pg
    encoder = field.encoder

    def convert(value: Any) -> Any:
        if value is None:
            return prepare(value)
        if type(value) is JsonText:
            return str(value)
        return json.dumps(value, cls=encoder)

    return convert


def _datetime_converter(prepare: Callable[[Any], Any], connection: Any) -> Callable[[Any], Any]:
    """An aware datetime as Django's backend would send it: as it is to PostgreSQL; naive in the
    connection's zone and as text to SQLite (``DatabaseOperations.adapt_datetimefield_value``)."""
    if connection.vendor == "postgresql":
        return lambda value: value if type(value) is datetime and value.tzinfo else prepare(value)
    if connection.vendor == "sqlite" and settings.USE_TZ:
        zone = connection.timezone
        in_utc = zone.utcoffset(None) == _NO_OFFSET

        def convert(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                if in_utc and value.utcoffset() == _NO_OFFSET:
                    return str(value)[:-6]  # the same text without converting: drop "+00:00"
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
