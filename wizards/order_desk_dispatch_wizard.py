from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

USER_GROUP = "order_desk.group_order_desk_user"


class OrderDeskDispatchWizard(models.TransientModel):
    _name = "order.desk.dispatch.wizard"
    _description = "Notify the Warehouse of Deliveries to Prepare"
    _inherit = ["order.desk.active.records.mixin", "order.desk.field.guard"]
    _desk_active_model = "stock.picking"
    _desk_active_field = "picking_ids"

    picking_ids = fields.Many2many("stock.picking", string="Deliveries", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        help="The warehouse person who prepares these deliveries. Empty: each delivery's "
        "current responsible.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        ),
        domain="[('res_model', 'in', (False, 'stock.picking'))]",
    )
    date_deadline = fields.Date(
        string="Due Date",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
    )
    note = fields.Text()

    def action_apply(self):
        """Assign the deliveries and give the responsible an activity on each (clerk)."""
        self.ensure_one()
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only Order Desk users can do this."))
        pickings = self.picking_ids
        closed = pickings.filtered(lambda p: p.state in ("done", "cancel"))
        if closed:
            raise UserError(
                self.env._(
                    "These deliveries are already done or cancelled: %(pickings)s.",
                    pickings=", ".join(closed.mapped("name")),
                )
            )
        if self.user_id:
            pickings.write({"user_id": self.user_id.id})
        unassigned = pickings.filtered(lambda p: not p.user_id)
        if unassigned:
            raise UserError(
                self.env._(
                    "Choose a responsible: %(pickings)s have none.",
                    pickings=", ".join(unassigned.mapped("name")),
                )
            )
        if self.activity_type_id:
            model_id = self.env["ir.model"]._get_id("stock.picking")
            summary = self.env._("Prepare for shipping")
            self.env["mail.activity"].create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": picking.id,
                        "activity_type_id": self.activity_type_id.id,
                        "summary": summary,
                        "note": self.note or False,
                        "date_deadline": self.date_deadline,
                        "user_id": picking.user_id.id,
                    }
                    for picking in pickings
                ]
            )
        return {"type": "ir.actions.act_window_close"}
