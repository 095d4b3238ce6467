"""End to end on two Odoo nodes with expiring tokens, then an uninstalled app.

The shop connects with client credentials (a Dev Dashboard app) and the
simulator grants 30-second tokens.  A stream of inventory counts, committed
over RPC to both nodes, keeps both nodes' job workers pushing for several
token lifetimes: at the end every level is Odoo's figure, no job failed, and
the tokens fetched are about one per lifetime (printed), not one per call or
per node: the shop's token row is locked by the one worker that renews it.

Then the merchant uninstalls the app mid-run: ``app/uninstalled`` reaches
Odoo, the shop freezes and an alert says so while counts go on; once the app
is installed again and the shop reconnected, every figure is right within a
minute.
"""

import time

import pytest

from ..support.e2e_stack import (
    NJ,
    connect_shop,
    count,
    create_products,
    create_warehouses,
    database_copy,
    simulated_shop,
)
from ..support.odoo_cluster import OdooCluster
from ..support.odoo_server import wait_until

pytestmark = pytest.mark.server

DOMAIN = "synco-tokens.myshopify.com"
TOKEN = "shpat_synco_tokens"
SECRET = "synco-tokens-client-secret"
SKUS = [f"TOK-{n:02d}" for n in range(10)]
STOCK = 20
TOKEN_TTL = 30
STREAM_SECONDS = 100  # more than three token lifetimes


@pytest.fixture(scope="module")
def sim():
    with simulated_shop(
        DOMAIN,
        TOKEN,
        SECRET,
        "Synco Tokens",
        [(4001, NJ, None)],
        products=[(sku, "10.00") for sku in SKUS],
        stock={NJ: 50},
    ) as simulator:
        simulator.set_token_ttls(client_credentials=TOKEN_TTL)
        yield simulator


@pytest.fixture(scope="module")
def cluster(sim):
    with database_copy("synco_e2e_tokens") as db_name:
        odoo = OdooCluster(name="tokens", db_name=db_name, channels="root:2")
        try:
            yield odoo.start()
        finally:
            odoo.stop()


@pytest.fixture(scope="module")
def setup(cluster, sim):
    products = create_products(cluster, SKUS)
    _warehouses, stock = create_warehouses(cluster, {NJ: "TNJ"}, "Tokens")
    quant_ids = count(cluster, products, stock, {(sku, NJ): STOCK for sku in SKUS})
    app = sim.shop(DOMAIN)
    shop, _locations = connect_shop(
        cluster,
        sim,
        {
            "name": "Tokens E2E",
            "shop_domain": DOMAIN,
            "connect_method": "client_credentials",
            "client_id": sim.client_id(app),
            "client_secret": sim.client_secret(app),
        },
        stock,
    )
    cluster.call("shopify.shop", "action_register_webhooks", [shop])
    cluster.call("shopify.shop", "action_push_all", [shop])
    wait_until(
        lambda: all(level(sim, sku) == STOCK for sku in SKUS), 90, what="first push"
    )
    return {"shop": shop, "quants": dict(zip(SKUS, quant_ids, strict=True))}


def level(sim, sku):
    return sim.level(DOMAIN, sku, NJ)["available"]


def set_count(cluster, setup, sku, quantity):
    quant = setup["quants"][sku]
    cluster.call(
        "stock.quant",
        "write",
        [quant],
        {"inventory_quantity": quantity},
        context={"inventory_mode": True},
    )
    cluster.call("stock.quant", "action_apply_inventory", [quant])


def grants(sim):
    return sum(
        g["count"]
        for g in sim.oauth_stats()["grants"]
        if g["shop"] == DOMAIN and g["grant"] == "client_credentials"
    )


def failed_jobs(cluster):
    return cluster.call("queue.job", "search_count", [("state", "=", "failed")])


def expect_levels(cluster, sim, expected, timeout):
    cluster.wait_idle(180)
    for sku, quantity in expected.items():
        wait_until(
            lambda s=sku, q=quantity: level(sim, s) == q,
            timeout,
            what=f"{sku} at {quantity} on Shopify",
        )


def test_30_second_tokens_under_a_stream_of_pushes(cluster, sim, setup):
    before = grants(sim)
    started = time.monotonic()
    expected = {}
    step = 0
    while time.monotonic() - started < STREAM_SECONDS:
        sku = SKUS[step % len(SKUS)]
        expected[sku] = 30 + step
        set_count(cluster, setup, sku, expected[sku])
        step += 1
        time.sleep(1)
    elapsed = time.monotonic() - started
    expect_levels(cluster, sim, expected, 60)
    fetched = grants(sim) - before
    calls = len([e for e in sim.log if e.get("shop") == DOMAIN])
    print(
        f"\n{step} counts over {elapsed:.0f} s with {TOKEN_TTL}-second tokens: "
        f"{fetched} tokens fetched ({elapsed / TOKEN_TTL:.1f} lifetimes), "
        f"{calls} Shopify calls, {failed_jobs(cluster)} failed jobs"
    )
    assert {sku: level(sim, sku) for sku in expected} == expected
    assert failed_jobs(cluster) == 0
    # renewed at 90 % of a lifetime, by one worker for both nodes
    assert fetched <= elapsed / (TOKEN_TTL * 0.9) + 2
    assert fetched < calls / 3


def test_app_uninstalled_mid_run(cluster, sim, setup):
    shop = setup["shop"]
    sim.set_token_ttls(client_credentials=86399)
    expected = {sku: 60 + n for n, sku in enumerate(SKUS)}
    for sku in SKUS[:5]:
        set_count(cluster, setup, sku, expected[sku])
    sim.uninstall(DOMAIN)
    assert sim.wait_for_deliveries(30)
    wait_until(
        lambda: cluster.call("shopify.shop", "read", [shop], ["sync_frozen"])[0][
            "sync_frozen"
        ],
        60,
        what="the shop frozen by app/uninstalled",
    )
    alerts = cluster.call(
        "shopify.alert",
        "search_read",
        [("shop_id", "=", shop), ("kind", "=", "app_uninstalled")],
        fields=["state", "message"],
    )
    assert len(alerts) == 1 and alerts[0]["state"] == "open"
    for sku in SKUS[5:]:  # counts go on while the app is away
        set_count(cluster, setup, sku, expected[sku])
    # nothing runs for good while the app is away: each push either ended
    # (the shop frozen) or waits, spending no retry, for the reconnection
    wait_until(
        lambda: not cluster.call(
            "queue.job", "search_count", [("state", "in", ["enqueued", "started"])]
        ),
        120,
        what="every job ended or waiting",
    )
    assert failed_jobs(cluster) == 0
    sim.install(DOMAIN)
    reconnected = time.monotonic()
    cluster.call("shopify.shop", "action_reconnect", [shop])
    expect_levels(cluster, sim, expected, 60)
    print(
        f"\nreconnected: every figure right after "
        f"{time.monotonic() - reconnected:.0f} s"
    )
    assert {sku: level(sim, sku) for sku in SKUS} == expected
    assert failed_jobs(cluster) == 0
    state = cluster.call("shopify.alert", "read", [alerts[0]["id"]], ["state"])
    assert state[0]["state"] == "resolved"
