from odoo import fields, models

# Context marker of the desk's approval, which reserves the whole batch itself: an object, so
# that no RPC call (whose context is JSON) can send it and confirm without reserving.
DEFER_RESERVATION = object()


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "order.desk.field.guard"]

    # The moves of a reshipment or an exchange are marked by the desk's procurement (as the
    # system); nobody else marks or unmarks a move (a marked move does not count as
    # delivered on the order line). Odoo copies moves along their route and into
    # backorders as any user, marks included: only writes are checked.
    _desk_system_fields = frozenset({"desk_incident_id", "desk_return_id"})
    _desk_guard_create = False

    # Copied along the route (pushed steps, backorders) so every leg of a reshipment keeps it.
    desk_incident_id = fields.Many2one(
        "order.desk.incident",
        string="Reshipment of Incident",
        index="btree_not_null",
        readonly=True,
        copy=True,
    )

    desk_return_id = fields.Many2one(
        "order.desk.return",
        string="Exchange of Return",
        index="btree_not_null",
        readonly=True,
        copy=True,
    )

    def _should_assign_at_confirm(self):
        # The desk's approval reserves the whole batch itself, most urgent order first.
        if self.env.context.get("order_desk_defer_reservation") is DEFER_RESERVATION:
            return False
        return super()._should_assign_at_confirm()

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        if self.desk_incident_id:
            values["desk_incident_id"] = self.desk_incident_id.id
        if self.desk_return_id:
            values["desk_return_id"] = self.desk_return_id.id
        return values
