"""Generate ``schema.graphql``: the subset of Shopify's Admin schema we simulate.

Run from the repository root::

    python3 -m tests.shopify_simulator.make_schema [SCHEMA_DIR]

Shopify's real SDL (``../shared/shopify-admin-schema/<version>.graphql``, 3.8 MB
each) is far too large to ship, and most of it is irrelevant.  ``KEEP`` below
lists, for every object/interface type we simulate, the fields we resolve;
everything those fields reference (scalars, enums, input objects, transitively)
is copied whole, so any document valid against Shopify for these fields is also
valid here and vice versa.  Descriptions are dropped to keep the file small;
deprecations are kept.

The subset must be valid in *both* supported versions, so the generator refuses
a kept field whose type or arguments differ between 2026-04 and 2026-07, and
keeps only the enum values both versions share and drops an optional input
field only the newer one has (the header of the generated
file lists what was dropped).  ``tests/plain/test_simulator_schema.py`` re-checks the
committed file against both real schemas.
"""

import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_non_null_type,
    print_type,
)

VERSIONS = ("2026-07", "2026-04")
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "schema.graphql"
DEFAULT_SCHEMA_DIR = HERE.parent.parent.parent / "shared" / "shopify-admin-schema"

CONNECTION = ["edges", "nodes", "pageInfo"]
EDGE = ["cursor", "node"]

