"""A faithful local stand-in for the Shopify Admin GraphQL API (tests, demo).

Start it as a process::

    python3 -m tests.shopify_simulator --port 8765 --fixture demo

or in-process::

    from tests.shopify_simulator import Simulator
    sim = Simulator(fixture="demo").start()   # port 0: a free port
    ... sim.base_url, sim.graphql_url("2026-07"), sim.levels(shop) ...
    sim.stop()

Modules: ``make_schema`` (builds the committed ``schema.graphql`` subset of the
real schema), ``state`` (store objects), ``graphql_api`` (execution: it
installs the registry of ``schema`` once ``resolvers_inventory``,
``resolvers_orders``, ``resolvers_webhooks``, ``resolvers_bulk`` and
``mutations`` filled it; with ``search``, ``paging`` and ``cost``), ``bulk``
(bulk queries and mutations, JSONL), ``webhooks`` (payloads and the retrying
sender), ``simulator`` (the facade: locking, the log, lifecycle and
persistence) and the mixins it is made of, one per concern: ``faults``,
``rate_limit`` (bucket and cost), ``inventory``, ``orders``, ``fulfilment``,
``webhook_subscriptions`` and ``bulk_operations``; ``server`` (HTTP endpoint
and ``/_sim/`` control API) and ``fixtures``.
"""

from .fixtures import DEMO_DOMAIN, DEMO_TOKEN, DEMO_WEBHOOK_SECRET
from .simulator import Simulator

__all__ = ["DEMO_DOMAIN", "DEMO_TOKEN", "DEMO_WEBHOOK_SECRET", "Simulator"]
