"""Query cost, following Shopify's documented calculation.

Scalars and enums 0, objects 1, connections 2 + size x (cost of one node),
mutations 10 (shopify.dev, "GraphQL Admin API rate limits", cost
calculation).  The requested cost uses ``first``/``last``; the actual cost
counts what was returned: fewer edges than asked for, an object returned
null.  Only connections are sized: a list of objects that is not one (an
inventory level's ``quantities(names:)``) is an object field, 1 however many
objects it returns, so the actual cost never exceeds the requested cost,
whose difference Shopify refunds.  ``nodes(ids:)`` is sized by its ids.
"""

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values

from .schema import MUTATION_COST, SCHEMA


def selected_fields(selection_set, parent_type, fragments):
    """(FieldNode, owner type) pairs of a selection set, fragments flattened."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection, parent_type
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                continue
            condition, inner = fragment.type_condition, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        else:
            continue
        owner = SCHEMA.get_type(condition.name.value) if condition else parent_type
        yield from selected_fields(inner, owner, fragments)


def _is_list(type_):
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def selection_cost(
    selection_set, parent_type, fragments, variables, data, actual, concrete=None
):
    """Shopify-style cost of a selection; ``actual`` walks the returned ``data``.

    On an interface the requested cost is that of the most expensive possible
    type (fragments on other types are exclusive); the actual cost only
    counts the fields present in ``data``.
    """
    if is_abstract_type(parent_type) and not actual and concrete is None:
        return max(
            (
                selection_cost(
                    selection_set,
                    parent_type,
                    fragments,
                    variables,
                    None,
                    False,
                    concrete=possible,
                )
                for possible in SCHEMA.get_possible_types(parent_type)
            ),
            default=0,
        )
    total = 0
    for node, owner in selected_fields(selection_set, parent_type, fragments):
        name = node.name.value
        if name.startswith("__"):
            continue
        if concrete is not None and is_object_type(owner) and owner is not concrete:
            continue
        field = owner.fields[name]
        named = get_named_type(field.type)
        if is_leaf_type(named):
            continue
        key = node.alias.value if node.alias else name
        value = data.get(key) if isinstance(data, dict) else None
        if actual and value is None:
            continue
        if named.name.endswith("Connection"):
            total += 2 + _connection_cost(
                node, field, named, fragments, variables, value, actual
            )
        elif name == "nodes" and owner is SCHEMA.query_type:
            # ``nodes(ids:)`` is sized by its ids, as a connection by ``first``
            each = (
                value
                if actual
                else [None] * len(get_argument_values(field, node, variables)["ids"])
            )
            for item in each:
                total += 1 + selection_cost(
                    node.selection_set, named, fragments, variables, item, actual
                )
        elif _is_list(field.type):
            # a list of objects that is not a connection is an object field:
            # 1, whatever its length (only connections are sized); returned,
            # it costs what its dearest object cost, never more than requested
            total += 1 + max(
                (
                    selection_cost(
                        node.selection_set, named, fragments, variables, item, actual
                    )
                    for item in (value if actual else [None])
                ),
                default=0,
            )
        else:
            total += 1 + selection_cost(
                node.selection_set, named, fragments, variables, value, actual
            )
    return total


def _connection_cost(node, field, connection_type, fragments, variables, value, actual):
    node_type = get_named_type(connection_type.fields["nodes"].type)
    edge_type = get_named_type(connection_type.fields["edges"].type)
    selections = []  # (selection_set, key path) of one node
    for child, _ in selected_fields(node.selection_set, connection_type, fragments):
        child_key = child.alias.value if child.alias else child.name.value
        if child.name.value == "nodes":
            selections.append((child.selection_set, child_key, None))
        elif child.name.value == "edges":
            for grandchild, _ in selected_fields(
                child.selection_set, edge_type, fragments
            ):
                if grandchild.name.value == "node":
                    grand_key = grandchild.alias.value if grandchild.alias else "node"
                    selections.append((grandchild.selection_set, child_key, grand_key))
    if actual:
        total = 0
        for selection_set, list_key, item_key in selections:
            for item in value.get(list_key) or []:
                item = item.get(item_key) if item_key else item
                total += 1 + selection_cost(
                    selection_set, node_type, fragments, variables, item, True
                )
        return total
    args = get_argument_values(field, node, variables)
    size = args.get("first") or args.get("last") or 0
    one = max(
        (
            1 + selection_cost(s, node_type, fragments, variables, None, False)
            for s, _, _ in selections
        ),
        default=0,
    )
    return size * one


def operation_cost(operation, fragments, variables, data=None, actual=False):
    root = (
        SCHEMA.mutation_type
        if operation.operation.value == "mutation"
        else (SCHEMA.query_type)
    )
    if root is SCHEMA.mutation_type:
        roots = selected_fields(operation.selection_set, root, fragments)
        return MUTATION_COST * sum(1 for _ in roots)
    return selection_cost(
        operation.selection_set, root, fragments, variables, data, actual
    )
