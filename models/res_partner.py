from odoo import fields, models

from .sale_order import SETTLEMENT_METHODS


class ResPartner(models.Model):
    _inherit = "res.partner"

    desk_settlement_method = fields.Selection(
        SETTLEMENT_METHODS,
        string="Settlement Method",
        help="How this customer's orders are settled by default (on account when empty).",
    )
