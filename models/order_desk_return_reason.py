from odoo import fields, models

RETURN_OUTCOMES = [
    ("refund", "Refund"),
    ("exchange", "Exchange"),
]


class OrderDeskReturnReason(models.Model):
    _name = "order.desk.return.reason"
    _description = "Order Desk Return Reason"
    _inherit = ["order.desk.field.guard"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Empty: the reason is offered to every company."
    )
    at_company_fault = fields.Boolean(
        string="Counts Against Us",
        help="The return is the company's fault (wrong item, damage, defect): it counts in "
        "the error and quality figures.",
    )
    default_outcome = fields.Selection(
        RETURN_OUTCOMES,
        required=True,
        default="refund",
        help="What the customer gets back by default for this reason.",
    )
    description = fields.Text(translate=True)
