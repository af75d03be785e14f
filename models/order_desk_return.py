from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import (
    float_compare,
    float_is_zero,
    float_repr,
    float_round,
    format_date,
)

from .order_desk_document_mixin import MANAGER_GROUP
from .order_desk_field_guard import desk_clean_text
from .order_desk_return_reason import RETURN_OUTCOMES

RETURN_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("received", "Received"),
    ("done", "Done"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]

RETURN_CONDITIONS = [
    ("sealed", "Sealed"),
    ("opened", "Opened"),
    ("damaged", "Damaged"),
]

RETURN_DISPOSITIONS = [
    ("restock", "Back to Stock"),
    ("scrap", "Scrap"),
]

RETURN_SOURCES = [
    ("desk", "Order Desk"),
    ("portal", "Customer Portal"),
]


# States in which a request still holds quantities that have no return receipt yet.
PENDING_STATES = ("to_approve",)

# The reference of a portal request while it is checked: it draws its RMA number from the
# sequence only once accepted.
UNNUMBERED = "/"


def desk_quantity(env, quantity, uom=None):
    """A quantity as people write it (2, 1.5: no trailing zeros), rounded as ``uom``
    rounds and followed by its name when ``uom`` is given."""
    digits = env["decimal.precision"].precision_get("Product Unit")
    if uom:
        quantity = float_round(quantity, precision_rounding=uom.rounding)
    text = float_repr(float_round(quantity, precision_digits=digits), digits)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {uom.name}" if uom else text


# What may still change on a return's lines, by the return's state (all of it in draft).
# What no longer changes once a request is submitted: what it is about, and the comment
# of the customer who asked (a portal request's is theirs).
SUBMITTED_FIXED_FIELDS = {"order_id", "picking_id", "partner_id", "company_id", "note"}

# What still changes on a done request: its chatter's main attachment.
DONE_EDITABLE_FIELDS = {"message_main_attachment_id"}

LINE_FIELDS_OPEN = {
    "to_approve": {"outcome", "disposition"},
    "approved": {"disposition"},
}


