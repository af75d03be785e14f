import { registry } from "@web/core/registry";

// A clerk records a damaged delivery against an order, starts handling it and resolves it.
registry.category("web_tour.tours").add("order_desk_incident_tour", {
    steps: () => [
        {
            content: "Create an incident from the incidents list",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "It is about damaged goods",
            trigger: ".o_field_widget[name=incident_type] .o_select_menu_toggler",
            run: "click",
        },
        {
            trigger: ".o_select_menu_item:contains('Damage')",
            run: "click",
        },
        {
            content: "Of this order",
            trigger: ".o_field_widget[name=order_id] input",
            run: "edit TOUR/0001",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('TOUR/0001')",
            run: "click",
        },
        {
            content: "The customer comes from the order",
            trigger: ".o_field_widget[name=partner_id] input:value('Huadong Trading')",
        },
        {
            trigger: ".o_field_widget[name=description] textarea",
            run: "edit Two chairs arrived with broken armrests",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Start handling it",
            trigger: ".o_form_saved button[name=action_start]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('In Progress')",
        },
        {
            content: "Open the resolution tab",
            trigger: ".o_notebook a.nav-link:contains('Resolution')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=resolution] .o_select_menu_toggler",
            run: "click",
        },
        {
            trigger: ".o_select_menu_item:contains('No Action')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=resolution_note] textarea",
            run: "edit The customer keeps them with a discount on the next order",
        },
        {
            content: "Resolve",
            trigger: "button[name=action_resolve]",
            run: "click",
        },
        {
            content: "The incident is resolved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Resolved')",
        },
    ],
});
