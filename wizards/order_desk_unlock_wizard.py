from odoo import fields, models


class OrderDeskUnlockWizard(models.TransientModel):
    _name = "order.desk.unlock.wizard"
    _description = "Unlock Locked Orders"
    _inherit = ["order.desk.field.guard"]

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.order_ids.action_desk_unlock(self.reason)
        return {"type": "ir.actions.act_window_close"}
