"""Resolvers of bulk operations: read (which moves them on), their result files."""

import time

from . import state
from .schema import resolver, typed_node


def _poll(node):
    """Reading a bulk operation moves it CREATED -> RUNNING -> COMPLETED/FAILED."""
    if isinstance(node, state.BulkOperation):
        node.polls += 1
        if node.status == "CREATED":
            node.status = "RUNNING"
        elif node.status == "RUNNING" and node.finished:
            node.status = "FAILED" if node.error_code else "COMPLETED"
            node.completed_at = time.time()
    return node


@resolver("QueryRoot", "bulkOperation")
def _bulk_operation(_root, info, id):
    return _poll(typed_node(info.context.shop, id, "BulkOperation"))


@resolver("QueryRoot", "currentBulkOperation")
def _current_bulk_operation(_root, info, type="QUERY"):
    operations = [
        op for op in info.context.shop.bulk_operations.values() if bulk_type(op) == type
    ]
    if not operations:
        return None
    return _poll(max(operations, key=lambda op: op.number))


def bulk_type(operation):
    """QUERY or MUTATION (operations pickled before mutations were QUERY)."""
    return getattr(operation, "type", None) or "QUERY"


@resolver("BulkOperation", "type")
def _bulk_type(operation, _info):
    return bulk_type(operation)


@resolver("BulkOperation", "url")
def _bulk_url(operation, info):
    if operation.status != "COMPLETED" or not operation.object_count:
        return None
    return f"{info.context.sim.base_url}/_sim/bulk/{operation.number}.jsonl"


@resolver("BulkOperation", "partialDataUrl")
def _bulk_partial_url(operation, info):
    """What a failed operation produced before it stopped."""
    if operation.status != "FAILED" or not operation.jsonl:
        return None
    return f"{info.context.sim.base_url}/_sim/bulk/{operation.number}.jsonl"


@resolver("BulkOperation", "fileSize")
def _bulk_size(operation, _info):
    if operation.status != "COMPLETED":
        return None
    jsonl = operation.jsonl  # bytes (a store pickled before: text)
    return str(len(jsonl if isinstance(jsonl, bytes) else jsonl.encode()))


@resolver("BulkOperation", "objectCount")
def _bulk_count(operation, _info):
    return str(operation.object_count if operation.status == "COMPLETED" else 0)


@resolver("BulkOperation", "rootObjectCount")
def _bulk_root_count(operation, _info):
    return str(operation.root_object_count if operation.status == "COMPLETED" else 0)
