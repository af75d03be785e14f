from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

DESK_STATES = [
    ("draft", "Draft"),
    ("to_review", "To Review"),
    ("approved", "Approved"),
    ("cancel", "Cancelled"),
]

DESK_CHANNELS = [
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("web", "Web"),
    ("edi", "EDI / Import"),
    ("walk_in", "Walk-in"),
    ("other", "Other"),
]

USER_GROUP = "order_desk.group_order_desk_user"
MANAGER_GROUP = "order_desk.group_order_desk_manager"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Workflow
    desk_state = fields.Selection(
        DESK_STATES,
        string="Desk Status",
        required=True,
        default="draft",
        copy=False,
        index=True,
        readonly=True,
        tracking=True,
    )
    desk_channel = fields.Selection(
        DESK_CHANNELS,
        string="Channel",
        required=True,
        default="phone",
        help="How the order reached the desk.",
    )

    # Checks
    desk_exception_ids = fields.One2many(
        "order.desk.exception", "order_id", string="Desk Exceptions", copy=False
    )
    desk_open_exception_count = fields.Integer(
        string="Open Exceptions", compute="_compute_desk_exception_flags", store=True
    )
    desk_has_blocking_exception = fields.Boolean(
        string="Has Blocking Exception",
        compute="_compute_desk_exception_flags",
        store=True,
    )
    desk_has_warning_exception = fields.Boolean(
        string="Has Warning", compute="_compute_desk_exception_flags", store=True
    )
    desk_checked_date = fields.Datetime(
        string="Last Checked", readonly=True, copy=False
    )

    # Review trail
    desk_submitted_user_id = fields.Many2one(
        "res.users", string="Submitted By", readonly=True, copy=False
    )
    desk_submitted_date = fields.Datetime(
        string="Submitted On", readonly=True, copy=False
    )
    desk_approved_user_id = fields.Many2one(
        "res.users", string="Approved By", readonly=True, copy=False, tracking=True
    )
    desk_approved_date = fields.Datetime(
        string="Approved On", readonly=True, copy=False
    )

    # Button visibility (the server checks in the actions are the real ones)
    can_desk_submit = fields.Boolean(compute="_compute_can_desk")
    can_desk_approve = fields.Boolean(compute="_compute_can_desk")

    @api.depends("desk_exception_ids.state", "desk_exception_ids.severity")
    def _compute_desk_exception_flags(self):
        for order in self:
            open_exceptions = order.desk_exception_ids.filtered(
                lambda e: e.state == "open"
            )
            order.desk_open_exception_count = len(open_exceptions)
            severities = set(open_exceptions.mapped("severity"))
            order.desk_has_blocking_exception = "blocking" in severities
            order.desk_has_warning_exception = "warning" in severities

    @api.depends("desk_state", "state")
    @api.depends_context("uid")
    def _compute_can_desk(self):
        is_user = self.env.user.has_group(USER_GROUP)
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        for order in self:
            quotation = order.state in ("draft", "sent")
            order.can_desk_submit = (
                is_user and quotation and order.desk_state == "draft"
            )
            order.can_desk_approve = (
                is_manager and quotation and order.desk_state == "to_review"
            )

    # ------------------------------------------------------------------------------------------
    # Sale hooks
    # ------------------------------------------------------------------------------------------
    def _confirmation_error_message(self):
        """Refuse the plain Confirm button while the company wants desk approval.

        The desk's own approval passes ``order_desk_approving``; superuser flows (online
        payment, data import by the system) confirm as before and are recorded as approved.
        """
        message = super()._confirmation_error_message()
        if (
            not message
            and self.company_id.order_desk_require_approval
            and self.desk_state != "approved"
            and not self.env.context.get("order_desk_approving")
            and not self.env.su
        ):
            message = self.env._(
                "Order %(order)s must be approved on the Order Desk before it is confirmed: "
                "submit it for review instead.",
                order=self.name,
            )
        return message

    def _action_confirm(self):
        outside = self.filtered(lambda o: o.desk_state != "approved")
        if outside:
            outside.write({"desk_state": "approved"})
            if not self.env.context.get("order_desk_approving"):
                outside._desk_log(
                    self.env._("Confirmed outside the Order Desk review.")
                )
        return super()._action_confirm()

    def _action_cancel(self):
        result = super()._action_cancel()
        self.filtered(lambda o: o.desk_state != "cancel").write(
            {"desk_state": "cancel"}
        )
        return result

    def action_draft(self):
        cancelled = self.filtered(lambda o: o.state == "cancel")
        result = super().action_draft()
        cancelled.filtered(lambda o: o.state == "draft").write({"desk_state": "draft"})
        return result

    # ------------------------------------------------------------------------------------------
    # Desk actions
    # ------------------------------------------------------------------------------------------
    def action_desk_check(self):
        """Run the company's checks now without changing the desk status (clerk)."""
        self._ensure_desk_group(USER_GROUP)
        not_open = self.filtered(lambda o: o.desk_state not in ("draft", "to_review"))
        if not_open:
            raise UserError(
                self.env._(
                    "Only draft orders and orders to review are checked: %(orders)s.",
                    orders=", ".join(not_open.mapped("name")),
                )
            )
        self._desk_run_checks()
        return True

    def action_desk_submit(self):
        """Run every active check of the order's company and send the orders to review.

        Clerk action, works on many orders at once. When the company approves clean orders
        automatically, orders with no exception at all are approved right away.
        """
        self._ensure_can_desk_submit()
        self._desk_run_checks()
        now = fields.Datetime.now()
        self.write(
            {
                "desk_state": "to_review",
                "desk_submitted_user_id": self.env.uid,
                "desk_submitted_date": now,
            }
        )
        self._desk_log_batch(
            {
                order.id: self.env._(
                    "Submitted for review: %(blocking)s blocking exception(s), %(warning)s "
                    "warning(s).",
                    blocking=len(order._desk_open_exceptions("blocking")),
                    warning=len(order._desk_open_exceptions("warning")),
                )
                for order in self
            }
        )
        clean = self.filtered(
            lambda o: (
                o.company_id.order_desk_auto_approve and not o.desk_open_exception_count
            )
        )
        if clean:
            # The clerk cannot approve; the company setting approves for them, and only orders
            # whose checks found nothing at all.
            clean._desk_do_approve(auto=True)
        return True

    def action_desk_approve(self):
        """Re-run the checks, then confirm the orders and mark them approved (manager)."""
        self._ensure_can_desk_approve()
        self._desk_run_checks()
        blocked = self.filtered("desk_has_blocking_exception")
        if blocked:
            raise UserError(
                self.env._(
                    "These orders still have open blocking exceptions; fix them or override "
                    "them with a reason first:\n%(details)s",
                    details="\n".join(
                        f"{order.name}: {exception.message}"
                        for order in blocked
                        for exception in order._desk_open_exceptions("blocking")
                    ),
                )
            )
        self._desk_do_approve()
        return True

    def action_desk_reject(self, reason):
        """Send orders under review back to draft with a written reason (manager)."""
        self._ensure_desk_group(MANAGER_GROUP)
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("Give the reason for rejecting the order."))
        if wrong := self._desk_orders_not_in("to_review"):
            raise UserError(
                self.env._(
                    "Only orders to review can be rejected: %(orders)s.", orders=wrong
                )
            )
        reason = reason.strip()
        self.write({"desk_state": "draft"})
        self._desk_log_batch(
            dict.fromkeys(
                self.ids,
                self.env._(
                    "Rejected by %(user)s. Reason: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                ),
            )
        )
        return True

    def action_desk_open_reject_wizard(self):
        self._ensure_desk_group(MANAGER_GROUP)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Orders"),
            "res_model": "order.desk.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def action_desk_open_override_wizard(self):
        self._ensure_desk_group(MANAGER_GROUP)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Exceptions"),
            "res_model": "order.desk.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_ids": self._desk_open_exceptions().ids},
        }

    def action_view_desk_exceptions(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_exception_action"
        )
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _ensure_desk_group(self, group):
        if not (self.env.su or self.env.user.has_group(group)):
            if group == MANAGER_GROUP:
                raise AccessError(self.env._("Only an Order Desk manager can do this."))
            raise AccessError(self.env._("Only Order Desk users can do this."))
        # The desk actions write the orders: the caller must be allowed to.
        self.check_access("write")

    def _desk_orders_not_in(self, desk_state):
        """Names (with their desk status) of the orders of ``self`` not in ``desk_state``."""
        labels = dict(self._fields["desk_state"]._description_selection(self.env))
        wrong = self.filtered(lambda o: o.desk_state != desk_state)
        return ", ".join(f"{o.name} ({labels[o.desk_state]})" for o in wrong)

    def _ensure_can_desk_submit(self):
        self._ensure_desk_group(USER_GROUP)
        if not self:
            raise UserError(self.env._("Select at least one order to submit."))
        if wrong := self._desk_orders_not_in("draft"):
            raise UserError(
                self.env._(
                    "Only draft orders can be submitted: %(orders)s.", orders=wrong
                )
            )
        not_quotation = self.filtered(lambda o: o.state not in ("draft", "sent"))
        if not_quotation:
            raise UserError(
                self.env._(
                    "Only quotations can be submitted for review: %(orders)s.",
                    orders=", ".join(not_quotation.mapped("name")),
                )
            )
        empty = self.filtered(
            lambda o: not o.order_line.filtered(lambda line: not line.display_type)
        )
        if empty:
            raise UserError(
                self.env._(
                    "Orders without lines cannot be submitted: %(orders)s.",
                    orders=", ".join(empty.mapped("name")),
                )
            )

    def _ensure_can_desk_approve(self):
        self._ensure_desk_group(MANAGER_GROUP)
        if not self:
            raise UserError(self.env._("Select at least one order to approve."))
        if wrong := self._desk_orders_not_in("to_review"):
            raise UserError(
                self.env._(
                    "Only orders to review can be approved: %(orders)s.", orders=wrong
                )
            )
        not_quotation = self.filtered(lambda o: o.state not in ("draft", "sent"))
        if not_quotation:
            raise UserError(
                self.env._(
                    "Only quotations can be approved: %(orders)s.",
                    orders=", ".join(not_quotation.mapped("name")),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------------------------------------
    def _desk_open_exceptions(self, severity=None):
        return self.desk_exception_ids.filtered(
            lambda e: e.state == "open" and (not severity or e.severity == severity)
        )

    @api.private
    def _desk_run_checks(self):
        """Evaluate the active rules of each order's company and bring the exceptions up to date.

        An open exception whose failure is gone is resolved; one still failing with the same
        message stays; an overridden failure stays overridden while its message is unchanged
        (the manager accepted exactly that situation); every other failure opens an exception.
        Batched: one rule search, the checks' own grouped queries, one write, one create.
        """
        if not self:
            return self.env["order.desk.exception"]
        rules = self.env["order.desk.rule"].search(
            [("company_id", "in", self.company_id.ids)], order="sequence, id"
        )
        failures = rules._evaluate(self)
        # sudo: exceptions are the server's verdict on the orders, which the caller was allowed
        # to write (see _ensure_desk_group); clerks only read them, so no RPC call of theirs can
        # forge or close one.
        Exception_ = self.env["order.desk.exception"].sudo()
        current = self.sudo().desk_exception_ids
        open_by_key = {}
        overridden = set()
        for exception in current:
            key = (exception.order_id.id, exception.rule_id.id, exception.line_id.id)
            if exception.state == "open":
                open_by_key[key] = exception
            elif exception.state == "overridden":
                overridden.add((*key, exception.message))
        kept = Exception_
        to_create = []
        for failure in failures:
            key = (failure["order_id"], failure["rule_id"], failure["line_id"] or False)
            existing = open_by_key.get(key)
            if (
                existing
                and existing.message == failure["message"]
                and existing.severity == failure["severity"]
            ):
                kept |= existing
            elif (*key, failure["message"]) not in overridden:
                to_create.append(failure)
        now = fields.Datetime.now()
        stale = current.filtered(lambda e: e.state == "open") - kept
        stale.write({"state": "resolved", "resolved_date": now})
        created = Exception_.create(to_create)
        self.write({"desk_checked_date": now})
        return created

    def _desk_do_approve(self, auto=False):
        """Confirm the orders and mark them approved; callers check rights and state first."""
        self.with_context(order_desk_approving=True).action_confirm()
        self.write(
            {
                "desk_state": "approved",
                "desk_approved_user_id": self.env.uid,
                "desk_approved_date": fields.Datetime.now(),
            }
        )
        if auto:
            body = self.env._("Approved automatically: the checks found no exception.")
        else:
            body = self.env._("Approved by %(user)s.", user=self.env.user.name)
        self._desk_log_batch(dict.fromkeys(self.ids, body))

    def _desk_log(self, body):
        self._desk_log_batch(dict.fromkeys(self.ids, body))

    def _desk_log_batch(self, bodies):
        """Log notes on many orders with one insert; the text is escaped as plain text."""
        if bodies:
            self._message_log_batch(
                {res_id: Markup("<p>%s</p>") % body for res_id, body in bodies.items()}
            )