KEEP = {
    "QueryRoot": [
        "bulkOperation",
        "currentAppInstallation",
        "currentBulkOperation",
        "inventoryItem",
        "inventoryItems",
        "inventoryLevel",
        "inventoryShipment",
        "inventoryTransfer",
        "location",
        "locations",
        "node",
        "nodes",
        "order",
        "orders",
        "productVariant",
        "productVariants",
        "productVariantsCount",
        "shop",
        "webhookSubscription",
        "webhookSubscriptions",
    ],
    "Mutation": [
        "bulkOperationRunMutation",
        "bulkOperationRunQuery",
        "fulfillmentCreate",
        "fulfillmentOrderLineItemsPreparedForPickup",
        "fulfillmentOrderMove",
        "inventoryActivate",
        "inventoryAdjustQuantities",
        "inventoryMoveQuantities",
        "inventorySetQuantities",
        "inventoryShipmentCreate",
        "inventoryShipmentCreateInTransit",
        "inventoryShipmentDelete",
        "inventoryShipmentMarkInTransit",
        "inventoryShipmentReceive",
        "inventoryTransferCancel",
        "inventoryTransferCreate",
        "inventoryTransferCreateAsReadyToShip",
        "inventoryTransferDelete",
        "inventoryTransferMarkAsReadyToShip",
        "stagedUploadsCreate",
        "webhookSubscriptionCreate",
        "webhookSubscriptionDelete",
    ],
    "Node": ["id"],
    "AppInstallation": ["accessScopes", "id"],
    "AccessScope": ["description", "handle"],
    "LegacyInteroperability": ["legacyResourceId"],
    "DisplayableError": ["field", "message"],
    "Shop": [
        "currencyCode",
        "email",
        "ianaTimezone",
        "id",
        "myshopifyDomain",
        "name",
        "plan",
        "timezoneAbbreviation",
        "weightUnit",
    ],
    "ShopPlan": [
        "displayName",
        "partnerDevelopment",
        "publicDisplayName",
        "shopifyPlus",
    ],
    "Location": [
        "activatable",
        "address",
        "createdAt",
        "deactivatable",
        "deactivatedAt",
        "deletable",
        "fulfillsOnlineOrders",
        "hasActiveInventory",
        "id",
        "inventoryLevel",
        "inventoryLevels",
        "isActive",
        "isFulfillmentService",
        "legacyResourceId",
        "name",
        "shipsInventory",
        "updatedAt",
    ],
    "LocationAddress": [
        "address1",
        "address2",
        "city",
        "country",
        "countryCode",
        "formatted",
        "latitude",
        "longitude",
        "phone",
        "province",
        "provinceCode",
        "zip",
    ],
    "Product": [
        "createdAt",
        "handle",
        "id",
        "legacyResourceId",
        "productType",
        "status",
        "title",
        "totalInventory",
        "tracksInventory",
        "updatedAt",
        "variants",
        "vendor",
    ],
    "ProductVariant": [
        "barcode",
        "createdAt",
        "displayName",
        "id",
        "inventoryItem",
        "inventoryQuantity",
        "legacyResourceId",
        "price",
        "product",
        "sku",
        "title",
        "updatedAt",
    ],
    "InventoryItem": [
        "createdAt",
        "id",
        "inventoryLevel",
        "inventoryLevels",
        "legacyResourceId",
        "requiresShipping",
        "sku",
        "tracked",
        "updatedAt",
        "variant",
        "variants",
    ],
    "InventoryLevel": [
        "canDeactivate",
        "createdAt",
        "id",
        "isActive",
        "item",
        "location",
        "quantities",
        "updatedAt",
    ],
    "InventoryQuantity": ["id", "name", "quantity", "updatedAt"],
    "InventoryAdjustmentGroup": [
        "changes",
        "createdAt",
        "id",
        "reason",
        "referenceDocumentUri",
    ],
    "InventoryChange": [
        "delta",
        "item",
        "ledgerDocumentUri",
        "location",
        "name",
        "quantityAfterChange",
    ],
    "InventorySetQuantitiesPayload": ["inventoryAdjustmentGroup", "userErrors"],
    "InventorySetQuantitiesUserError": ["code", "field", "message"],
    "InventoryActivatePayload": ["inventoryLevel", "userErrors"],
    "InventoryAdjustQuantitiesPayload": ["inventoryAdjustmentGroup", "userErrors"],
    "InventoryAdjustQuantitiesUserError": ["code", "field", "message"],
    "InventoryMoveQuantitiesPayload": ["inventoryAdjustmentGroup", "userErrors"],
    "InventoryMoveQuantitiesUserError": ["code", "field", "message"],
    # inventory transfers and shipments (issue 22: stock in transit)
    "InventoryTransfer": [
        "dateCreated",
        "destination",
        "id",
        "lineItems",
        "name",
        "note",
        "origin",
        "receivedQuantity",
        "referenceName",
        "shipments",
        "status",
        "tags",
        "totalQuantity",
    ],
    "InventoryTransferLineItem": [
        "id",
        "inventoryItem",
        "pickedForShipmentQuantity",
        "processableQuantity",
        "shippableQuantity",
        "shippedQuantity",
        "title",
        "totalQuantity",
    ],
    "LocationSnapshot": ["address", "location", "name", "snapshottedAt"],
    "InventoryShipment": [
        "dateCreated",
        "dateReceived",
        "dateShipped",
        "id",
        "lineItemTotalQuantity",
        "lineItems",
        "name",
        "status",
        "totalAcceptedQuantity",
        "totalReceivedQuantity",
        "totalRejectedQuantity",
    ],
    "InventoryShipmentLineItem": [
        "acceptedQuantity",
        "id",
        "inventoryItem",
        "quantity",
        "rejectedQuantity",
        "unreceivedQuantity",
    ],
    "InventoryTransferCreatePayload": ["inventoryTransfer", "userErrors"],
    "InventoryTransferCreateUserError": ["code", "field", "message"],
    "InventoryTransferCreateAsReadyToShipPayload": ["inventoryTransfer", "userErrors"],
    "InventoryTransferCreateAsReadyToShipUserError": ["code", "field", "message"],
    "InventoryTransferMarkAsReadyToShipPayload": ["inventoryTransfer", "userErrors"],
    "InventoryTransferMarkAsReadyToShipUserError": ["code", "field", "message"],
    "InventoryTransferCancelPayload": ["inventoryTransfer", "userErrors"],
    "InventoryTransferCancelUserError": ["code", "field", "message"],
    "InventoryTransferDeletePayload": ["deletedId", "userErrors"],
    "InventoryTransferDeleteUserError": ["code", "field", "message"],
    "InventoryShipmentCreatePayload": ["inventoryShipment", "userErrors"],
    "InventoryShipmentCreateUserError": ["code", "field", "message"],
    "InventoryShipmentCreateInTransitPayload": ["inventoryShipment", "userErrors"],
    "InventoryShipmentCreateInTransitUserError": ["code", "field", "message"],
    "InventoryShipmentMarkInTransitPayload": ["inventoryShipment", "userErrors"],
    "InventoryShipmentMarkInTransitUserError": ["code", "field", "message"],
    "InventoryShipmentReceivePayload": ["inventoryShipment", "userErrors"],
    "InventoryShipmentReceiveUserError": ["code", "field", "message"],
    "InventoryShipmentDeletePayload": ["id", "userErrors"],
    "InventoryShipmentDeleteUserError": ["code", "field", "message"],
    "UserError": ["field", "message"],
    "Order": [
        "billingAddress",
        "cancelReason",
        "cancelledAt",
        "closed",
        "closedAt",
        "confirmed",
        "createdAt",
        "currencyCode",
        "currentSubtotalLineItemsQuantity",
        "currentTotalPriceSet",
        "customer",
        "displayFinancialStatus",
        "displayFulfillmentStatus",
        "email",
        "fulfillmentOrders",
        "fulfillments",
        "id",
        "legacyResourceId",
        "lineItems",
        "name",
        "note",
        "phone",
        "processedAt",
        "refunds",
        "retailLocation",
        "shippingAddress",
        "sourceName",
        "subtotalLineItemsQuantity",
        "subtotalPriceSet",
        "tags",
        "test",
        "totalPriceSet",
        "totalShippingPriceSet",
        "totalTaxSet",
        "updatedAt",
    ],
    "LineItem": [
        "currentQuantity",
        "discountedUnitPriceSet",
        "id",
        "name",
        "originalTotalSet",
        "originalUnitPriceSet",
        "product",
        "quantity",
        "requiresShipping",
        "sku",
        "title",
        "unfulfilledQuantity",
        "variant",
        "variantTitle",
        "vendor",
    ],
    "MailingAddress": [
        "address1",
        "address2",
        "city",
        "company",
        "country",
        "countryCodeV2",
        "firstName",
        "id",
        "lastName",
        "name",
        "phone",
        "province",
        "provinceCode",
        "zip",
    ],
    "Customer": [
        "displayName",
        "email",
        "firstName",
        "id",
        "lastName",
        "legacyResourceId",
        "phone",
    ],
    "FulfillmentOrder": [
        "assignedLocation",
        "createdAt",
        "deliveryMethod",
        "id",
        "lineItems",
        "order",
        "orderId",
        "orderName",
        "status",
        "updatedAt",
    ],
    "FulfillmentOrderAssignedLocation": [
        "address1",
        "address2",
        "city",
        "countryCode",
        "location",
        "name",
        "phone",
        "province",
        "zip",
    ],
    "FulfillmentOrderLineItem": [
        "id",
        "inventoryItemId",
        "lineItem",
        "productTitle",
        "remainingQuantity",
        "requiresShipping",
        "sku",
        "totalQuantity",
        "variant",
        "variantTitle",
        "vendor",
    ],
    "Fulfillment": [
        "createdAt",
        "fulfillmentLineItems",
        "id",
        "legacyResourceId",
        "location",
        "name",
        "order",
        "status",
        "totalQuantity",
        "trackingInfo",
        "updatedAt",
    ],
    "FulfillmentTrackingInfo": ["company", "number", "url"],
    "FulfillmentLineItem": ["id", "lineItem", "quantity"],
    "FulfillmentCreatePayload": ["fulfillment", "userErrors"],
    "FulfillmentOrderMovePayload": [
        "movedFulfillmentOrder",
        "originalFulfillmentOrder",
        "remainingFulfillmentOrder",
        "userErrors",
    ],
    "FulfillmentOrderMoveFulfillmentOrderMoveUserError": ["code", "field", "message"],
    "Count": ["count", "precision"],
    "MoneyBag": ["presentmentMoney", "shopMoney"],
    "MoneyV2": ["amount", "currencyCode"],
    "WebhookSubscription": [
        "apiVersion",
        "callbackUrl",
        "createdAt",
        "filter",
        "format",
        "id",
        "includeFields",
        "legacyResourceId",
        "name",
        "topic",
        "updatedAt",
        "uri",
    ],
    "ApiVersion": ["displayName", "handle", "supported"],
    "WebhookSubscriptionCreatePayload": ["userErrors", "webhookSubscription"],
    "WebhookSubscriptionDeletePayload": ["deletedWebhookSubscriptionId", "userErrors"],
    "BulkOperation": [
        "completedAt",
        "createdAt",
        "errorCode",
        "fileSize",
        "id",
        "objectCount",
        "partialDataUrl",
        "query",
        "rootObjectCount",
        "status",
        "type",
        "url",
    ],
    "BulkOperationRunQueryPayload": ["bulkOperation", "userErrors"],
    "BulkOperationRunMutationPayload": ["bulkOperation", "userErrors"],
    "BulkMutationUserError": ["code", "field", "message"],
    "StagedUploadsCreatePayload": ["stagedTargets", "userErrors"],
    "StagedMediaUploadTarget": ["parameters", "resourceUrl", "url"],
    "StagedUploadParameter": ["name", "value"],
    "BulkOperationUserError": ["code", "field", "message"],
    "PageInfo": ["endCursor", "hasNextPage", "hasPreviousPage", "startCursor"],
    # the retail store (issue 25): counter sales, pickups, counter refunds
    "DeliveryMethod": ["id", "methodType"],
    "Refund": ["createdAt", "id", "legacyResourceId", "refundLineItems"],
    "RefundLineItem": [
        "id",
        "lineItem",
        "location",
        "quantity",
        "restockType",
        "restocked",
    ],
    "FulfillmentOrderLineItemsPreparedForPickupPayload": ["userErrors"],
    "FulfillmentOrderLineItemsPreparedForPickupUserError": ["code", "field", "message"],
}
for _node in (
    "Location",
    "InventoryItem",
    "InventoryLevel",
    "Order",
    "LineItem",
    "ProductVariant",
    "Product",
    "WebhookSubscription",
    "FulfillmentOrder",
    "FulfillmentOrderLineItem",
    "FulfillmentLineItem",
    "RefundLineItem",
    "InventoryTransferLineItem",
    "InventoryShipment",
    "InventoryShipmentLineItem",
):
    KEEP[_node + "Connection"] = CONNECTION
    KEEP[_node + "Edge"] = EDGE


