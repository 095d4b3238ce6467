"""Resolvers of the mutations; idempotency keys are checked and replayed here.

Mutations marked ``@idempotent`` need the directive since 2026-04 (missing: a
top-level ``BAD_REQUEST`` error).  Keys are remembered per shop: a repeat with
the same input replays the stored answer without applying anything, other
input gets the ``userError`` ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``, and a
retry arriving while the first attempt is still in flight gets
``IDEMPOTENCY_CONCURRENT_REQUEST``.  The resolvers hand the work to the
simulator's ``apply_*`` methods (the lock is held).
"""

import json

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from .schema import IDEMPOTENT, MAX_PAGE, resolver, typed_node


def idempotency_key(info):
    """The ``@idempotent`` key of this mutation field; required since 2026-04."""
    values = (
        get_directive_values(IDEMPOTENT, info.field_nodes[0], info.variable_values)
        or {}
    )
    key = values.get("key")
    if key is None:
        raise GraphQLError(
            f"The @idempotent directive is required for {info.field_name} "
            f"in API version {info.context.version}.",
            extensions={"code": "BAD_REQUEST"},
        )
    if not key.strip():
        raise GraphQLError(
            "The idempotency key cannot be an empty string or whitespace only.",
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def idempotent(function):
    """Run a mutation resolver once per (shop, key); replay its answer after."""

    def wrapper(root, info, **args):
        key = idempotency_key(info)
        fingerprint = json.dumps([info.field_name, args], sort_keys=True, default=str)
        shop = info.context.shop
        if info.context.concurrent:
            return {
                "userErrors": [
                    {
                        "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                        "field": None,
                        "message": "This request is currently in progress, please try "
                        "again.",
                    }
                ]
            }
        seen = shop.idempotency.get(key)
        if seen is not None:
            if seen[0] != fingerprint:
                return {
                    "userErrors": [
                        {
                            "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            "field": None,
                            "message": "The same idempotency key cannot be used with "
                            "different operation parameters.",
                        }
                    ]
                }
            info.context.replayed = True
            return seen[1]
        result = function(root, info, **args)
        shop.idempotency[key] = (fingerprint, result)
        return result

    return wrapper


@resolver("Mutation", "inventorySetQuantities")
@idempotent
def _set_quantities(_root, info, input):
    quantities = input["quantities"]
    if len(quantities) > MAX_PAGE:
        raise GraphQLError(
            f"The input array size of {len(quantities)} is greater than the maximum "
            f"allowed of {MAX_PAGE}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    missing = [i for i, q in enumerate(quantities) if "changeFromQuantity" not in q]
    if missing:
        raise GraphQLError(
            "changeFromQuantity is required for every quantity since 2026-04: pass "
            "the expected current quantity, or null to skip the check "
            f"(missing at input.quantities {missing}).",
            extensions={"code": "BAD_REQUEST"},
        )
    return info.context.sim.apply_set_quantities(info.context.shop, input)


def _changes_input(input, terminals=("",)):
    """The size and compare-and-set checks every inventory mutation shares."""
    changes = input["changes"]
    if len(changes) > MAX_PAGE:
        raise GraphQLError(
            f"The input array size of {len(changes)} is greater than the maximum "
            f"allowed of {MAX_PAGE}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    missing = [
        i
        for i, change in enumerate(changes)
        for end in terminals
        if "changeFromQuantity" not in (change[end] if end else change)
    ]
    if missing:
        raise GraphQLError(
            "changeFromQuantity is required for every change since 2026-04: pass "
            "the expected current quantity, or null to skip the check "
            f"(missing at input.changes {sorted(set(missing))}).",
            extensions={"code": "BAD_REQUEST"},
        )


@resolver("Mutation", "inventoryAdjustQuantities")
@idempotent
def _adjust_quantities(_root, info, input):
    _changes_input(input)
    return info.context.sim.apply_adjust_quantities(info.context.shop, input)


@resolver("Mutation", "inventoryMoveQuantities")
@idempotent
def _move_quantities(_root, info, input):
    _changes_input(input, ("from", "to"))
    return info.context.sim.apply_move_quantities(info.context.shop, input)


@resolver("Mutation", "inventoryActivate")
@idempotent
def _activate(
    _root,
    info,
    inventoryItemId,
    locationId,
    available=None,
    onHand=None,
    stockAtLegacyLocation=False,
):
    return info.context.sim.apply_activate(
        info.context.shop, inventoryItemId, locationId, available, onHand
    )


@resolver("Mutation", "fulfillmentOrderMove")
def _fulfillment_order_move(
    _root, info, id, newLocationId, fulfillmentOrderLineItems=None
):
    return info.context.sim.apply_fulfillment_order_move(
        info.context.shop, id, newLocationId, fulfillmentOrderLineItems
    )


@resolver("Mutation", "fulfillmentCreate")
def _fulfillment_create(_root, info, fulfillment, message=None):
    return info.context.sim.apply_fulfillment_create(
        info.context.shop, fulfillment, message
    )


@resolver("Mutation", "fulfillmentOrderLineItemsPreparedForPickup")
def _prepared_for_pickup(_root, info, input):
    return info.context.sim.apply_prepared_for_pickup(info.context.shop, input)


@resolver("Mutation", "bulkOperationRunQuery")
def _bulk_run(_root, info, query, groupObjects=False):
    return info.context.sim.apply_bulk_run(info.context.shop, query)


@resolver("Mutation", "bulkOperationRunMutation")
def _bulk_run_mutation(
    _root, info, mutation, stagedUploadPath, groupObjects=True, clientIdentifier=None
):
    return info.context.sim.apply_bulk_mutation(
        info.context.shop,
        info.context.version,
        mutation,
        stagedUploadPath,
        clientIdentifier,
    )


@resolver("Mutation", "stagedUploadsCreate")
def _staged_uploads_create(_root, info, input):
    return info.context.sim.apply_staged_uploads(info.context.shop, input)


@resolver("Mutation", "webhookSubscriptionCreate")
def _webhook_create(_root, info, topic, webhookSubscription):
    return info.context.sim.apply_webhook_create(
        info.context.shop, info.context.version, topic, webhookSubscription
    )


@resolver("Mutation", "webhookSubscriptionDelete")
def _webhook_delete(_root, info, id):
    shop = info.context.shop
    webhook = typed_node(shop, id, "WebhookSubscription")
    if webhook is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [
                {"field": ["id"], "message": "Webhook subscription does not exist"}
            ],
        }
    del shop.webhooks[webhook.number]
    return {"deletedWebhookSubscriptionId": webhook.id, "userErrors": []}
