from odoo import api, fields, models


class OrderDeskRejectWizard(models.TransientModel):
    _name = "order.desk.reject.wizard"
    _description = "Reject Orders Under Review"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "order_ids" in fields_list
            and not values.get("order_ids")
            and context.get("active_model") == "sale.order"
        ):
            values["order_ids"] = [(6, 0, context.get("active_ids", []))]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.order_ids.action_desk_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
