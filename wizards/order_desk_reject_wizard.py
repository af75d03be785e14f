from odoo import fields, models


class OrderDeskRejectWizard(models.TransientModel):
    _name = "order.desk.reject.wizard"
    _description = "Reject Orders Under Review"
    _inherit = ["order.desk.active.records.mixin", "order.desk.field.guard"]
    _desk_active_model = "sale.order"
    _desk_active_field = "order_ids"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.order_ids.action_desk_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
