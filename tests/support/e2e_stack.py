"""The stack the end-to-end tests share: server, simulator, connected shop.

A real Odoo server (prefork workers, the queue_job runner) on a copy of the
harness's pristine template (``SYNCO_E2E_TEMPLATE``), dropped afterwards; the
Shopify simulator with one shop of the test's own (its locations and
products); and that shop configured in Odoo over JSON-2, as an integrator
would: products, warehouses and their stock counted in one commit, the
``shopify.shop`` pointed at the simulator, its locations imported, its
products bound by SKU and each Shopify location mapped one-to-one to a
warehouse.

The end-to-end modules build their module fixtures from it
(:func:`stack_fixtures` makes the ``sim`` and ``odoo`` ones).  Nothing else
here needs pytest, so ``tests/soak/soak.py`` and the benchmarks can use it
as well.
"""

import contextlib
import os

from ..harness import clone_database, psql
from ..shopify_simulator import Simulator
from .odoo_server import OdooServer, harness_conf, wait_until

NJ, TX, UK = "New Jersey Warehouse", "Texas Warehouse", "UK Warehouse"


# ------------------------------------------------------------------ servers
@contextlib.contextmanager
def database_copy(db_name):
    """A copy of the template no server ever opened, dropped on the way out.

    A server that commits needs a database of its own: other end-to-end
    tests commit their shops into ``SYNCO_E2E_DB``, and a poll would hit
    their stale simulator addresses.  Copying takes a second.
    """
    conf, source = harness_conf()
    source = os.environ.get("SYNCO_E2E_TEMPLATE", source)
    clone_database(conf, source, db_name)
    try:
        yield db_name
    finally:
        psql(conf, "postgres", f'DROP DATABASE IF EXISTS "{db_name}"')


@contextlib.contextmanager
def server_on_copy(name, db_name=None, fresh_log=False, **options):
    """An :class:`OdooServer` started on a fresh copy, stopped and dropped after.

    ``fresh_log`` removes the log an earlier run left under the same name;
    ``options`` go to :class:`OdooServer` (workers, channels ...).
    """
    with database_copy(db_name or f"synco_e2e_{name}") as copy:
        server = OdooServer(name=name, db_name=copy, **options)
        if fresh_log:
            server.log_path.unlink(missing_ok=True)
        try:
            yield server.start()
        finally:
            server.stop()


def stack_fixtures(
    name, domain, token, secret, shop_name, locations, products=(), stock=None
):
    """The ``sim`` and ``odoo`` module fixtures of an end-to-end module:
    :func:`simulated_shop` with one shop (the arguments after ``name`` are
    its own), then :func:`server_on_copy` ``name`` (a copy of the pristine
    template: other tests commit their shops into ``SYNCO_E2E_DB``, whose
    stale simulator addresses a poll would hit).

    Use ``sim, odoo = stack_fixtures(...)`` at the module's top level.
    """
    import pytest  # only the test modules call this

    @pytest.fixture(scope="module")
    def sim():
        with simulated_shop(
            domain,
            token,
            secret,
            shop_name,
            locations,
            products=products,
            stock=stock,
        ) as simulator:
            yield simulator

    @pytest.fixture(scope="module")
    def odoo(sim):
        with server_on_copy(name) as server:
            yield server

    return sim, odoo


# ---------------------------------------------------------------- simulator
def address(city, country, zip_code, province=None):
    """A Shopify location's address, as ``Simulator.add_location`` takes it."""
    return {
        "countryCode": country,
        "provinceCode": province,
        "zip": zip_code,
        "city": city,
    }


# a buyer's shipping address in Austin, Texas and in Newark, New Jersey
TX_ADDRESS = {
    "first_name": "Tex",
    "last_name": "Buyer",
    "address1": "1 Congress Ave",
    "city": "Austin",
    "province_code": "TX",
    "country_code": "US",
    "zip": "73301",
}
NJ_ADDRESS = {
    "first_name": "Jersey",
    "last_name": "Buyer",
    "address1": "5 Broad St",
    "city": "Newark",
    "province_code": "NJ",
    "country_code": "US",
    "zip": "07102",
}


