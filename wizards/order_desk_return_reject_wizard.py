from odoo import fields, models


class OrderDeskReturnRejectWizard(models.TransientModel):
    _name = "order.desk.return.reject.wizard"
    _description = "Reject Return Requests"
    _inherit = ["order.desk.active.records.mixin", "order.desk.field.guard"]
    _desk_active_model = "order.desk.return"
    _desk_active_field = "return_ids"

    return_ids = fields.Many2many("order.desk.return", string="Returns", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.return_ids.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
