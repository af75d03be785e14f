from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

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
        if self.env.context.get("order_desk_defer_reservation"):
            return False
        return super()._should_assign_at_confirm()

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        if self.desk_incident_id:
            values["desk_incident_id"] = self.desk_incident_id.id
        if self.desk_return_id:
            values["desk_return_id"] = self.desk_return_id.id
        return values