@contextlib.contextmanager
def simulated_shop(domain, token, secret, name, locations, products=(), stock=None):
    """A simulator with one shop, stopped on the way out.

    ``locations``: ``(number, name, address)`` (address may be None);
    ``products``: ``(sku, price)`` (price None for the simulator's default),
    each a product of one variant stocked ``stock`` ({location name: units}).
    """
    sim = Simulator(fixture="empty").start()
    try:
        shop = sim.add_shop(domain, name=name, token=token, webhook_secret=secret)
        for number, location, where in locations:
            extra = {"address": where} if where is not None else {}
            sim.add_location(shop, location, number=number, **extra)
        for sku, price in products:
            extra = {"price": price} if price is not None else {}
            sim.add_product(shop, sku, [sku], stock=stock, **extra)
        yield sim
    finally:
        sim.stop()


# --------------------------------------------------------------- Odoo side
def create_products(odoo, skus):
    """Storable products named and coded by SKU, in one call: {sku: id}."""
    ids = odoo.call(
        "product.product",
        "create",
        [{"name": sku, "default_code": sku, "is_storable": True} for sku in skus],
    )
    return dict(zip(skus, ids, strict=True))


def create_warehouses(odoo, codes, prefix):
    """Warehouses named ``prefix code``, in one call, for {location name: code}.

    Returns ({location name: warehouse id}, {location name: its stock
    location id}).
    """
    ids = odoo.call(
        "stock.warehouse",
        "create",
        [{"name": f"{prefix} {code}", "code": code} for code in codes.values()],
    )
    warehouses = dict(zip(codes, ids, strict=True))
    lot_stock = {
        row["id"]: row["lot_stock_id"][0]
        for row in odoo.call("stock.warehouse", "read", ids, ["lot_stock_id"])
    }
    return warehouses, {name: lot_stock[wh] for name, wh in warehouses.items()}


def count(odoo, products, stock, quantities):
    """Apply an inventory count of {(sku, location name): qty} in one commit."""
    quants = odoo.call(
        "stock.quant",
        "create",
        [
            {
                "product_id": products[sku],
                "location_id": stock[location],
                "inventory_quantity": qty,
            }
            for (sku, location), qty in quantities.items()
        ],
        context={"inventory_mode": True},
    )
    odoo.call("stock.quant", "action_apply_inventory", quants)
    return quants


def stock_evenly(odoo, skus, codes, prefix, units=20):
    """Products ``skus`` and a warehouse per Shopify location ({location
    name: code}, named ``prefix code``), every product counted ``units`` in
    every warehouse, in one commit.

    Returns (products, warehouses, stock, expected): :func:`create_products`,
    :func:`create_warehouses`, and {(sku, location name): units}, what
    Shopify shows once pushed.
    """
    products = create_products(odoo, skus)
    warehouses, stock = create_warehouses(odoo, codes, prefix)
    expected = {(sku, name): units for name in stock for sku in products}
    count(odoo, products, stock, expected)
    return products, warehouses, stock, expected


def shop_values(name, domain, token, secret=None, **values):
    """A ``shopify.shop``'s values for :func:`connect_shop`."""
    values = {"name": name, "shop_domain": domain, "access_token": token, **values}
    if secret is not None:
        values["webhook_secret"] = secret
    return values


def route_rule(name, country, warehouse, **values):
    """An order routing rule sending ``country``'s orders to ``warehouse``
    (``values``: sequence, zip_ranges ...), as ``order_route_ids`` takes it."""
    return (
        0,
        0,
        {
            "name": name,
            "country_ids": [(6, 0, [country])],
            "warehouse_id": warehouse,
            **values,
        },
    )