def signature(field):
    """Comparable description of a field or input field: type and arguments."""
    args = getattr(field, "args", {}) or {}
    return (
        str(field.type),
        tuple(sorted((n, str(a.type), repr(a.default_value)) for n, a in args.items())),
    )


class Extractor:
    """Walks the kept fields of the newest schema, checking the other one."""

    def __init__(self, schemas):
        self.main, *self.others = schemas
        self.types = {}
        self.dropped = []

    def named(self, name):
        return [self.main.type_map[name]] + [s.type_map.get(name) for s in self.others]

    def add(self, name):
        if name in self.types:
            return
        main, *others = self.named(name)
        if any(o is None for o in others):
            raise SystemExit(f"type {name} is missing from an older version")
        if isinstance(main, GraphQLScalarType):
            self.types[name] = main
        elif isinstance(main, GraphQLEnumType):
            self.types[name] = self.enum(main, others)
        elif isinstance(main, GraphQLInputObjectType):
            self.types[name] = None  # placeholder against cycles
            self.types[name] = self.input_object(main, others)
        elif isinstance(main, (GraphQLObjectType, GraphQLInterfaceType)):
            if name not in KEEP:
                raise SystemExit(f"object type {name} is reachable: add it to KEEP")
            self.types[name] = None
            self.types[name] = self.composite(main, others)
        elif isinstance(main, GraphQLUnionType):
            raise SystemExit(f"union {name} is reachable: not supported")

    def enum(self, main, others):
        values = {}
        for value_name, value in main.values.items():
            if all(value_name in o.values for o in others):
                values[value_name] = GraphQLEnumValue(
                    value_name, deprecation_reason=value.deprecation_reason
                )
            else:
                self.dropped.append(f"{main.name}.{value_name}")
        return GraphQLEnumType(main.name, values)

    def input_object(self, main, others):
        # an optional input field one version lacks is dropped (a document
        # valid here then sends nothing the older version refuses)
        kept = {}
        for name, field in main.fields.items():
            theirs = [o.fields.get(name) for o in others]
            if any(t is None for t in theirs) and not is_non_null_type(field.type):
                self.dropped.append(f"{main.name}.{name}")
                continue
            if any(t is None or signature(t) != signature(field) for t in theirs):
                raise SystemExit(f"input {main.name} differs between versions")
            kept[name] = field
        for other in others:
            if set(other.fields) - set(main.fields):
                raise SystemExit(f"input {main.name} differs between versions")
        for field in kept.values():
            self.add(get_named_type(field.type).name)
        return GraphQLInputObjectType(main.name, kept)

    def composite(self, main, others):
        fields = {}
        for field_name in KEEP[main.name]:
            field = main.fields[field_name]
            for other in others:
                theirs = other.fields.get(field_name)
                if theirs is None or signature(theirs) != signature(field):
                    raise SystemExit(
                        f"{main.name}.{field_name} differs between versions"
                    )
            fields[field_name] = field
            self.add(get_named_type(field.type).name)
            for arg in field.args.values():
                self.add(get_named_type(arg.type).name)
        if isinstance(main, GraphQLInterfaceType):
            return GraphQLInterfaceType(main.name, fields)
        interfaces = [i for i in main.interfaces if i.name in KEEP]
        for interface in interfaces:
            self.add(interface.name)
        return GraphQLObjectType(main.name, fields, interfaces=interfaces)


