import { registry } from "@web/core/registry";

// The desk's day from the Overview, clicked by technical names only (field, button and tile
// names), so that the steps read the same in every language.

// A clerk takes an order on the phone from the Overview and submits it for review.
registry.category("web_tour.tours").add("order_desk_phone_order_tour", {
    steps: () => [
        {
            content: "The clerk starts on the Overview",
            trigger: ".o_order_desk_overview .o_order_desk_tile[data-tile=my_blocked_drafts]",
        },
        {
            content: "Take a new order",
            trigger: "button.o_order_desk_new_order",
            run: "click",
        },
        {
            content: "The customer on the phone",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input",
            run: "edit Tour Phone Customer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Phone Customer')",
            run: "click",
        },
        {
            content: "Add the goods",
            trigger: ".o_field_widget[name=order_line] .o_field_x2many_list_row_add a:first",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_selected_row .o_field_widget[name=product_template_id] input",
            run: "edit Tour Chair",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Chair')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_selected_row .o_field_widget[name=product_uom_qty] input",
            run: "edit 3",
        },
        {
            content: "Save the order",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Submit it for review",
            trigger: ".o_form_saved button[name=action_desk_submit]",
            run: "click",
        },
        {
            content: "It waits for the manager",
            trigger: ".o_statusbar_status [data-value=to_review].o_arrow_button_current",
        },
    ],
});

// The manager approves it from the Overview's "To Review" tile.
registry.category("web_tour.tours").add("order_desk_approve_tour", {
    steps: () => [
        {
            content: "Open what waits for review",
            trigger: ".o_order_desk_overview [data-tile=review_queue] button.o_order_desk_tile_count",
            run: "click",
        },
        {
            content: "The order the clerk submitted",
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains('Tour Phone Customer')",
            run: "click",
        },
        {
            content: "Approve it",
            trigger: ".o_form_view button[name=action_desk_approve]",
            run: "click",
        },
        {
            content: "It is locked and its stock reserved",
            trigger: ".o_statusbar_status [data-value=locked].o_arrow_button_current",
        },
    ],
});

// A customer calls with a tracking number: the clerk answers from the Overview.
registry.category("web_tour.tours").add("order_desk_where_is_my_order_tour", {
    steps: () => [
        {
            content: "Type the tracking number the customer reads out",
            trigger: ".o_order_desk_lookup input[name=desk_lookup]",
            run: "edit SF-TOUR-777",
        },
        {
            trigger: ".o_order_desk_lookup button[name=desk_lookup_submit]",
            run: "click",
        },
        {
            content: "The order's page: what blocks it now",
            trigger: ".o_order_desk_status .o_order_desk_status_blocker:visible",
        },
        {
            content: "It has left with the carrier",
            trigger: ".o_order_desk_status .o_order_desk_timeline [data-step=shipped][data-state=done]",
        },
        {
            content: "The text to read to the customer names the tracking number",
            trigger: ".o_order_desk_status .o_order_desk_customer_text:contains('SF-TOUR-777')",
        },
    ],
});
