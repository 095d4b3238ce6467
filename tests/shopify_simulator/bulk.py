"""Bulk operations: run a query without paging and write Shopify's JSONL.

The query is validated against the same schema and executed by the same
resolvers as normal requests, with ``Context.bulk`` set so that connections
ignore ``first``/``after`` and return everything.  The result is flattened as
Shopify does: one JSON object per line, each node of a nested connection on
its own line after its parent, linked by ``__parentId``; ``edges``/``node``
wrappers disappear.  Shopify's documented limits are enforced: the root field
must be a connection, at most 5 connections, at most 2 levels of nesting, and a
node holding a nested connection must select ``id``.

The query is checked when the operation is created (problems are
``userErrors``) and then runs on a background thread *without* the simulator
lock, like Shopify's asynchronous jobs: a 250 000-level export takes seconds
and must not stall other requests (it is not a consistent snapshot either,
which matches Shopify).  Reading the operation (``bulkOperation``,
``currentBulkOperation``, ``node``) moves it CREATED -> RUNNING, and RUNNING ->
COMPLETED (or FAILED) once the thread has finished, so clients always exercise
their polling loop.

A bulk query is executed by ``_BulkExecutor``, not graphql-core's executor:
the same resolvers, arguments and leaf serialisation, but each selection is
planned once per type (fields collected, arguments coerced, resolver looked
up) instead of once per object, and each node's line is written as soon as it
is resolved.  graphql-core spends about 150 us per inventory level on its
bookkeeping (paths, infos, completion checks); a million-level export took
minutes.  The document has been validated already, so what is left is
resolving and shaping the values.
"""

import io
import json

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    execute,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values

from . import bulk_levels
from .graphql_api import SCHEMA, Context, default_resolver, selected_fields, snake
from .paging import _BulkEdges

MAX_CONNECTIONS = 5
MAX_DEPTH = 2


def _check(selection_set, parent_type, fragments, depth, counter):
    """Shopify's static bulk-query rules; returns a problem string or None."""
    fields = list(selected_fields(selection_set, parent_type, fragments))
    for node, owner in fields:
        if node.name.value.startswith("__"):
            continue
        named = get_named_type(owner.fields[node.name.value].type)
        if named.name.endswith("Connection"):
            counter.append(node.name.value)
            if depth > MAX_DEPTH:
                return (
                    f"Bulk queries cannot contain connections with a nesting "
                    f"depth greater than {MAX_DEPTH}."
                )
            if depth > 0 and not any(n.name.value == "id" for n, _ in fields):
                return (
                    f"The parent of the nested connection '{node.name.value}' "
                    "must select the 'id' field."
                )
            node_type = get_named_type(named.fields["nodes"].type)
            for child, _ in selected_fields(node.selection_set, named, fragments):
                inner = child.selection_set
                if child.name.value == "edges":
                    edge_type = get_named_type(named.fields["edges"].type)
                    inner = next(
                        (
                            g.selection_set
                            for g, _ in selected_fields(
                                child.selection_set, edge_type, fragments
                            )
                            if g.name.value == "node"
                        ),
                        None,
                    )
                if child.name.value in ("edges", "nodes") and inner is not None:
                    problem = _check(inner, node_type, fragments, depth + 1, counter)
                    if problem:
                        return problem
        elif node.selection_set is not None:
            problem = _check(node.selection_set, named, fragments, depth, counter)
            if problem:
                return problem
    return None


# one encoder for every line: ``json.dumps`` with arguments builds one per call
_encode = json.JSONEncoder(separators=(",", ":")).encode


class _Info:
    """What the resolvers read of graphql-core's ``GraphQLResolveInfo``."""

    __slots__ = ("context", "field_name", "field_nodes", "variable_values")

    def __init__(self, context, field_name, field_nodes):
        self.context = context
        self.field_name = field_name
        self.field_nodes = field_nodes
        self.variable_values = {}


def _attribute_resolver(name):
    """``default_resolver`` for one field, its attribute name made once."""
    attribute = snake(name)

    def resolve(obj, _info, **_args):
        if isinstance(obj, dict):
            return obj.get(name)
        return getattr(obj, attribute, None)

    resolve.attribute = (name, attribute)
    return resolve


def _getter(resolve, info, args, shape):
    """``shape(resolve(obj, info, **args))`` as one function of ``obj``,
    with fewer calls on the paths a bulk export takes a million times."""
    if args:
        return lambda obj: shape(resolve(obj, info, **args))
    attribute = getattr(resolve, "attribute", None)
    if attribute is not None:  # an attribute read, inlined
        name, attr = attribute

        def get(obj):
            if isinstance(obj, dict):
                return shape(obj.get(name))
            return shape(getattr(obj, attr, None))

        return get
    if shape is _same:
        return lambda obj: resolve(obj, info)
    return lambda obj: shape(resolve(obj, info))


