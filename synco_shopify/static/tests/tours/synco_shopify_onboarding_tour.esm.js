/* Copyright 2026 Synco
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */
import {registry} from "@web/core/registry";

const modal = ".modal .o_synco_onboarding";

// A new merchant: no shop yet (the test points new shops at the simulator). The empty list opens the setup assistant,
// which connects to the simulator with a Dev Dashboard app's client ID and secret, proposes mappings (one is dropped on the
// way), binds products, runs a dry run and activates.
registry.category("web_tour.tours").add("synco_shopify_onboarding_tour", {
    steps: () => [
        {
            content: "The empty shops list offers the assistant",
            trigger: ".o_view_nocontent a.o_synco_onboarding_start",
            run: "click",
        },
        {
            trigger: `${modal} .o_field_widget[name='shop_domain'] input`,
            run: "edit synco-demo.myshopify.com",
        },
        {
            content: "My own store (a Dev Dashboard app) is the way offered first",
            trigger: `${modal} .o_field_widget[name='connect_method'] input[data-value='client_credentials']:checked`,
        },
        {
            trigger: `${modal} .o_field_widget[name='client_id'] input`,
            run: "edit synco-demo-client-id",
        },
        {
            trigger: `${modal} .o_field_widget[name='client_secret'] input`,
            run: "edit synco-demo-webhook-secret",
        },
        {
            content: "Connect: a token by the client-credentials grant, its scopes checked",
            trigger: ".modal button[name='action_connect']",
            run: "click",
        },
        {
            trigger: `${modal} .o_field_widget[name='connection_info']:contains('write_inventory')`,
        },
        {
            trigger: ".modal button[name='action_import_locations']",
            run: "click",
        },
        {
            content: "New Jersey matched by address, its quarantine excluded",
            trigger: `${modal} .o_data_row:contains('New Jersey Warehouse'):contains('Quarantine'):contains('zip')`,
        },
        {
            trigger: `${modal} .o_data_row:contains('3PL Pool'):contains('Pool of warehouses')`,
        },
        {
            content: "Drop the proposed pool",
            trigger: `${modal} .o_data_row:contains('3PL Pool') .o_field_boolean_toggle input`,
            run: "click",
        },
        {
            trigger: `${modal} .o_data_row:contains('3PL Pool') .o_field_boolean_toggle input:not(:checked)`,
        },
        {
            trigger: ".modal button[name='action_create_mappings']",
            run: "click",
        },
        {
            trigger: ".modal button[name='action_bind_products']",
            run: "click",
        },
        {
            content: "The SKU report",
            trigger: `${modal} .o_synco_bind_only_odoo:contains('SYN-ONLY-ODOO')`,
        },
        {
            trigger: ".modal button[name='action_dry_run']",
            run: "click",
        },
        {
            trigger: `${modal} .o_synco_onboarding_run:contains('levels checked')`,
        },
        {
            trigger: ".modal button[name='action_activate']",
            run: "click",
        },
        {
            content: "Confirm: from now on Odoo writes to Shopify",
            trigger: ".modal-footer button:contains('Ok')",
            run: "click",
        },
        {
            trigger: `${modal} .o_synco_onboarding_done`,
        },
    ],
});