def strip_descriptions(type_):
    for item in list(getattr(type_, "fields", {}).values()) + list(
        getattr(type_, "values", {}).values()
    ):
        item.description = None
        for arg in (getattr(item, "args", None) or {}).values():
            arg.description = None
    type_.description = None


def load_real_schemas(schema_dir):
    """The real schemas, newest first (the order ``generate`` expects)."""
    return [
        build_schema((Path(schema_dir) / f"{v}.graphql").read_text()) for v in VERSIONS
    ]


def generate(schemas):
    """The subset SDL text from the real ``schemas`` (newest first)."""
    extractor = Extractor(schemas)
    extractor.add("QueryRoot")
    extractor.add("Mutation")
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    lines = [
        "# Subset of Shopify's Admin GraphQL schema served by the simulator.",
        f"# Generated by tests/shopify_simulator/make_schema.py from {VERSIONS[0]},",
        f"# checked against {', '.join(VERSIONS[1:])}; do not hand-edit.",
        "# Descriptions dropped. Enum values and optional input fields missing "
        "from an older version dropped:",
    ]
    lines += [f"#   {d}" for d in extractor.dropped] or ["#   (none)"]
    lines += [
        "",
        "schema {\n  query: QueryRoot\n  mutation: Mutation\n}",
        "",
        "directive @idempotent(key: String!) on FIELD",
    ]
    for name in sorted(extractor.types):
        if name in builtin:
            continue
        type_ = extractor.types[name]
        if not isinstance(type_, GraphQLScalarType):
            strip_descriptions(type_)
            lines += ["", print_type(type_)]
        else:
            lines += ["", f"scalar {name}"]
    text = "\n".join(lines) + "\n"
    build_schema(text)  # the result must itself be a valid schema
    return text


def main(argv):
    schema_dir = argv[1] if len(argv) > 1 else DEFAULT_SCHEMA_DIR
    OUTPUT.write_text(generate(load_real_schemas(schema_dir)))
    print(f"wrote {OUTPUT} ({len(OUTPUT.read_text().splitlines())} lines)")


if __name__ == "__main__":
    main(sys.argv)
