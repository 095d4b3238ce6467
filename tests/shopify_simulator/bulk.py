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
"""

import json

from graphql import GraphQLError, execute, get_named_type, parse, validate

from .graphql_api import SCHEMA, Context, default_resolver, selected_fields

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


def _is_connection(value):
    return (
        isinstance(value, dict)
        and ("edges" in value or "nodes" in value)
        and (set(value) <= {"edges", "nodes", "pageInfo"})
    )


def _connection_nodes(value):
    if "nodes" in value:
        return value["nodes"]
    return [edge["node"] for edge in value["edges"] if "node" in edge]


def _flatten(obj, parent_id, lines):
    row, children = {}, []
    for key, value in obj.items():
        if _is_connection(value):
            children.append(value)
        else:
            row[key] = value
    if parent_id is not None:
        row["__parentId"] = parent_id
    lines.append(json.dumps(row, separators=(",", ":")))
    for child in children:
        for node in _connection_nodes(child):
            _flatten(node, obj.get("id"), lines)


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


def execute_bulk_query(sim, shop, document):
    """Run a checked bulk query -> (jsonl text, root object count, error)."""
    result = execute(
        SCHEMA,
        document,
        context_value=Context(sim, shop, "bulk", bulk=True),
        field_resolver=default_resolver,
    )
    if result.errors:
        return None, 0, result.errors[0].message
    root = next(iter(result.data.values()))
    lines = []
    nodes = _connection_nodes(root)
    for node in nodes:
        _flatten(node, None, lines)
    return "".join(line + "\n" for line in lines), len(nodes), None


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
