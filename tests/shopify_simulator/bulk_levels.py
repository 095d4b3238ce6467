"""The line of an inventory level in a bulk export, written directly.

A reconciliation exports every level of the shop (ten million for a big
Shopify Plus catalogue) with one selection: ``id``, ``item { id }`` and
``quantities(names: [...]) { name quantity }``.  ``_BulkExecutor`` resolves
and shapes each field of each level through its plan (about 13 us a level in
Python).  When a level's plan is exactly that selection (any order of those
fields, without alias, directive or other field) its line is formatted here
from the level's own numbers instead: the same gids, the same quantities
(``Level.quantity``, as ``_Quantity`` reads them), the same key order, the
same JSON as ``json.dumps`` gives for these values (gids and quantity names
need no escaping).  A quantity that is not a 32-bit integer (an error of
GraphQL's ``Int``) leaves the line to the executor, which raises as
graphql-core does.  ``test_bulk_export_matches_graphql_core`` checks the
lines byte for byte against graphql-core's executor.
"""

import json

from graphql.language import FieldNode

from . import state
from .resolvers_inventory import QUANTITY_NAMES, _level_quantities

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _plain_field(node, name):
    """Whether ``node`` selects ``name`` as it is: no alias, argument,
    directive or sub-selection."""
    return (
        isinstance(node, FieldNode)
        and node.name.value == name
        and node.alias is None
        and not node.arguments
        and not node.directives
        and node.selection_set is None
    )


def _sub_fields(node, names):
    """The plain fields ``node`` selects, in order, if they are ``names``
    (each once, in any order); None otherwise."""
    if node.selection_set is None:
        return None
    selected = []
    for child in node.selection_set.selections:
        name = getattr(getattr(child, "name", None), "value", None)
        if name not in names or name in selected or not _plain_field(child, name):
            return None
        selected.append(name)
    return selected if set(selected) == set(names) else None


def level_line_writer(plan):
    """A function ``(level, parent id) -> JSONL line or None`` for a plan
    of ``InventoryLevel`` that has the reconciliation's selection, else None.

    :param plan: ``_BulkExecutor._plan`` entries (response key, resolver,
        info, arguments, completer, connection, getter)
    """
    parts = []
    for key, resolve, info, args, _shape, connection, _get in plan:
        if info is None or connection is not None or len(info.field_nodes) != 1:
            return None
        node = info.field_nodes[0]
        if key != info.field_name or node.directives:
            return None
        attribute = getattr(resolve, "attribute", None)
        if key == "id" and _plain_field(node, "id") and attribute == ("id", "id"):
            parts.append("id")
        elif key == "item" and attribute == ("item", "item") and not node.arguments:
            if _sub_fields(node, ("id",)) is None:
                return None
            parts.append("item")
        elif key == "quantities" and resolve is _level_quantities:
            names = args.get("names") or []
            if set(args) != {"names"} or any(n not in QUANTITY_NAMES for n in names):
                return None  # the resolver's own error
            order = _sub_fields(node, ("name", "quantity"))
            if order is None:
                return None
            parts.append(("quantities", tuple(names), order == ["name", "quantity"]))
        else:
            return None
    return _writer(parts)


def _writer(parts):
    """The line writer of a checked selection (``level_line_writer``)."""
    # per part, (kind, names, the quantities' %-format): the JSON that
    # json.dumps gives for {"name": n, "quantity": q} (or the other order)
    steps = []
    for part in parts:
        if isinstance(part, tuple):
            _kind, names, name_first = part
            one = (
                '{"name":"%s","quantity":%%d}'
                if name_first
                else ('{"quantity":%%d,"name":"%s"}')
            )
            text = ",".join(one % name for name in names)
            steps.append(("quantities", names, f'"quantities":[{text}]'))
        else:
            steps.append((part, None, None))
    level_type = state.Level
    parents = {}  # parent id -> its JSON text, or False if it needs escaping

    def write(level, parent_id):
        if type(level) is not level_type:
            return None
        fields = []
        for kind, names, form in steps:
            if kind == "id":
                fields.append(f'"id":"{level.id}"')
            elif kind == "item":
                fields.append(f'"item":{{"id":"{level.item.id}"}}')
            else:
                values = tuple([level.quantity(name) for name in names])
                for value in values:
                    if type(value) is not int or not INT_MIN <= value <= INT_MAX:
                        return None
                fields.append(form % values)
        if parent_id is not None:
            parent = parents.get(parent_id)
            if parent is None:
                text = json.dumps(parent_id)
                parent = parents[parent_id] = (
                    text if text == f'"{parent_id}"' else False
                )
            if parent is False:
                return None
            fields.append(f'"__parentId":{parent}')
        return "{" + ",".join(fields) + "}"

    return write
