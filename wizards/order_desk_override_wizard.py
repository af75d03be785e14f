from odoo import fields, models


class OrderDeskOverrideWizard(models.TransientModel):
    _name = "order.desk.override.wizard"
    _description = "Override Order Desk Exceptions"
    _inherit = ["order.desk.active.records.mixin", "order.desk.field.guard"]
    _desk_active_model = "order.desk.exception"
    _desk_active_field = "exception_ids"

    exception_ids = fields.Many2many(
        "order.desk.exception",
        string="Exceptions",
        required=True,
        domain=[("state", "=", "open")],
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.exception_ids.action_override(self.reason)
        return {"type": "ir.actions.act_window_close"}
