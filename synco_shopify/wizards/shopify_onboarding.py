# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import proposals
from ..lib.shopify import DEFAULT_API_VERSION, ShopifyClient, ShopifyError
from ..lib.shopify.errors import ShopifyAuthError
from ..models.shopify_shop import SHOP_DOMAIN_RE

# what the connector reads and writes; a write scope grants its read scope
REQUIRED_SCOPES = (
    "read_locations",
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_orders",
)
STEPS = [
    ("connect", "1. Connect"),
    ("locations", "2. Locations"),
    ("mappings", "3. Mappings"),
    ("products", "4. Products"),
    ("dry_run", "5. Dry run"),
    ("done", "6. Active"),
]
# how many SKUs each list of the report names
REPORT_LIMIT = 50


class ShopifyOnboarding(models.TransientModel):
    """Set a shop up in the guide's order: connect, locations, mappings
    (proposed, then edited), products, dry run, activate.

    Nothing is written to Shopify before the last step: the mappings are
    created as drafts, which neither push nor react to stock moves, and the
    dry run only reads.  Opened on a configured shop, it shows its mappings.
    """

    _name = "shopify.onboarding"
    _inherit = "shopify.onboarding.connect"
    _description = "Shopify Onboarding"

    step = fields.Selection(STEPS, default="connect", required=True)
    shop_id = fields.Many2one("shopify.shop", readonly=True)
    name = fields.Char(string="Shop Name")
    shop_domain = fields.Char(help="The permanent domain, e.g. acme.myshopify.com.")
    access_token = fields.Char(
        groups="synco_shopify.group_shopify_manager",
        help="Admin API access token of the shop's custom app (shpat_…); kept "
        "on the shop only, cleared here once connected.",
    )
    api_version = fields.Char(string="API Version", default=DEFAULT_API_VERSION)
    api_base_url = fields.Char(
        string="API Endpoint Override",
        help="Only to reach a Shopify simulator, e.g. http://127.0.0.1:8765.",
    )
    connection_info = fields.Text(readonly=True)
    proposal_ids = fields.One2many(
        "shopify.onboarding.proposal", "wizard_id", string="Proposed Mappings"
    )
    mapping_ids = fields.Many2many("shopify.location.mapping", readonly=True)
    bind_report = fields.Html(readonly=True, sanitize=False)
    run_id = fields.Many2one("shopify.reconciliation", readonly=True)
    run_message = fields.Text(related="run_id.message")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        shop = self.env["shopify.shop"]
        if self.env.context.get("active_model") == "shopify.shop":
            shop = shop.browse(self.env.context.get("active_id")).exists()
        if shop:
            values.update(
                shop_id=shop.id,
                name=shop.name,
                shop_domain=shop.shop_domain,
                api_version=shop.api_version,
                api_base_url=shop.api_base_url,
                connect_method=shop.connect_method,
                client_id=shop.client_id,
                step="connect",
            )
            if shop.location_ids:
                # what is there, and proposals for the locations left
                values.update(
                    step="mappings",
                    proposal_ids=self._proposal_commands(shop),
                )
        return values

    # ----------------------------------------------------------------- steps
    def action_connect(self):
        """Step 1: test the domain and token at once, and the token's scopes."""
        self.ensure_one()
        domain = (self.shop_domain or "").strip().lower()
        if not SHOP_DOMAIN_RE.match(domain):
            raise UserError(
                self.env._(
                    "%(domain)s is not a shop domain: use the permanent "
                    "*.myshopify.com domain shown in Shopify's admin "
                    "(Settings › Domains).",
                    domain=self.shop_domain or "",
                )
            )
        if self.connect_method != "admin_token":
            return self._connect_app(domain)
        token = self.access_token or (self.shop_id.sudo().access_token)
        if not token:
            raise UserError(
                self.env._("Paste the Admin API access token of the shop's custom app.")
            )
        return self._connect_with(domain, token, {"connect_method": "admin_token"})

    def _connect_with(self, domain, token, method_vals):
        """Test ``token`` (shop, scopes), then keep the shop connected."""
        client = ShopifyClient(
            domain,
            token,
            self.api_version or DEFAULT_API_VERSION,
            base_url=self.api_base_url or None,
        )
        try:
            info = client.shop_info()
            scopes = set(client.access_scopes())
        except ShopifyAuthError as exc:
            raise UserError(
                self.env._(
                    "Shopify refused the token for %(domain)s: check that it "
                    "is the Admin API access token of this shop's custom app "
                    "and that the app is installed. (%(error)s)",
                    domain=domain,
                    error=exc,
                )
            ) from exc
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "No Shopify shop answered at %(domain)s: check the "
                    "domain. (%(error)s)",
                    domain=domain,
                    error=exc,
                )
            ) from exc
        finally:
            client.close()
        if info.get("myshopify_domain") and info["myshopify_domain"] != domain:
            raise UserError(
                self.env._(
                    "This token belongs to %(other)s, not %(domain)s: fix "
                    "the domain or paste the token of %(domain)s.",
                    other=info["myshopify_domain"],
                    domain=domain,
                )
            )
        granted = scopes | {s.replace("write_", "read_", 1) for s in scopes}
        missing = [s for s in REQUIRED_SCOPES if s not in granted]
        if missing:
            raise UserError(
                self.env._(
                    "The token lacks the access scopes %(missing)s: add them "
                    "to the custom app's Admin API scopes in Shopify, "
                    "reinstall the app and paste its new token.",
                    missing=", ".join(missing),
                )
            )
        vals = dict(method_vals)
        if self.access_token and method_vals["connect_method"] == "admin_token":
            vals["access_token"] = self.access_token
        if not self.name:
            self.name = info.get("name") or domain
        shop = self._save_shop(domain, vals)
        self.write(
            {
                "shop_id": shop.id,
                "access_token": False,  # kept on the shop only
                "client_secret": False,
                "step": "locations",
                "connection_info": self.env._(
                    "Connected to %(name)s (%(domain)s), API %(version)s; "
                    "scopes: %(scopes)s.",
                    name=info.get("name"),
                    domain=domain,
                    version=info.get("api_version"),
                    scopes=", ".join(sorted(scopes)),
                ),
            }
        )
        return self._reopen()

    def action_import_locations(self):
        """Step 2: read Shopify's locations, then propose their mappings."""
        self.ensure_one()
        self.shop_id.action_import_locations()
        self._build_proposals()
        self.step = "mappings"
        return self._reopen()

    def action_create_mappings(self):
        """Step 3: the kept proposals become draft mappings (nothing pushed)."""
        self.ensure_one()
        Mapping = self.env["shopify.location.mapping"]
        created = Mapping
        for line in self.proposal_ids.filtered(
            lambda p: p.include and not p.mapping_id
        ):
            if not line.source_location_ids:
                raise UserError(
                    self.env._(
                        "%(location)s has no source: pick the Odoo locations "
                        "that feed it, or untick it.",
                        location=line.shopify_location_id.name,
                    )
                )
            line.mapping_id = Mapping.create(
                {
                    "shop_id": self.shop_id.id,
                    "shopify_location_id": line.shopify_location_id.id,
                    "state": "draft",
                    "aggregation": line.aggregation,
                    "source_ids": [
                        (0, 0, {"location_id": location.id})
                        for location in line.source_location_ids
                    ],
                    "excluded_location_ids": [(6, 0, line.excluded_location_ids.ids)],
                }
            )
            created |= line.mapping_id
        self.write({"mapping_ids": [(4, m.id) for m in created], "step": "products"})
        return self._reopen()

    def action_bind_products(self):
        """Step 4: bind by SKU, and report what could not be bound."""
        self.ensure_one()
        shop = self.shop_id
        client = shop._get_client()
        with shop._user_api_errors():
            variants = list(client.iter_variants())
        self.bind_report = self._bind_report(variants)
        shop.action_bind_products()
        self.step = "dry_run"
        return self._reopen()

    def action_dry_run(self):
        """Step 5: what the draft mappings would change, read-only."""
        self.ensure_one()
        mappings = self._draft_mappings()
        if not mappings:
            raise UserError(self.env._("There is no draft mapping to try."))
        run = self.shop_id._create_run(
            dry_run=True, mappings=mappings, trigger="manual"
        )
        run._job_run()
        self.run_id = run
        return self._reopen()

    def action_activate(self):
        """Step 6: the draft mappings go live: Shopify is written from now on."""
        self.ensure_one()
        mappings = self._draft_mappings()
        if not mappings:
            raise UserError(self.env._("There is no draft mapping to activate."))
        mappings.action_activate()
        self.step = "done"
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        keys = [key for key, _label in STEPS]
        self.step = keys[max(0, keys.index(self.step) - 1)]
        return self._reopen()

    def action_skip(self):
        self.ensure_one()
        keys = [key for key, _label in STEPS]
        self.step = keys[min(len(keys) - 1, keys.index(self.step) + 1)]
        return self._reopen()

    def action_open_run(self):
        self.ensure_one()
        return self.run_id._open_form()

    def action_open_shop(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "shopify.shop",
            "res_id": self.shop_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # --------------------------------------------------------------- helpers
    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set Up a Shopify Shop"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def _draft_mappings(self):
        mappings = self.mapping_ids | self.proposal_ids.mapping_id
        return mappings.filtered(lambda m: m.state == "draft")

    def _build_proposals(self):
        self.ensure_one()
        self.proposal_ids = [(5, 0, 0), *self._proposal_commands(self.shop_id)]

    @api.model
    def _proposal_commands(self, shop):
        """One line per Shopify location: its mapping if it has one, else the
        proposal of :mod:`..lib.proposals` (or an empty, unticked line)."""
        Warehouse = self.env["stock.warehouse"]
        warehouses = Warehouse.search([("company_id", "=", shop.company_id.id)])
        partners = Counter(warehouses.partner_id.ids)
        wh_dicts = [
            {
                "key": wh.id,
                "name": wh.name,
                "code": wh.code,
                "country": wh.partner_id.country_id.code,
                "state": wh.partner_id.state_id.code,
                "zip": wh.partner_id.zip,
                "city": wh.partner_id.city,
                # an address several warehouses share tells none apart
                "address": bool(wh.partner_id) and partners[wh.partner_id.id] == 1,
            }
            for wh in warehouses
        ]
        suppliers = self._supplier_locations(shop)
        lines = []
        for location in shop.location_ids.filtered("shopify_active"):
            mapping = location.mapping_ids[:1]
            if mapping:
                lines.append((0, 0, self._existing_line(location, mapping)))
                continue
            proposal = proposals.propose(
                {
                    "name": location.name,
                    "country": location.country_code,
                    "state": location.province_code,
                    "zip": location.zip,
                    # the address is "street, city"
                    "city": (location.address or "").rpartition(",")[2].strip(),
                },
                wh_dicts,
                suppliers.ids,
            )
            lines.append((0, 0, self._proposal_line(location, proposal)))
        return lines

    def _existing_line(self, location, mapping):
        return {
            "shopify_location_id": location.id,
            "mapping_id": mapping.id,
            "include": False,
            "pattern": "existing",
            "source_location_ids": [(6, 0, mapping.source_ids.location_id.ids)],
            "excluded_location_ids": [(6, 0, mapping.excluded_location_ids.ids)],
            "aggregation": mapping.aggregation,
            "reason": self.env._(
                "Already mapped (%(state)s).",
                state=dict(mapping._fields["state"]._description_selection(self.env))[
                    mapping.state
                ],
            ),
        }

    def _proposal_line(self, location, proposal):
        if not proposal:
            return {
                "shopify_location_id": location.id,
                "include": False,
                "pattern": "none",
                "reason": self.env._(
                    "No warehouse matches its address or name: pick its "
                    "sources, or leave it unmapped."
                ),
            }
        Warehouse = self.env["stock.warehouse"]
        chosen = Warehouse.browse(proposal["warehouses"])
        sources = chosen.lot_stock_id | self.env["stock.location"].browse(
            proposal["suppliers"]
        )
        excluded = self.env["stock.location"]
        if chosen:
            excluded = self.env["stock.location"].search(
                [
                    ("id", "child_of", chosen.lot_stock_id.ids),
                    ("id", "not in", chosen.lot_stock_id.ids),
                    ("usage", "=", "internal"),
                ]
            )
            excluded = excluded.filtered(
                lambda loc: proposals.is_exclusion_zone(loc.name)
            )
        labels = {
            "zip": self.env._("zip"),
            "city": self.env._("city"),
            "state": self.env._("state"),
            "country": self.env._("country"),
            "name": self.env._("name"),
            "code": self.env._("code"),
            "drop-ship": self.env._("drop-ship supplier"),
        }
        why = []
        for key, reasons in proposal["reasons"].items():
            record = (
                Warehouse.browse(key)
                if proposal["warehouses"]
                else self.env["stock.location"].browse(key)
            )
            why.append(
                f"{record.display_name}: "
                + ", ".join(labels.get(r, r) for r in reasons)
            )
        if excluded:
            why.append(
                self.env._(
                    "excluded: %(zones)s",
                    zones=", ".join(excluded.mapped("name")),
                )
            )
        return {
            "shopify_location_id": location.id,
            "include": True,
            "pattern": proposal["pattern"],
            "source_location_ids": [(6, 0, sources.ids)],
            "excluded_location_ids": [(6, 0, excluded.ids)],
            "aggregation": proposal["aggregation"],
            "reason": "; ".join(why),
        }

    @api.model
    def _supplier_locations(self, shop):
        """Drop-ship supplier locations: supplier locations with no supplier
        location below them (Odoo's generic *Vendors* only when alone)."""
        locations = self.env["stock.location"].search(
            [
                ("usage", "=", "supplier"),
                ("company_id", "in", [False, shop.company_id.id]),
            ]
        )
        vendors = self.env.ref("stock.stock_location_suppliers", False)
        leaves = locations.filtered(
            lambda loc: (
                not (locations - loc).filtered(lambda other: other.location_id == loc)
            )
        )
        return leaves - vendors if vendors else leaves

    def _bind_report(self, variants):
        """HTML: SKUs only in Shopify, only in Odoo, duplicated, and missing."""
        company = self.shop_id.company_id
        candidates = self.env["product.product"].search(
            [("company_id", "in", [False, company.id])]
        )
        refused = candidates._synco_sync_refusals()
        products = candidates.filtered(lambda p: p not in refused)
        odoo_skus = Counter(p.default_code for p in products if p.default_code)
        shopify_skus = Counter(v.get("sku") for v in variants if v.get("sku"))
        not_synced = sorted(
            f"{p.default_code} ({reason})"
            for p, reason in refused.items()
            if p.default_code in shopify_skus and p.default_code not in odoo_skus
        )
        no_sku_shopify = [
            "{} {}".format(
                (v.get("product") or {}).get("title") or "", v.get("title") or ""
            ).strip()
            for v in variants
            if not v.get("sku")
        ]
        sections = [
            (
                "only_shopify",
                self.env._("Only in Shopify (no Odoo product has it)"),
                sorted(
                    set(shopify_skus)
                    - set(odoo_skus)
                    - {p.default_code for p in refused}
                ),
            ),
            (
                "not_synced",
                self.env._("In Shopify, but Synco can't sync the Odoo product"),
                not_synced,
            ),
            (
                "only_odoo",
                self.env._("Only in Odoo (no Shopify variant has it)"),
                sorted(set(odoo_skus) - set(shopify_skus)),
            ),
            (
                "dup_shopify",
                self.env._("On several Shopify variants (the first one is bound)"),
                sorted(s for s, n in shopify_skus.items() if n > 1),
            ),
            (
                "dup_odoo",
                self.env._("On several Odoo products (one of them is bound)"),
                sorted(s for s, n in odoo_skus.items() if n > 1),
            ),
            (
                "no_sku_shopify",
                self.env._("Shopify variants without SKU (never bound)"),
                no_sku_shopify,
            ),
            (
                "no_sku_odoo",
                self.env._("Odoo products without internal reference (never bound)"),
                products.filtered(lambda p: not p.default_code).mapped("display_name"),
            ),
        ]
        values = {
            "sections": [s for s in sections if s[2]],
            "matched": len(set(odoo_skus) & set(shopify_skus)),
            "limit": REPORT_LIMIT,
        }
        return self.env["ir.qweb"]._render(
            "synco_shopify.onboarding_bind_report", values
        )


class ShopifyOnboardingProposal(models.TransientModel):
    """One Shopify location in the onboarding: the mapping proposed for it,
    editable (sources, exclusions, rule) or droppable before creation."""

    _name = "shopify.onboarding.proposal"
    _description = "Shopify Onboarding: Proposed Mapping"

    wizard_id = fields.Many2one("shopify.onboarding", required=True, ondelete="cascade")
    include = fields.Boolean(string="Create", default=True)
    shopify_location_id = fields.Many2one("shopify.location", required=True)
    mapping_id = fields.Many2one("shopify.location.mapping", readonly=True)
    pattern = fields.Selection(
        [
            ("one_to_one", "One warehouse"),
            ("pool", "Pool of warehouses (sum)"),
            ("drop_ship", "Drop-ship suppliers (largest single supplier)"),
            ("none", "No proposal"),
            ("existing", "Already mapped"),
        ],
        readonly=True,
    )
    source_location_ids = fields.Many2many(
        "stock.location",
        "shopify_onboarding_proposal_source_rel",
        "proposal_id",
        "location_id",
        string="Sources",
        domain="[('usage', 'in', ('internal', 'view', 'supplier'))]",
    )
    excluded_location_ids = fields.Many2many(
        "stock.location",
        "shopify_onboarding_proposal_excluded_rel",
        "proposal_id",
        "location_id",
        string="Excluded",
        domain="[('usage', '=', 'internal')]",
    )
    aggregation = fields.Selection(
        [
            ("sum", "Sum (pooled stock)"),
            ("max", "Largest single source (drop-ship)"),
            ("min", "Smallest source"),
        ],
        default="sum",
    )
    reason = fields.Char(string="Why", readonly=True)
