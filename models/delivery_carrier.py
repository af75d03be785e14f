import secrets

from odoo import fields, models
from odoo.exceptions import AccessError

MANAGER_GROUP = "order_desk.group_order_desk_manager"


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    desk_webhook_token = fields.Char(
        string="Tracking Webhook Token",
        copy=False,
        groups="order_desk.group_order_desk_manager",
        help="The secret the carrier sends with its tracking events to the Order Desk "
        "webhook. Empty: the webhook refuses this carrier.",
    )

    def action_desk_generate_webhook_token(self):
        """Give the carriers a new webhook secret (the old one stops working): a desk
        manager's button, who needs no right to edit the shipping methods themselves."""
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only an Order Desk manager can do this."))
        self.check_access("read")
        for carrier in self:
            # sudo: the token is the desk's own field of the carrier, readable and
            # renewed by desk managers only (checked above); nothing else is written.
            carrier.sudo().desk_webhook_token = secrets.token_urlsafe(32)
        return True

    def _desk_check_webhook_token(self, token):
        """Whether ``token`` is this carrier's webhook secret, in constant time."""
        self.ensure_one()
        # sudo: the token is readable by desk managers only; the carrier calling the webhook
        # is nobody's user, and only the comparison's outcome leaves this method.
        expected = self.sudo().desk_webhook_token
        if not expected or not isinstance(token, str):
            return False
        return secrets.compare_digest(expected.encode(), token.encode())
