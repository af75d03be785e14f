from odoo import fields, models


class OrderDeskTrackingNumber(models.Model):
    """One carrier tracking number of a delivery.

    The delivery's own ``carrier_tracking_ref`` (Odoo's field, several numbers separated by
    commas when a shipment has several packages) is the source; these rows are kept in step
    with it so that carrier files and webhooks find deliveries by exact number in one query.
    """

    _name = "order.desk.tracking.number"
    _description = "Order Desk Tracking Number"
    _inherit = ["order.desk.field.guard"]
    _order = "picking_id, id"
    _check_company_auto = True

    name = fields.Char(string="Tracking Number", required=True, index=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, index=True, precompute=True
    )
    carrier_id = fields.Many2one(
        related="picking_id.carrier_id", store=True, index=True
    )

    _unique_number = models.Constraint(
        "UNIQUE(picking_id, name)",
        "A delivery lists each tracking number once.",
    )
