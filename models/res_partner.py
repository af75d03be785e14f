import pytz

from odoo import fields, models

from .sale_order import SETTLEMENT_METHODS

# Customer ranks of the allocation runs, best first (A key accounts ... C the others).
DESK_RANKS = [
    ("a", "A"),
    ("b", "B"),
    ("c", "C"),
]


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "order.desk.field.guard"]

    # A customer's rank decides who gets short stock: a desk manager's call (see
    # order.desk.field.guard; a default from the context does not set it either).
    _desk_manager_fields = frozenset({"desk_rank"})

    desk_settlement_method = fields.Selection(
        SETTLEMENT_METHODS,
        string="Settlement Method",
        help="How this customer's orders are settled by default (on account when empty).",
    )
    desk_rank = fields.Selection(
        DESK_RANKS,
        string="Allocation Rank",
        default="c",
        help="When stock is short, an allocation run serves customers of rank A before B "
        "and B before C (when its strategy uses the customer rank). Set on the company; "
        "its contacts follow it.",
        groups="base.group_user",
    )

    def _desk_tz(self, company=None, default=None):
        """The time zone (its name) in which this customer reads dates and times: on the
        portal pages and in the PDFs of their documents, and in the status text a clerk
        copies for them.

        Their own time zone, else their company's (the commercial partner's), else that of
        ``company`` (the seller: its contact's), else ``default`` (the browser's, when the
        portal gives it), else the context's as Odoo takes it (the reader's, else UTC).
        """
        zones = (
            self[:1].tz,
            self[:1].commercial_partner_id.tz,
            # sudo: only the time zone of the seller's contact, which a portal reader
            # may not read.
            company.sudo().partner_id.tz if company else False,
            default,
        )
        return next(
            (zone for zone in zones if zone and zone in pytz.all_timezones_set),
            self.env.tz.zone,
        )
