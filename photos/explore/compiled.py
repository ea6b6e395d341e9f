"""Explore's per-request queries, compiled to SQL once per process instead of once per request.

Building and compiling a queryset with the visibility rule (``photos_visible_to``) costs the ORM
several milliseconds of Python, far more than PostgreSQL takes to run it (bench/recs_scale.py:
6.7 ms of the history read's 6.9 ms went to building and compiling it). The SQL is the same for
every signed-in viewer, only the parameters differ: a ``CompiledQuery`` compiles the queryset once
for stand-in values (a viewer and list arguments that no real one equals) and runs that SQL with
the stand-ins' parameters replaced by the real ones. The queryset, and so the visibility rule,
stays the one source of the SQL; hand-written because Django has no prepared-queryset API.

Only values that are pure parameters may vary (a viewer's id, an array of ids); anything that
changes the SQL's shape (signed in or not, a LIMIT) is part of the key. Other databases than
PostgreSQL build the queryset each time.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Field, ForeignObject, Lookup, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

from photos.models import User

# Stand-ins no real value equals: ids are positive.
STAND_IN_ID = -7_340_033


class _StandIn(list):
    """A list parameter told apart by identity from every other parameter."""


def ids_parameter(values: list, kind: str = "bigint") -> RawSQL | list:
    """Return ``values`` for an ``__in`` lookup as one array parameter on PostgreSQL (a list elsewhere).

    One parameter whatever the length: a couple of hundred placeholders cost more to build and
    parse than to run, and a compiled query's SQL must not depend on how many there are.
    """
    if connection.vendor != "postgresql":
        return values
    if kind == "text":
        return RawSQL("SELECT unnest(%s::text[])", [values])
    return RawSQL("SELECT unnest(%s::bigint[])", [values])


@ForeignObject.register_lookup  # foreign keys look their lookups up apart from other fields
@Field.register_lookup
class AnyOf(Lookup):
    """``column = ANY(array)``, the array one parameter (see ``ids_filter``)."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def ids_filter(field: str, values: list, kind: str = "bigint") -> Q:
    """Return a filter keeping rows whose ``field`` (a ``kind`` column) is one of ``values``: one array parameter.

    ``= ANY(array)`` rather than ``IN (SELECT unnest(array))``: the planner then knows it is a list of
    values to look up by index. Given the unnest, it hashed it against a scan of the whole photo
    table instead (Explore's visibility check: 10 ms of its 12 at 20k photos, 0.5 ms this way).
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    if kind == "bigint":
        return Q(**{f"{field}__any_of": RawSQL("%s::bigint[]", [values])})
    if kind == "text":
        return Q(**{f"{field}__any_of": RawSQL("%s::text[]", [values])})
    raise ValueError(f"ids_filter takes bigint or text values, not {kind!r}")


@dataclass
class CompiledQuery:
    """``build(viewer, *lists)`` returns a queryset; ``rows`` (values_list) or ``instances`` (model) runs it
    for any viewer and lists.

    The lists must reach the SQL as one parameter each (e.g. ``RawSQL("... unnest(%s::bigint[])", [ids])``).
    """

    build: Callable[..., QuerySet]
    _sql: dict[tuple, tuple] = field(default_factory=dict)

    def rows(self, viewer: User | AnonymousUser, *lists: list, key: Any = None) -> list[tuple]:
        if connection.vendor != "postgresql":
            return list(self.build(viewer, *lists))
        signed_in = viewer.is_authenticated
        compiled = self._sql.get((signed_in, key))
        stand_ins = [_StandIn([STAND_IN_ID]) for _ in lists]
        if compiled is None:
            stand_in_viewer = User(pk=STAND_IN_ID) if signed_in else viewer
            compiler = self.build(stand_in_viewer, *stand_ins).query.get_compiler(connection.alias)
            sql, params = compiler.as_sql()
            # The fields' own conversions of what the database returns (a JSON field's text...).
            converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
            # Where each stand-in went: the viewer's id by value, each list by identity.
            slots = tuple(_slot(param, stand_ins) for param in params)
            compiled = self._sql[signed_in, key] = (sql, tuple(zip(slots, params, strict=True)), compiler, converters)
        sql, params, compiler, converters = compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, list(_bind(params, viewer, lists)))
            rows = cursor.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def instances(self, viewer: User | AnonymousUser, *lists: list, key: Any = None) -> list[Model]:
        """Run a model queryset's SQL as ``rows`` does; return its instances as iterating the queryset would.

        ``select_related`` objects and annotations are set as Django's ModelIterable sets them;
        prefetches are the caller's (``prefetch_related_objects``).
        """
        if connection.vendor != "postgresql":
            return list(self.build(viewer, *lists))
        rows = self.rows(viewer, *lists, key=key)
        compiler = self._sql[viewer.is_authenticated, key][2]
        select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, connection.alias)
        instances = []
        for row in rows:
            instance = klass_info["model"].from_db(connection.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in (annotations or {}).items():
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


def _slot(param: Any, stand_ins: list[_StandIn]) -> str | int | None:
    """Return "viewer" for the stand-in viewer's id, the index of a stand-in list, else None (a constant)."""
    for index, stand_in in enumerate(stand_ins):
        if param is stand_in:
            return index
    if isinstance(param, int) and not isinstance(param, bool) and param == STAND_IN_ID:
        return "viewer"
    if isinstance(param, list) and STAND_IN_ID in param:
        raise ValueError("a list parameter must be passed whole, as one of the lists")
    return None


def _bind(params: Iterable[tuple], viewer: User | AnonymousUser, lists: tuple[list, ...]) -> Iterable[Any]:
    for slot, constant in params:
        if slot is None:
            yield constant
        elif slot == "viewer":
            yield viewer.pk
        else:
            yield lists[slot]
