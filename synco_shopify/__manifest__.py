# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Synco Shopify Multi-Warehouse Inventory",
    "summary": "Keep Shopify inventory true to Odoo's warehouses, location by location",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/synco/synco_shopify",
    "author": "Synco",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["mail", "stock", "sale_stock", "queue_job"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/shopify_security.xml",
        "data/queue_job_data.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "wizards/shopify_config_transfer_views.xml",
        "views/shopify_shop_views.xml",
        "views/shopify_location_views.xml",
        "views/shopify_product_binding_views.xml",
        "views/shopify_location_mapping_views.xml",
        "views/shopify_buffer_rule_views.xml",
        "views/shopify_inventory_level_views.xml",
        "views/shopify_reconciliation_views.xml",
        "views/shopify_shop_reconciliation_views.xml",
        "views/res_config_settings_views.xml",
        "views/synco_shopify_menus.xml",
    ],
    "demo": ["demo/synco_shopify_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "synco_shopify/static/tests/tours/*.js",
        ],
    },
}
