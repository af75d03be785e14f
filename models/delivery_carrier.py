import secrets

from odoo import fields, models
from odoo.exceptions import AccessError

MANAGER_GROUP = "order_desk.group_order_desk_manager"


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    desk_webhook_token = fields.Char(
        string="Tracking Webhook Secret",
        copy=False,
        # Shown to desk managers through desk_webhook_token_shown, which knows whose it is.
        groups="base.group_system",
        help="The secret the carrier sends with its tracking events to the Order Desk "
        "webhook. Empty: the webhook refuses this carrier.",
    )
    desk_webhook_token_shown = fields.Char(
        string="Tracking Webhook Token",
        compute="_compute_desk_webhook_token_shown",
        groups="order_desk.group_order_desk_manager",
        help="The secret the carrier sends with its tracking events to the Order Desk "
        "webhook. Empty: the webhook refuses this carrier. A shipping method shared by "
        "every company shows it to the managers of all the companies only.",
    )

    def _compute_desk_webhook_token_shown(self):
        managed = self._desk_webhook_managed()
        for carrier in self:
            # sudo: the secret is shown to who may renew it (``managed``, just above).
            carrier.desk_webhook_token_shown = (
                carrier.sudo().desk_webhook_token if carrier in managed else False
            )

    def _desk_webhook_managed(self):
        """The carriers of ``self`` whose webhook secret the current user may see and
        renew: an Order Desk manager's, of the carrier's company, or, for a carrier shared
        by every company (no company: its secret lets events in for all of them), of a
        manager of every company. The superuser may. One query at most, for any number of
        carriers."""
        user = self.env.user
        if self.env.su:
            return self
        if not user.has_group(MANAGER_GROUP):
            return self.browse()
        shared = self.filtered(lambda c: not c.company_id)
        # sudo: only the number of companies is read, to compare with the user's.
        every_company = shared and not (
            self.env["res.company"]
            .sudo()
            .search_count([("id", "not in", user.company_ids.ids)], limit=1)
        )
        return (self - shared).filtered(lambda c: c.company_id in user.company_ids) | (
            shared if every_company else self.browse()
        )

    def action_desk_generate_webhook_token(self):
        """Give the carriers a new webhook secret (the old one stops working): a desk
        manager's button (see ``_desk_webhook_managed``), who needs no right to edit
        the shipping methods themselves. Raises AccessError for anybody else."""
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only an Order Desk manager can do this."))
        self.check_access("read")
        managed = self._desk_webhook_managed()
        for carrier in self:
            if carrier not in managed:
                raise AccessError(
                    self.env._(
                        "%(carrier)s is shared by all the companies: only a manager of "
                        "every company can renew its webhook token (or give the shipping "
                        "method a company first).",
                        carrier=carrier.display_name,
                    )
                )
            # sudo: the token is the desk's own field of the carrier, renewed by the
            # managers checked above; nothing else is written.
            carrier.sudo().desk_webhook_token = secrets.token_urlsafe(32)
        return True

    def _desk_check_webhook_token(self, token):
        """Whether ``token`` is this carrier's webhook secret, in constant time."""
        self.ensure_one()
        # sudo: the secret is an administrator's field; the carrier calling the webhook
        # is nobody's user, and only the comparison's outcome leaves this method.
        expected = self.sudo().desk_webhook_token
        if not expected or not isinstance(token, str):
            return False
        return secrets.compare_digest(expected.encode(), token.encode())
