"""The split of a delivery over Shopify's fulfilment orders (plain Python, no
database)."""

from odoo.addons.synco_shopify.lib.fulfillment_split import split_by_location

NJ, TX = "gid://shopify/Location/1", "gid://shopify/Location/2"
TEE, MUG = "gid://shopify/LineItem/10", "gid://shopify/LineItem/11"


def fo(gid, location, **remaining):
    """A fulfilment order at ``location`` with its lines' remaining units."""
    lines = {"tee": TEE, "mug": MUG}
    return {
        "id": gid,
        "location_gid": location,
        "lines": [
            {"id": f"{gid}/{name}", "line_item_gid": lines[name], "remaining": qty}
            for name, qty in remaining.items()
        ],
    }


def test_the_delivery_location_ships_first():
    fos = [fo("FO-TX", TX, tee=3), fo("FO-NJ", NJ, tee=3)]
    assert split_by_location(fos, {TEE: 2}, [NJ]) == {NJ: {"FO-NJ": [("FO-NJ/tee", 2)]}}


def test_what_one_location_lacks_comes_from_the_next():
    fos = [fo("FO-NJ", NJ, tee=1, mug=2), fo("FO-TX", TX, tee=5)]
    assert split_by_location(fos, {TEE: 3, MUG: 1}, [NJ]) == {
        NJ: {"FO-NJ": [("FO-NJ/tee", 1), ("FO-NJ/mug", 1)]},
        TX: {"FO-TX": [("FO-TX/tee", 2)]},
    }


def test_never_more_than_a_line_still_holds():
    fos = [fo("FO-NJ", NJ, tee=2)]
    assert split_by_location(fos, {TEE: 5}, [NJ]) == {NJ: {"FO-NJ": [("FO-NJ/tee", 2)]}}


def test_nothing_to_fulfil_sends_nothing():
    fos = [fo("FO-NJ", NJ, tee=2, mug=0)]
    assert split_by_location(fos, {MUG: 1, TEE: 0}, [NJ]) == {}
    assert split_by_location([], {TEE: 1}, [NJ]) == {}


def test_the_caller_todo_is_left_alone():
    todo = {TEE: 2}
    split_by_location([fo("FO-NJ", NJ, tee=2)], todo, [NJ])
    assert todo == {TEE: 2}
