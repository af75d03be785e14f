from odoo import api, fields, models
from odoo.exceptions import UserError

from .sale_order import SETTLEMENT_METHODS

# Customer ranks of the allocation runs, best first (A key accounts ... C the others).
DESK_RANKS = [
    ("a", "A"),
    ("b", "B"),
    ("c", "C"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

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

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("desk_rank", "c") not in ("c", False) for vals in vals_list):
            self._desk_ensure_rank_writer()
        return super().create(vals_list)

    def write(self, vals):
        if "desk_rank" in vals and any(
            partner.desk_rank != vals["desk_rank"] for partner in self
        ):
            self._desk_ensure_rank_writer()
        return super().write(vals)

    def _desk_ensure_rank_writer(self):
        """A customer's rank decides who gets short stock: a desk manager's call."""
        if not (
            self.env.su
            or self.env.user.has_group("order_desk.group_order_desk_manager")
        ):
            raise UserError(
                self.env._("Only an Order Desk manager can change a customer's rank.")
            )
