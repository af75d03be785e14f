import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero

from .order_desk_field_guard import desk_changed_fields, desk_clean_text
from .order_desk_rule import ORDER_DATA_CHECKS
from .product_product import LOCKS_KEY
from .stock_move import DEFER_RESERVATION

DESK_STATES = [
    ("draft", "Draft"),
    ("to_review", "To Review"),
    ("approved", "Approved"),
    ("locked", "Locked"),
    ("ready", "Ready"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("cancel", "Cancelled"),
]

# Desk states of a confirmed order under the desk's edit lock: locked and everything after it.
LOCKED_DESK_STATES = ("locked", "ready", "shipped", "delivered")

# Where an order's deliveries to the customer stand, derived from its pickings.
DESK_SHIPPING_STATES = [
    ("none", "Nothing to Ship"),
    ("waiting", "Being Prepared"),
    ("ready", "Ready to Ship"),
    ("partial", "Partially Shipped"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
]

DESK_CHANNELS = [
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("web", "Web"),
    ("edi", "EDI / Import"),
    ("walk_in", "Walk-in"),
    ("other", "Other"),
]

SETTLEMENT_METHODS = [
    ("prepayment", "Prepayment"),
    ("cod", "Cash on Delivery"),
    ("on_account", "On Account"),
    ("installments", "Installments"),
]

PRIORITIES = [
    ("0", "Normal"),
    ("1", "Urgent"),
]

# Fields of a locked order that only an unlock lets change; the lines are guarded on their own.
LOCKED_ORDER_FIELDS = (
    "partner_id",
    "partner_invoice_id",
    "partner_shipping_id",
    "pricelist_id",
    "payment_term_id",
    "warehouse_id",
    "commitment_date",
    "desk_settlement_method",
    # Odoo's own status and lock: a written ``state`` would cancel, reset or confirm the
    # order without its actions (and their checks), a written ``locked`` would let
    # Odoo's Cancel through; the desk's unlock comes first.
    "state",
    "locked",
)

# The context marker of Odoo's own status changes (Confirm, Cancel, Reset to Quotation): an
# object no RPC call can send, so a status written directly never passes for one of them.
STATE_BY_ACTION = object()
STATE_ACTION_KEY = "order_desk_state_by_action"

USER_GROUP = "order_desk.group_order_desk_user"
MANAGER_GROUP = "order_desk.group_order_desk_manager"


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "order.desk.field.guard"]

    # Written by the desk's actions only, after they checked who calls (see
    # order.desk.field.guard): the review's status and its who/when trail.
    _desk_system_fields = frozenset(
        {
            "desk_state",
            "desk_checked_date",
            "desk_checked_key",
            "desk_submitted_user_id",
            "desk_submitted_date",
            "desk_approved_user_id",
            "desk_approved_date",
            "desk_locked_date",
            "desk_reservation_released",
        }
    )
    # Shipping before payment is a manager's decision (see its action).
    _desk_manager_fields = frozenset({"desk_prepayment_released"})

    # Workflow
    # Written by the desk's actions; from "locked" on, derived from the deliveries as well
    # (editable stored compute: a write is kept until the deliveries change).
    desk_state = fields.Selection(
        DESK_STATES,
        string="Desk Status",
        required=True,
        default="draft",
        copy=False,
        index=True,
        compute="_compute_desk_state",
        store=True,
        readonly=False,
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
        "order.desk.exception",
        "order_id",
        string="Desk Exceptions",
        copy=False,
        groups="base.group_user",
    )
    desk_open_exception_count = fields.Integer(
        string="Open Exceptions",
        compute="_compute_desk_exception_flags",
        store=True,
        groups="base.group_user",
    )
    desk_has_blocking_exception = fields.Boolean(
        string="Has Blocking Exception",
        compute="_compute_desk_exception_flags",
        store=True,
        groups="base.group_user",
    )
    desk_has_warning_exception = fields.Boolean(
        string="Has Warning",
        compute="_compute_desk_exception_flags",
        store=True,
        groups="base.group_user",
    )
    desk_checked_date = fields.Datetime(
        string="Last Checked", readonly=True, copy=False, groups="base.group_user"
    )
    desk_checked_key = fields.Char(
        string="Checked Data Key",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Fingerprint of the order's own data as the last check saw it.",
    )

    priority = fields.Selection(
        PRIORITIES,
        default="0",
        index=True,
        help="Urgent orders reserve their stock first when several are locked together.",
        groups="base.group_user",
    )

    # Lock and reservation
    desk_locked_date = fields.Datetime(
        string="Locked On", readonly=True, copy=False, groups="base.group_user"
    )
    # Set by locking and reserving, for the company's days (see _desk_set_deadline):
    # releasing a hold early is a manager's action, keeping it longer nobody's.
    desk_reservation_deadline = fields.Datetime(
        string="Reservation Until",
        readonly=True,
        copy=False,
        tracking=True,
        help="After this moment the reservation of a locked order that is neither shipped "
        "nor paid is released by the scheduler.",
        groups="base.group_user",
    )
    desk_reservation_released = fields.Boolean(
        string="Reservation Released",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    desk_reservation_status = fields.Selection(
        [
            ("none", "Nothing to Reserve"),
            ("reserved", "Reserved"),
            ("partial", "Partially Reserved"),
            ("waiting", "Not Reserved"),
        ],
        compute="_compute_desk_reservation_status",
        string="Reservation",
        groups="base.group_user",
    )

    # Shipping
    desk_shipping_state = fields.Selection(
        DESK_SHIPPING_STATES,
        string="Shipping",
        compute="_compute_desk_shipping_state",
        store=True,
        index=True,
        help="Where the deliveries to the customer stand: an order is shipped when every "
        "delivery with goods has left, delivered when the carrier or the clerk confirmed "
        "each of them.",
    )
    desk_shipped_percent = fields.Float(
        string="Shipped (%)",
        compute="_compute_desk_shipped_percent",
        store=True,
        aggregator="avg",
        help="Share of the order's goods already delivered, weighted by line value.",
    )
    desk_incident_ids = fields.One2many(
        "order.desk.incident",
        "order_id",
        string="Incidents",
        copy=False,
        groups="base.group_user",
    )
    desk_open_incident_count = fields.Integer(
        string="Open Incidents",
        compute="_compute_desk_open_incident_count",
        groups="base.group_user",
    )
    desk_return_ids = fields.One2many(
        "order.desk.return", "order_id", string="Returns", copy=False
    )
    desk_return_count = fields.Integer(
        string="Return Count", compute="_compute_desk_return_count"
    )

    # Settlement
    desk_settlement_method = fields.Selection(
        SETTLEMENT_METHODS,
        string="Settlement",
        compute="_compute_desk_settlement_method",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
        help="Prepayment (款到发货): the goods leave once the invoice is paid. Cash on "
        "delivery (货到付款): the delivery slip shows the amount to collect. On account "
        "(月结/账期): invoiced and paid by the payment terms. Installments (分期): the payment "
        "terms split the invoice in several due dates.",
    )
    desk_prepayment_released = fields.Boolean(
        string="Shipping Released Before Payment",
        readonly=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
    )
    desk_amount_expected = fields.Monetary(
        string="Due for Invoicing",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="What should be invoiced by now, taxes included: the delivered quantities of "
        "goods invoiced on delivery, the ordered quantities of the others less what the "
        "customer returned (plus what an exchange sent again).",
        groups="base.group_user",
    )
    desk_amount_delivered = fields.Monetary(
        string="Delivered Amount",
        compute="_compute_desk_settlement_amounts",
        store=True,
        groups="base.group_user",
    )
    desk_amount_invoiced = fields.Monetary(
        string="Invoiced Amount",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="Posted customer invoices less posted credit notes of the order.",
        groups="base.group_user",
    )
    desk_amount_paid = fields.Monetary(
        string="Paid Amount",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="Money received: payments and bank statement lines matched with the order's "
        "invoices, less what was paid back on its credit notes. Credit notes and reversals "
        "lower the invoiced amount, not this one.",
        groups="base.group_user",
    )
    desk_amount_to_invoice = fields.Monetary(
        string="Invoicing Difference",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="Due for invoicing less invoiced: positive when something is not invoiced yet, "
        "negative when more was invoiced than due.",
        groups="base.group_user",
    )
    desk_amount_unpaid = fields.Monetary(
        string="Unpaid Amount",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="Invoiced less paid.",
        groups="base.group_user",
    )
    desk_amounts_agree = fields.Boolean(
        string="Amounts Agree",
        compute="_compute_desk_settlement_amounts",
        store=True,
        index=True,
        help="The invoiced amount matches what is due for invoicing.",
        groups="base.group_user",
    )
    desk_prepaid = fields.Boolean(
        string="Paid in Advance",
        compute="_compute_desk_settlement_amounts",
        store=True,
        help="The money received for the order (payments and bank statement lines matched "
        "with its invoices, less what was paid back) covers the order's total. Credit notes "
        "pay nothing.",
        groups="base.group_user",
    )

    # Review trail
    desk_submitted_user_id = fields.Many2one(
        "res.users",
        string="Submitted By",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    desk_submitted_date = fields.Datetime(
        string="Submitted On", readonly=True, copy=False, groups="base.group_user"
    )
    desk_approved_user_id = fields.Many2one(
        "res.users",
        string="Approved By",
        readonly=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
    )
    desk_approved_date = fields.Datetime(
        string="Approved On", readonly=True, copy=False, groups="base.group_user"
    )

    # Button visibility (the server checks in the actions are the real ones)
    can_desk_submit = fields.Boolean(
        compute="_compute_can_desk", groups="base.group_user"
    )
    can_desk_approve = fields.Boolean(
        compute="_compute_can_desk", groups="base.group_user"
    )
    can_desk_lock = fields.Boolean(
        compute="_compute_can_desk", groups="base.group_user"
    )
    can_desk_unlock = fields.Boolean(
        compute="_compute_can_desk", groups="base.group_user"
    )
    desk_next_step = fields.Selection(
        [
            ("submit", "Submit for Review"),
            ("check", "Run Checks"),
            ("approve", "Approve"),
            ("override", "Override Exceptions"),
            ("lock", "Lock and Reserve"),
            ("reserve", "Reserve Again"),
        ],
        string="Next Desk Step",
        compute="_compute_desk_next_step",
        help="The next step of the desk's workflow this user may take on the order: its "
        "button is the form's one primary button.",
        groups="base.group_user",
    )
    desk_approval_required = fields.Boolean(
        related="company_id.order_desk_require_approval", groups="base.group_user"
    )
    desk_alert = fields.Selection(
        [("blocking", "Blocked by a Check")],
        string="Alert",
        compute="_compute_desk_alert",
        help="Why the order is shown in red: a check found a blocking exception that is "
        "neither fixed nor overridden.",
    )

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

    @api.depends("partner_id")
    def _compute_desk_settlement_method(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            if partner.desk_settlement_method:
                order.desk_settlement_method = partner.desk_settlement_method
            elif not order.desk_settlement_method:
                order.desk_settlement_method = "on_account"

    @api.depends(
        "state",
        "currency_id",
        "amount_total",
        "order_line.qty_delivered",
        "order_line.product_uom_qty",
        "order_line.price_total",
        "order_line.move_ids.state",
        "order_line.move_ids.product_uom_qty",
        "order_line.invoice_lines.move_id.state",
        "order_line.invoice_lines.move_id.amount_total",
        "order_line.invoice_lines.move_id.amount_residual",
    )
    def _compute_desk_settlement_amounts(self):
        """Ordered, delivered, due, invoiced and paid amounts of the orders.

        Paid is money: what payments and bank statement lines matched with the orders'
        invoices, less what was paid back on their credit notes. Credit notes and reversals
        lower what is invoiced (due), never what is paid. Read for every order at once.
        """
        invoices = self.invoice_ids.filtered(lambda m: m.state == "posted")
        money = invoices._desk_money_matched()
        kept = self.order_line._desk_qty_kept()
        for order in self:
            currency = order.currency_id
            delivered = expected = 0.0
            for line in order.order_line.filtered(
                lambda ln: not ln.display_type and ln.product_uom_qty
            ):
                unit = line.price_total / line.product_uom_qty
                delivered += unit * line.qty_delivered
                if line.product_id.invoice_policy == "delivery":
                    expected += unit * line.qty_delivered
                else:
                    expected += unit * kept.get(line, line.product_uom_qty)
            invoiced = paid = 0.0
            for move in order.invoice_ids.filtered(lambda m: m.state == "posted"):
                sign = -1 if move.move_type == "out_refund" else 1
                total = move.amount_total
                received = money.get(move._origin.id, 0.0)
                if move.currency_id != currency:
                    total, received = (
                        move.currency_id._convert(
                            amount, currency, order.company_id, move.invoice_date
                        )
                        for amount in (total, received)
                    )
                invoiced += sign * total
                paid += sign * received
            order.desk_amount_delivered = delivered
            order.desk_amount_expected = expected if order.state == "sale" else 0.0
            order.desk_amount_invoiced = invoiced
            order.desk_amount_paid = paid
            order.desk_amount_to_invoice = order.desk_amount_expected - invoiced
            order.desk_amount_unpaid = invoiced - paid
            order.desk_amounts_agree = currency.is_zero(order.desk_amount_to_invoice)
            # Money received covers the whole order: a credit note lowers what is due
            # but pays nothing, so it never lets prepaid goods leave.
            order.desk_prepaid = currency.compare_amounts(
                paid, order.amount_total
            ) >= 0 and (
                currency.compare_amounts(paid, 0.0) > 0
                or currency.is_zero(order.amount_total)
            )

    @api.constrains("desk_settlement_method", "payment_term_id")
    def _check_desk_settlement_method(self):
        for order in self:
            if (
                order.desk_settlement_method == "installments"
                and order.payment_term_id
                and len(order.payment_term_id.line_ids) < 2
            ):
                raise ValidationError(
                    self.env._(
                        "Order %(order)s is paid in installments: choose payment terms with "
                        "several due dates instead of %(term)s.",
                        order=order.name,
                        term=order.payment_term_id.display_name,
                    )
                )

    @api.depends("desk_shipping_state")
    def _compute_desk_state(self):
        """Follow the deliveries once the order is confirmed.

        A locked order becomes ready when its open deliveries are prepared, shipped when every
        delivery with goods has left and delivered when each arrived; an unlocked (approved)
        order only follows the goods that actually left. Other states are the desk actions'
        and are kept.
        """
        for order in self:
            current = order.desk_state
            if current not in ("approved", *LOCKED_DESK_STATES):
                continue
            shipping = order.desk_shipping_state
            if shipping in ("shipped", "delivered"):
                order.desk_state = shipping
            elif current != "approved":
                order.desk_state = "ready" if shipping == "ready" else "locked"

    @api.depends(
        "picking_ids.state",
        "picking_ids.desk_prepared",
        "picking_ids.desk_delivered_date",
        "picking_ids.desk_superseded",
        "picking_ids.picking_type_code",
        "picking_ids.location_dest_id.usage",
        "picking_ids.move_ids.location_final_id",
    )
    def _compute_desk_shipping_state(self):
        for order in self:
            # Every leg of the goods' way to the customer (pick, pack, ship), and the legs
            # that hand them over.
            outbound = order.picking_ids.filtered(
                lambda p: p.state != "cancel" and p._desk_is_outbound()
            )
            done = outbound.filtered(
                lambda p: p.state == "done" and p._desk_is_customer_delivery()
            )
            pending = outbound.filtered(lambda p: p.state != "done")
            arriving = done.filtered(lambda p: not p.desk_superseded)
            if not outbound:
                state = "none"
            elif pending:
                if done:
                    state = "partial"
                elif all(
                    p._desk_is_customer_delivery() and p.desk_prepared for p in pending
                ):
                    state = "ready"
                else:
                    state = "waiting"
            elif not done:
                state = "waiting"
            elif arriving and all(arriving.mapped("desk_delivered_date")):
                state = "delivered"
            else:
                state = "shipped"
            order.desk_shipping_state = state

    @api.depends(
        "order_line.qty_delivered",
        "order_line.product_uom_qty",
        "order_line.price_subtotal",
        "order_line.move_ids.state",
        "order_line.move_ids.product_uom_qty",
    )
    def _compute_desk_shipped_percent(self):
        """Share of what the customer is to have that they have, weighted by line value:
        goods returned and not replaced (refunded) are no longer to ship; goods returned
        and replaced count again once the replacement is delivered."""
        due = self.order_line._desk_qty_due()

        def share(line):
            wanted = due.get(line, line.product_uom_qty)
            if (
                float_compare(
                    wanted, 0.0, precision_rounding=line.product_uom_id.rounding
                )
                <= 0
            ):
                return 1.0
            return min(line.qty_delivered / wanted, 1.0)

        for order in self:
            lines = order.order_line.filtered(
                lambda line: (
                    not line.display_type
                    and line.product_id.type == "consu"
                    and line.product_uom_qty > 0
                    and not line.is_delivery
                )
            )
            weights = [(line.price_subtotal or 0.0, line) for line in lines]
            if not any(weight for weight, _line in weights):
                # Free goods only: every line counts the same.
                weights = [(1.0, line) for line in lines]
            total = sum(weight for weight, _line in weights)
            shipped = sum(weight * share(line) for weight, line in weights)
            order.desk_shipped_percent = 100.0 * shipped / total if total else 0.0

    def _compute_desk_return_count(self):
        counts = dict(
            self.env["order.desk.return"]._read_group(
                [("order_id", "in", self.ids)],
                groupby=["order_id"],
                aggregates=["__count"],
            )
        )
        for order in self:
            order.desk_return_count = counts.get(order._origin, 0)

    def _compute_desk_open_incident_count(self):
        counts = self.env["order.desk.incident"]._desk_open_counts("order_id", self)
        for order in self:
            order.desk_open_incident_count = counts.get(order._origin, 0)

    @api.depends(
        "picking_ids.move_ids.state",
        "picking_ids.move_ids.quantity",
        "picking_ids.move_ids.move_orig_ids",
    )
    def _compute_desk_reservation_status(self):
        for order in self:
            # The legs that take the goods from stock: the pick of a pick-and-ship route,
            # the delivery of a one-step one.
            legs = order._desk_reservation_moves()
            moves = legs.filtered(lambda m, legs=legs: not (m.move_orig_ids & legs))
            states = set(moves.mapped("state"))
            if not moves:
                order.desk_reservation_status = "none"
            elif states == {"assigned"}:
                order.desk_reservation_status = "reserved"
            elif "assigned" in states or "partially_available" in states:
                order.desk_reservation_status = "partial"
            else:
                order.desk_reservation_status = "waiting"

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
            confirmed = order.state == "sale"
            order.can_desk_lock = (
                is_manager and confirmed and order.desk_state == "approved"
            )
            order.can_desk_unlock = (
                is_manager and confirmed and order.desk_state in ("locked", "ready")
            )

    @api.depends(
        "can_desk_submit",
        "can_desk_approve",
        "can_desk_lock",
        "desk_state",
        "desk_has_blocking_exception",
        "desk_reservation_status",
    )
    @api.depends_context("uid")
    def _compute_desk_next_step(self):
        is_user = self.env.user.has_group(USER_GROUP)
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        for order in self:
            step = False
            if order.can_desk_submit:
                step = "submit"
            elif order.can_desk_approve:
                step = "override" if order.desk_has_blocking_exception else "approve"
            elif (
                is_user
                and not is_manager
                and order.desk_state == "to_review"
                and order.state in ("draft", "sent")
                and order.desk_has_blocking_exception
            ):
                # The clerk fixes the order; checking again shows what still blocks.
                step = "check"
            elif order.can_desk_lock:
                step = "lock"
            elif (
                is_user
                and order.desk_state == "locked"
                and order.desk_reservation_status in ("waiting", "partial")
            ):
                step = "reserve"
            order.desk_next_step = step

    @api.depends("desk_has_blocking_exception", "desk_state")
    def _compute_desk_alert(self):
        # The lists' red rows, for internal users: portal customers read no check of the
        # desk (the exceptions are internal fields) and get no alert.
        if not self.env.su and self.env.user.share:
            self.desk_alert = False
            return
        for order in self:
            order.desk_alert = (
                "blocking"
                if order.desk_has_blocking_exception
                and order.desk_state in ("draft", "to_review")
                else False
            )

    # ------------------------------------------------------------------------------------------
    # Sale hooks
    # ------------------------------------------------------------------------------------------
    def _confirmation_error_message(self):
        """Refuse the plain Confirm button while the company wants desk approval.

        The desk's approval marks the orders approved before it confirms them; superuser
        flows (online payment, data import by the system) confirm as before and are
        recorded as approved. Nothing in the caller's context changes this.
        """
        message = super()._confirmation_error_message()
        if not message and not self.env.su and self._desk_awaits_approval():
            message = self._desk_approval_first_message()
        return message

    def _desk_awaits_approval(self):
        """The orders of ``self`` that their company wants approved on the desk and that
        are not: confirming them is the approval's (or the system's) alone."""
        return self.filtered(
            lambda o: (
                o.company_id.order_desk_require_approval and o.desk_state != "approved"
            )
        )

    def _desk_approval_first_message(self):
        return self.env._(
            "Order %(order)s must be approved on the Order Desk before it is confirmed: "
            "submit it for review instead.",
            order=self[:1].name,
        )

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        # An order created confirmed skips the review (and Odoo's own confirmation): only
        # the system may, as an import of past orders.
        created_confirmed = orders.filtered(lambda o: o.state == "sale")
        if not self.env.su and (waiting := created_confirmed._desk_awaits_approval()):
            raise UserError(waiting._desk_approval_first_message())
        if not self.env.su and (
            settled := orders.filtered(lambda o: o.state in ("sale", "cancel"))
        ):
            # As in write: a confirmed or cancelled status comes with Odoo's actions.
            settled._desk_ensure_state_by_action("draft")
        created_confirmed._desk_follow_state({})
        return orders

    def _validate_order(self):
        """The customer accepted the quotation (the portal's signature).

        Where the company wants the desk's approval, a customer's signature does not
        replace it: the signed quotation is submitted to the desk's review instead of being
        confirmed (its checks run; a manager approves it, or the company's automatic
        approval of clean orders does). Online payments still confirm (as the system,
        recorded as approved: ``_desk_follow_state``): money received is the documented
        exception.
        """
        review = self._desk_awaits_approval()
        if review:
            review._desk_submit_signed()
        if self - review:
            return super(SaleOrder, self - review)._validate_order()
        return None

    def _desk_submit_signed(self):
        """Send quotations the customer signed to the desk's review (see
        ``_validate_order``)."""
        # sudo: the portal route checked the customer's access to the order (their portal
        # user or the order's access token) before recording the signature; submitting only
        # runs the checks and queues the order for a manager, who decides.
        orders = self.sudo()
        orders._desk_log(
            lambda order: order.env._(
                "Signed by the customer (%(name)s): sent to the Order Desk's review "
                "instead of being confirmed.",
                name=order.signed_by or "-",
            )
        )
        drafts = orders.filtered(
            lambda o: (
                o.desk_state == "draft"
                and o.state in ("draft", "sent")
                and o.order_line.filtered(lambda line: not line.display_type)
            )
        )
        if drafts:
            drafts.action_desk_submit()

    def write(self, vals):
        self._desk_ensure_unlocked(LOCKED_ORDER_FIELDS, vals)
        self._desk_ensure_settlement_write(vals)
        before = None
        if "state" in vals:
            if not self.env.su:
                self._desk_ensure_state_by_action(vals["state"])
            before = {order.id: order.state for order in self}
        result = super().write(vals)
        if before is not None:
            self._desk_follow_state(before)
        return result

    def _desk_ensure_state_by_action(self, state):
        """Refuse a change of Odoo's status to or from a sales order or a cancelled one
        unless one of Odoo's own actions makes it (Confirm, Cancel, Reset to Quotation,
        which carry ``STATE_BY_ACTION``): written directly, it would skip their checks
        (the desk's approval, Odoo's lock) and their work (procurement, the deliveries'
        cancellation). Quotation to sent and back stay free (Odoo's *Send* writes them).
        Even one of those actions confirms only what the desk approved (Odoo's Confirm
        checks it first; checked here again). Raises UserError."""
        if state == "sale":
            waiting = self.filtered(lambda o: o.state != "sale")._desk_awaits_approval()
            if waiting:
                raise UserError(waiting._desk_approval_first_message())
        if self.env.context.get(STATE_ACTION_KEY) is STATE_BY_ACTION:
            return
        moving = self.filtered(
            lambda o: o.state != state and ({o.state, state} & {"sale", "cancel"})
        )
        if moving:
            raise UserError(
                self.env._(
                    "The status of %(order)s changes with the order's buttons (Confirm, "
                    "Cancel, Reset to Quotation), which check and do what goes with it; "
                    "it cannot be written directly.",
                    order=moving[0].name,
                )
            )

    def action_confirm(self):
        return super(
            SaleOrder, self.with_context(**{STATE_ACTION_KEY: STATE_BY_ACTION})
        ).action_confirm()

    def _action_cancel(self):
        return super(
            SaleOrder, self.with_context(**{STATE_ACTION_KEY: STATE_BY_ACTION})
        )._action_cancel()

    def action_draft(self):
        return super(
            SaleOrder, self.with_context(**{STATE_ACTION_KEY: STATE_BY_ACTION})
        ).action_draft()

    def _desk_follow_state(self, before):
        """Bring the desk status along when Odoo's status changed (``before``: the
        orders' previous status by id, none for new orders): cancelled orders are
        cancelled on the desk too, reset ones are drafts again, and orders confirmed
        without the desk's approval (by the system: an online payment, an import; or in
        a company that does not require it) are recorded as approved, with a note."""
        changed = self.filtered(lambda o: o.state != before.get(o.id))
        changed.filtered(
            lambda o: o.state == "cancel" and o.desk_state != "cancel"
        )._desk_write({"desk_state": "cancel"})
        changed.filtered(
            lambda o: o.state == "draft" and before.get(o.id) == "cancel"
        )._desk_write({"desk_state": "draft"})
        outside = changed.filtered(
            lambda o: (
                o.state == "sale"
                and o.desk_state not in ("approved", *LOCKED_DESK_STATES)
            )
        )
        if outside:
            outside._desk_write({"desk_state": "approved"})
            outside._desk_log(
                lambda order: order.env._("Confirmed outside the Order Desk review.")
            )

    def _desk_ensure_settlement_write(self, vals):
        """Once an order is confirmed, its settlement method (what the prepayment gate and
        the cash to collect follow) changes by a desk manager only: turning a prepaid order
        into one on account would ship it unpaid. Raises AccessError for anybody else."""
        if "desk_settlement_method" not in vals or self._desk_is_manager():
            return
        changed = self.filtered(
            lambda o: (
                o.state == "sale"
                and o.desk_settlement_method != vals["desk_settlement_method"]
            )
        )
        if changed:
            raise AccessError(
                self.env._(
                    "%(order)s is confirmed: only an Order Desk manager can change its "
                    "settlement method (ask a manager, or use Ship Before Payment).",
                    order=changed[0].name,
                )
            )

    def _desk_write(self, vals):
        """Write the desk status and its trail (``_desk_system_fields``) from the desk's own
        actions.

        sudo: only called by the desk's actions after they checked who calls
        (``_ensure_desk_group``) and the orders' states; the guarded fields refuse every
        other caller whatever the context says. The real user stays the author of the
        change (``write_uid``, tracking).
        """
        return self.sudo().write(vals)

    def _desk_ensure_unlocked(self, protected, vals):
        """Refuse a change of a protected field of a desk-locked order, for every caller."""
        if not any(name in vals for name in protected):
            return
        for order in self.filtered(lambda o: o.desk_state in LOCKED_DESK_STATES):
            # Only a change is refused: an import sending the same value passes.
            if changed := desk_changed_fields(order, vals, protected):
                raise UserError(
                    self.env._(
                        "Order %(order)s is locked by the Order Desk: %(field)s cannot "
                        "change. Ask a manager to unlock it first.",
                        order=order.name,
                        field=self._fields[changed[0]]._description_string(self.env),
                    )
                )

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
        self._desk_write(
            {
                "desk_state": "to_review",
                "desk_submitted_user_id": self.env.uid,
                "desk_submitted_date": now,
            }
        )
        self._desk_log(
            lambda order: order.env._(
                "Submitted for review: %(blocking)s blocking exception(s), %(warning)s "
                "warning(s).",
                blocking=len(order._desk_open_exceptions("blocking")),
                warning=len(order._desk_open_exceptions("warning")),
            )
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
        """Re-run the checks, then confirm the orders and mark them approved (manager).

        The checks of the order's own data are not run again on an order unchanged
        since they last ran (see ``_desk_run_checks``)."""
        # First of all: racing approvals queue here, and then see each other's work.
        self._desk_lock_products()
        self._ensure_can_desk_approve()
        self._desk_run_checks(approval=True)
        self._desk_raise_if_blocked()
        self._desk_do_approve()
        return True

    def _desk_raise_if_blocked(self):
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

    def action_desk_reject(self, reason):
        """Send orders under review back to draft with a written reason (manager)."""
        self._ensure_desk_group(MANAGER_GROUP)
        reason = desk_clean_text(
            self.env, reason, self.env._("Give the reason for rejecting the order.")
        )
        if wrong := self._desk_orders_not_in("to_review"):
            raise UserError(
                self.env._(
                    "Only orders to review can be rejected: %(orders)s.", orders=wrong
                )
            )
        reason = reason.strip()
        self._desk_write({"desk_state": "draft"})
        self._desk_log(
            lambda order: order.env._(
                "Rejected by %(user)s. Reason: %(reason)s",
                user=self.env.user.name,
                reason=reason,
            )
        )
        return True

    @api.readonly
    def action_desk_open_reject_wizard(self):
        return self._desk_wizard_action(
            self.env._("Reject Orders"),
            "order.desk.reject.wizard",
            {"default_order_ids": self.ids},
        )

    @api.readonly
    def action_desk_open_override_wizard(self):
        return self._desk_wizard_action(
            self.env._("Override Exceptions"),
            "order.desk.override.wizard",
            {"default_exception_ids": self._desk_open_exceptions().ids},
        )

    def _desk_wizard_action(self, name, res_model, context):
        """The dialog of a manager's decision on ``self`` (reject, override, unlock)."""
        self._ensure_desk_group(MANAGER_GROUP)
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    @api.readonly
    def action_view_desk_exceptions(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_exception_action"
        )
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    @api.readonly
    def action_view_desk_incidents(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_incident_action"
        )
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {
            "default_order_id": self.id if len(self) == 1 else False,
        }
        return action

    def action_desk_release_prepayment(self, reason):
        """Let the goods of prepaid orders leave before the invoice is paid (manager),
        logged with the reason."""
        self._ensure_desk_group(MANAGER_GROUP)
        reason = desk_clean_text(
            self.env,
            reason,
            self.env._("Give the reason for shipping before the payment."),
        )
        wrong = self.filtered(
            lambda o: o.desk_settlement_method != "prepayment" or o.state != "sale"
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Only confirmed orders paid in advance wait for their payment: "
                    "%(orders)s.",
                    orders=", ".join(wrong.mapped("name")),
                )
            )
        self.write({"desk_prepayment_released": True})
        self._desk_log(
            lambda order: order.env._(
                "Shipping released before payment by %(user)s. Reason: %(reason)s",
                user=self.env.user.name,
                reason=reason.strip(),
            )
        )
        return True

    @api.readonly
    def action_desk_open_release_wizard(self):
        return self._desk_wizard_action(
            self.env._("Ship Before Payment"),
            "order.desk.prepayment.release.wizard",
            {"default_order_ids": self.ids},
        )

    def _desk_ensure_prepaid(self):
        """Refuse to ship goods of orders paid in advance whose invoice is not paid (unless a
        manager released them)."""
        waiting = self.filtered(
            lambda o: (
                o.desk_settlement_method == "prepayment"
                and not o.desk_prepaid
                and not o.desk_prepayment_released
            )
        )
        if waiting:
            raise UserError(
                self.env._(
                    "Order %(order)s is paid in advance: its goods leave once it is paid "
                    "(%(unpaid)s still due). A manager can release the shipping before "
                    "payment.",
                    order=waiting[0].name,
                    unpaid=waiting[0].currency_id.format(
                        max(
                            waiting[0].amount_total - waiting[0].desk_amount_paid,
                            0.0,
                        )
                    ),
                )
            )

    @api.readonly
    def action_view_desk_returns(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_return_action"
        )
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {"default_order_id": self.id if len(self) == 1 else False}
        return action

    def action_desk_lock(self):
        """Re-lock approved orders after an unlock (manager): checks again, then reserves."""
        self._ensure_desk_group(MANAGER_GROUP)
        if wrong := self._desk_orders_not_in("approved"):
            raise UserError(
                self.env._(
                    "Only approved orders can be locked: %(orders)s.", orders=wrong
                )
            )
        self._desk_run_checks()
        self._desk_raise_if_blocked()
        self._desk_lock()
        return True

    def action_desk_unlock(self, reason):
        """Let a manager change a locked order; logged with the reason (manager)."""
        self._ensure_desk_group(MANAGER_GROUP)
        reason = desk_clean_text(
            self.env, reason, self.env._("Give the reason for unlocking the order.")
        )
        if wrong := self._desk_orders_not_in("locked", "ready"):
            raise UserError(
                self.env._(
                    "Only locked orders not yet shipped can be unlocked: %(orders)s.",
                    orders=wrong,
                )
            )
        self._desk_write({"desk_state": "approved"})
        self.filtered("locked").action_unlock()
        self._desk_log(
            lambda order: order.env._(
                "Unlocked by %(user)s. Reason: %(reason)s",
                user=self.env.user.name,
                reason=reason.strip(),
            )
        )
        return True

    @api.readonly
    def action_desk_open_unlock_wizard(self):
        return self._desk_wizard_action(
            self.env._("Unlock Orders"),
            "order.desk.unlock.wizard",
            {"default_order_ids": self.ids},
        )

    def action_desk_release_reservation(self):
        """Give the stock reserved for locked orders back to everybody (manager).

        The order stays confirmed and locked; its deliveries wait for stock again.
        """
        self._ensure_desk_group(MANAGER_GROUP)
        if wrong := self._desk_orders_not_in("locked"):
            raise UserError(
                self.env._(
                    "Only the reservation of locked orders can be released: %(orders)s.",
                    orders=wrong,
                )
            )
        self._desk_release(
            lambda order: order.env._(
                "Reservation released by %(user)s.", user=self.env.user.name
            )
        )
        return True

    def action_desk_reserve(self):
        """Reserve the stock of locked orders again and restart their hold (clerk)."""
        self._desk_lock_products()
        self._ensure_desk_group(USER_GROUP)
        if wrong := self._desk_orders_not_in("locked"):
            raise UserError(
                self.env._(
                    "Only locked orders reserve stock: %(orders)s.", orders=wrong
                )
            )
        self._desk_set_deadline()
        self._desk_write({"desk_reservation_released": False})
        self._desk_reserve()
        return True

    @api.model
    def _cron_desk_release_expired(self, limit=500):
        """Scheduled action: release the reservations held past their deadline.

        Only locked orders that are neither shipped (no delivery done) nor paid (no money
        received for them: a credit note is not a payment) are released; a note is logged
        and an activity is given to the salesperson.
        """
        orders = self.search(
            [
                ("desk_state", "=", "locked"),
                ("desk_reservation_released", "=", False),
                ("desk_reservation_deadline", "<", fields.Datetime.now()),
                ("desk_amount_paid", "<=", 0.0),
            ],
            limit=limit,
            order="desk_reservation_deadline",
        )
        shipped = orders.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ).sale_id
        expired = orders - shipped
        if not expired:
            return
        expired._desk_release(
            lambda order: order.env._(
                "The reservation hold expired: the reserved stock was released."
            )
        )
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id("sale.order")
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": order.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": self.env._(
                        "Reservation released: reserve again or follow up"
                    ),
                    "user_id": (order.user_id or self.env.user).id,
                }
                for order in expired
            ]
        )

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

    def _desk_orders_not_in(self, *desk_states):
        """Names (with their desk status) of the orders of ``self`` not in ``desk_states``."""
        labels = dict(self._fields["desk_state"]._description_selection(self.env))
        wrong = self.filtered(lambda o: o.desk_state not in desk_states)
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
    def _desk_run_checks(self, approval=False):
        """Evaluate the active rules of each order's company and bring the exceptions up to date.

        An open exception whose failure is gone is resolved; one still failing with the same
        values stays; an overridden failure stays overridden while its values are unchanged
        (the manager accepted exactly that situation); every other failure opens an exception.
        Failures are compared on their stored values (check, line, quantities, amounts), never
        on the rendered text, which depends on the language of whoever runs the checks.
        Batched: the rules kept in memory, the checks' own grouped queries, one write, one
        create.

        ``approval``: the checks of the order's own data (``ORDER_DATA_CHECKS``) are not
        run again on orders whose data (header, lines, customer, products, and those
        rules) is as their last run saw it; their exceptions stay as they are.
        """
        if not self:
            return self.env["order.desk.exception"]
        rules = self.env["order.desk.rule"]._desk_active_rules(self.company_id)
        self._desk_prefetch_partners()
        keys = {order.id: order._desk_own_data_key(rules) for order in self}
        unchanged = (
            {order.id for order in self if order.desk_checked_key == keys[order.id]}
            if approval
            else set()
        )
        failures = rules._evaluate(self, unchanged=unchanged)
        # sudo: exceptions are the server's verdict on the orders, which the caller was allowed
        # to write (see _ensure_desk_group); clerks only read them, so no RPC call of theirs can
        # forge or close one.
        Exception_ = self.env["order.desk.exception"].sudo()
        current = self._desk_fetch_exceptions()
        open_by_key = {}
        overridden = defaultdict(list)
        for exception in current:
            key = (exception.order_id.id, exception.rule_id.id, exception.line_id.id)
            if exception.state == "open":
                open_by_key[key] = exception
            elif exception.state == "overridden":
                overridden[key].append(exception)
        # Not judged again: as they were.
        own_data_rules = rules.filtered(lambda r: r.check_type in ORDER_DATA_CHECKS)
        kept = current.filtered(
            lambda e: e.order_id.id in unchanged and e.rule_id in own_data_rules
        )
        to_create = []
        upgraded = []
        for failure in failures:
            key = (failure["order_id"], failure["rule_id"], failure["line_id"] or False)
            existing = open_by_key.get(key)
            same = next(
                (
                    exception
                    for exception in overridden[key]
                    if exception._desk_same_failure(failure)
                ),
                None,
            )
            if (
                existing
                and existing._desk_same_failure(failure)
                and existing.severity == failure["severity"]
            ):
                kept |= existing
                same = existing
            elif not same:
                to_create.append(failure)
            if same and same.message_code == "legacy":
                upgraded.append((same, failure))
        # Exceptions raised before 19.0.1.2.0 take the values of the same failure, once, and
        # read in each reader's language from then on.
        for exception, failure in upgraded:
            exception.write(
                {
                    "message_code": failure["message_code"],
                    "message_args": failure["message_args"],
                }
            )
        now = fields.Datetime.now()
        stale = current.filtered(lambda e: e.state == "open") - kept
        stale.write({"state": "resolved", "resolved_date": now})
        created = Exception_.create(to_create)
        for key, orders in self.grouped(lambda o: keys[o.id]).items():
            orders._desk_write({"desk_checked_date": now, "desk_checked_key": key})
        return created

    def _desk_own_data_key(self, rules):
        """Fingerprint of what the checks of the order's own data (``ORDER_DATA_CHECKS``
        of ``rules``) read: the order's header and lines, its customer, delivery address
        and products, and those rules' settings. Read from what the checks and the
        confirmation read anyway."""
        self.ensure_one()
        partners = (
            self.partner_id
            | self.partner_shipping_id
            | self.partner_id.commercial_partner_id
        )
        data = (
            [
                (rule.id, rule.check_type, rule.severity, rule.tolerance_percent)
                for rule in rules
                if rule.check_type in ORDER_DATA_CHECKS
                and rule.company_id == self.company_id
            ],
            (
                self.partner_id.id,
                self.partner_shipping_id.id,
                self.payment_term_id.id,
                self.pricelist_id.id,
                self.currency_id.id,
                str(self.date_order),
            ),
            [
                (
                    line.id,
                    line.display_type,
                    line.is_downpayment,
                    line.product_id.id,
                    line.product_id.active,
                    line.product_id.sale_ok,
                    line.product_id.product_tmpl_id.list_price,
                    line.product_uom_id.id,
                    line.product_uom_qty,
                    line.price_unit,
                    line.discount,
                    line.product_no_variant_attribute_value_ids.ids,
                )
                for line in self.order_line
            ],
            [
                (p.id, p.email, p.phone, p.street, p.city, p.country_id.id)
                for p in partners
            ],
        )
        return hashlib.sha256(repr(data).encode()).hexdigest()

    def _desk_prefetch_partners(self):
        """Read in one query the customers, their delivery addresses, the companies'
        partners (whose language the notes are written in) and the notes' author, with
        their fields per company (in the orders' company: the credit limit, the price
        list and terms the confirmation reads), which a read of each would fetch apart."""
        partners = (
            self.partner_id
            | self.partner_shipping_id
            | self.company_id.partner_id
            | self.env.user.partner_id
        )
        names = [
            name
            for name, field in partners._fields.items()
            if (field.prefetch is True or field.company_dependent) and field.column_type
        ]
        # sudo: only the cache is filled, with what the checks, the notes and the
        # confirmation read next (as the system where they do); nothing is returned.
        partners.sudo().with_company(self.company_id[:1]).fetch(names)

    def _desk_fetch_exceptions(self):
        """The exceptions of the orders (as the system), with the fields the checks compare,
        in one query; the orders' ``desk_exception_ids`` are filled from it (the one2many
        alone would read their ids, then their fields). Only the checks raise exceptions,
        and they date each run: an order never checked has none, nothing is read for it."""
        checked = self.filtered("desk_checked_date")
        # sudo: see _desk_run_checks.
        exceptions = self.env["order.desk.exception"].sudo()
        if checked:
            exceptions = exceptions.search_fetch(
                [("order_id", "in", checked.ids)],
                [
                    "order_id",
                    "rule_id",
                    "line_id",
                    "state",
                    "severity",
                    "message_code",
                    "message_args",
                ],
            )
        by_order = defaultdict(list)
        for exception in exceptions:
            by_order[exception.order_id.id].append(exception.id)
        # As One2many.read does it: orders whose one2many is in cache already keep it.
        self._fields["desk_exception_ids"]._insert_cache(
            self, [tuple(by_order[order_id]) for order_id in self._ids]
        )
        return exceptions

    def _desk_do_approve(self, auto=False):
        """Mark the orders approved and confirm them; callers check rights and state first.

        The approval is written first (as the system, see ``_desk_write``), so the
        confirmation passes the review's own check: no context key opens it.
        """
        self._desk_write(
            {
                "desk_state": "approved",
                "desk_approved_user_id": self.env.uid,
                "desk_approved_date": fields.Datetime.now(),
            }
        )
        if len(self) == 1:
            # One order has no other to yield to: Odoo's confirmation reserves it as it
            # would without the desk, once its quants are locked; _desk_reserve (below)
            # takes what that left (operation types reserving by hand or by date).
            self._desk_lock_quants()
            self.action_confirm()
        else:
            # Reservation is deferred from the confirmation to _desk_reserve, which takes
            # the orders by urgency instead of by creation order. The marker is an object
            # no RPC call can send: a caller's context never skips the reservation.
            self.with_context(
                order_desk_defer_reservation=DEFER_RESERVATION
            ).action_confirm()
        if auto:

            def approved(order):
                return order.env._(
                    "Approved automatically: the checks found no exception."
                )

        else:

            def approved(order):
                return order.env._("Approved by %(user)s.", user=self.env.user.name)

        # One note says both: approved, then locked and reserved.
        self._desk_lock(approved)

    def _desk_lock(self, reason=None):
        """Lock confirmed orders (Odoo's lock and the desk's) and reserve their stock.

        ``reason(order)``, when given, is the text that comes first in the note logged
        on each order (the approval that locks them)."""
        self.filtered(lambda o: not o.locked).action_lock()
        self._desk_write(
            {
                "desk_state": "locked",
                "desk_locked_date": fields.Datetime.now(),
                "desk_reservation_released": False,
            }
        )
        self._desk_set_deadline()
        self._desk_reserve()
        # A re-locked order may already be prepared or partly shipped: follow its deliveries.
        self.env.add_to_compute(self._fields["desk_state"], self)
        self._desk_log(
            lambda order: " ".join(
                [
                    *([reason(order)] if reason else []),
                    order.env._("Locked and stock reserved by the Order Desk."),
                ]
            )
        )

    def _desk_set_deadline(self):
        now = fields.Datetime.now()
        for days, orders in self.grouped(
            lambda o: o.company_id.order_desk_reservation_days
        ).items():
            orders._desk_write(
                {
                    "desk_reservation_deadline": now + timedelta(days=days)
                    if days > 0
                    else False
                }
            )

    def _desk_reservation_moves(self):
        """The open moves that reserve the orders' goods, in every leg of their way to
        the customer (pick, pack, ship: ``stock.picking._desk_is_outbound``); a later
        leg waits for the earlier one, the first takes the goods from stock.

        :returns: ``stock.move`` records, not done, cancelled or draft."""
        return self.picking_ids.filtered(
            lambda p: (
                p.state not in ("draft", "done", "cancel") and p._desk_is_outbound()
            )
        ).move_ids.filtered(lambda m: m.state not in ("draft", "done", "cancel"))

    def _desk_priority_key(self):
        """Urgent first, then the earliest promised date, then the oldest order."""
        self.ensure_one()
        return (
            self.priority != "1",
            self.commitment_date or datetime.max,
            self.date_order or datetime.max,
            self.id,
        )

    def _desk_reserve(self):
        """Reserve the deliveries' stock, most urgent order first.

        Two approvals competing for the same stock must not both take it: the goods are
        locked first (``product.product._desk_lock_stock``, which the approval already
        took before reading anything), and their quants are row-locked against
        reservations made outside the desk. Lock, desk state and reservation belong to
        one transaction, so an order is never left half-locked.
        """
        orders = self.sorted(key=lambda o: o._desk_priority_key())
        urgent = orders.filtered(lambda o: o.priority == "1").picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel") and p.priority != "1"
        )
        if urgent:
            urgent.write({"priority": "1"})
        moves = self.env["stock.move"]
        for order in orders:
            moves |= order._desk_reservation_moves().filtered(
                lambda m: m.state in ("confirmed", "partially_available", "waiting")
            )
        if not moves:
            return
        moves.product_id._desk_lock_stock(moves.location_id)
        # sudo: as in Odoo's own confirmation (stock.rule runs it as superuser), reserving is
        # the consequence of an approval the caller was allowed to make; clerks and managers
        # need no Inventory rights for it.
        moves.sudo()._action_assign()

    def _desk_lock_quants(self):
        """Row-lock the quants of the orders' goods in their warehouses, against
        reservations made outside the desk (see ``product.product._desk_lock_stock``;
        nothing is locked twice)."""
        # sudo: as _desk_lock_products; the lock covers every quant of the goods.
        orders = self.sudo()
        for warehouse, lines in orders.order_line.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            products = lines.product_id.filtered("is_storable")
            if warehouse and products:
                products._desk_lock_stock(warehouse.view_location_id)

    def _desk_lock_products(self):
        """Take the stock locks of the orders' goods (see
        ``product.product._desk_lock_stock``)."""
        Product = self.env["product.product"]
        if LOCKS_KEY in self.env.cr.cache:
            # sudo: only the ids of the goods are read, to queue behind other
            # reservations; the caller's rights are checked right after.
            products = self.sudo().order_line.product_id.filtered("is_storable")
        else:
            # The first lock of the transaction (an approval called over RPC) is followed
            # by a rollback that empties the ORM's cache: the ids are read with one
            # statement instead of loading the lines and products for nothing. As the
            # system, for the same reason as above.
            self.env["sale.order.line"].flush_model(["order_id", "product_id"])
            Product.flush_model(["product_tmpl_id"])
            self.env["product.template"].flush_model(["is_storable"])
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT line.product_id FROM sale_order_line line "
                    "JOIN product_product product ON product.id = line.product_id "
                    "JOIN product_template template "
                    "ON template.id = product.product_tmpl_id "
                    "WHERE line.order_id IN %s AND template.is_storable",
                    tuple(self.ids) or (0,),
                )
            )
            products = Product.browse([row[0] for row in self.env.cr.fetchall()])
        products._desk_lock_stock()

    def _desk_release(self, note):
        # Every leg that holds the goods (the pick of a pick-and-ship route too); what the
        # warehouse already picked stays (Odoo's unreserve skips it).
        pickings = self._desk_reservation_moves().picking_id
        # sudo: releasing was decided by a desk manager or the scheduler, who need no
        # Inventory rights for it; only these orders' own deliveries are touched.
        pickings.sudo().do_unreserve()
        self._desk_write({"desk_reservation_released": True})
        self._desk_log(note)

    def _desk_log(self, body):
        """Log a note on every order of ``self`` with one insert, escaped as plain text.

        ``body(order)`` gives the text of each order; it is called with the order in its
        company's language (``res.company._desk_lang``), so that a note reads the same for
        everyone whoever pressed the button: write it with ``order.env._(...)``.
        """
        bodies = {}
        for lang, orders in self.grouped(lambda o: o.company_id._desk_lang()).items():
            for order in orders.with_context(lang=lang):
                bodies[order.id] = body(order)
        if bodies:
            self._message_log_batch(
                {res_id: Markup("<p>%s</p>") % text for res_id, text in bodies.items()}
            )

    def _desk_create_refunds(self, quantities, reference):
        """Draft credit notes giving back the invoiced price of ``quantities``.

        ``quantities`` maps sale order lines of ``self`` to a quantity in the line's unit.
        The posted customer invoices of those lines are reversed with Odoo's own reversal
        (prices, discounts, taxes and accounts as invoiced) and each reversal keeps only
        the lines and quantities asked, taken from the latest invoice first. Refuses a
        quantity beyond what is invoiced net of credit notes. Shared by incidents and
        returns; returns the draft credit notes.
        """
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        plan = {}
        for sale_line, quantity in quantities.items():
            if sale_line.order_id not in self:
                raise UserError(
                    self.env._(
                        "%(product)s is not a line of %(orders)s.",
                        product=sale_line.display_name,
                        orders=", ".join(self.mapped("name")),
                    )
                )
            if (
                float_compare(
                    quantity, sale_line.qty_invoiced, precision_digits=precision
                )
                > 0
            ):
                raise UserError(
                    self.env._(
                        "%(product)s: %(quantity)s to refund, but only %(invoiced)s "
                        "invoiced (net of credit notes).",
                        product=sale_line.product_id.display_name,
                        quantity=quantity,
                        invoiced=sale_line.qty_invoiced,
                    )
                )
            invoice_lines = sale_line.invoice_lines.filtered(
                lambda line: (
                    line.move_id.state == "posted"
                    and line.move_id.move_type == "out_invoice"
                    and line.display_type == "product"
                )
            ).sorted(lambda line: (line.move_id.date, line.id), reverse=True)
            remaining = quantity
            for invoice_line in invoice_lines:
                if float_is_zero(remaining, precision_digits=precision):
                    break
                available = invoice_line.product_uom_id._compute_quantity(
                    invoice_line.quantity, sale_line.product_uom_id
                )
                taken = min(remaining, available)
                if taken > 0:
                    plan[invoice_line] = sale_line.product_uom_id._compute_quantity(
                        taken, invoice_line.product_uom_id
                    )
                    remaining -= taken
            if not float_is_zero(remaining, precision_digits=precision):
                raise UserError(
                    self.env._(
                        "%(product)s: no posted invoice holds the quantity to refund.",
                        product=sale_line.product_id.display_name,
                    )
                )
        if not plan:
            raise UserError(self.env._("Nothing to refund: give the quantities first."))
        invoice_lines = self.env["account.move.line"].union(*plan)
        invoices = invoice_lines.move_id
        # sudo: a draft credit note is a proposal that an accountant reviews and posts; the
        # desk user who decided it needs no Accounting rights to prepare it.
        refunds = invoices.sudo()._reverse_moves(
            [{"ref": reference} for _invoice in invoices], cancel=False
        )
        for invoice, refund in zip(invoices, refunds, strict=True):
            # The reversal copies the lines in order with their sale lines.
            pairs = defaultdict(list)
            for line in refund.invoice_line_ids.sorted(lambda ln: (ln.sequence, ln.id)):
                pairs[line.sale_line_ids].append(line)
            commands = []
            for line in invoice.invoice_line_ids.sorted(
                lambda ln: (ln.sequence, ln.id)
            ):
                copy = pairs[line.sale_line_ids].pop(0)
                if line in plan:
                    commands.append(Command.update(copy.id, {"quantity": plan[line]}))
                else:
                    commands.append(Command.unlink(copy.id))
            refund.write({"invoice_line_ids": commands})
        return refunds.with_env(self.env)
