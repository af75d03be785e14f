from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .order_desk_field_guard import desk_clean_text, desk_join
from .order_desk_rule import SEVERITIES

EXCEPTION_STATES = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("overridden", "Overridden"),
]


class OrderDeskException(models.Model):
    _name = "order.desk.exception"
    _description = "Order Desk Check Exception"
    _inherit = ["order.desk.field.guard"]
    _order = "order_id desc, severity, id"
    _check_company_auto = True
    _rec_name = "rule_id"

    # An exception is the server's verdict on an order (see sale.order._desk_run_checks):
    # nobody edits it; a manager accepts it with action_override, which records why, who
    # and when.
    _desk_system_fields = frozenset(
        {
            "order_id",
            "line_id",
            "rule_id",
            "severity",
            "message",
            "state",
            "resolved_date",
            "override_reason",
            "override_user_id",
            "override_date",
        }
    )

    order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade", check_company=True
    )
    line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        index="btree_not_null",
        ondelete="cascade",
    )
    # Users cannot delete a rule that raised exceptions (see order.desk.rule's ondelete
    # guard); the cascade is for the uninstall, which removes the rules before this table.
    rule_id = fields.Many2one(
        "order.desk.rule",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")
    check_type = fields.Selection(
        related="rule_id.check_type", store=True, precompute=True
    )
    severity = fields.Selection(SEVERITIES, required=True, index=True)
    # What failed and why, as values (ids, numbers, codes): the message itself is written
    # in the reader's language each time it is shown, whoever ran the checks.
    # "legacy": raised before 19.0.1.2.0, its text kept in the values (see the migration).
    message_code = fields.Char(required=True, readonly=True, default="legacy")
    message_args = fields.Json(string="Message Values", readonly=True)
    message = fields.Text(compute="_compute_message")
    state = fields.Selection(
        EXCEPTION_STATES, required=True, default="open", index=True, readonly=True
    )
    resolved_date = fields.Datetime(readonly=True)
    override_reason = fields.Text(readonly=True)
    override_user_id = fields.Many2one(
        "res.users", string="Overridden By", readonly=True
    )
    override_date = fields.Datetime(readonly=True)

    @api.depends("message_code", "message_args")
    @api.depends_context("lang")
    def _compute_message(self):
        texts = self.env["order.desk.rule"]._desk_render_messages(
            [(exception.message_code, exception.message_args) for exception in self]
        )
        for exception, text in zip(self, texts, strict=True):
            exception.message = text

    @api.depends("message", "order_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for exception in self:
            exception.display_name = f"{exception.order_id.name}: {exception.message}"

    def _desk_same_failure(self, failure):
        """Whether this exception records exactly ``failure`` (a failure of
        ``order.desk.rule._evaluate``): same check, same values. Compared on the values, not
        on the text, so that the language of whoever runs the checks does not matter."""
        self.ensure_one()
        if self.message_code == "legacy":
            # Raised before the values were stored: the same failure renders the same text
            # in the language of whoever ran those checks (whichever it was).
            text = (self.message_args or {}).get("text")
            item = [(failure["message_code"], failure["message_args"])]
            Rule = self.env["order.desk.rule"]
            return any(
                Rule.with_context(lang=lang)._desk_render_messages(item)[0] == text
                for lang, _name in self.env["res.lang"].get_installed()
            )
        return (self.message_code, self.message_args or {}) == (
            failure["message_code"],
            failure["message_args"] or {},
        )

    def action_override(self, reason):
        """Accept open exceptions with a written reason; Order Desk / Manager only.

        Called by ``order.desk.override.wizard`` and over RPC; posts the reason on each order.
        """
        self._ensure_can_override(reason)
        reason = reason.strip()
        # sudo: the caller was checked above (manager, open exceptions of orders under
        # review); the exception's fields are the system's (see _desk_system_fields).
        self.sudo().write(
            {
                "state": "overridden",
                "override_reason": reason,
                "override_user_id": self.env.uid,
                "override_date": fields.Datetime.now(),
            }
        )
        by_order = self.grouped("order_id")
        self.order_id._desk_log(
            lambda order: order.env._(
                "Exceptions overridden by %(user)s: %(exceptions)s. Reason: %(reason)s",
                user=self.env.user.name,
                # Each message is a sentence: its own full stop goes before the next.
                exceptions=desk_join(
                    order.env,
                    (
                        message.rstrip(".。")
                        for message in by_order[order]
                        .with_env(order.env)
                        .mapped("message")
                    ),
                    parts=True,
                ),
                reason=reason,
            )
        )
        return True

    def _ensure_can_override(self, reason):
        if not (
            self.env.su
            or self.env.user.has_group("order_desk.group_order_desk_manager")
        ):
            raise AccessError(
                self.env._("Only an Order Desk manager can override exceptions.")
            )
        self.check_access("write")
        if not self:
            raise UserError(self.env._("Select at least one exception to override."))
        reason = desk_clean_text(
            self.env,
            reason,
            self.env._("Give the reason for overriding the exceptions."),
        )
        not_open = self.filtered(lambda e: e.state != "open")
        if not_open:
            raise UserError(
                self.env._(
                    "Only open exceptions can be overridden: %(exceptions)s.",
                    exceptions="; ".join(not_open.mapped("display_name")),
                )
            )
        done = self.order_id.filtered(
            lambda o: o.desk_state not in ("draft", "to_review")
        )
        if done:
            raise UserError(
                self.env._(
                    "Exceptions of orders already approved or cancelled cannot be overridden: "
                    "%(orders)s.",
                    orders=", ".join(done.mapped("name")),
                )
            )
