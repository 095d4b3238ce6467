"""Which Odoo stock should feed a Shopify location: the onboarding's proposals.

Kept free of the ORM, like the availability arithmetic, so that the rules can
be read and tested on their own.  The onboarding wizard turns records into the
plain dicts below and the proposals back into draft mappings, which the user
edits or drops before anything is created.

Rules, in order:

1. a Shopify location named like drop-ship suppliers ("drop-ship",
   "supplier", "vendor"), when Odoo has supplier locations: all of them,
   combined with ``max`` (an order can't be split between suppliers);
2. otherwise each warehouse is scored against the location:

   - by address: same zip 4, same city 2, same state 2, same country 1; a
     different country rules the warehouse out.  Only addresses that tell
     warehouses apart count (the caller passes none for a warehouse sharing
     its address with another, e.g. the company's);
   - by name: a word of the location's name in the warehouse's name, or the
     warehouse's code as a word of the location's name or its state, 3.
     Generic words ("warehouse", "store", "pool"…) never match;

3. the best-scoring warehouse is proposed alone (one-to-one); several tied at
   the top, or a location named like a pool ("pool", "3PL", "online"…) that
   matches several warehouses by name, are proposed as a pool (``sum``);
4. nothing scores 2 or more: no proposal — a guess would be worse than an empty line.

Sub-locations named like quarantine, reserve, returns or damaged stock are
proposed as exclusions (:func:`is_exclusion_zone`).
"""

import re

GENERIC_WORDS = {
    "warehouse",
    "wh",
    "store",
    "shop",
    "location",
    "stock",
    "main",
    "the",
    "and",
    "of",
    "pool",
    "online",
    "suppliers",
    "supplier",
}
POOL_WORDS = {"pool", "3pl", "online", "virtual", "combined", "network"}
DROP_SHIP_WORDS = {"drop", "dropship", "supplier", "suppliers", "vendor", "vendors"}
EXCLUSION_WORDS = {
    "quarantine",
    "reserve",
    "reserved",
    "safety",
    "defective",
    "damaged",
    "damage",
    "scrap",
    "returns",
    "return",
    "qc",
    "quality",
    "hold",
    "blocked",
    "b2b",
}

ADDRESS_WEIGHTS = (("zip", 4), ("city", 2), ("state", 2), ("country", 1))
NAME_WEIGHT = 3
# a shared country alone proves nothing
MIN_SCORE = 2


def words(text):
    """Lower-case words of ``text`` ("Drop-ship A" → {"drop", "ship", "a"})."""
    return set(re.findall(r"[a-z0-9]+", (text or "").lower()))


def _norm(value):
    return re.sub(r"\s+", "", (value or "").lower())


def is_exclusion_zone(name):
    """Whether a sub-location's name says its stock is not for sale."""
    return bool(words(name) & EXCLUSION_WORDS) or "safetyreserve" in _norm(name)


def address_score(location, warehouse):
    """(score, reasons) of the address match; None when countries differ.

    ``location`` and ``warehouse`` are dicts with ``country``, ``state``,
    ``zip``, ``city`` (any may be missing); ``warehouse["address"]`` False
    means its address tells nothing (shared with other warehouses).
    """
    if not warehouse.get("address", True):
        return 0, []
    score, reasons = 0, []
    for key, weight in ADDRESS_WEIGHTS:
        mine, theirs = _norm(location.get(key)), _norm(warehouse.get(key))
        if not (mine and theirs):
            continue
        if mine == theirs:
            score += weight
            reasons.append(key)
        elif key == "country":
            return None, []
    return score, reasons


def name_score(location, warehouse):
    """(score, reasons) of the name match."""
    loc_words = words(location.get("name")) - GENERIC_WORDS
    wh_words = words(warehouse.get("name")) - GENERIC_WORDS
    code = _norm(warehouse.get("code"))
    reasons = []
    if loc_words & wh_words:
        reasons.append("name")
    elif code and (code in loc_words or code == _norm(location.get("state"))):
        reasons.append("code")
    return (NAME_WEIGHT if reasons else 0), reasons


def propose(location, warehouses, suppliers=()):
    """The proposal for one Shopify location, or None.

    :param location: {"name", "country", "state", "zip", "city"}
    :param warehouses: [{"key", "name", "code", "country", "state", "zip",
        "city", "address": bool}]
    :param suppliers: keys of the supplier (drop-ship) locations
    :return: {"pattern": "one_to_one" | "pool" | "drop_ship",
        "warehouses": [keys], "suppliers": [keys], "aggregation": "sum" |
        "max", "reasons": {key: [matched criteria]}} or None
    """
    loc_words = words(location.get("name"))
    if suppliers and loc_words & DROP_SHIP_WORDS:
        return {
            "pattern": "drop_ship",
            "warehouses": [],
            "suppliers": list(suppliers),
            "aggregation": "max",
            "reasons": {key: ["drop-ship"] for key in suppliers},
        }
    scored = []
    for warehouse in warehouses:
        address, address_reasons = address_score(location, warehouse)
        if address is None:
            continue
        name, name_reasons = name_score(location, warehouse)
        if address + name >= MIN_SCORE:
            scored.append(
                (address + name, warehouse["key"], address_reasons + name_reasons)
            )
    if not scored:
        return None
    scored.sort(key=lambda s: -s[0])
    best = scored[0][0]
    chosen = [s for s in scored if s[0] == best]
    if loc_words & POOL_WORDS:
        by_name = [s for s in scored if "name" in s[2] or "code" in s[2]]
        if len(by_name) > 1:
            chosen = by_name
    pool = len(chosen) > 1
    return {
        "pattern": "pool" if pool else "one_to_one",
        "warehouses": [key for _score, key, _r in chosen],
        "suppliers": [],
        "aggregation": "sum",
        "reasons": {key: reasons for _score, key, reasons in chosen},
    }