def push_all(odoo, sim, domain, shop, expected, webhooks=True):
    """Register the shop's webhooks (unless ``webhooks`` is False), *Push
    All*, until Shopify shows ``expected`` ({(sku, location name): units})."""
    if webhooks:
        odoo.call("shopify.shop", "action_register_webhooks", [shop])
    odoo.call("shopify.shop", "action_push_all", [shop])
    wait_levels(sim, domain, expected)


def settle(odoo, sim, domain, expected):
    """Until the pushes the new mappings started show ``expected`` in
    Shopify, then until every job is done."""
    wait_levels(sim, domain, expected, what="the first pushes")
    drain(odoo)


def connect_shop(odoo, sim, values, mapped, excluded=None):
    """The simulator's shop in Odoo: created, locations imported, products
    bound by SKU, each Shopify location of ``mapped`` ({name: stock location
    id}) mapped one-to-one and active.

    ``values`` are the ``shopify.shop``'s (domain, token, secret ...); the
    simulator's address and the server's webhook address are added.
    ``excluded`` maps a location name to the stock locations its mapping
    leaves out.  Nothing is pushed nor registered yet.  Returns (shop id,
    {Shopify location name: shopify.location id}).
    """
    shop = odoo.call(
        "shopify.shop",
        "create",
        {"api_base_url": sim.base_url, "webhook_base_url": odoo.url, **values},
    )
    odoo.call("shopify.shop", "action_import_locations", [shop])
    odoo.call("shopify.shop", "action_bind_products", [shop])
    locations = {
        loc["name"]: loc["id"]
        for loc in odoo.call(
            "shopify.location", "search_read", [("shop_id", "=", shop)], fields=["name"]
        )
    }
    odoo.call(
        "shopify.location.mapping",
        "create",
        [
            {
                "shop_id": shop,
                "shopify_location_id": locations[name],
                "state": "active",
                "source_ids": [(0, 0, {"location_id": source})],
                **(
                    {"excluded_location_ids": [(6, 0, excluded[name])]}
                    if excluded and name in excluded
                    else {}
                ),
            }
            for name, source in mapped.items()
        ],
    )
    return shop, locations


def wait_levels(sim, domain, expected, timeout=60, what="every level pushed"):
    """Until Shopify's available equals ``expected`` ({(sku, location): units})."""

    def differing():
        levels = sim.levels(domain)
        return {
            key: (levels[key]["available"], units)
            for key, units in expected.items()
            if levels[key]["available"] != units
        }

    wait_until(
        lambda: not differing(),
        timeout,
        what=what,
        explain=lambda: f"(shopify, expected): {differing()}",
    )


def quantities(odoo, setup, sku, location):
    """(on hand, free) of ``sku`` in the warehouse mapped to ``location``."""
    quants = odoo.call(
        "stock.quant",
        "search_read",
        [
            ("product_id", "=", setup["products"][sku]),
            ("location_id", "child_of", setup["stock"][location]),
        ],
        fields=["quantity", "reserved_quantity"],
    )
    on_hand = sum(q["quantity"] for q in quants)
    return on_hand, on_hand - sum(q["reserved_quantity"] for q in quants)


def run_cron(odoo, xmlid):
    """Run a scheduled action now, as its schedule would (it enqueues jobs)."""
    odoo.call("ir.cron", "method_direct_trigger", [odoo.ref(xmlid)])


ACTIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def drain(odoo, timeout=120, domain=(), what="every job done"):
    """Until no queue job (of ``domain``) is left to run; those planned later
    (a retry, the poll that units held for a Shopify sale ask for a minute
    later) are brought forward to now rather than waited for."""

    def drained():
        active = odoo.call(
            "queue.job",
            "search_read",
            [("state", "in", ACTIVE_JOB_STATES), *domain],
            fields=["state", "eta"],
        )
        later = [j["id"] for j in active if j["state"] == "pending" and j["eta"]]
        if later:
            odoo.call("queue.job", "write", later, {"eta": False})
        return not active

    wait_until(drained, timeout, interval=0.5, what=what)
