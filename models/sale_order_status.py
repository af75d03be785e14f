import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_date, format_datetime

from .order_desk_field_guard import desk_join
from .sale_order import LOCKED_DESK_STATES

# A reference shorter than this matches too much to mean anything.
LOOKUP_MIN_LENGTH = 3
# Two Chinese characters already name a customer (华东) or a person (陈静).
LOOKUP_MIN_LENGTH_HAN = 2
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def lookup_long_enough(text):
    """Whether ``text`` (spaces folded) is long enough to look orders up with."""
    return len(text) >= LOOKUP_MIN_LENGTH or (
        len(text) >= LOOKUP_MIN_LENGTH_HAN and bool(HAN.search(text))
    )


# A phone number is compared on its digits (without the trunk 0), from this many on.
LOOKUP_PHONE_MIN_DIGITS = 6
PHONE_TEXT = re.compile(r"^[\d\s+()./-]+$")

STATUS_LEVELS = [
    ("ok", "Nothing Blocks"),
    ("waiting", "Waiting for the Desk"),
    ("blocked", "Blocked"),
]

# Where carriers report trouble.
TROUBLE_STATUSES = ("failed_attempt", "exception", "returned")


class SaleOrder(models.Model):
    """Where is my order (订单查询): find an order by any reference the customer quotes, and
    tell where it stands, what blocks it and when it comes, for the desk and the customer.

    Kept apart from ``sale_order.py`` (the desk's workflow): nothing here writes.
    """

    _inherit = "sale.order"

    desk_reference = fields.Char(
        string="Any Reference",
        compute="_compute_desk_reference",
        search="_search_desk_reference",
        help="Order number, customer reference (PO), delivery, tracking number, invoice or "
        "RMA number, or the customer's phone, e-mail or name.",
        groups="base.group_user",
    )
    desk_status_level = fields.Selection(
        STATUS_LEVELS,
        string="Status Level",
        compute="_compute_desk_status",
        groups="base.group_user",
    )
    desk_status_blocker = fields.Char(
        string="What Blocks the Order",
        compute="_compute_desk_status",
        groups="base.group_user",
    )
    desk_status_next = fields.Char(
        string="Next Expected", compute="_compute_desk_status", groups="base.group_user"
    )
    # Rendered by QWeb, which escapes every value it prints: nothing to sanitize.
    desk_status_timeline = fields.Html(
        string="Timeline",
        compute="_compute_desk_status",
        sanitize=False,
        groups="base.group_user",
    )
    desk_status_customer_text = fields.Text(
        string="Copy for the Customer",
        compute="_compute_desk_status_customer_text",
        help="A short status in the customer's language, to paste into a reply.",
        groups="base.group_user",
    )
    desk_status_customer_lang = fields.Char(
        string="Customer's Language",
        compute="_compute_desk_status_customer_text",
        help="The language of the customer (their contact's Language), in which the "
        "copy is written.",
        groups="base.group_user",
    )

    def _compute_desk_reference(self):
        self.desk_reference = False

    def _search_desk_reference(self, operator, value):
        # The search runs before Odoo's own check of the field's groups (it is turned
        # into other conditions first): the lookup is the desk's, not the customers'.
        self._check_field_access(self._fields["desk_reference"], "read")
        if operator not in ("ilike", "=", "=ilike") or not isinstance(value, str):
            raise UserError(
                self.env._(
                    "Orders are looked up by a reference they contain: type the "
                    "reference (order, PO, delivery, tracking, invoice or RMA number, "
                    "phone, e-mail or name)."
                )
            )
        return self._desk_lookup_domain(value)

    @api.depends_context("lang", "tz", "uid")
    def _compute_desk_status(self):
        for order in self:
            data = order._desk_status_data()
            order.desk_status_level = data["level"]
            order.desk_status_blocker = data["blocker"]
            order.desk_status_next = data["next"]
            order.desk_status_timeline = self.env["ir.qweb"]._render(
                "order_desk.order_status_timeline", {"status": data}
            )

    @api.depends_context("uid", "lang")
    def _compute_desk_status_customer_text(self):
        Lang = self.env["res.lang"]
        for order in self:
            order.desk_status_customer_text = order._desk_customer_status_text()
            lang = Lang._lang_get(order._desk_customer_lang())
            order.desk_status_customer_lang = lang.name if lang else False

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    @api.model
    @api.readonly
    def action_desk_lookup(self, query):
        """Where is my order: the status page of the one order that ``query`` names, the
        list of the orders it matches, or a notice that none does (Overview search box).

        ``query`` is any reference the customer may quote (see ``desk_reference``). Only
        orders the user may read are found; nothing is written.
        """
        # The desk's lookup, as its search field: internal users only (a portal customer
        # reads their orders on the portal).
        self._check_field_access(self._fields["desk_reference"], "read")
        text = " ".join(query.split()) if isinstance(query, str) else ""
        if "\x00" in text:
            raise UserError(self.env._("The text holds a NUL character: remove it."))
        if not lookup_long_enough(text):
            raise UserError(
                self.env._(
                    "Type at least %(count)s characters (%(han)s Chinese characters) of a "
                    "reference: order, PO, delivery, tracking, invoice or RMA number, "
                    "phone, e-mail or name.",
                    count=LOOKUP_MIN_LENGTH,
                    han=LOOKUP_MIN_LENGTH_HAN,
                )
            )
        orders = self.search(self._desk_lookup_domain(text), limit=2)
        if not orders:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "message": self.env._(
                        "No order matches “%(reference)s”.", reference=text
                    ),
                },
            }
        if len(orders) == 1:
            return orders.action_desk_order_status()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.sale_order_action_lookup"
        )
        action["context"] = {"search_default_desk_reference": text}
        return action

    @api.readonly
    def action_desk_order_status(self):
        """The order's status page: timeline, what blocks it, the next date and the text
        for the customer (order form button, lookup)."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Where Is My Order"),
            "res_model": "sale.order",
            "res_id": self.id,
            "views": [
                (self.env.ref("order_desk.sale_order_view_form_status").id, "form")
            ],
            "target": "current",
        }

    @api.readonly
    def action_desk_open_order(self):
        """From the status page to the order itself, in the desk's order form."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.sale_order_action"
        )
        action.update(
            {
                "res_id": self.id,
                "view_mode": "form",
                "views": [view for view in action.get("views", []) if view[1] == "form"]
                or [(False, "form")],
            }
        )
        action.pop("path", None)
        return action

    # ------------------------------------------------------------------------------------------
    # Lookup
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_lookup_domain(self, text):
        """The orders ``text`` names by any reference, as one domain (one query).

        References of documents the user may not read (invoices without Accounting rights,
        say) are left out rather than refused; record rules apply to each of them.
        """
        text = " ".join(text.split())
        if not lookup_long_enough(text) or "\x00" in text:
            # (PostgreSQL keeps no NUL character: no reference holds one.)
            return Domain.FALSE
        env = self.env
        conditions = [
            Domain("name", "ilike", text),
            Domain("client_order_ref", "ilike", text),
        ]
        if env["stock.picking"].has_access("read"):
            conditions.append(Domain("picking_ids", "any", [("name", "ilike", text)]))
            if env["order.desk.tracking.number"].has_access("read"):
                conditions.append(
                    Domain(
                        "picking_ids",
                        "any",
                        [
                            (
                                "desk_tracking_number_ids",
                                "any",
                                [("name", "ilike", text)],
                            )
                        ],
                    )
                )
        if env["account.move"].has_access("read") and env[
            "account.move.line"
        ].has_access("read"):
            conditions.append(
                Domain(
                    "order_line",
                    "any",
                    [
                        (
                            "invoice_lines",
                            "any",
                            [
                                (
                                    "move_id",
                                    "any",
                                    [
                                        (
                                            "move_type",
                                            "in",
                                            ("out_invoice", "out_refund"),
                                        ),
                                        ("name", "ilike", text),
                                    ],
                                )
                            ],
                        )
                    ],
                )
            )
        if env["order.desk.return"].has_access("read"):
            conditions.append(
                Domain("desk_return_ids", "any", [("name", "ilike", text)])
            )
        customer = Domain("complete_name", "ilike", text) | Domain(
            "email", "ilike", text
        )
        digits = re.sub(r"\D", "", text).lstrip("0")
        if PHONE_TEXT.match(text) and len(digits) >= LOOKUP_PHONE_MIN_DIGITS:
            customer |= Domain(
                "id",
                "in",
                SQL(
                    "SELECT id FROM res_partner "
                    "WHERE regexp_replace(phone, '[^0-9]', '', 'g') LIKE %s",
                    f"%{digits}%",
                ),
            )
        # The customer, its company, or any contact of that company (the buyer who calls
        # names themselves, not their company).
        company = customer | Domain("child_ids", "any", customer)
        conditions.append(
            Domain(
                "partner_id",
                "any",
                customer | Domain("commercial_partner_id", "any", company),
            )
        )
        return Domain.OR(conditions)

    # ------------------------------------------------------------------------------------------
    # Status
    # ------------------------------------------------------------------------------------------
    def _desk_payment_status(self):
        """How far the order's invoices are paid, the one place the status reads it.

        ``{"state": "none" | "unpaid" | "partial" | "paid", "paid", "due", "due_date"}``;
        paid is money received (``desk_amount_paid``: invoices reconciled with payments or
        bank lines), never credit notes.
        """
        self.ensure_one()
        currency = self.currency_id
        invoiced = self.desk_amount_invoiced
        paid = self.desk_amount_paid
        due = max(invoiced - paid, 0.0)
        if currency.compare_amounts(invoiced, 0.0) <= 0:
            state = "none"
        elif currency.is_zero(due):
            state = "paid"
        elif currency.compare_amounts(paid, 0.0) > 0:
            state = "partial"
        else:
            state = "unpaid"
        open_invoices = self.invoice_ids.filtered(
            lambda m: (
                m.state == "posted"
                and m.move_type == "out_invoice"
                and m.payment_state not in ("paid", "in_payment", "reversed")
            )
        )
        due_dates = [d for d in open_invoices.mapped("invoice_date_due") if d]
        return {
            "state": state,
            "paid": paid,
            "due": due,
            "due_date": min(due_dates) if due_dates and state != "paid" else False,
        }

    def _desk_status_data(self, for_customer=False):
        """Where the order stands, in the language and time zone of the context.

        Returns ``{"level", "blocker", "next", "steps", "incidents", "returns"}``; each step
        is ``{"key", "label", "state" (done/current/blocked/todo), "date", "details"}``.
        With ``for_customer`` the internal steps and details (checks, who did what) are
        left out: it is what the customer reads on the portal. Reads only.
        """
        self.ensure_one()
        self.check_access("read")
        # sudo: the caller may read the order; its status is built from its own deliveries,
        # invoices, incidents and returns, which a clerk without Accounting rights or an
        # accountant without Inventory rights could not read one by one. Nothing else is
        # read and nothing is written.
        order = self.sudo()
        facts = order._desk_status_facts()
        steps = order._desk_status_steps(facts, for_customer)
        current = next((s for s in steps if s["state"] != "done"), None)
        state_labels = {
            "done": self.env._("Step done"),
            "current": self.env._("Step in progress"),
            "blocked": self.env._("Step blocked"),
            "todo": self.env._("Step to come"),
        }
        for step in steps:
            if step["state"] == "pending":
                step["state"] = "current" if step is current else "todo"
            step["state_label"] = state_labels[step["state"]]
        level, blocker = order._desk_status_blocker(facts)
        return {
            "level": level,
            "blocker": blocker,
            "next": order._desk_status_next(facts),
            "steps": steps,
            "incidents": [
                {
                    "name": incident.name,
                    "label": facts["labels"]["incident_type"][incident.incident_type],
                    "state": facts["labels"]["incident_state"][incident.state],
                    "date": self._desk_fmt_date(incident.create_date),
                }
                for incident in facts["incidents"]
            ],
            "returns": [
                {
                    "name": request.name,
                    "label": self.env._(
                        "%(quantity)s item(s)",
                        quantity=self._desk_fmt_qty(
                            sum(request.line_ids.mapped("quantity"))
                        ),
                    ),
                    "state": facts["labels"]["return_state"][request.state],
                    "date": self._desk_fmt_date(request.date_request),
                }
                for request in facts["returns"]
            ],
        }

    def _desk_status_facts(self):
        """What the steps, the blocker and the customer text are made of (one order)."""
        self.ensure_one()
        env = self.env

        def labels(model, field):
            return dict(env[model]._fields[field]._description_selection(env))

        deliveries = self.picking_ids.filtered(
            lambda p: p.state != "cancel" and p._desk_is_customer_delivery()
        )
        left = deliveries.filtered(lambda p: p.state == "done").sorted("date_done")
        confirmed = self.state == "sale"
        shipping = self.desk_shipping_state
        not_gone = shipping not in ("shipped", "delivered")
        short_lines = self.env["sale.order.line"]
        if confirmed and not_gone and self.desk_state != "cancel":
            short_lines = self.order_line.filtered(
                lambda line: not line.display_type and line.desk_qty_shortage > 0
            )
        open_exceptions = self.desk_exception_ids.filtered(lambda e: e.state == "open")
        # Deliveries still to leave that only replace goods (an exchange of returned goods,
        # a reshipment after an incident): the order itself was shipped in full.
        to_leave = self.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel") and p._desk_is_outbound()
        )
        replacing = to_leave.filtered(
            lambda p: (
                p.move_ids
                and all(m.desk_return_id or m.desk_incident_id for m in p.move_ids)
            )
        )
        return {
            "labels": {
                "channel": labels("sale.order", "desk_channel"),
                "desk_state": labels("sale.order", "desk_state"),
                "tracking": labels("stock.picking", "desk_tracking_status"),
                "incident_type": labels("order.desk.incident", "incident_type"),
                "incident_state": labels("order.desk.incident", "state"),
                "return_state": labels("order.desk.return", "state"),
            },
            "confirmed": confirmed,
            "shipping": shipping,
            # Goods of the order itself still to ship (not only replacements).
            "rest_to_ship": shipping == "partial" and bool(to_leave - replacing),
            "replacing": replacing,
            "left": left,
            "on_the_way": left.filtered(
                lambda p: not p.desk_delivered_date and not p.desk_superseded
            ),
            "short_lines": short_lines,
            "blocking": open_exceptions.filtered(lambda e: e.severity == "blocking"),
            "warnings": open_exceptions.filtered(lambda e: e.severity == "warning"),
            "prepayment_due": (
                confirmed
                and not_gone
                and self.desk_settlement_method == "prepayment"
                and not self.desk_prepaid
                and not self.desk_prepayment_released
            ),
            "incidents": self.desk_incident_ids.filtered(
                lambda i: i.state in ("open", "in_progress")
            ),
            "returns": self.desk_return_ids.filtered(
                lambda r: r.state != "cancelled"
            ).sorted("date_request"),
            "invoices": self.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
            ).sorted(lambda m: (m.invoice_date or m.date, m.id)),
            "payment": self._desk_payment_status(),
        }

    def _desk_status_steps(self, facts, for_customer):
        env = self.env
        state = self.desk_state
        shipping = facts["shipping"]
        steps = []

        def step(key, label, done, date="", details=(), blocked=False):
            steps.append(
                {
                    "key": key,
                    "label": label,
                    "state": "done" if done else ("blocked" if blocked else "pending"),
                    "date": date or "",
                    "details": [d for d in details if d],
                }
            )

        step(
            "received",
            env._("Order Received"),
            True,
            self._desk_fmt_date(self.date_order),
            [
                env._(
                    "Channel: %(channel)s",
                    channel=facts["labels"]["channel"].get(self.desk_channel, ""),
                ),
                self.client_order_ref
                and not for_customer
                and env._("Customer reference: %(ref)s", ref=self.client_order_ref),
            ],
        )
        if state == "cancel":
            step("cancelled", env._("Order Cancelled"), False, blocked=True)
            return steps
        past_review = state not in ("draft", "to_review")
        if not for_customer:
            blocking, warnings = facts["blocking"], facts["warnings"]
            details = []
            if blocking:
                details.append(
                    env._("%(count)s blocking exception(s):", count=len(blocking))
                )
                details += blocking[:3].mapped("message")
            if warnings:
                details.append(env._("%(count)s warning(s):", count=len(warnings)))
                details += warnings[:3].mapped("message")
            if not (blocking or warnings or self.desk_checked_date or past_review):
                details.append(env._("Not checked yet"))
            step(
                "checks",
                env._("Checks"),
                past_review or (bool(self.desk_checked_date) and not blocking),
                self._desk_fmt_datetime(self.desk_checked_date),
                details,
                blocked=bool(blocking),
            )
            step(
                "submitted",
                env._("Submitted for Review"),
                state != "draft",
                self._desk_fmt_datetime(self.desk_submitted_date),
                [
                    self.desk_submitted_user_id
                    and env._("By %(user)s", user=self.desk_submitted_user_id.name)
                ],
            )
        approved_details = []
        if not for_customer and self.desk_approved_user_id:
            approved_details.append(
                env._("By %(user)s", user=self.desk_approved_user_id.name)
            )
        if state == "approved" and facts["confirmed"]:
            approved_details.append(env._("Unlocked for a change"))
        elif self.desk_locked_date and state in LOCKED_DESK_STATES and not for_customer:
            approved_details.append(
                env._(
                    "Locked on %(date)s",
                    date=self._desk_fmt_date(self.desk_locked_date),
                )
            )
        step(
            "approved",
            env._("Order Confirmed") if for_customer else env._("Approved and Locked"),
            past_review and facts["confirmed"],
            self._desk_fmt_date(self.desk_approved_date),
            approved_details,
        )
        gone = shipping in ("ready", "partial", "shipped", "delivered")
        reserved_details = [
            self._desk_fmt_shortage(line) for line in facts["short_lines"]
        ]
        if self.desk_reservation_released and not gone:
            reserved_details.insert(0, env._("The reservation was released"))
        reservation = self.desk_reservation_status if facts["confirmed"] else "none"
        step(
            "reserved",
            env._("Stock Reservation"),
            facts["confirmed"]
            and (
                gone
                or (reservation in ("reserved", "none") and not facts["short_lines"])
            ),
            "",
            reserved_details,
            blocked=facts["confirmed"]
            and (bool(facts["short_lines"]) or self.desk_reservation_released),
        )
        step("picked", env._("Picking and Packing"), gone)
        shipped_details = []
        if facts["rest_to_ship"]:
            shipped_details.append(
                env._(
                    "Partially shipped: %(percent)s%%",
                    percent=round(self.desk_shipped_percent),
                )
            )
        if facts["prepayment_due"]:
            shipped_details.append(
                env._(
                    "Waiting for the prepayment: %(amount)s due",
                    amount=self.currency_id.format(
                        max(self.amount_total - facts["payment"]["paid"], 0.0)
                    ),
                )
            )
        for picking in facts["left"]:
            shipped_details += self._desk_fmt_delivery(picking, facts, for_customer)
        shipped_details += self._desk_fmt_replacements(facts)
        trouble = facts["on_the_way"].filtered(
            lambda p: p.desk_tracking_status in TROUBLE_STATUSES
        )
        step(
            "shipped",
            env._("Goods Shipped"),
            shipping in ("shipped", "delivered")
            or (shipping == "partial" and not facts["rest_to_ship"]),
            self._desk_fmt_date(facts["left"][:1].date_done),
            shipped_details,
            blocked=facts["prepayment_due"] or bool(trouble),
        )
        delivered_dates = [d for d in facts["left"].mapped("desk_delivered_date") if d]
        step(
            "delivered",
            env._("Goods Delivered"),
            shipping == "delivered",
            self._desk_fmt_date(max(delivered_dates)) if delivered_dates else "",
        )
        invoices = facts["invoices"]
        step(
            "invoiced",
            env._("Invoiced"),
            bool(invoices) and self.invoice_status != "to invoice",
            self._desk_fmt_date(invoices[:1].invoice_date),
            [
                env._(
                    "%(invoice)s: %(amount)s",
                    invoice=invoice.name,
                    amount=invoice.currency_id.format(invoice.amount_total),
                )
                for invoice in invoices
            ],
        )
        payment = facts["payment"]
        paid_details = []
        if payment["state"] in ("partial", "unpaid"):
            paid_details.append(
                env._(
                    "%(due)s due by %(date)s",
                    due=self.currency_id.format(payment["due"]),
                    date=self._desk_fmt_date(payment["due_date"]) or "-",
                )
            )
        step("paid", env._("Paid"), payment["state"] == "paid", "", paid_details)
        return steps

    def _desk_status_blocker(self, facts):
        """``(level, text)``: what holds the order now, the most upstream first."""
        env = self.env
        state = self.desk_state
        blocking = facts["blocking"]
        if state == "cancel":
            return "blocked", env._("The order is cancelled.")
        if state == "draft":
            if blocking:
                return "blocked", env._(
                    "Draft with %(count)s blocking exception(s): %(message)s",
                    count=len(blocking),
                    message=blocking[0].message,
                )
            return "waiting", env._("Draft: not submitted for review yet.")
        if state == "to_review":
            if blocking:
                return "blocked", env._(
                    "Waiting for review, with %(count)s blocking exception(s) to fix or "
                    "override: %(message)s",
                    count=len(blocking),
                    message=blocking[0].message,
                )
            return "waiting", env._(
                "Waiting for the desk manager's review since %(date)s.",
                date=self._desk_fmt_date(self.desk_submitted_date) or "-",
            )
        if state == "approved" and facts["shipping"] not in ("shipped", "delivered"):
            return "waiting", env._(
                "Unlocked for a change: a desk manager locks it again to reserve the stock."
            )
        if facts["prepayment_due"]:
            return "blocked", env._(
                "Waiting for the prepayment: %(amount)s due.",
                amount=self.currency_id.format(
                    max(self.amount_total - facts["payment"]["paid"], 0.0)
                ),
            )
        if self.desk_reservation_released and state == "locked":
            return "blocked", env._(
                "The reservation was released: reserve the stock again."
            )
        if facts["short_lines"]:
            text = self._desk_fmt_shortage(facts["short_lines"][0])
            if len(facts["short_lines"]) > 1:
                text = env._(
                    "Short: %(first)s, and %(count)s more line(s).",
                    first=text,
                    count=len(facts["short_lines"]) - 1,
                )
            else:
                text = env._("Short: %(first)s.", first=text)
            return "blocked", text
        if facts["incidents"]:
            incident = facts["incidents"][0]
            return "blocked", env._(
                "Incident %(name)s is open: %(type)s.",
                name=incident.name,
                type=facts["labels"]["incident_type"][incident.incident_type],
            )
        trouble = facts["on_the_way"].filtered(
            lambda p: p.desk_tracking_status in TROUBLE_STATUSES
        )
        if trouble:
            return "blocked", env._(
                "The carrier reports %(status)s for %(delivery)s.",
                status=facts["labels"]["tracking"][trouble[0].desk_tracking_status],
                delivery=trouble[0].name,
            )
        late = facts["on_the_way"].filtered(
            lambda p: (
                p.desk_expected_date and p.desk_expected_date < fields.Datetime.now()
            )
        )
        if late:
            return "blocked", env._(
                "Late: %(delivery)s was expected on %(date)s.",
                delivery=late[0].name,
                date=self._desk_fmt_date(late[0].desk_expected_date),
            )
        return "ok", env._(
            "Nothing blocks the order (%(state)s).",
            state=facts["labels"]["desk_state"].get(state, ""),
        )

    def _desk_status_next(self, facts):
        """The next date the customer can expect, with what it is."""
        env = self.env
        shipping = facts["shipping"]
        if self.desk_state == "cancel":
            return ""
        if shipping not in ("partial", "shipped", "delivered"):
            receipts = [
                d for d in facts["short_lines"].mapped("desk_incoming_date") if d
            ]
            if receipts:
                return env._(
                    "Next receipt of the missing goods: %(date)s",
                    date=self._desk_fmt_day(max(receipts)),
                )
            if self.commitment_date:
                return env._(
                    "Promised delivery: %(date)s",
                    date=self._desk_fmt_day(self.commitment_date),
                )
            return ""
        expected = [d for d in facts["on_the_way"].mapped("desk_expected_date") if d]
        if expected and shipping != "delivered":
            return env._(
                "Expected delivery: %(date)s", date=self._desk_fmt_day(min(expected))
            )
        payment = facts["payment"]
        if payment["due_date"]:
            return env._(
                "Payment due: %(date)s", date=self._desk_fmt_day(payment["due_date"])
            )
        return ""

    def _desk_customer_status_text(self):
        """The status in a few sentences in the customer's language (zh_CN, zh_TW, en…),
        for the clerk to paste into a reply."""
        self.ensure_one()
        order = self.with_context(
            lang=self._desk_customer_lang(),
            tz=self.partner_id._desk_tz(self.company_id),
        )
        return order._desk_customer_lines()

    def _desk_customer_lang(self):
        """The customer's language when it is installed, else the reader's."""
        langs = {code for code, _name in self.env["res.lang"].get_installed()}
        lang = self.partner_id.lang
        return lang if lang in langs else self.env.lang or "en_US"

    def _desk_customer_lines(self):
        env = self.env
        self.check_access("read")
        order = self.sudo()  # see _desk_status_data
        facts = order._desk_status_facts()
        state = order.desk_state
        shipping = facts["shipping"]
        if order.client_order_ref:
            lines = [
                env._(
                    "Order %(order)s (your reference %(ref)s):",
                    order=order.name,
                    ref=order.client_order_ref,
                )
            ]
        else:
            lines = [env._("Order %(order)s:", order=order.name)]
        if state == "cancel":
            lines.append(env._("This order is cancelled."))
            return "\n".join(lines)
        if state in ("draft", "to_review"):
            lines.append(
                env._(
                    "We received it on %(date)s and are checking it.",
                    date=order._desk_fmt_date(order.date_order),
                )
            )
        elif shipping in ("none", "waiting"):
            lines.append(env._("It is confirmed and we are preparing the goods."))
        elif shipping == "ready":
            lines.append(env._("The goods are packed and ready to leave."))
        if facts["short_lines"]:
            lines.append(
                env._(
                    "Not in stock yet: %(goods)s.",
                    goods=desk_join(
                        env,
                        (
                            order._desk_fmt_shortage(line, for_customer=True)
                            for line in facts["short_lines"]
                        ),
                        parts=True,
                    ),
                )
            )
        if facts["prepayment_due"]:
            lines.append(
                env._(
                    "We ship as soon as we receive your payment of %(amount)s.",
                    amount=order.currency_id.format(
                        max(order.amount_total - facts["payment"]["paid"], 0.0)
                    ),
                )
            )
        for picking in facts["left"]:
            lines += order._desk_fmt_delivery(picking, facts, for_customer=True)
        if facts["rest_to_ship"]:
            lines.append(env._("The rest of the order follows."))
        lines += order._desk_fmt_replacements(facts)
        # The shortage line says when the goods come; a delivered order has no next date.
        next_date = order._desk_status_next(facts)
        if (
            next_date
            and state not in ("draft", "to_review")
            and not facts["short_lines"]
            and shipping != "delivered"
        ):
            # A sentence of its own: the full stop is the language's.
            lines.append(env._("%(sentence)s.", sentence=next_date))
        if facts["incidents"]:
            issues = desk_join(
                env,
                (
                    f"{facts['labels']['incident_type'][incident.incident_type]} "
                    f"{incident.name}"
                    for incident in facts["incidents"]
                ),
                parts=True,
            )
            lines.append(
                env._(
                    "We are handling a problem with this order (%(issues)s) and will "
                    "come back to you.",
                    issues=issues,
                )
            )
        payment = facts["payment"]
        invoices = ", ".join(facts["invoices"].mapped("name"))
        if payment["state"] == "paid":
            lines.append(
                env._("Invoice %(invoices)s is paid. Thank you.", invoices=invoices)
            )
        elif payment["state"] in ("partial", "unpaid"):
            lines.append(
                env._(
                    "Invoice %(invoices)s: %(due)s due by %(date)s.",
                    invoices=invoices,
                    due=order.currency_id.format(payment["due"]),
                    date=order._desk_fmt_date(payment["due_date"]) or "-",
                )
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------------
    # Formatting (in the context's language and time zone)
    # ------------------------------------------------------------------------------------------
    def _desk_fmt_date(self, value):
        return format_date(self.env, value) if value else ""

    def _desk_fmt_datetime(self, value):
        if not value:
            return ""
        return format_datetime(
            self.env, value, tz=self.env.context.get("tz") or False, dt_format="short"
        )

    def _desk_fmt_day(self, value):
        """A date with its weekday: what a customer plans with."""
        if not value:
            return ""
        return self.env._(
            "%(date)s (%(weekday)s)",
            date=format_date(self.env, value),
            weekday=format_date(self.env, value, date_format="EEE"),
        )

    def _desk_fmt_qty(self, quantity):
        return f"{quantity:g}"

    def _desk_fmt_shortage(self, line, for_customer=False):
        quantity = self._desk_fmt_qty(line.desk_qty_shortage)
        unit = line.product_id.uom_id.name
        if for_customer:
            product = line.product_id.with_context(display_default_code=False)
            if line.desk_incoming_date:
                return self.env._(
                    "%(product)s (%(quantity)s %(unit)s), expected in stock on %(date)s",
                    product=product.display_name,
                    quantity=quantity,
                    unit=unit,
                    date=self._desk_fmt_day(line.desk_incoming_date),
                )
            return self.env._(
                "%(product)s (%(quantity)s %(unit)s), date not known yet",
                product=product.display_name,
                quantity=quantity,
                unit=unit,
            )
        product = line.product_id.display_name
        if line.desk_incoming_date:
            return self.env._(
                "%(product)s, %(quantity)s %(unit)s missing, next receipt %(date)s",
                product=product,
                quantity=quantity,
                unit=unit,
                date=self._desk_fmt_day(line.desk_incoming_date),
            )
        return self.env._(
            "%(product)s, %(quantity)s %(unit)s missing, no receipt planned yet",
            product=product,
            quantity=quantity,
            unit=unit,
        )

    def _desk_fmt_replacements(self, facts):
        """Lines saying that replacements (exchanges, reshipments) are being prepared."""
        return [
            self.env._(
                "%(delivery)s is being prepared: %(replacement)s",
                delivery=picking.name,
                replacement=picking._desk_replacement_text(),
            )
            for picking in facts["replacing"]
        ]

    def _desk_fmt_delivery(self, picking, facts, for_customer):
        """Lines saying how a delivery that left travels."""
        env = self.env
        numbers = ", ".join(picking.desk_tracking_number_ids.mapped("name"))
        values = {
            "delivery": picking.name,
            "date": self._desk_fmt_date(picking.date_done),
            "carrier": picking.carrier_id.name,
            "numbers": numbers,
        }
        if picking.carrier_id and numbers:
            line = env._(
                "%(delivery)s left on %(date)s with %(carrier)s, tracking number "
                "%(numbers)s.",
                **values,
            )
        elif picking.carrier_id:
            line = env._("%(delivery)s left on %(date)s with %(carrier)s.", **values)
        elif numbers:
            line = env._(
                "%(delivery)s left on %(date)s, tracking number %(numbers)s.", **values
            )
        else:
            line = env._("%(delivery)s left on %(date)s.", **values)
        lines = [line]
        replaces = picking._desk_replacement_text()
        if replaces:
            lines.append(replaces)
        if picking.desk_delivered_date:
            lines.append(
                env._(
                    "Delivered on %(date)s.",
                    date=self._desk_fmt_date(picking.desk_delivered_date),
                )
            )
        elif picking.desk_superseded:
            lines.append(env._("Replaced by a new delivery."))
        elif picking.desk_tracking_status:
            where = picking.desk_last_event_location
            status = facts["labels"]["tracking"][picking.desk_tracking_status]
            when = self._desk_fmt_datetime(picking.desk_last_event_date)
            if where:
                lines.append(
                    env._(
                        "Latest carrier news: %(status)s, %(location)s (%(time)s).",
                        status=status,
                        location=where,
                        time=when,
                    )
                )
            else:
                lines.append(
                    env._(
                        "Latest carrier news: %(status)s (%(time)s).",
                        status=status,
                        time=when,
                    )
                )
        if not for_customer and not picking.desk_delivered_date:
            expected = picking.desk_expected_date
            if expected:
                lines.append(
                    env._(
                        "Expected delivery: %(date)s.",
                        date=self._desk_fmt_day(expected),
                    )
                )
        return lines
