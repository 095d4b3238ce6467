/* Copyright 2026 Synco
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */
import {registry} from "@web/core/registry";

// A merchant opens the shop, reads the sync policy, checks a mapping and
// freezes outbound sync before a migration.
registry.category("web_tour.tours").add("synco_shopify_shop_tour", {
    steps: () => [
        {
            content: "Open the shop",
            trigger: ".o_list_view .o_data_row td:contains('Tour Shop')",
            run: "click",
        },
        {
            content: "The sync policy is written on the shop",
            trigger: ".o_notebook .nav-link:contains('Sync Policy')",
            run: "click",
        },
        {
            trigger: ".o_notebook .tab-pane.active:contains('Odoo owns quantities')",
        },
        {
            trigger: ".o_notebook .tab-pane.active .o_field_widget[name='policy_in_transit']",
        },
        {
            content: "Its mappings",
            trigger: ".o_notebook .nav-link:contains('Location Mappings')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='mapping_ids'] .o_data_row:contains('Tour NJ')",
        },
        {
            content: "Freeze outbound sync",
            trigger: ".o_form_view button[name='action_freeze']",
            run: "click",
        },
        {
            content: "The shop says it is frozen",
            trigger: ".o_form_view .ribbon:contains('Frozen')",
        },
    ],
});

registry.category("web_tour.tours").add("synco_shopify_settings_tour", {
    steps: () => [
        {
            content: "The Shopify section of the Inventory settings",
            trigger: "#synco_shopify_shops:contains('Shopify Shops')",
        },
        {
            trigger: "#synco_shopify_push_paused input[type='checkbox']",
        },
        {
            content: "Jump to the shops",
            trigger: "#synco_shopify_shops button[name='action_synco_open_shops']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td:contains('Tour Shop')",
        },
    ],
});
