"""Named store fixtures (``--fixture NAME``, ``sim.load_fixture(NAME)``).

``demo`` is the store used by the demo and end-to-end tests: one shop, six
locations with fixed GIDs (1001-1006) and eight SKUs stocked everywhere with
deliberately stale numbers (mostly 50), so a first reconciliation from Odoo
visibly corrects them.  The sixth, "Brooklyn Store", is a retail store
selling at its counter (Shopify POS) and handing over pickups: it stocks the
apparel only (``DEMO_STORE_SKUS``).
"""

DEMO_DOMAIN = "synco-demo.myshopify.com"
DEMO_TOKEN = "shpat_synco_demo_token"
DEMO_WEBHOOK_SECRET = "synco-demo-webhook-secret"

DEMO_LOCATIONS = [
    (
        1001,
        "New Jersey Warehouse",
        True,
        {
            "address1": "100 Harbor Blvd",
            "city": "Elizabeth",
            "province": "New Jersey",
            "provinceCode": "NJ",
            "country": "United States",
            "countryCode": "US",
            "zip": "07001",
        },
    ),
    (
        1002,
        "Texas Warehouse",
        True,
        {
            "address1": "2200 Logistics Way",
            "city": "Austin",
            "province": "Texas",
            "provinceCode": "TX",
            "country": "United States",
            "countryCode": "US",
            "zip": "73301",
        },
    ),
    (
        1003,
        "UK Warehouse",
        True,
        {
            "address1": "1 Dockside Road",
            "city": "London",
            "province": "England",
            "provinceCode": "ENG",
            "country": "United Kingdom",
            "countryCode": "GB",
            "zip": "E16 1AA",
        },
    ),
    (
        1004,
        "3PL Pool",
        False,
        {
            "address1": "55 Fulfillment Ave",
            "city": "Reno",
            "province": "Nevada",
            "provinceCode": "NV",
            "country": "United States",
            "countryCode": "US",
            "zip": "89501",
        },
    ),
    (
        1005,
        "Drop-ship Suppliers",
        True,
        {
            "address1": "9 Supplier Park",
            "city": "Columbus",
            "province": "Ohio",
            "provinceCode": "OH",
            "country": "United States",
            "countryCode": "US",
            "zip": "43004",
        },
    ),
    (
        1006,
        "Brooklyn Store",
        True,
        {
            "address1": "210 Court St",
            "city": "Brooklyn",
            "province": "New York",
            "provinceCode": "NY",
            "country": "United States",
            "countryCode": "US",
            "zip": "11201",
        },
    ),
]
DEMO_STORE = "Brooklyn Store"

# (product title, SKUs, price); every SKU starts at 50 everywhere except a few
# deliberate oddities (0 and 7) so the first sync has something to correct.
DEMO_PRODUCTS = [
    ("Synco Tee Black", ["SYN-TEE-BLK-S", "SYN-TEE-BLK-M", "SYN-TEE-BLK-L"], "24.00"),
    ("Synco Hoodie Grey", ["SYN-HOODIE-GRY"], "59.00"),
    ("Synco Mug", ["SYN-MUG-001"], "14.00"),
    ("Synco Cap Red", ["SYN-CAP-RED"], "19.00"),
    ("Synco Bottle 750ml", ["SYN-BOTTLE-750"], "22.00"),
    ("Synco Socks 3-pack", ["SYN-SOCKS-3PK"], "12.00"),
]
# what the store's shelves carry (the other SKUs are not stocked there)
DEMO_STORE_SKUS = (
    "SYN-TEE-BLK-S",
    "SYN-TEE-BLK-M",
    "SYN-TEE-BLK-L",
    "SYN-HOODIE-GRY",
    "SYN-CAP-RED",
)
DEMO_ODD_LEVELS = {
    ("SYN-MUG-001", "UK Warehouse"): 0,
    ("SYN-CAP-RED", "Texas Warehouse"): 7,
}


def demo(sim):
    shop = sim.add_shop(
        DEMO_DOMAIN,
        name="Synco Demo Store",
        token=DEMO_TOKEN,
        webhook_secret=DEMO_WEBHOOK_SECRET,
        currency="USD",
        timezone="America/New_York",
        email="owner@synco-demo.example",
    )
    for number, name, online, address in DEMO_LOCATIONS:
        sim.add_location(
            shop, name, number=number, fulfills_online_orders=online, address=address
        )
    for title, skus, price in DEMO_PRODUCTS:
        product = sim.add_product(shop, title, skus, price=price)
        for variant in product.variants:
            for location in shop.locations.values():
                if location.name == DEMO_STORE and variant.sku not in DEMO_STORE_SKUS:
                    continue
                qty = DEMO_ODD_LEVELS.get((variant.sku, location.name), 50)
                sim.store.stock(shop, variant.item, location, qty)
    return shop


FIXTURES = {"demo": demo, "empty": lambda sim: None}
