from odoo import api, fields, models


class OrderDeskReturnRejectWizard(models.TransientModel):
    _name = "order.desk.return.reject.wizard"
    _description = "Reject Return Requests"

    return_ids = fields.Many2many("order.desk.return", string="Returns", required=True)
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "return_ids" in fields_list
            and not values.get("return_ids")
            and context.get("active_model") == "order.desk.return"
        ):
            values["return_ids"] = [(6, 0, context.get("active_ids", []))]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.return_ids.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
