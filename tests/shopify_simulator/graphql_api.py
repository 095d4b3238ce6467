"""GraphQL execution against the simulated store: resolvers, search, paging, cost.

Documents are parsed and validated by graphql-core against ``schema.graphql``
(the generated subset of Shopify's real schema) and executed generically: every
field is resolved by a resolver registered for ``(TypeName, fieldName)`` or,
failing that, by reading the snake_case attribute (or the dict key) of the
parent object.  No document text is ever matched, so any valid document over
the supported fields runs.

Paging follows Shopify: connections need ``first`` or ``last`` (at most 250),
cursors are opaque base64 JSON holding the sort key of the last node, and
``reverse``/``sortKey`` are honoured for the common keys.  Inside a bulk
operation (``Context.bulk``) the limits are lifted and every node is returned.

Search (``query:`` argument) implements the part of Shopify's syntax clients
use: ``field:value``, ``field:>value`` (``>=``, ``<``, ``<=``), quoted values,
``value*`` prefixes, ``-field:value`` negation, implicit AND and ``OR``.
Parentheses are accepted but ignored (OR binds loosest); unknown fields are
ignored, as Shopify does.

Cost follows Shopify's documented calculation: scalars and enums 0, objects 1,
connections 2 + size x (cost of one node), mutations 10.  The requested cost
uses ``first``/``last``; the actual cost counts what was returned.

By concern: ``schema`` (the executable schema, the resolver registry, the
per-request ``Context``, GID look-ups), ``search``, ``paging``, ``cost``, the
resolvers by area (``resolvers_inventory``, ``resolvers_orders``,
``resolvers_webhooks``, ``resolvers_bulk``) and ``mutations``.  Importing this
module registers them all on the schema; the names other modules use are
importable from here.
"""

from . import (  # register their resolvers
    mutations,
    resolvers_bulk,
    resolvers_inventory,
    resolvers_orders,
    resolvers_webhooks,
    transfers,
)
from .cost import operation_cost, selected_fields, selection_cost
from .mutations import idempotency_key, idempotent
from .paging import connection, decode_cursor, encode_cursor
from .resolvers_bulk import _poll, bulk_type
from .schema import (
    IDEMPOTENT,
    MAX_PAGE,
    MAX_QUERY_COST,
    MUTATION_COST,
    RESOLVERS,
    SCHEMA,
    SUPPORTED_VERSIONS,
    TYPE_NAMES,
    Context,
    _install_resolvers,
    default_resolver,
    find_node,
    resolve_type,
    resolver,
    snake,
    typed_node,
)
from .search import (
    exact_skus,
    items_for_search,
    parse_search,
    search_filter,
    variants_for_search,
)

__all__ = [
    "IDEMPOTENT",
    "MAX_PAGE",
    "MAX_QUERY_COST",
    "MUTATION_COST",
    "RESOLVERS",
    "SCHEMA",
    "SUPPORTED_VERSIONS",
    "TYPE_NAMES",
    "Context",
    "_poll",
    "bulk_type",
    "connection",
    "decode_cursor",
    "default_resolver",
    "encode_cursor",
    "exact_skus",
    "find_node",
    "idempotency_key",
    "idempotent",
    "items_for_search",
    "mutations",
    "operation_cost",
    "parse_search",
    "resolve_type",
    "resolver",
    "resolvers_bulk",
    "resolvers_inventory",
    "resolvers_orders",
    "resolvers_webhooks",
    "search_filter",
    "selected_fields",
    "selection_cost",
    "snake",
    "transfers",
    "typed_node",
    "variants_for_search",
]

_install_resolvers()
