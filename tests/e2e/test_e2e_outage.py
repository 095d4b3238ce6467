"""End to end: Shopify down for two minutes, and the sync heals itself (issue 23).

Every call fails for two minutes (one of HTTP 503, one of connections closed
unanswered) while Odoo's stock keeps changing.  With the alert threshold
shortened by its system parameter (30 s instead of 5 minutes):

* one alert "Shopify unreachable since …" opens while Shopify is down;
* the pushes wait, spending no retry, and no job fails for good;
* within 3 minutes of Shopify's return every level equals Odoo's figure,
  with no *Push All* and no reconciliation;
* the alert resolves.

The scheduled check (``Shopify: check the shops answer``, each minute) is
run by the test as its schedule would: the test servers run no cron thread.
Runs on its own copy of the harness's database, dropped afterwards.
"""

import time

import pytest

from ..support.e2e_stack import (
    NJ,
    TX,
    connect_shop,
    count,
    drain,
    run_cron,
    settle,
    shop_values,
    stack_fixtures,
    stock_evenly,
    wait_levels,
)
from ..support.odoo_server import wait_until

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

DOMAIN = "synco-outage.myshopify.com"
TOKEN = "shpat_synco_outage"
SECRET = "synco-outage-webhook-secret"
SKUS = ("OUT-TEE", "OUT-MUG", "OUT-CAP")
LOCATIONS = [(6001, NJ, None), (6002, TX, None)]
CRON = "synco_shopify.ir_cron_shopify_reachability"
HEALED_WITHIN = 180  # seconds after Shopify's return: the figure


sim, odoo = stack_fixtures(
    "outage",
    DOMAIN,
    TOKEN,
    SECRET,
    "Synco Outage",
    LOCATIONS,
    products=tuple((sku, None) for sku in SKUS),
    stock={NJ: 5, TX: 5},
)


@pytest.fixture(scope="module")
def setup(odoo, sim):
    odoo.call(
        "ir.config_parameter",
        "set_param",
        [],
        key="synco_shopify.outage_alert_minutes",
        value="0.5",
    )
    products, _warehouses, stock, expected = stock_evenly(
        odoo, SKUS, {NJ: "ONJ", TX: "OTX"}, "Outage"
    )
    shop, _locations = connect_shop(
        odoo, sim, shop_values("Outage E2E", DOMAIN, TOKEN), stock
    )
    settle(odoo, sim, DOMAIN, expected)
    run_cron(odoo, CRON)  # Shopify answers: nothing to tell
    return {"shop": shop, "products": products, "stock": stock, "expected": expected}


def alerts(odoo, shop, *states):
    return odoo.call(
        "shopify.alert",
        "search_read",
        [("shop_id", "=", shop), ("kind", "=", "unreachable"), ("state", "in", states)],
        fields=["state", "message", "occurrences"],
    )


def waiting_pushes(odoo):
    """Push jobs postponed by the outage (their result says why)."""
    return odoo.call(
        "queue.job",
        "search_read",
        [
            ("method_name", "=", "_job_push_inventory"),
            ("state", "=", "pending"),
            ("result", "!=", False),
        ],
        fields=["result", "retry"],
    )


def test_an_outage_heals_itself(odoo, sim, setup):
    shop = setup["shop"]
    assert alerts(odoo, shop, "open", "acknowledged", "resolved") == []
    sim.start_outage(1, "503")
    down_until = time.time() + 120
    # Odoo's stock keeps moving while Shopify is down
    changes = {("OUT-TEE", NJ): 23, ("OUT-MUG", TX): 11}
    count(odoo, setup["products"], setup["stock"], changes)
    setup["expected"].update(changes)

    def alert_open():
        run_cron(odoo, CRON)
        return alerts(odoo, shop, "open")

    opened = wait_until(alert_open, 90, interval=5, what="the unreachable alert")
    assert len(opened) == 1
    assert opened[0]["message"].startswith("Shopify unreachable since ")
    # the pushes wait for Shopify, spending no retry
    waiting = wait_until(
        lambda: waiting_pushes(odoo), 60, interval=2, what="pushes waiting"
    )
    assert all(job["retry"] == 0 for job in waiting), waiting

    # the second minute: connections closed unanswered, more stock moves
    sim.start_outage(max(0.0, (down_until - time.time()) / 60), "refused")
    more = {("OUT-CAP", NJ): 7, ("OUT-TEE", TX): 31}
    count(odoo, setup["products"], setup["stock"], more)
    setup["expected"].update(more)
    checked = 0
    while sim.in_outage():
        run_cron(odoo, CRON)  # still down: the one alert stays open
        still_open = alerts(odoo, shop, "open")
        tee = sim.levels(DOMAIN)[("OUT-TEE", NJ)]["available"]
        # only what was read before Shopify came back: a push retrying right
        # after the outage may already have written and resolved the alert
        if sim.in_outage():
            assert len(still_open) == 1
            assert tee == 20  # not written
            checked += 1
        time.sleep(5)
    assert checked, "the outage ended before it could be checked"

    # Shopify answers again: the minute's check heals everything
    back = time.monotonic()

    def healed():
        run_cron(odoo, CRON)
        levels = sim.levels(DOMAIN)
        return all(
            levels[key]["available"] == units
            for key, units in setup["expected"].items()
        )

    wait_until(healed, HEALED_WITHIN, interval=10, what="every level written")
    print(f"every level right {time.monotonic() - back:.0f} s after the outage")
    wait_levels(sim, DOMAIN, setup["expected"], 1)
    assert alerts(odoo, shop, "open", "acknowledged") == []
    assert len(alerts(odoo, shop, "resolved")) == 1
    drain(odoo)
    failed = odoo.call(
        "queue.job", "search_read", [("state", "=", "failed")], fields=["name"]
    )
    assert failed == []
    # nothing read Shopify first: no Push All, no reconciliation
    assert not odoo.call(
        "queue.job",
        "search_count",
        [("identity_key", "like", "synco_shopify.push_refresh:%")],
    )
    assert not odoo.call("shopify.reconciliation", "search_count", [])
