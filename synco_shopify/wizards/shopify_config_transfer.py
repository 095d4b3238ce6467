# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Export and import a shop's mappings and buffer rules as JSON.

The file names records by what survives a move between databases, never by
database id: Shopify locations by their GID, Odoo locations by their full
name (``NJ/Stock/Bin-A1``), categories by full name (``All/Saleable``) and
products by internal reference.  The format is documented in readme/CONFIGURE.md::

    {"format": "synco_shopify.configuration", "version": 1,
     "shop": "acme.myshopify.com",
     "mappings": [{"shopify_location": "gid://shopify/Location/1",
                   "name": "NJ", "state": "active", "aggregation": "sum",
                   "drift_threshold": 0, "sources": ["NJ/Stock"],
                   "excluded_locations": ["NJ/Stock/Quarantine"]}],
     "buffer_rules": [{"shopify_location": null, "product_category": null,
                       "product": "SKU-1", "percent": 5.0, "units": 0.0}]}

An import replaces the shop's mappings and buffer rules as a whole, inside
the one transaction: any error (all of them are listed) leaves the current
configuration untouched.
"""

import base64
import json

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

FORMAT = "synco_shopify.configuration"
VERSION = 1
TOP_KEYS = {"format", "version", "shop", "mappings", "buffer_rules"}
MAPPING_KEYS = {
    "shopify_location",
    "name",
    "state",
    "aggregation",
    "drift_threshold",
    "sources",
    "excluded_locations",
}
MAPPING_REQUIRED = {"shopify_location", "sources"}
RULE_KEYS = {"shopify_location", "product_category", "product", "percent", "units"}


class ShopifyConfigTransfer(models.TransientModel):
    _name = "shopify.config.transfer"
    _description = "Shopify Configuration Export/Import"

    shop_id = fields.Many2one("shopify.shop", required=True, ondelete="cascade")
    data = fields.Binary(string="File", attachment=False)
    filename = fields.Char()
    as_draft = fields.Boolean(
        string="Import Mappings as Drafts",
        help="Useful when migrating: review the imported mappings with a "
        "dry-run before activating them.",
    )

    # ------------------------------------------------------------------ export
    def action_export(self):
        self.ensure_one()
        payload = self._export_configuration(self.shop_id)
        content = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        self.write(
            {
                "data": base64.b64encode(content.encode()),
                "filename": f"{self.shop_id.shop_domain}-configuration.json",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": (
                f"/web/content?model={self._name}&id={self.id}&field=data"
                f"&filename_field=filename&download=true"
            ),
            "target": "self",
        }

    @api.model
    def _export_configuration(self, shop):
        mappings = shop.mapping_ids.sorted(lambda m: (m.sequence, m.id))
        rules = shop.buffer_rule_ids.sorted(lambda r: (r.sequence, r.id))
        return {
            "format": FORMAT,
            "version": VERSION,
            "shop": shop.shop_domain,
            "mappings": [
                {
                    "shopify_location": m.shopify_location_id.shopify_gid,
                    "name": m.name,
                    "state": m.state,
                    "aggregation": m.aggregation,
                    "drift_threshold": m.drift_threshold,
                    "sources": [s.location_id.complete_name for s in m.source_ids],
                    "excluded_locations": m.excluded_location_ids.mapped(
                        "complete_name"
                    ),
                }
                for m in mappings
            ],
            "buffer_rules": [
                {
                    "shopify_location": r.mapping_id.shopify_location_id.shopify_gid
                    or None,
                    "product_category": r.product_categ_id.complete_name or None,
                    "product": r.product_id.default_code or None,
                    "percent": r.buffer_percent,
                    "units": r.buffer_units,
                }
                for r in rules
            ],
        }

    # ------------------------------------------------------------------ import
    def action_import(self):
        self.ensure_one()
        if not self.data:
            raise UserError(self.env._("Choose a JSON file to import."))
        try:
            payload = json.loads(base64.b64decode(self.data))
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(
                self.env._("The file is not valid JSON: %(error)s", error=exc)
            ) from exc
        self._import_configuration(self.shop_id, payload, as_draft=self.as_draft)
        return self.shop_id.action_view_mappings()

    @api.model
    def _import_configuration(self, shop, payload, as_draft=False):
        """Validate ``payload`` completely, then replace the configuration."""
        resolver = _Resolver(self.env, shop)
        mappings, rules = resolver.parse(payload)
        if resolver.errors:
            raise UserError(
                self.env._(
                    "The configuration was not imported:\n%(errors)s",
                    errors="\n".join(f"- {e}" for e in resolver.errors),
                )
            )
        try:
            with self.env.cr.savepoint():
                shop.buffer_rule_ids.unlink()
                shop.mapping_ids.unlink()
                by_location = {}
                for vals in mappings:
                    if as_draft:
                        vals["state"] = "draft"
                    mapping = self.env["shopify.location.mapping"].create(vals)
                    by_location[mapping.shopify_location_id] = mapping
                for vals in rules:
                    location = vals.pop("shopify_location", None)
                    if location:
                        vals["mapping_id"] = by_location[location].id
                    self.env["shopify.buffer.rule"].create(vals)
                self.env.flush_all()
        except ValidationError as exc:
            raise UserError(
                self.env._(
                    "The configuration was not imported: %(error)s",
                    error=exc.args[0],
                )
            ) from exc
        return shop.mapping_ids


class _Resolver:
    """Checks a configuration payload and turns names back into records."""

    def __init__(self, env, shop):
        self.env = env
        self.shop = shop
        self.errors = []

    def _error(self, path, message):
        self.errors.append(f"{path}: {message}")

    def _check_keys(self, path, data, allowed, required=()):
        if not isinstance(data, dict):
            self._error(path, "must be an object")
            return False
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            self._error(path, f"unknown key(s) {', '.join(unknown)}")
        missing = sorted(set(required) - set(data))
        if missing:
            self._error(path, f"missing key(s) {', '.join(missing)}")
        # unknown keys are reported, yet the rest is still checked so that one
        # import attempt lists every problem of the file
        return not missing

    def _one(self, path, model, field, value, what, extra_domain=()):
        if not isinstance(value, str) or not value:
            self._error(path, f"{what} must be a non-empty string")
            return None
        records = (
            self.env[model]
            .with_context(active_test=False)
            .search([(field, "=", value), *extra_domain])
        )
        if not records:
            self._error(path, f"unknown {what} {value!r}")
            return None
        if len(records) > 1:
            self._error(path, f"{what} {value!r} is ambiguous ({len(records)} match)")
            return None
        return records

    def _list(self, path, value):
        """``value`` as a list (``null`` for an empty one), or None and an error."""
        if value is None:
            return []
        if not isinstance(value, list):
            self._error(path, "must be a list")
            return None
        return value

    def _location(self, path, name):
        company = [("company_id", "in", (False, self.shop.company_id.id))]
        return self._one(
            path, "stock.location", "complete_name", name, "Odoo location", company
        )

    def _shopify_location(self, path, gid):
        return self._one(
            path,
            "shopify.location",
            "shopify_gid",
            gid,
            "Shopify location",
            [("shop_id", "=", self.shop.id)],
        )

    def parse(self, payload):
        mappings, rules = [], []
        if not self._check_keys(
            "file", payload, TOP_KEYS, {"format", "version", "mappings"}
        ):
            return mappings, rules
        # the import replaces everything: a missing or null list must not
        # silently wipe the shop's configuration (an empty list does, on purpose)
        for key in ("mappings", "buffer_rules"):
            if key in payload and not isinstance(payload[key], list):
                self._error(key, "must be a list")
                return mappings, rules
        if payload["format"] != FORMAT:
            self._error("format", f"expected {FORMAT!r}")
        if payload["version"] != VERSION:
            self._error("version", f"unsupported version {payload['version']!r}")
        if payload.get("shop") not in (None, self.shop.shop_domain):
            self._error(
                "shop",
                f"the file is for {payload['shop']!r}, not {self.shop.shop_domain!r}",
            )
        seen = set()
        for index, item in enumerate(payload["mappings"]):
            vals = self._parse_mapping(f"mappings[{index}]", item)
            if vals:
                mappings.append(vals)
                seen.add(vals["shopify_location_id"])
        for index, item in enumerate(payload.get("buffer_rules") or []):
            vals = self._parse_rule(f"buffer_rules[{index}]", item, seen)
            if vals:
                rules.append(vals)
        return mappings, rules

    def _parse_mapping(self, path, item):
        if not self._check_keys(path, item, MAPPING_KEYS, MAPPING_REQUIRED):
            return None
        location = self._shopify_location(
            f"{path}.shopify_location", item["shopify_location"]
        )
        state = item.get("state", "draft")
        if state not in ("draft", "active", "paused"):
            self._error(f"{path}.state", f"unknown state {state!r}")
        aggregation = item.get("aggregation", "sum")
        if aggregation not in ("sum", "max", "min"):
            self._error(f"{path}.aggregation", f"unknown rule {aggregation!r}")
        threshold = item.get("drift_threshold", 0)
        if not isinstance(threshold, int) or threshold < 0:
            self._error(f"{path}.drift_threshold", "must be a whole number ≥ 0")
        source_names = self._list(f"{path}.sources", item["sources"])
        sources = [
            self._location(f"{path}.sources[{i}]", name)
            for i, name in enumerate(source_names or ())
        ]
        if source_names is not None and not sources:
            self._error(f"{path}.sources", "a mapping needs at least one source")
        excluded_names = self._list(
            f"{path}.excluded_locations", item.get("excluded_locations")
        )
        excluded = [
            self._location(f"{path}.excluded_locations[{i}]", name)
            for i, name in enumerate(excluded_names or ())
        ]
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            self._error(f"{path}.name", "must be a string")
        if (
            not location
            or source_names is None
            or excluded_names is None
            or None in sources
            or None in excluded
        ):
            return None
        vals = {
            "shop_id": self.shop.id,
            "shopify_location_id": location.id,
            "state": state,
            "aggregation": aggregation,
            "drift_threshold": threshold,
            "source_ids": [(0, 0, {"location_id": s.id}) for s in sources],
            "excluded_location_ids": [(6, 0, [e.id for e in excluded])],
        }
        if item.get("name"):
            vals["name"] = item["name"]
        return vals

    def _parse_rule(self, path, item, mapped_locations):
        if not self._check_keys(path, item, RULE_KEYS):
            return None
        vals = {"shop_id": self.shop.id}
        ok = True
        if item.get("shopify_location"):
            location = self._shopify_location(
                f"{path}.shopify_location", item["shopify_location"]
            )
            if location and location.id not in mapped_locations:
                self._error(
                    f"{path}.shopify_location",
                    f"{item['shopify_location']!r} has no mapping in this file",
                )
                location = None
            ok &= bool(location)
            vals["shopify_location"] = location
        if item.get("product_category"):
            categ = self._one(
                f"{path}.product_category",
                "product.category",
                "complete_name",
                item["product_category"],
                "product category",
            )
            ok &= bool(categ)
            vals["product_categ_id"] = categ and categ.id
        if item.get("product"):
            product = self._one(
                f"{path}.product",
                "product.product",
                "default_code",
                item["product"],
                "product",
            )
            ok &= bool(product)
            vals["product_id"] = product and product.id
        for key, field in (("percent", "buffer_percent"), ("units", "buffer_units")):
            value = item.get(key, 0)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self._error(f"{path}.{key}", "must be a number")
                ok = False
            elif key == "percent" and not 0 <= value <= 100:
                self._error(f"{path}.percent", f"{value} is outside 0..100")
                ok = False
            elif value < 0:
                self._error(f"{path}.{key}", "can't be negative")
                ok = False
            else:
                vals[field] = value
        return vals if ok else None
