import { Component, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";

/**
 * "Where is my order" (订单查询) on the Overview: any reference the customer quotes opens
 * the order's status page, or the list of the orders it matches.
 */
export class OrderDeskLookup extends Component {
    static template = "order_desk.OrderDeskLookup";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ query: "", busy: false });
    }

    async onSubmit(ev) {
        ev.preventDefault();
        const query = this.state.query.trim();
        if (!query || this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            const action = await this.orm.call("sale.order", "action_desk_lookup", [query]);
            await this.action.doAction(action);
        } finally {
            this.state.busy = false;
        }
    }
}

export class OrderDeskOverviewRenderer extends KanbanRenderer {
    static template = "order_desk.OverviewKanbanRenderer";
    static components = { ...KanbanRenderer.components, OrderDeskLookup };
}

export const orderDeskOverviewKanbanView = {
    ...kanbanView,
    Renderer: OrderDeskOverviewRenderer,
};

registry.category("views").add("order_desk_overview_kanban", orderDeskOverviewKanbanView);
