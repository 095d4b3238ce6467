"""The onboarding's proposed mappings, rule by rule (plain Python, no database)."""

from odoo.addons.synco_shopify.lib import proposals

NJ = {
    "key": "nj",
    "name": "New Jersey",
    "code": "NJ",
    "country": "US",
    "state": "NJ",
    "zip": "07001",
    "city": "Elizabeth",
}
TX = {
    "key": "tx",
    "name": "Texas",
    "code": "TX",
    "country": "US",
    "state": "TX",
    "zip": "73301",
    "city": "Austin",
}
UK = {"key": "uk", "name": "United Kingdom", "code": "UK", "country": "GB"}
EAST = {"key": "east", "name": "3PL East", "code": "3PLE", "address": False}
WEST = {"key": "west", "name": "3PL West", "code": "3PLW", "address": False}
ALL = [NJ, TX, UK, EAST, WEST]


def test_address_match_alone():
    """A location named in no way like the warehouse, at its address."""
    location = {"name": "Harbor DC", "country": "US", "state": "NJ", "zip": "07001"}
    proposal = proposals.propose(location, ALL)
    assert proposal["pattern"] == "one_to_one"
    assert proposal["warehouses"] == ["nj"]
    # the state is also the warehouse's code
    assert proposal["reasons"]["nj"] == ["zip", "state", "country", "code"]


def test_name_match_alone():
    proposal = proposals.propose({"name": "Texas Warehouse"}, ALL)
    assert (proposal["warehouses"], proposal["reasons"]["tx"]) == (["tx"], ["name"])


def test_code_matches_a_word_or_the_state():
    assert proposals.propose({"name": "UK Warehouse"}, ALL)["warehouses"] == ["uk"]
    location = {"name": "East Coast DC", "state": "NJ"}
    assert proposals.propose(location, [NJ, TX])["warehouses"] == ["nj"]


def test_other_country_is_ruled_out():
    """A UK location never gets a US warehouse, whatever its name says."""
    location = {"name": "New Jersey Outlet", "country": "GB", "city": "London"}
    assert proposals.propose(location, [NJ, TX]) is None


def test_shared_address_tells_nothing():
    """Warehouses at the company's address: the address matches none."""
    same = {"country": "US", "state": "NV", "zip": "89501", "city": "Reno"}
    warehouses = [
        {**EAST, **same, "address": False},
        {**WEST, **same, "address": False},
    ]
    assert proposals.propose({"name": "Reno Hub", **same}, warehouses) is None


def test_pool_of_warehouses_named_alike():
    proposal = proposals.propose({"name": "3PL Pool", "state": "NV"}, ALL)
    assert proposal["pattern"] == "pool"
    assert sorted(proposal["warehouses"]) == ["east", "west"]
    assert proposal["aggregation"] == "sum"


def test_tie_at_the_top_is_a_pool():
    location = {"name": "US Online", "country": "US", "city": "Austin"}
    twin = {**TX, "key": "tx2", "name": "Austin Overflow", "code": "AO"}
    proposal = proposals.propose(location, [TX, twin, NJ])
    assert proposal["pattern"] == "pool"
    assert sorted(proposal["warehouses"]) == ["tx", "tx2"]


def test_drop_ship_suppliers_take_max():
    proposal = proposals.propose({"name": "Drop-ship Suppliers"}, ALL, ["a", "b"])
    assert proposal["pattern"] == "drop_ship"
    assert (proposal["suppliers"], proposal["aggregation"]) == (["a", "b"], "max")
    # no supplier location in Odoo: no drop-ship proposal, and no guess
    assert proposals.propose({"name": "Drop-ship Suppliers"}, ALL) is None


def test_no_proposal_when_nothing_matches():
    assert proposals.propose({"name": "Pop-up Store", "country": "FR"}, ALL) is None
    # a shared country alone is not a match
    assert proposals.propose({"name": "Somewhere", "country": "US"}, [NJ]) is None
    assert proposals.propose({"name": "Warehouse"}, ALL) is None


def test_exclusion_zones():
    for name in ("Quarantine", "Safety-Reserve", "Damaged goods", "QC", "Returns"):
        assert proposals.is_exclusion_zone(name), name
    for name in ("Bin-A1", "Stock", "Shelf 3", "Reservoir Row"):
        assert not proposals.is_exclusion_zone(name), name