class _BulkExecutor:
    """Resolve a validated bulk query and write Shopify's JSONL lines.

    Fields are resolved by the resolvers normal requests use; values are
    shaped as graphql-core shapes them (aliases, fragments, ``__typename``,
    ``@include``/``@skip``, abstract types, non-null checks, leaf
    serialisation).  The nodes of a connection selected by a node become
    lines of their own after their parent's, with ``__parentId``, as
    Shopify flattens them.  Any error fails the whole query, as in Shopify's
    bulk operations.

    A selection on a type is planned once: a list of ``(response key,
    resolver, info, arguments, completer, connection)``, the completer a
    function made for the field's type that shapes a resolved value.
    """

    def __init__(self, context, document):
        self.context = context
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if d.kind == "fragment_definition"
        }
        self.operation = next(
            d for d in document.definitions if d.kind == "operation_definition"
        )
        self.plans = {}
        # plans whose lines ``bulk_levels`` writes directly: id(plan) -> writer
        self.writers = {}

    def run(self, lines):
        """Write the lines of the root connection's nodes -> root count."""
        root_type = SCHEMA.query_type
        fields = collect_fields(
            SCHEMA, self.fragments, {}, root_type, self.operation.selection_set
        )
        ((key, nodes),) = fields.items()
        _key, resolve, info, args, _complete, connection, _get = self._field(
            root_type, key, nodes
        )
        roots = 0
        for plan, node in self._connection_nodes(
            connection, resolve(None, info, **args)
        ):
            self._emit(plan, node, None, lines)
            roots += 1
        return roots

    # -- planning: once per (type, selection) ---------------------------------
    def _plan(self, runtime_type, field_nodes):
        key = (runtime_type.name, tuple(map(id, field_nodes)))
        plan = self.plans.get(key)
        if plan is None:
            fields = collect_sub_fields(
                SCHEMA, self.fragments, {}, runtime_type, field_nodes
            )
            plan = self.plans[key] = [
                self._field(runtime_type, response_key, nodes)
                for response_key, nodes in fields.items()
            ]
            if runtime_type.name == "InventoryLevel":
                writer = bulk_levels.level_line_writer(plan)
                if writer is not None:
                    self.writers[id(plan)] = writer
        return plan

    def _field(self, parent_type, response_key, nodes):
        name = nodes[0].name.value
        if name == "__typename":
            type_name = parent_type.name
            resolve = lambda *_a, **_k: type_name  # noqa: E731
            return (response_key, resolve, None, {}, _same, None, resolve)
        definition = parent_type.fields[name]
        named = get_named_type(definition.type)
        connection = None
        if named.name.endswith("Connection") and "nodes" in named.fields:
            connection = self._connection_plan(named, nodes)
        resolve = definition.resolve or _attribute_resolver(name)
        info = _Info(self.context, name, nodes)
        args = get_argument_values(definition, nodes[0], {})
        shape = self._completer(definition.type, nodes)
        return (
            response_key,
            resolve,
            info,
            args,
            shape,
            connection,
            _getter(resolve, info, args, shape),
        )

    def _connection_plan(self, connection_type, nodes):
        """How to reach the nodes of a connection, as Shopify flattens it:
        ``nodes`` if selected, else ``edges { node }``; None for a
        connection of which only ``pageInfo`` is selected (a plain value).

        :return: (node field nodes, node type, through edges)
        """
        node_type = get_named_type(connection_type.fields["nodes"].type)
        fields = collect_sub_fields(SCHEMA, self.fragments, {}, connection_type, nodes)
        by_name = {}
        for field_nodes in fields.values():
            by_name.setdefault(field_nodes[0].name.value, field_nodes)
        if "nodes" in by_name:
            return by_name["nodes"], node_type, False
        if "edges" in by_name:
            edge_type = get_named_type(connection_type.fields["edges"].type)
            edge_fields = collect_sub_fields(
                SCHEMA, self.fragments, {}, edge_type, by_name["edges"]
            )
            node_nodes = [
                n for ns in edge_fields.values() for n in ns if n.name.value == "node"
            ]
            return node_nodes, node_type, True
        return None

    def _completer(self, type_, nodes):
        """A function shaping a resolved value of ``type_`` as the result."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._completer(type_.of_type, nodes)
            name = nodes[0].name.value
            if is_leaf_type(type_.of_type):
                return _non_null_leaf(type_.of_type, name)

            def complete(value):
                if value is None:
                    raise GraphQLError(
                        f"Cannot return null for non-nullable field {name}."
                    )
                return inner(value)

            return complete
        if isinstance(type_, GraphQLList):
            inner = self._completer(type_.of_type, nodes)
            return lambda value: None if value is None else [inner(v) for v in value]
        if is_leaf_type(type_):
            serialize = _serializer(type_)
            return lambda value: None if value is None else serialize(value)
        plans = {}
        if not is_abstract_type(type_):  # one plan: no runtime type to find
            plan = None

            def complete_concrete(value):
                nonlocal plan
                if value is None:
                    return None
                if plan is None:
                    plan = [(entry[0], entry[6]) for entry in self._plan(type_, nodes)]
                return {key: get(value) for key, get in plan}

            return complete_concrete

        def complete(value):
            if value is None:
                return None
            runtime_type = self._runtime_type(type_, value)
            plan = plans.get(runtime_type)
            if plan is None:
                plan = plans[runtime_type] = self._plan(runtime_type, nodes)
            return {key: get(value) for key, _r, _i, _a, _s, _c, get in plan}

        return complete

    # -- values ---------------------------------------------------------------
    def _connection_nodes(self, connection, value):
        """(plan, object) of each node of a connection's resolved value."""
        if value is None or not connection or not connection[0]:
            return
        node_nodes, node_type, through_edges = connection
        objects = value["nodes"]
        if through_edges:
            edges = value["edges"]
            objects = (
                edges.window_nodes()
                if isinstance(edges, _BulkEdges)
                else (edge["node"] for edge in edges if "node" in edge)
            )
        if not is_abstract_type(node_type):  # one plan for every node
            plan = self._plan(node_type, node_nodes)
            for obj in objects:
                yield plan, obj
            return
        plans = {}
        for obj in objects:
            runtime_type = self._runtime_type(node_type, obj)
            plan = plans.get(runtime_type)
            if plan is None:
                plan = plans[runtime_type] = self._plan(runtime_type, node_nodes)
            yield plan, obj

    def _emit(self, plan, obj, parent_id, lines):
        """The line of one node, then the lines of its connections' nodes."""
        writer = self.writers.get(id(plan))
        if writer is not None:
            line = writer(obj, parent_id)
            if line is not None:
                lines.append(line)
                return
        row, children = {}, []
        for key, resolve, info, args, shape, connection, get in plan:
            if connection is None:
                row[key] = get(obj)
                continue
            value = resolve(obj, info, **args)
            if value is not None:
                children.append((connection, value))
            else:
                row[key] = shape(value)
        if parent_id is not None:
            row["__parentId"] = parent_id
        lines.append(_encode(row))
        node_id = row.get("id")
        for connection, value in children:
            for child_plan, child in self._connection_nodes(connection, value):
                self._emit(child_plan, child, node_id, lines)

    def _runtime_type(self, type_, value):
        if not is_abstract_type(type_):
            return type_
        return SCHEMA.get_type(type_.resolve_type(value, None, type_))


