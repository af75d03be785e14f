from odoo import api, fields, models


class OrderDeskOverrideWizard(models.TransientModel):
    _name = "order.desk.override.wizard"
    _description = "Override Order Desk Exceptions"

    exception_ids = fields.Many2many(
        "order.desk.exception",
        string="Exceptions",
        required=True,
        domain=[("state", "=", "open")],
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "exception_ids" in fields_list
            and not values.get("exception_ids")
            and context.get("active_model") == "order.desk.exception"
        ):
            values["exception_ids"] = [(6, 0, context.get("active_ids", []))]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.exception_ids.action_override(self.reason)
        return {"type": "ir.actions.act_window_close"}