class OrderDeskReturn(models.Model):
    _name = "order.desk.return"
    _description = "Order Desk Return"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "order.desk.document.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True
    _desk_sequence_code = "order.desk.return"

    # Written by the request's own actions (and the portal, as the system) only: its status,
    # where it came from, who asked and approved and when, why it was refused, and what
    # its outcome made (see order.desk.field.guard).
    _desk_system_fields = frozenset(
        {
            "state",
            "source",
            "requested_by_id",
            "date_request",
            "approved_user_id",
            "approved_date",
            "reject_reason",
            "refund_move_ids",
            "exchange_picking_ids",
            "scrap_ids",
            # The e-mailed link's secret, drawn by the system (_portal_ensure_token).
            "access_token",
        }
    )
    # Accepting a return outside the window is a manager's decision.
    _desk_manager_fields = frozenset({"window_exception"})

    # Identification
    name = fields.Char(
        string="RMA Number",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    state = fields.Selection(
        RETURN_STATES,
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    source = fields.Selection(
        RETURN_SOURCES,
        string="Requested Through",
        default="desk",
        readonly=True,
        copy=False,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
    )

    # What comes back
    order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        required=True,
        index=True,
        check_company=True,
        domain="[('state', '=', 'sale')]",
        tracking=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Original Delivery",
        index=True,
        check_company=True,
        domain="[('sale_id', '=', order_id), ('picking_type_code', '=', 'outgoing'), "
        "('state', '=', 'done')]",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "order.desk.return.line", "return_id", string="Lines", copy=True
    )
    note = fields.Text(string="Customer Comment")
    date_request = fields.Datetime(
        string="Requested On",
        default=fields.Datetime.now,
        required=True,
        readonly=True,
        copy=False,
    )
    requested_by_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        readonly=True,
        copy=False,
        groups="base.group_user",
    )

    # Window and approval
    delivery_date = fields.Datetime(
        string="Delivered On",
        compute="_compute_delivery_date",
        help="When the customer received the delivery (the carrier's delivered event, "
        "else the day it left): the return window counts from it.",
    )
    return_deadline = fields.Date(compute="_compute_return_deadline")
    is_outside_window = fields.Boolean(
        string="Outside Return Window", compute="_compute_return_deadline"
    )
    window_exception = fields.Boolean(
        string="Accept Outside the Window",
        copy=False,
        tracking=True,
        help="A manager accepts this return although the return window has passed.",
        groups="base.group_user",
    )
    approved_user_id = fields.Many2one(
        "res.users",
        string="Approved By",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    approved_date = fields.Datetime(string="Approved On", readonly=True, copy=False)
    reject_reason = fields.Text(readonly=True, copy=False)

    # Results
    return_picking_ids = fields.One2many(
        "stock.picking", "desk_return_id", string="Return Receipts", readonly=True
    )
    refund_move_ids = fields.Many2many(
        "account.move",
        "order_desk_return_refund_move_rel",
        "return_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
    )
    exchange_picking_ids = fields.Many2many(
        "stock.picking",
        "order_desk_return_exchange_picking_rel",
        "return_id",
        "picking_id",
        string="Exchange Deliveries",
        readonly=True,
        copy=False,
    )
    scrap_ids = fields.Many2many(
        "stock.scrap",
        "order_desk_return_scrap_rel",
        "return_id",
        "scrap_id",
        string="Scrapped",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    has_refund_todo = fields.Boolean(
        compute="_compute_outcome_todo", groups="base.group_user"
    )
    has_exchange_todo = fields.Boolean(
        compute="_compute_outcome_todo", groups="base.group_user"
    )

    @api.depends("order_id")
    def _compute_company_id(self):
        for ret in self:
            ret.company_id = (
                ret.order_id.company_id or ret.company_id or self.env.company
            )

    @api.depends("order_id")
    def _compute_partner_id(self):
        for ret in self:
            if ret.order_id:
                ret.partner_id = ret.order_id.partner_id

    @api.depends("picking_id.desk_delivered_date", "picking_id.date_done")
    def _compute_delivery_date(self):
        for ret in self:
            ret.delivery_date = (
                ret.picking_id.desk_delivered_date or ret.picking_id.date_done
            )

    @api.depends(
        "picking_id.desk_delivered_date",
        "picking_id.date_done",
        "company_id.order_desk_return_days",
    )
    def _compute_return_deadline(self):
        """The window runs from the customer's receipt of the goods (the delivery's
        Delivered On); from the shipping date while no receipt is known."""
        today = fields.Date.context_today(self)
        for ret in self:
            days = ret.company_id.order_desk_return_days
            delivered = ret.picking_id.desk_delivered_date or ret.picking_id.date_done
            if delivered and days:
                deadline = fields.Date.context_today(ret, delivered) + timedelta(
                    days=days
                )
                ret.return_deadline = deadline
                ret.is_outside_window = today > deadline
            else:
                ret.return_deadline = False
                ret.is_outside_window = False

    @api.depends("state", "line_ids.qty_received", "line_ids.qty_refunded")
    def _compute_outcome_todo(self):
        for ret in self:
            received = ret.state == "received"
            ret.has_refund_todo = received and any(
                line.outcome == "refund" and line._desk_qty_open() > 0
                for line in ret.line_ids
            )
            ret.has_exchange_todo = received and any(
                line.outcome == "exchange" and line._desk_qty_open() > 0
                for line in ret.line_ids
            )

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for ret in self:
            ret.access_url = f"/my/returns/{ret.id}"
        return result

    @api.constrains("order_id", "picking_id")
    def _check_picking_id(self):
        """The goods come back from a delivery of the request's own order."""
        for ret in self.filtered("picking_id"):
            if ret.picking_id.sale_id != ret.order_id:
                raise ret._desk_refusal(
                    self.env._(
                        "%(picking)s is not a delivery of order %(order)s.",
                        picking=ret.picking_id.name,
                        order=ret.order_id.name,
                    ),
                    ValidationError,
                )

    @api.constrains("order_id")
    def _check_order_lines(self):
        """The goods listed stay lines of the request's order when the order changes."""
        self.line_ids._check_sale_line_id()

    @api.constrains("partner_id", "order_id")
    def _check_partner_id(self):
        """The request is the order's customer's (one of the contacts of the same company):
        the customer's portal users read it, and its e-mails go to them."""
        for ret in self:
            customer = ret.order_id.partner_id.commercial_partner_id
            if ret.partner_id.commercial_partner_id != customer:
                raise ret._desk_refusal(
                    self.env._(
                        "%(partner)s is not the customer of order %(order)s "
                        "(%(customer)s).",
                        partner=ret.partner_id.display_name,
                        order=ret.order_id.name,
                        customer=customer.display_name,
                    ),
                    ValidationError,
                )

    @api.onchange("order_id")
    def _onchange_order_id(self):
        if self.picking_id.sale_id != self.order_id:
            self.picking_id = self.order_id.picking_ids.filtered(
                lambda p: p.state == "done" and p._desk_is_customer_delivery()
            ).sorted("date_done", reverse=True)[:1]

    @api.onchange("picking_id")
    def _onchange_picking_id(self):
        """Propose every returnable line of the delivery; the clerk lowers or removes."""
        if not self.picking_id or self.line_ids.filtered("quantity"):
            return
        reason = self.env["order.desk.return.reason"].search(
            [("company_id", "in", (False, self.company_id.id))], limit=1
        )
        commands = [Command.clear()]
        for sale_line, quantity in self._desk_returnable(self.picking_id).items():
            if quantity > 0:
                commands.append(
                    Command.create(
                        {
                            "sale_line_id": sale_line.id,
                            "quantity": quantity,
                            "reason_id": reason.id,
                        }
                    )
                )
        self.line_ids = commands

    def write(self, vals):
        if SUBMITTED_FIXED_FIELDS & set(vals):
            locked = self.filtered(lambda r: r.state not in ("draft",))
            if locked:
                raise UserError(
                    self.env._(
                        "Return %(rma)s is submitted: its order, delivery, customer, "
                        "company and the customer's comment no longer change.",
                        rma=locked[0].name,
                    )
                )
        if not self.env.su:
            self._desk_ensure_open_for(vals)
        return super().write(vals)

    def _desk_ensure_open_for(self, vals):
        """Refuse a change the request's state no longer allows: accepting it outside the
        window is decided before the approval; a done request is history (its chatter
        and activities stay open)."""
        if "window_exception" in vals:
            decided = self.filtered(
                lambda r: (
                    r.state not in ("draft", "to_approve")
                    and r.window_exception != bool(vals["window_exception"])
                )
            )
            if decided:
                raise UserError(
                    self.env._(
                        "Return %(rma)s is past its approval: accepting it outside the "
                        "window no longer changes.",
                        rma=decided[0].name,
                    )
                )
        if set(vals) - DONE_EDITABLE_FIELDS:
            done = self.filtered(lambda r: r.state == "done")
            if done:
                raise UserError(
                    self.env._(
                        "Return %(rma)s is done: it no longer changes.",
                        rma=done[0].name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        submitted = self.filtered(lambda r: r.state not in ("draft", "cancelled"))
        if submitted:
            raise UserError(
                self.env._(
                    "Only draft or cancelled returns can be deleted: %(returns)s.",
                    returns=", ".join(submitted.mapped("name")),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_submit(self):
        """Check the request against the delivery and the return policy and send it for
        approval (clerk, or the portal on the customer's behalf)."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("draft",),
            lambda names: self.env._(
                "Only draft returns can be submitted: %(returns)s.", returns=names
            ),
        )
        self._desk_check_request()
        self._desk_write({"state": "to_approve", "date_request": fields.Datetime.now()})
        self._desk_log(lambda rec: rec.env._("Submitted for approval."))
        return True

    def action_approve(self):
        """Approve the requests (manager): the return receipts are created through Odoo's
        own return of the delivery, so stock, delivered quantities and valuation follow."""
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("to_approve",),
            lambda names: self.env._(
                "Only returns to approve can be approved: %(returns)s.", returns=names
            ),
        )
        self._desk_check_request()
        for ret in self:
            ret._desk_create_return_picking()
        self._desk_write(
            {
                "state": "approved",
                "approved_user_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        self._desk_log(
            lambda rec: rec.env._("Approved by %(user)s.", user=self.env.user.name)
        )
        return True

    def action_reject(self, reason):
        """Refuse the requests with a reason for the customer (manager)."""
        self._desk_ensure_group(MANAGER_GROUP)
        reason = desk_clean_text(
            self.env, reason, self.env._("Give the reason for rejecting the return.")
        )
        self._desk_ensure_state(
            ("to_approve",),
            lambda names: self.env._(
                "Only returns to approve can be rejected: %(returns)s.", returns=names
            ),
        )
        self._desk_write({"state": "rejected", "reject_reason": reason.strip()})
        self._desk_log(
            lambda rec: rec.env._(
                "Rejected by %(user)s. Reason: %(reason)s",
                user=self.env.user.name,
                reason=reason.strip(),
            )
        )
        return True

    @api.readonly
    def action_open_reject_wizard(self):
        self._desk_ensure_group(MANAGER_GROUP)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Returns"),
            "res_model": "order.desk.return.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_return_ids": self.ids},
        }

    def action_cancel(self):
        """Withdraw requests not yet received (clerk); an open return receipt is cancelled."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("draft", "to_approve", "approved"),
            lambda names: self.env._(
                "Only returns not yet received can be cancelled: %(returns)s.",
                returns=names,
            ),
        )
        received = self.return_picking_ids.filtered(lambda p: p.state == "done")
        if received:
            raise UserError(
                self.env._(
                    "Goods already came back on %(pickings)s: the return cannot be "
                    "cancelled.",
                    pickings=", ".join(received.mapped("name")),
                )
            )
        # sudo: the return receipt belongs to the request being withdrawn; desk users need
        # no Inventory rights to withdraw it.
        self.return_picking_ids.filtered(
            lambda p: p.state != "cancel"
        ).sudo().action_cancel()
        self._desk_write({"state": "cancelled"})
        self._desk_log(
            lambda rec: rec.env._("Cancelled by %(user)s.", user=self.env.user.name)
        )
        return True

    def action_draft(self):
        """Bring rejected or cancelled requests back to draft to correct them (clerk)."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("rejected", "cancelled"),
            lambda names: self.env._(
                "Only rejected or cancelled returns go back to draft: %(returns)s.",
                returns=names,
            ),
        )
        self._desk_write({"state": "draft"})
        return True

    def action_create_refund(self):
        """Draft credit notes for the received quantities of the refund lines (clerk).

        The invoiced price comes back (Odoo's reversal of the invoice, partial) for what
        was invoiced beyond what the customer keeps. Goods invoiced on delivered quantities
        and not invoiced yet need no credit note: the next invoice counts what the customer
        keeps. Goods invoiced on ordered quantities and not invoiced yet wait for their
        invoice: the line stays open until then.
        """
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("received",),
            lambda names: self.env._(
                "Refunds are made for received returns: %(returns)s.", returns=names
            ),
        )
        for ret in self:
            lines = ret.line_ids.filtered(
                lambda line: line.outcome == "refund" and line._desk_qty_open() > 0
            )
            if not lines:
                continue
            credits, settled = ret._desk_refund_quantities(lines)
            if credits:
                refunds = ret.order_id._desk_create_refunds(
                    credits, self.env._("Return %(rma)s", rma=ret.name)
                )
                # sudo: the link records what the refund made (a system field).
                ret.sudo().refund_move_ids = [Command.link(move.id) for move in refunds]
                ret._desk_log(
                    lambda rec, refunds=refunds: rec.env._(
                        "Draft credit note prepared: %(moves)s.",
                        moves=", ".join(refunds.mapped("display_name")),
                    )
                )
            waiting = lines.filtered(
                lambda ln, done=settled: (
                    done.get(ln.sale_line_id, 0.0) < ln._desk_qty_open()
                )
            )
            if waiting:
                ret._desk_log(
                    lambda rec, waiting=waiting: rec.env._(
                        "Not invoiced yet: %(products)s are invoiced on the ordered "
                        "quantity; create the refund again once the order is invoiced.",
                        products=", ".join(
                            waiting.product_id.with_env(rec.env).mapped("display_name")
                        ),
                    )
                )
            for line in lines:
                # Spread what is settled for the order line over its return lines.
                available = settled.get(line.sale_line_id, 0.0)
                taken = min(available, line._desk_qty_open())
                settled[line.sale_line_id] = available - taken
                # sudo: the settled quantity is the action's own bookkeeping (a system
                # field of the line, see its _desk_system_fields).
                line.sudo().qty_refunded = line.qty_refunded + taken
        self._desk_check_done()
        return True

    def action_create_exchange(self):
        """New deliveries of the same products for the received exchange lines (clerk),
        through the order's routes (Odoo's procurement)."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("received",),
            lambda names: self.env._(
                "Exchanges are shipped for received returns: %(returns)s.",
                returns=names,
            ),
        )
        requests = []
        todo = self.env["order.desk.return.line"]
        for ret in self:
            for line in ret.line_ids.filtered(
                lambda ln: ln.outcome == "exchange" and ln._desk_qty_open() > 0
            ):
                requests.append(
                    (
                        line.sale_line_id,
                        line._desk_qty_open(),
                        ret.name,
                        {"desk_return_id": ret.id},
                    )
                )
                todo |= line
        if requests:
            self._desk_procure(requests)
            # sudo: the moves were just made for these returns; desk users need no Inventory
            # rights to link them.
            moves = (
                self.env["stock.move"]
                .sudo()
                .search([("desk_return_id", "in", self.ids)])
            )
            for ret in self:
                # sudo: the link records what the exchange made (a system field).
                ret.sudo().exchange_picking_ids = moves.filtered(
                    lambda m, r=ret: m.desk_return_id == r
                ).picking_id
            self.filtered("exchange_picking_ids")._desk_log(
                lambda r: r.env._(
                    "Exchange delivery created: %(pickings)s.",
                    pickings=", ".join(r.exchange_picking_ids.mapped("name")),
                )
            )
        for line in todo:
            # sudo: the exchanged quantity is the action's own bookkeeping (a system
            # field of the line).
            line.sudo().qty_exchanged = line.qty_received
        self._desk_check_done()
        return True

    @api.readonly
    def action_view_return_pickings(self):
        return self._desk_view(self.return_picking_ids, "stock.action_picking_tree_all")

    @api.readonly
    def action_view_exchange_pickings(self):
        return self._desk_view(
            self.exchange_picking_ids, "stock.action_picking_tree_all"
        )

    @api.readonly
    def action_view_refunds(self):
        return self._desk_view(
            self.refund_move_ids, "account.action_move_out_refund_type"
        )

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _desk_check_request(self):
        """Refuse a request that the delivery and the policy do not allow, naming why.

        Each line's product comes from the order and was delivered on the original
        delivery; its quantity is at most what that delivery brought for the order line,
        less what has come back or is on its way back, less what other requests waiting for
        approval ask; tracked products name a lot or serial number delivered there; the
        return window holds unless a manager accepted the exception.
        """
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        self._desk_prefetch_deliveries()
        # What the requests of this batch checked before ask too: submitted or approved
        # together, they must fit together (see ``elsewhere`` below).
        batch = defaultdict(float)
        pending = self.env["order.desk.return.line"].search(
            [
                ("return_id", "not in", self.ids),
                ("return_id.state", "in", PENDING_STATES),
                ("return_id.picking_id", "in", self.picking_id.ids),
            ]
        )
        for ret in self:
            if not ret.picking_id:
                raise ret._desk_refusal(self.env._("Choose the delivery."))
            if not ret.line_ids:
                raise ret._desk_refusal(self.env._("Add the goods to return."))
            picking = ret.picking_id
            if (
                picking.sale_id != ret.order_id
                or picking.state != "done"
                or not picking._desk_is_customer_delivery()
            ):
                raise ret._desk_refusal(
                    self.env._(
                        "%(picking)s is not a delivery of %(order)s that has left.",
                        picking=picking.name,
                        order=ret.order_id.name,
                    )
                )
            if ret.is_outside_window and not ret.window_exception:
                raise ret._desk_refusal(
                    self.env._(
                        "The return window closed on %(deadline)s. A manager can accept "
                        "it outside the window.",
                        deadline=ret.return_deadline,
                    )
                )
            returnable = ret._desk_returnable(picking)
            returnable_lots = ret._desk_returnable_lots(picking)
            asked = defaultdict(float)
            asked_lots = defaultdict(float)
            for line in ret.line_ids:
                line._desk_check_line()
                asked[line.sale_line_id] += line.quantity
                if line.lot_id:
                    asked_lots[line.sale_line_id, line.lot_id] += line.quantity
            others = pending.filtered(
                lambda ln, p=picking: ln.return_id.picking_id == p
            )
            for sale_line, quantity in asked.items():
                if sale_line not in returnable:
                    raise ret._desk_refusal(
                        self.env._(
                            "%(product)s was not delivered on %(picking)s.",
                            product=sale_line.product_id.display_name,
                            picking=picking.name,
                        )
                    )
                elsewhere = batch[picking, sale_line] + sum(
                    others.filtered(
                        lambda ln, s=sale_line: ln.sale_line_id == s
                    ).mapped("quantity")
                )
                available = returnable[sale_line] - elsewhere
                if float_compare(quantity, available, precision_digits=precision) > 0:
                    raise ret._desk_refusal(
                        self._desk_too_much(sale_line, picking, quantity, available)
                    )
            for (sale_line, lot), quantity in asked_lots.items():
                elsewhere = batch[picking, sale_line, lot] + sum(
                    others.filtered(
                        lambda ln, s=sale_line, lt=lot: (
                            ln.sale_line_id == s and ln.lot_id == lt
                        )
                    ).mapped("quantity")
                )
                available = returnable_lots.get((sale_line, lot), 0.0) - elsewhere
                if float_compare(quantity, available, precision_digits=precision) > 0:
                    raise ret._desk_refusal(
                        self.env._(
                            "%(lot)s of %(product)s was not delivered on %(picking)s or "
                            "has already come back.",
                            lot=lot.name,
                            product=sale_line.product_id.display_name,
                            picking=picking.name,
                        )
                    )
            for sale_line, quantity in asked.items():
                batch[picking, sale_line] += quantity
            for (sale_line, lot), quantity in asked_lots.items():
                batch[picking, sale_line, lot] += quantity

    def _desk_refusal(self, problem, error=UserError):
        """The error (of class ``error``) refusing this request for ``problem``
        (translated): named after its RMA number once it has one. A portal request gets its
        number only when it is accepted, so a refused one shows (and uses) none."""
        self.ensure_one()
        if self.name == UNNUMBERED:
            return error(problem)
        return error(
            self.env._("Return %(rma)s: %(problem)s", rma=self.name, problem=problem)
        )

    @api.model
    def _desk_too_much(self, sale_line, picking, asked, available):
        """Why ``asked`` (in the unit of ``sale_line``) cannot come back from ``picking``
        when only ``available`` can: one sentence, its quantities rounded as the unit
        rounds them and named with it (the desk's check and the portal's form)."""
        uom = sale_line.product_uom_id
        product = sale_line.product_id.display_name
        if float_compare(available, 0.0, precision_rounding=uom.rounding) <= 0:
            return self.env._(
                "Nothing more of %(product)s can come back from %(picking)s: what it "
                "delivered has come back or is already asked back.",
                product=product,
                picking=picking.name,
            )
        return self.env._(
            "%(quantity)s of %(product)s asked back, but only %(available)s can still "
            "come back from %(picking)s (delivered, less what came back or is already "
            "asked back).",
            quantity=desk_quantity(self.env, asked, uom),
            product=product,
            available=desk_quantity(self.env, available, uom),
            picking=picking.name,
        )

    @api.model
    def _desk_available(self, picking):
        """``{sale order line: quantity}`` that a new request may still ask back from
        ``picking``: delivered there, less what came back or is on its way back, less what
        requests waiting for approval ask."""
        available = self._desk_returnable(picking)
        pending = self.env["order.desk.return.line"].search(
            [
                ("return_id.state", "in", PENDING_STATES),
                ("return_id.picking_id", "=", picking.id),
            ]
        )
        for line in pending:
            if line.sale_line_id in available:
                available[line.sale_line_id] -= line.quantity
        return {line: max(quantity, 0.0) for line, quantity in available.items()}

    # ------------------------------------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------------------------------------
    def _desk_prefetch_deliveries(self):
        """Read what the checks need of every delivery of ``self`` at once (moves, their
        order lines, what came back, lots) rather than delivery by delivery."""
        moves = self.picking_id.move_ids
        moves.sale_line_id.product_uom_id.mapped("rounding")
        moves.returned_move_ids.move_line_ids.mapped("lot_id")
        moves.move_line_ids.mapped("lot_id")

    def _desk_returnable(self, picking):
        """``{sale order line: quantity in its unit}`` that can still come back from
        ``picking``: delivered there, less the return moves already made (done or open)."""
        result = defaultdict(float)
        for move in picking.move_ids.filtered(
            lambda m: m.state == "done" and m.sale_line_id
        ):
            sale_line = move.sale_line_id
            back = sum(
                m.quantity if m.state == "done" else m.product_uom_qty
                for m in move.returned_move_ids
                if m.state != "cancel"
            )
            result[sale_line] += move.product_uom._compute_quantity(
                move.quantity - back, sale_line.product_uom_id
            )
        return result

    def _desk_returnable_lots(self, picking):
        """``{(sale order line, lot): quantity}`` delivered on ``picking`` by lot, less what
        came back or is on its way back with that lot."""
        result = defaultdict(float)
        for move in picking.move_ids.filtered(
            lambda m: m.state == "done" and m.sale_line_id
        ):
            sale_line = move.sale_line_id
            for move_line in move.move_line_ids.filtered("lot_id"):
                result[sale_line, move_line.lot_id] += (
                    move_line.product_uom_id._compute_quantity(
                        move_line.quantity, sale_line.product_uom_id
                    )
                )
            for returned in move.returned_move_ids.filtered(
                lambda m: m.state != "cancel"
            ):
                for move_line in returned.move_line_ids.filtered("lot_id"):
                    result[sale_line, move_line.lot_id] -= (
                        move_line.product_uom_id._compute_quantity(
                            move_line.quantity, sale_line.product_uom_id
                        )
                    )
        return result

    def _desk_create_return_picking(self):
        """The return receipt of this request, made by Odoo's return of the delivery."""
        self.ensure_one()
        picking = self.picking_id
        wanted = defaultdict(float)
        for line in self.line_ids:
            wanted[line.sale_line_id] += line.quantity
        # sudo: as Odoo's own confirmation runs stock rules as superuser, the receipt follows
        # the manager's approval; desk managers need no Inventory rights for it.
        wizard = (
            self.env["stock.return.picking"]
            .sudo()
            .with_context(
                active_id=picking.id,
                active_ids=picking.ids,
                active_model="stock.picking",
            )
            .create({"picking_id": picking.id})
        )
        for wizard_line in wizard.product_return_moves:
            move = wizard_line.move_id
            sale_line = move.sale_line_id
            if not sale_line or not wanted.get(sale_line):
                continue
            back = sum(
                m.quantity if m.state == "done" else m.product_uom_qty
                for m in move.returned_move_ids
                if m.state != "cancel"
            )
            returnable = move.quantity - back
            asked = sale_line.product_uom_id._compute_quantity(
                wanted[sale_line], move.product_uom
            )
            taken = min(asked, returnable)
            wizard_line.quantity = taken
            wanted[sale_line] -= move.product_uom._compute_quantity(
                taken, sale_line.product_uom_id
            )
        receipt = wizard._create_return()
        receipt.desk_return_id = self
        self._desk_set_receipt_lots(receipt)
        return receipt

    def _desk_set_receipt_lots(self, receipt):
        """Prefill the lots and serial numbers of tracked goods on the return receipt."""
        tracked = self.line_ids.filtered("lot_id")
        if not tracked:
            return
        # sudo: the receipt was made for the manager's approval (see above); its operations
        # are prefilled with the lots the customer named, as the warehouse would.
        MoveLine = self.env["stock.move.line"].sudo()
        vals_list = []
        replaced = MoveLine.browse()
        for move in receipt.move_ids:
            lines = tracked.filtered(lambda ln, m=move: ln.product_id == m.product_id)
            if not lines:
                continue
            replaced |= move.move_line_ids
            for line in lines:
                vals_list.append(
                    {
                        "move_id": move.id,
                        "picking_id": receipt.id,
                        "product_id": line.product_id.id,
                        "lot_id": line.lot_id.id,
                        "quantity": line.sale_line_id.product_uom_id._compute_quantity(
                            line.quantity, move.product_uom
                        ),
                        "product_uom_id": move.product_uom.id,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                    }
                )
        # The operations Odoo prefilled are replaced by those naming the lots, in one go.
        replaced.unlink()
        MoveLine.create(vals_list)

    def _desk_after_receipt(self):
        """Called when a return receipt is validated: count what came back, send damaged
        goods marked for scrap to scrap, and mark the returns received when every receipt
        is done."""
        for ret in self.filtered(lambda r: r.state == "approved"):
            ret._desk_count_received()
            if all(p.state in ("done", "cancel") for p in ret.return_picking_ids):
                ret._desk_scrap()
                ret._desk_write({"state": "received"})
                ret._desk_log(
                    lambda rec: rec.env._("The returned goods were received.")
                )
        self._desk_check_done()

    def _desk_count_received(self):
        """Spread the quantities of the done receipts over the lines, by order line and lot
        (no lot for untracked goods), in line order."""
        self.ensure_one()
        came_back = defaultdict(float)
        for move in self.return_picking_ids.move_ids.filtered(
            lambda m: m.state == "done"
        ):
            sale_line = move.sale_line_id
            for move_line in move.move_line_ids:
                came_back[sale_line, move_line.lot_id] += (
                    move_line.product_uom_id._compute_quantity(
                        move_line.quantity, sale_line.product_uom_id
                    )
                )
        for line in self.line_ids:
            key = (line.sale_line_id, line.lot_id)
            taken = min(line.quantity, came_back[key])
            came_back[key] -= taken
            line.qty_received = taken

    def _desk_scrap(self):
        """Scrap the received goods of the lines marked for scrap (inspection)."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda ln: ln.disposition == "scrap" and ln.qty_received > 0
        )
        if not lines:
            return
        location = self.return_picking_ids.filtered(
            lambda p: p.state == "done"
        ).location_dest_id[:1]
        # sudo: scrapping follows the inspection decided on the return lines, when the
        # warehouse validates the receipt; it needs no further rights of whoever validated.
        Scrap = self.env["stock.scrap"].sudo()
        scraps = Scrap.create(
            [
                {
                    "product_id": line.product_id.id,
                    "product_uom_id": line.product_uom_id.id,
                    "scrap_qty": line.qty_received,
                    "lot_id": line.lot_id.id,
                    "location_id": location.id,
                    "company_id": self.company_id.id,
                    "origin": self.name,
                }
                for line in lines
            ]
        )
        for scrap in scraps:
            scrap.do_scrap()
        self.scrap_ids = [Command.link(scrap.id) for scrap in scraps]
        self._desk_log(
            lambda rec: rec.env._(
                "Damaged goods scrapped: %(scraps)s.",
                scraps=", ".join(scraps.mapped("name")),
            )
        )

    def _desk_refund_quantities(self, lines):
        """For ``lines``: ``({order line: quantity to credit}, {order line: quantity
        settled})``. What was invoiced beyond what the customer keeps is credited, at most
        what came back; goods invoiced on delivered quantities are settled whole (the next
        invoice counts what the customer keeps), goods invoiced on ordered quantities only
        as far as they are credited."""
        credits = {}
        settled = {}
        back_by_line = defaultdict(float)
        for line in lines:
            back_by_line[line.sale_line_id] += line._desk_qty_open()
        for sale_line, back in back_by_line.items():
            by_delivery = sale_line.product_id.invoice_policy == "delivery"
            if by_delivery:
                kept = sale_line.qty_delivered
            else:
                _outgoing, incoming = sale_line._get_outgoing_incoming_moves()
                returned = sum(
                    move.product_uom._compute_quantity(
                        move.quantity, sale_line.product_uom_id
                    )
                    for move in incoming
                    if move.state == "done"
                )
                kept = sale_line.product_uom_qty - returned
            quantity = max(min(back, sale_line.qty_invoiced - kept), 0.0)
            rounding = sale_line.product_uom_id.rounding
            if not float_is_zero(quantity, precision_rounding=rounding):
                credits[sale_line] = quantity
            settled[sale_line] = back if by_delivery else quantity
        return credits, settled

    def _desk_check_done(self):
        done = self.filtered(
            lambda r: (
                r.state == "received"
                and all(line._desk_outcome_done() for line in r.line_ids)
            )
        )
        if done:
            done._desk_write({"state": "done"})

    def _desk_refuse_line_change(self):
        if self:
            raise UserError(
                self.env._(
                    "Return %(rma)s is submitted: its goods and quantities no longer change "
                    "(the outcome until approval, the inspection until receipt). Cancel it "
                    "and set it back to draft to correct it.",
                    rma=self[0].name,
                )
            )

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Return Authorization %(rma)s", rma=self.name)

    def _desk_summary(self):
        """What the request is about, in one sentence of the reader's language and time
        zone (the customer's return page): one translatable string, so that each
        language places its own punctuation."""
        self.ensure_one()
        return self.env._(
            "Order %(order)s, delivery %(delivery)s, requested on %(date)s.",
            order=self.order_id.name,
            delivery=self.picking_id.name or "-",
            date=format_date(self.env, self.date_request) or "-",
        )


class OrderDeskReturnLine(models.Model):
    _name = "order.desk.return.line"
    _description = "Order Desk Return Line"
    _inherit = ["order.desk.field.guard"]
    _order = "return_id, id"
    _check_company_auto = True

    # What came back and what was settled: counted by the receipt and the outcome actions.
    _desk_system_fields = frozenset({"qty_received", "qty_refunded", "qty_exchanged"})

    return_id = fields.Many2one(
        "order.desk.return", required=True, ondelete="cascade", index=True
    )
    # Stored for the analysis by customer, state and month.
    company_id = fields.Many2one(
        related="return_id.company_id", store=True, precompute=True, index=True
    )
    order_id = fields.Many2one(related="return_id.order_id", store=True)
    partner_id = fields.Many2one(
        related="return_id.partner_id", string="Customer", store=True
    )
    state = fields.Selection(related="return_id.state", store=True)
    date_request = fields.Datetime(related="return_id.date_request", store=True)

    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        required=True,
        index=True,
        check_company=True,
        domain="[('order_id', '=', order_id), ('display_type', '=', False)]",
    )
    product_id = fields.Many2one(
        related="sale_line_id.product_id", store=True, index=True
    )
    product_tracking = fields.Selection(related="product_id.tracking")
    product_uom_id = fields.Many2one(related="sale_line_id.product_uom_id")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )
    quantity = fields.Float(digits="Product Unit", default=1.0, required=True)

    @api.depends("return_id.name", "product_id")
    def _compute_display_name(self):
        # The document and the goods (a line is named in chatter, logs and errors).
        for line in self:
            line.display_name = " - ".join(
                name
                for name in (line.return_id.name, line.product_id.display_name)
                if name
            ) or str(line.id or "")

    reason_id = fields.Many2one(
        "order.desk.return.reason",
        required=True,
        ondelete="restrict",
        index=True,
    )
    at_company_fault = fields.Boolean(
        related="reason_id.at_company_fault",
        store=True,
        string="Counts Against Us",
        groups="base.group_user",
    )
    condition = fields.Selection(RETURN_CONDITIONS, required=True, default="sealed")
    outcome = fields.Selection(
        RETURN_OUTCOMES,
        string="Wanted Outcome",
        required=True,
        compute="_compute_outcome",
        store=True,
        readonly=False,
        precompute=True,
    )
    disposition = fields.Selection(
        RETURN_DISPOSITIONS,
        string="After Inspection",
        required=True,
        compute="_compute_disposition",
        store=True,
        readonly=False,
        precompute=True,
        help="Where the received goods go: back to stock, or to scrap (damaged goods).",
        groups="base.group_user",
    )
    qty_received = fields.Float(string="Received", digits="Product Unit", readonly=True)
    qty_refunded = fields.Float(
        string="Refund Settled",
        digits="Product Unit",
        readonly=True,
        help="Received quantity settled: on a draft credit note, or left out of the next "
        "invoice when it was not invoiced yet.",
    )
    qty_exchanged = fields.Float(
        string="Exchanged", digits="Product Unit", readonly=True
    )

    _quantity_positive = models.Constraint(
        "CHECK(quantity >= 0)", "A return line cannot have a negative quantity."
    )

    @api.depends("reason_id")
    def _compute_outcome(self):
        for line in self:
            line.outcome = line.reason_id.default_outcome or line.outcome or "refund"

    @api.depends("condition")
    def _compute_disposition(self):
        for line in self:
            line.disposition = "scrap" if line.condition == "damaged" else "restock"

    @api.model_create_multi
    def create(self, vals_list):
        returns = self.env["order.desk.return"].browse(
            {vals["return_id"] for vals in vals_list if vals.get("return_id")}
        )
        returns.filtered(lambda r: r.state != "draft")._desk_refuse_line_change()
        return super().create(vals_list)

    def write(self, vals):
        # The request's own actions write as the system.
        if not self.env.su:
            for line in self.filtered(lambda ln: ln.return_id.state != "draft"):
                if set(vals) - LINE_FIELDS_OPEN.get(line.return_id.state, set()):
                    line.return_id._desk_refuse_line_change()
        if "return_id" in vals:
            # A line joins a draft request only, as a new line does.
            self.env["order.desk.return"].browse(vals["return_id"]).filtered(
                lambda r: r.state != "draft"
            )._desk_refuse_line_change()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        self.return_id.filtered(lambda r: r.state != "draft")._desk_refuse_line_change()

    @api.constrains("sale_line_id", "return_id")
    def _check_sale_line_id(self):
        for line in self:
            if line.sale_line_id.order_id != line.return_id.order_id:
                raise ValidationError(
                    self.env._(
                        "%(product)s is not a product of order %(order)s.",
                        product=line.sale_line_id.product_id.display_name,
                        order=line.return_id.order_id.name,
                    )
                )

    def _desk_check_line(self):
        self.ensure_one()
        ret = self.return_id
        if self.quantity <= 0:
            raise ret._desk_refusal(
                self.env._(
                    "Give a quantity for %(product)s.",
                    product=self.product_id.display_name,
                )
            )
        if self.product_tracking in ("lot", "serial") and not self.lot_id:
            raise ret._desk_refusal(
                self.env._(
                    "%(product)s is tracked: name the lot or serial number that comes "
                    "back.",
                    product=self.product_id.display_name,
                )
            )
        if self.product_tracking == "serial" and self.quantity != 1:
            raise ret._desk_refusal(
                self.env._(
                    "One line per serial number of %(product)s.",
                    product=self.product_id.display_name,
                )
            )

    def _desk_quantity_text(self):
        """The quantity with its unit, as the unit rounds it (the customer's pages)."""
        self.ensure_one()
        return desk_quantity(self.env, self.quantity, self.product_uom_id)

    def _desk_qty_open(self):
        """Received quantity whose outcome is still to be done."""
        self.ensure_one()
        done = self.qty_refunded if self.outcome == "refund" else self.qty_exchanged
        return max(self.qty_received - done, 0.0)

    def _desk_outcome_done(self):
        self.ensure_one()
        return float_is_zero(
            self._desk_qty_open(),
            precision_rounding=self.product_uom_id.rounding or 0.01,
        )
