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

    def _desk_ensure_warehouse_user(self, user, pickings):
        """Refuse a responsible who is no internal user of the deliveries' companies (a
        portal customer, a user of another company)."""
        # sudo: only the user's kind and companies are read, to refuse them.
        user = user.sudo()
        outside = pickings.filtered(lambda p: p.company_id not in user.company_ids)
        if user.share or not user.active or outside:
            raise UserError(
                self.env._(
                    "%(user)s cannot prepare %(pickings)s: choose an internal user of the "
                    "deliveries' company.",
                    user=user.name,
                    pickings=", ".join((outside or pickings).mapped("name")),
                )
            )

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
        # The domain of the field is the form's: the responsible sent by any caller is
        # checked here, as the deliveries' current ones are.
        if self.user_id:
            self._desk_ensure_warehouse_user(self.user_id, pickings)
            pickings.write({"user_id": self.user_id.id})
        for responsible, group in (
            pickings.filtered("user_id").grouped("user_id").items()
        ):
            self._desk_ensure_warehouse_user(responsible, group)
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
