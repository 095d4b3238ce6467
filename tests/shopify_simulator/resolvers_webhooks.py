"""Resolvers of webhook subscriptions."""

from .paging import WEBHOOK_SORT, _sort_key, connection
from .schema import resolver, typed_node
from .search import WEBHOOK_FIELDS, search_filter


@resolver("QueryRoot", "webhookSubscriptions")
def _webhook_subscriptions(_root, info, **args):
    items = list(info.context.shop.webhooks.values())
    if args.get("topics"):
        items = [w for w in items if w.topic in args["topics"]]
    wanted_uri = args.get("uri") or args.get("callbackUrl")
    if wanted_uri:
        items = [w for w in items if w.uri == wanted_uri]
    if args.get("format"):
        items = [w for w in items if w.format == args["format"]]
    items = search_filter(items, args.get("query"), WEBHOOK_FIELDS, ["topic"])
    return connection(info, items, args, _sort_key(args.get("sortKey"), WEBHOOK_SORT))


@resolver("QueryRoot", "webhookSubscription")
def _webhook_subscription(_root, info, id):
    return typed_node(info.context.shop, id, "WebhookSubscription")


@resolver("WebhookSubscription", "callbackUrl")
def _webhook_callback(webhook, _info):
    return webhook.uri


@resolver("WebhookSubscription", "apiVersion")
def _webhook_version(webhook, _info):
    return {
        "handle": webhook.api_version,
        "displayName": webhook.api_version,
        "supported": True,
    }
