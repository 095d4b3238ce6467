"""The simulator's SDL subset must match Shopify's real schemas field for field.

Every type, field, argument (type and default), input field and enum value of
``tests/shopify_simulator/schema.graphql`` must exist identically in both
supported versions, and the committed file must be what ``make_schema``
generates today.  The real schemas live outside the repository
(``../shared/shopify-admin-schema``); without them these checks are skipped.
Every GraphQL document of the connector's client must also validate against
the subset, so a document using a field the simulator lacks fails here.
"""

import functools

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
    is_non_null_type,
    parse,
    validate,
)

from tests.conftest import REPO_ROOT, SCHEMA_DIR
from tests.shopify_simulator import bulk, make_schema
from tests.shopify_simulator.graphql_api import SCHEMA

VERSIONS = ("2026-04", "2026-07")

needs_real_schema = pytest.mark.skipif(
    not all((SCHEMA_DIR / f"{v}.graphql").exists() for v in VERSIONS),
    reason=f"Shopify's real schemas are not available in {SCHEMA_DIR}",
)


@functools.cache
def real_schema(version):
    return build_schema((SCHEMA_DIR / f"{version}.graphql").read_text())


def _args(field):
    return {
        name: (str(arg.type), repr(arg.default_value))
        for name, arg in (getattr(field, "args", None) or {}).items()
    }


@needs_real_schema
@pytest.mark.parametrize("version", VERSIONS)
def test_subset_exists_identically_in_real_schema(version):
    real = real_schema(version)
    checked = 0
    for name, mine in SCHEMA.type_map.items():
        if name.startswith("__"):
            continue
        theirs = real.get_type(name)
        assert theirs is not None, f"{name} missing from {version}"
        assert type(theirs) is type(mine), f"{name} is a different kind in {version}"
        if isinstance(mine, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in mine.fields.items():
                real_field = theirs.fields.get(field_name)
                assert real_field is not None, f"{name}.{field_name} not in {version}"
                assert str(real_field.type) == str(field.type), f"{name}.{field_name}"
                assert _args(real_field) == _args(field), f"{name}.{field_name} args"
                checked += 1
            real_interfaces = {i.name for i in theirs.interfaces}
            assert {i.name for i in mine.interfaces} <= real_interfaces, name
        elif isinstance(mine, GraphQLInputObjectType):
            # an optional field one version lacks is left out (make_schema)
            left_out = set(theirs.fields) - set(mine.fields)
            assert not any(is_non_null_type(theirs.fields[n].type) for n in left_out), (
                name
            )
            assert {n: str(f.type) for n, f in mine.fields.items()} == {
                n: str(theirs.fields[n].type) for n in mine.fields
            }, name
            assert {n: repr(f.default_value) for n, f in mine.fields.items()} == {
                n: repr(theirs.fields[n].default_value) for n in mine.fields
            }, name
        elif isinstance(mine, GraphQLEnumType):
            assert set(mine.values) <= set(theirs.values), name
        else:
            assert isinstance(mine, GraphQLScalarType), name
    assert checked > 200
    directive = real.get_directive("idempotent")
    assert {n: str(a.type) for n, a in directive.args.items()} == {
        n: str(a.type) for n, a in SCHEMA.get_directive("idempotent").args.items()
    }


@needs_real_schema
def test_committed_schema_is_up_to_date():
    schemas = [real_schema(v) for v in make_schema.VERSIONS]
    assert make_schema.OUTPUT.read_text() == make_schema.generate(schemas), (
        "schema.graphql is stale: run python3 -m tests.shopify_simulator.make_schema"
    )


@needs_real_schema
def test_version_differences_are_handled():
    """Enum values new in 2026-07 are left out so 2026-04 clients see the same API."""
    text = make_schema.OUTPUT.read_text()
    newer = set(real_schema("2026-07").get_type("WebhookSubscriptionTopic").values)
    older = set(real_schema("2026-04").get_type("WebhookSubscriptionTopic").values)
    mine = set(SCHEMA.get_type("WebhookSubscriptionTopic").values)
    assert mine == newer & older
    for value in newer - older:
        assert f"WebhookSubscriptionTopic.{value}" in text


def test_subset_is_small_and_has_the_supported_roots():
    assert len(make_schema.OUTPUT.read_text().splitlines()) < 3000
    assert set(make_schema.KEEP["QueryRoot"]) == set(SCHEMA.query_type.fields)
    assert {
        "inventorySetQuantities",
        "inventoryActivate",
        "inventoryAdjustQuantities",
        "inventoryMoveQuantities",
        "bulkOperationRunQuery",
        "bulkOperationRunMutation",
        "stagedUploadsCreate",
        "fulfillmentCreate",
        "fulfillmentOrderMove",
        "fulfillmentOrderLineItemsPreparedForPickup",
        "webhookSubscriptionCreate",
        "webhookSubscriptionDelete",
        # stock in transit (issue 22): transfers and shipments
        "inventoryTransferCreate",
        "inventoryTransferCreateAsReadyToShip",
        "inventoryTransferMarkAsReadyToShip",
        "inventoryTransferCancel",
        "inventoryTransferDelete",
        "inventoryShipmentCreate",
        "inventoryShipmentCreateInTransit",
        "inventoryShipmentMarkInTransit",
        "inventoryShipmentReceive",
        "inventoryShipmentDelete",
    } == set(SCHEMA.mutation_type.fields)
    fields = SCHEMA.get_type("InventoryQuantityInput").fields
    assert "changeFromQuantity" in fields and "compareQuantity" not in fields


DOCUMENTS = sorted(
    (REPO_ROOT / "synco_shopify" / "lib" / "shopify" / "graphql").glob("*.graphql")
)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_client_documents_run_on_the_simulator(path):
    """Every document of the connector's client is valid against the subset."""
    document = parse(path.read_text())
    assert [e.message for e in validate(SCHEMA, document)] == []
    operation = document.definitions[0]
    roots = operation.selection_set.selections
    unpaged = all(
        get_named_type(SCHEMA.query_type.fields[r.name.value].type).name.endswith(
            "Connection"
        )
        and not {a.name.value for a in r.arguments} & {"first", "last"}
        for r in roots
        if r.name.value in SCHEMA.query_type.fields
    )
    if operation.operation.value == "query" and unpaged:  # a bulk query
        assert bulk.check_bulk_query(path.read_text())[1] is None