def _same(value):
    return value


# the built-in scalars' serialisations, with the values they keep as they are
# (an int in 32 bits, a str) returned at once: a bulk export serialises
# millions of them; anything else goes through graphql-core's own
_PLAIN = {"Int": int, "ID": str, "String": str, "Boolean": bool}


def _serializer(type_):
    """``type_.serialize``, short-cut for values it returns unchanged."""
    serialize = type_.serialize
    plain = _PLAIN.get(type_.name) if type_.serialize is not None else None
    if plain is int:
        return lambda v: v if type(v) is int and -(2**31) <= v < 2**31 else serialize(v)
    if plain is not None:
        return lambda v: v if type(v) is plain else serialize(v)
    return serialize


def _non_null_leaf(type_, name):
    """The completer of a non-null leaf field: null is an error."""
    serialize = _serializer(type_)

    def complete(value):
        if value is None:
            raise GraphQLError(f"Cannot return null for non-nullable field {name}.")
        return serialize(value)

    return complete


def check_bulk_query(query):
    """Parse and statically check a bulk query -> (document, problem)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, f"Invalid bulk query: {error.message}"
    errors = validate(SCHEMA, document)
    if errors:
        return None, f"Invalid bulk query: {errors[0].message}"
    operations = [d for d in document.definitions if d.kind == "operation_definition"]
    if len(operations) != 1 or operations[0].operation.value != "query":
        return None, "Bulk queries must contain exactly one query operation."
    fragments = {
        d.name.value: d for d in document.definitions if d.kind == "fragment_definition"
    }
    roots = list(
        selected_fields(operations[0].selection_set, SCHEMA.query_type, fragments)
    )
    if len(roots) != 1 or not get_named_type(
        SCHEMA.query_type.fields[roots[0][0].name.value].type
    ).name.endswith("Connection"):
        return None, "Bulk queries must have exactly one top-level connection field."
    connections = []
    problem = _check(
        operations[0].selection_set, SCHEMA.query_type, fragments, 0, connections
    )
    if problem is None and len(connections) > MAX_CONNECTIONS:
        problem = (
            f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
        )
    return (None, problem) if problem else (document, None)


class JsonlFile:
    """A result file written line by line, kept as bytes as it grows.

    ``append`` takes a line of text; every 10 000 lines are encoded into
    the file, so a ten-million-level export never holds its lines as a
    list of strings beside the file.  ``getvalue()`` is the file's bytes;
    iterating it gives its lines back as text (tests).
    """

    BLOCK = 10000

    def __init__(self):
        self.buffer = io.BytesIO()
        self.pending = []
        self.count = 0

    def append(self, line):
        self.pending.append(line)
        self.count += 1
        if len(self.pending) >= self.BLOCK:
            self._encode()

    def _encode(self):
        if self.pending:
            self.buffer.write(("\n".join(self.pending) + "\n").encode())
            self.pending = []

    def __len__(self):
        return self.count

    def getvalue(self):
        self._encode()
        return self.buffer.getvalue()

    def __iter__(self):
        return iter(self.getvalue().decode().splitlines())


def execute_bulk_query(sim, shop, document):
    """Run a checked bulk query -> (JSONL file, root object count, error)."""
    lines = JsonlFile()
    executor = _BulkExecutor(Context(sim, shop, "bulk", bulk=True), document)
    try:
        roots = executor.run(lines)
    except Exception as error:
        return None, 0, getattr(error, "message", None) or str(error)
    return lines, roots, None


# -- bulk mutations ------------------------------------------------------------------
#
# Since 2026-01 any mutation can run in bulk: the client stages a JSONL file of
# variables (``stagedUploadsCreate`` then a multipart POST of the file, as to
# Shopify's cloud storage), and ``bulkOperationRunMutation`` runs the mutation
# once per line, outside the cost bucket.  Up to ``MAX_MUTATION_OPERATIONS``
# run at once per app and shop.  The result file has one line per input line,
# ``{"data": ..., "__lineNumber": n}`` (``"errors"`` too when the line failed
# as a whole), in input order.

MAX_MUTATION_OPERATIONS = 5
STAGED_PREFIX = "tmp/bulk/"


def check_bulk_mutation(mutation):
    """Parse and check a bulk mutation -> (document, problem).

    Shopify accepts one mutation operation with exactly one root field.
    """
    try:
        document = parse(mutation)
    except GraphQLError as error:
        return None, f"Failed to parse the mutation - {error.message}"
    errors = validate(SCHEMA, document)
    if errors:
        return None, f"Invalid mutation: {errors[0].message}"
    operations = [d for d in document.definitions if d.kind == "operation_definition"]
    if len(operations) != 1 or operations[0].operation.value != "mutation":
        return None, "Bulk mutations must contain exactly one mutation."
    if len(operations[0].selection_set.selections) != 1:
        return None, "Bulk mutations must contain exactly one root field."
    return document, None


def parse_variables_file(raw):
    """JSONL bytes -> (list of variable dicts, problem)."""
    lines = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "The staged upload file is not UTF-8 JSONL."
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            variables = json.loads(line)
        except ValueError:
            return None, f"Line {number + 1} of the staged upload is not valid JSON."
        if not isinstance(variables, dict):
            return None, f"Line {number + 1} of the staged upload is not an object."
        lines.append(variables)
    return lines, None


def execute_mutation_line(sim, shop, version, document, variables, number):
    """One line of a bulk mutation, through the normal resolvers -> JSONL text.

    The caller holds the simulator lock: the line is applied atomically, like
    a normal call, with the same compare-and-set and idempotency semantics.
    """
    result = execute(
        SCHEMA,
        document,
        variable_values=variables,
        context_value=Context(sim, shop, version),
        field_resolver=default_resolver,
    )
    row = {}
    if result.errors:
        row["errors"] = [e.formatted for e in result.errors]
    row["data"] = result.data
    row["__lineNumber"] = number
    return json.dumps(row, separators=(",", ":"))
