/* Copyright 2026 Synco
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */
import {registry} from "@web/core/registry";

const why = ".modal .o_synco_why";

// Someone on the warehouse team wonders why Shopify's pool shows 32 tees.
registry.category("web_tour.tours").add("synco_shopify_why_tour", {
    steps: () => [
        {
            content: "The product's Shopify figures",
            trigger: ".o_form_view button[name='action_synco_shopify_figures']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Tour Pool')",
        },
        {
            content: "Why this number?",
            trigger:
                ".o_list_view .o_data_row:contains('Tour Pool') button.o_synco_why_button",
            run: "click",
        },
        {
            content: "NJ counts 30 on hand, 5 reserved: 25 free",
            trigger: `${why} tr.o_synco_why_source:contains('TNJ/Stock') .o_synco_why_source_free:contains('25')`,
        },
        {
            trigger: `${why} tr.o_synco_why_source:contains('TTX/Stock') .o_synco_why_source_free:contains('12')`,
        },
        {
            content: "The quarantine held 8, left out",
            trigger: `${why} .o_synco_why_zone:contains('Quarantine') .o_synco_why_zone_qty:contains('8')`,
        },
        {
            trigger: `${why} .o_synco_why_aggregated:contains('37')`,
        },
        {
            content: "The Tees rule beat the Apparel one",
            trigger: `${why} .o_synco_why_buffer:contains('Tees')`,
        },
        {
            trigger: `${why} .o_synco_why_buffer_others:contains('nearer')`,
        },
        {
            trigger: `${why} .o_synco_why_odoo:contains('32')`,
        },
        {
            trigger: `${why} .o_synco_why_target:contains('32')`,
        },
    ],
});
