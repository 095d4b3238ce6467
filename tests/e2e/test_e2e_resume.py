"""End to end: resuming pushes what changed meanwhile (issue 23).

Freeze the shop, count, unfreeze: Shopify is right within 30 s, with no
*Push All* (no push reads Shopify first).  The same for the global pause of
event-driven pushes (the Settings switch) and for a paused mapping.

Runs on its own copy of the harness's database, dropped afterwards.
"""

import pytest

from ..support.e2e_stack import (
    NJ,
    TX,
    connect_shop,
    count,
    drain,
    settle,
    shop_values,
    stack_fixtures,
    stock_evenly,
    wait_levels,
)

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

DOMAIN = "synco-resume.myshopify.com"
TOKEN = "shpat_synco_resume"
SECRET = "synco-resume-webhook-secret"
TEE, MUG = "RES-TEE", "RES-MUG"
LOCATIONS = [(5001, NJ, None), (5002, TX, None)]
RESUMED_WITHIN = 30  # seconds: the figure


sim, odoo = stack_fixtures(
    "resume",
    DOMAIN,
    TOKEN,
    SECRET,
    "Synco Resume",
    LOCATIONS,
    products=((TEE, None), (MUG, None)),
    stock={NJ: 5, TX: 5},
)


@pytest.fixture(scope="module")
def setup(odoo, sim):
    products, _warehouses, stock, expected = stock_evenly(
        odoo, (TEE, MUG), {NJ: "RNJ", TX: "RTX"}, "Resume"
    )
    shop, _locations = connect_shop(
        odoo, sim, shop_values("Resume E2E", DOMAIN, TOKEN), stock
    )
    settle(odoo, sim, DOMAIN, expected)
    return {"shop": shop, "products": products, "stock": stock, "expected": expected}


def held_while_stopped(odoo, sim, setup, changes):
    """Count ``changes``; once every job ran, Shopify still shows the old figures."""
    before = {key: sim.levels(DOMAIN)[key]["available"] for key in changes}
    count(odoo, setup["products"], setup["stock"], changes)
    drain(odoo)
    after = {key: sim.levels(DOMAIN)[key]["available"] for key in changes}
    assert after == before, "nothing reaches Shopify while stopped"
    setup["expected"].update(changes)


def no_push_all(odoo):
    """No push read Shopify first: resuming is not *Push All*."""
    refreshes = odoo.call(
        "queue.job",
        "search_count",
        [("identity_key", "like", "synco_shopify.push_refresh:%")],
    )
    assert refreshes == 0


def set_global_pause(odoo, paused):
    settings = odoo.call("res.config.settings", "create", {"synco_push_paused": paused})
    odoo.call("res.config.settings", "execute", [settings])


def test_unfreeze_pushes_what_changed(odoo, sim, setup):
    odoo.call("shopify.shop", "action_freeze", [setup["shop"]])
    held_while_stopped(odoo, sim, setup, {(TEE, NJ): 23, (MUG, TX): 17})
    odoo.call("shopify.shop", "action_unfreeze", [setup["shop"]])
    wait_levels(sim, DOMAIN, setup["expected"], RESUMED_WITHIN, what="unfrozen: pushed")
    no_push_all(odoo)


def test_global_pause_off_pushes_what_changed(odoo, sim, setup):
    set_global_pause(odoo, True)
    held_while_stopped(odoo, sim, setup, {(TEE, NJ): 26, (MUG, NJ): 11})
    set_global_pause(odoo, False)
    wait_levels(
        sim, DOMAIN, setup["expected"], RESUMED_WITHIN, what="pause off: pushed"
    )
    no_push_all(odoo)


def test_activating_a_paused_mapping_pushes_what_changed(odoo, sim, setup):
    mapping = odoo.call(
        "shopify.location.mapping",
        "search",
        [("shop_id", "=", setup["shop"]), ("shopify_location_id.name", "=", NJ)],
    )
    odoo.call("shopify.location.mapping", "action_pause", mapping)
    # paused: New Jersey is out of sale, Texas untouched
    out_of_sale = {key: 0 for key in setup["expected"] if key[1] == NJ}
    wait_levels(
        sim, DOMAIN, out_of_sale, RESUMED_WITHIN, what="paused: New Jersey at 0"
    )
    drain(odoo)
    held_while_stopped(odoo, sim, setup, {(TEE, NJ): 29})
    odoo.call("shopify.location.mapping", "action_activate", mapping)
    wait_levels(
        sim, DOMAIN, setup["expected"], RESUMED_WITHIN, what="activated: pushed"
    )
    no_push_all(odoo)
