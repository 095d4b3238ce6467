"""Every GraphQL document of the client validates against Shopify's schemas.

The real Admin API schemas (2026-04, the oldest supported version, and
2026-07, the default) live outside the repository in
``../shared/shopify-admin-schema``; the tests skip, saying so, when that
folder is absent.  Deprecated fields are refused too: they are the ones
Shopify removes next.
"""

import ast
import re
from pathlib import Path

import pytest
from graphql import (
    NoDeprecatedCustomRule,
    OperationDefinitionNode,
    build_schema,
    parse,
    specified_rules,
    validate,
)

from odoo.addons.synco_shopify.lib.shopify import documents

from tests.conftest import REPO_ROOT, SCHEMA_DIR

PACKAGE_DIR = REPO_ROOT / "synco_shopify" / "lib" / "shopify"
GRAPHQL_FILES = sorted((PACKAGE_DIR / "graphql").glob("*.graphql"))
VERSIONS = ["2026-04", "2026-07"]


@pytest.fixture(scope="session", params=VERSIONS)
def admin_schema(request):
    """Build each real schema once per session (a few seconds each)."""
    path = SCHEMA_DIR / f"{request.param}.graphql"
    if not path.exists():
        pytest.skip(
            f"Shopify Admin schema {request.param} not found at {path}: "
            "documents are not validated against the real schema"
        )
    return build_schema(path.read_text(encoding="utf-8"))


def test_there_are_documents():
    assert len(GRAPHQL_FILES) >= 15
    assert {p.name for p in GRAPHQL_FILES} >= {
        "inventory_set_quantities.graphql",
        "bulk_inventory_levels.graphql",
        "webhook_subscription_create.graphql",
    }


@pytest.mark.parametrize("path", GRAPHQL_FILES, ids=lambda p: p.name)
def test_document_valid_in_schema(admin_schema, path):
    document = parse(path.read_text(encoding="utf-8"))
    errors = validate(
        admin_schema, document, [*specified_rules, NoDeprecatedCustomRule]
    )
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("path", GRAPHQL_FILES, ids=lambda p: p.name)
def test_document_has_one_named_operation(path):
    """The operation name keys the throttle's cost estimate and the logs."""
    document = parse(path.read_text(encoding="utf-8"))
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    assert len(operations) == 1
    assert operations[0].name is not None


def test_every_file_is_a_loaded_constant():
    """No .graphql file is dead, and documents.ALL holds exactly the files."""
    texts = {p.read_text(encoding="utf-8") for p in GRAPHQL_FILES}
    assert set(documents.ALL.values()) == texts
    assert len(documents.ALL) == len(GRAPHQL_FILES)


def test_inventory_write_carries_idempotency_and_compare_and_set():
    """2026-04+ requires @idempotent and changeFromQuantity on inventory writes."""
    text = documents.INVENTORY_SET_QUANTITIES
    assert re.search(r"@idempotent\(key:\s*\$idempotencyKey\)", text)
    assert "InventorySetQuantitiesInput!" in text  # quantities go as a variable
    assert "compareQuantity" not in text  # removed in 2026-04


def test_bulk_write_line_carries_idempotency_and_compare_and_set():
    """Each JSONL line of a bulk write is one inventorySetQuantities call: its
    document takes the line's own key and input (quantities with
    changeFromQuantity) as variables."""
    text = documents.INVENTORY_SET_QUANTITIES_BULK
    assert re.search(r"@idempotent\(key:\s*\$idempotencyKey\)", text)
    assert "$input: InventorySetQuantitiesInput!" in text
    run = documents.BULK_OPERATION_RUN_MUTATION
    assert "stagedUploadPath: $stagedUploadPath" in run


_OPERATION_RE = re.compile(
    r"\b(query|mutation|subscription)\s+[A-Za-z_]\w*\s*[({]", re.MULTILINE
)
_ANONYMOUS_RE = re.compile(r"^\s*\{\s*[a-z]\w*\s*[({]")


def _looks_like_graphql(text):
    """A named operation anywhere, or a string that opens with ``{ field {``."""
    return bool(_OPERATION_RE.search(text) or _ANONYMOUS_RE.match(text))


def _string_constants(path):
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_inline_graphql_detector_detects():
    """Guard against a vacuous check below."""
    assert _looks_like_graphql("query Shop { shop { name } }")
    assert _looks_like_graphql("mutation M($a: ID!) { x(id: $a) { id } }")
    assert _looks_like_graphql("{ shop { name } }")
    assert not _looks_like_graphql("gid://shopify/Location/1")
    assert not _looks_like_graphql('sku:"A" OR sku:"B"')


@pytest.mark.parametrize(
    "path", sorted(PACKAGE_DIR.rglob("*.py")), ids=lambda p: p.name
)
def test_no_inline_graphql_in_python(path):
    """GraphQL lives in graphql/*.graphql only, where the tests above see it."""
    offending = [s[:60] for s in _string_constants(path) if _looks_like_graphql(s)]
    assert not offending, f"inline GraphQL in {path.name}: {offending}"
