# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Synco Shopify Expiry",
    "summary": "Lots past their removal date are not offered on Shopify",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/synco/synco_shopify",
    "author": "Synco",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["synco-dev"],
    "installable": True,
    "auto_install": True,
    "depends": ["synco_shopify", "product_expiry"],
    "data": ["data/ir_cron_data.xml"],
}
