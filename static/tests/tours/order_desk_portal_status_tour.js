import { registry } from "@web/core/registry";

// A customer reads where their order stands on its portal page.
registry.category("web_tour.tours").add("order_desk_portal_status_tour", {
    steps: () => [
        {
            content: "The status of the order, in a few sentences",
            trigger: ".o_order_desk_portal_status .o_order_desk_portal_summary:contains('SF-TOUR-888')",
        },
        {
            content: "The timeline: shipped, not delivered yet",
            trigger: ".o_order_desk_portal_status [data-step=shipped][data-state=done]",
        },
        {
            trigger: ".o_order_desk_portal_status [data-step=delivered][data-state=current]",
        },
        {
            content: "The desk's internal steps are not shown",
            trigger: ".o_order_desk_portal_status:not(:has([data-step=checks]))",
        },
    ],
});
