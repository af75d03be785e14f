import re
from datetime import date, datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from .order_desk_field_guard import INT_LIMIT, desk_join, desk_printable
from .order_desk_tracking_event import (
    FUTURE_TOLERANCE,
    MAX_OFFSET_MINUTES,
    MIN_EVENT_DATE,
    TRACKING_STATUSES,
    TROUBLE_STATUSES,
)

USER_GROUP = "order_desk.group_order_desk_user"

# Several tracking numbers in Odoo's single field: separated by commas, semicolons or blanks.
TRACKING_REF_SEPARATORS = re.compile(r"[\s,;]+")

# "2026-11-20 08:30", "2026/11/20T08:30:15.123+08:00", "2026-11-20 8:30Z", "2026-11-20".
EVENT_DATE_PATTERN = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)

# Events brought by each path: the RPC method takes the caller's (a clerk's script),
# the import wizard and the webhook set their own.
RPC_SOURCES = ("manual", "import")

# Years an event may fall in: before, a mistake; the upper bound is checked against now.
# (The year of the text itself, before any time zone arithmetic, which cannot reach the
# years 1 or 9999; the converted time is checked against MIN_EVENT_DATE.)
MIN_EVENT_YEAR = MIN_EVENT_DATE.year


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "order.desk.field.guard"]

    # Only the desk's own actions and events write these (as the system): a form or an RPC
    # call cannot mark a delivery delivered or replaced (see order.desk.field.guard).
    _desk_system_fields = frozenset(
        {
            "desk_delivered_date",
            "desk_superseded",
            "desk_shipped_notified",
            "desk_delay_notified",
            "desk_return_id",
        }
    )

    # Tracking
    desk_tracking_number_ids = fields.One2many(
        "order.desk.tracking.number",
        "picking_id",
        string="Tracking Numbers",
        readonly=True,
        groups="base.group_user",
    )
    desk_tracking_event_ids = fields.One2many(
        "order.desk.tracking.event",
        "picking_id",
        string="Tracking Events",
        groups="base.group_user",
    )
    desk_tracking_status = fields.Selection(
        TRACKING_STATUSES,
        string="Tracking Status",
        compute="_compute_desk_tracking",
        store=True,
        index=True,
        help="The latest status the carrier (or the clerk) reported.",
    )
    desk_last_event_date = fields.Datetime(
        string="Last Tracking Event", compute="_compute_desk_tracking", store=True
    )
    desk_tracking_event_count = fields.Integer(
        string="Tracking Events Count", compute="_compute_desk_tracking", store=True
    )
    desk_last_event_location = fields.Char(
        string="Last Known Location", compute="_compute_desk_tracking", store=True
    )
    desk_expected_date = fields.Datetime(
        string="Expected Delivery",
        compute="_compute_desk_expected_date",
        store=True,
        readonly=False,
        copy=False,
        help="When the customer should have the goods: the delivery date promised on the "
        "order, otherwise the shipping date plus the company's transit days (always so for "
        "a reshipment). Set the carrier's estimate here when it differs.",
    )
    desk_delivered_date = fields.Datetime(
        string="Delivered On",
        compute="_compute_desk_delivered_date",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        help="Set by a 'Delivered' tracking event or by confirming the delivery by hand.",
    )
    desk_prepared = fields.Boolean(
        string="Prepared",
        compute="_compute_desk_prepared",
        store=True,
        help="Every open move of this delivery is picked (or its goods wait in the output "
        "area after the previous steps): it can leave.",
    )
    desk_superseded = fields.Boolean(
        string="Replaced by a Reshipment",
        readonly=True,
        copy=False,
        help="The goods of this delivery were lost or damaged and shipped again: the order "
        "is delivered when the new delivery arrives.",
        groups="base.group_user",
    )
    desk_shipped_notified = fields.Boolean(
        string="Shipping Notice Sent",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    desk_delay_notified = fields.Boolean(
        string="Delay Notice Sent", readonly=True, copy=False, groups="base.group_user"
    )
    desk_is_export = fields.Boolean(
        string="Export", compute="_compute_desk_is_export", groups="base.group_user"
    )
    desk_incident_ids = fields.One2many(
        "order.desk.incident",
        "picking_id",
        string="Incidents",
        copy=False,
        groups="base.group_user",
    )
    # Not copied (a return of the receipt is no receipt of the request); the backorder of a
    # partly received receipt is linked by _create_backorder_picking.
    desk_return_id = fields.Many2one(
        "order.desk.return",
        string="Return Request",
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    desk_return_request_ids = fields.One2many(
        "order.desk.return",
        "picking_id",
        string="Return Requests",
        groups="base.group_user",
    )
    desk_cod_amount = fields.Monetary(
        string="Amount to Collect",
        compute="_compute_desk_cod_amount",
        currency_field="desk_cod_currency_id",
        help="Cash on delivery: the value of the goods of this delivery at the order's "
        "prices, taxes included.",
        groups="base.group_user",
    )
    desk_cod_currency_id = fields.Many2one(
        related="sale_id.currency_id", groups="base.group_user"
    )
    desk_open_incident_count = fields.Integer(
        string="Open Incidents",
        compute="_compute_desk_open_incident_count",
    )

    @api.depends(
        "desk_tracking_event_ids.event_date",
        "desk_tracking_event_ids.status",
        "desk_tracking_event_ids.location",
    )
    def _compute_desk_tracking(self):
        for picking in self:
            latest = picking.desk_tracking_event_ids.sorted(
                lambda e: (e.event_date, e.id), reverse=True
            )[:1]
            picking.desk_tracking_status = latest.status
            picking.desk_last_event_date = latest.event_date
            # Stored so that recording events always updates the delivery's row: see the
            # lock in _desk_prepare_tracking_events.
            picking.desk_tracking_event_count = len(picking.desk_tracking_event_ids)
            picking.desk_last_event_location = latest.location

    @api.depends(
        "date_deadline",
        "date_done",
        "scheduled_date",
        "picking_type_code",
        "sale_id.commitment_date",
        "move_ids.sale_line_id.desk_promised_date",
        "move_ids.desk_incident_id",
        "company_id.order_desk_transit_days",
    )
    def _compute_desk_expected_date(self):
        for picking in self:
            if picking.picking_type_code != "outgoing":
                picking.desk_expected_date = False
                continue
            # The date promised to the customer; Odoo fills the deadline of every sale
            # delivery, so only the order's commitment counts as a promise. A reshipment
            # answers an incident: its promise is the transit time from now on.
            if any(picking.move_ids.mapped("desk_incident_id")):
                promised = False
            elif picking.sale_id:
                # A line served by a later receipt (stock allocation) promises later.
                promised = max(
                    [
                        picking.sale_id.commitment_date,
                        *picking.move_ids.sale_line_id.mapped("desk_promised_date"),
                    ],
                    key=lambda date: date or datetime.min,
                )
            else:
                promised = picking.date_deadline
            if promised:
                picking.desk_expected_date = promised
            else:
                start = picking.date_done or picking.scheduled_date
                days = picking.company_id.order_desk_transit_days
                picking.desk_expected_date = (
                    start + timedelta(days=days) if start else False
                )

    @api.depends("desk_tracking_event_ids.status", "desk_tracking_event_ids.event_date")
    def _compute_desk_delivered_date(self):
        """The customer had the goods: set once, by the first delivered event (the
        carrier's, or the clerk's confirmation). A later event does not move it: the
        return window and the KPIs run from it. (Only a delivery that has left has
        delivered events; a reshipment is a delivery of its own, whose date moves the
        order's.)"""
        for picking in self:
            if picking.desk_delivered_date:
                continue
            picking.desk_delivered_date = picking._desk_first_delivered_event_date()

    def _desk_first_delivered_event_date(self):
        self.ensure_one()
        delivered = self.desk_tracking_event_ids.filtered(
            lambda e: e.status == "delivered"
        )
        return min(delivered.mapped("event_date"), default=False)

    def _desk_reset_delivered_date(self):
        """The delivered date again from the remaining delivered events (their first one,
        or none), after delivered events were deleted."""
        for picking in self:
            first = picking._desk_first_delivered_event_date()
            if picking.desk_delivered_date != first:
                # sudo: a system field, following the events the caller was allowed to
                # delete.
                picking.sudo().desk_delivered_date = first

    def _desk_has_left(self):
        """Whether the goods of this delivery left the warehouse (it is done)."""
        self.ensure_one()
        return self.state == "done"

    @api.depends(
        "state",
        "move_ids.state",
        "move_ids.picked",
        "move_ids.move_orig_ids.state",
    )
    def _compute_desk_prepared(self):
        for picking in self:
            moves = picking.move_ids.filtered(
                lambda m: m.state not in ("done", "cancel")
            )
            picking.desk_prepared = (
                picking.state == "assigned"
                and bool(moves)
                and all(
                    move.picked
                    or (
                        move.move_orig_ids
                        and all(
                            orig.state in ("done", "cancel")
                            for orig in move.move_orig_ids
                        )
                    )
                    for move in moves
                )
            )

    @api.depends("partner_id.country_id", "company_id.country_id")
    def _compute_desk_is_export(self):
        for picking in self:
            country = picking.partner_id.country_id
            picking.desk_is_export = bool(
                picking.picking_type_code == "outgoing"
                and country
                and country != picking.company_id.country_id
            )

    @api.depends(
        "sale_id.desk_settlement_method",
        "sale_id.desk_amount_paid",
        "sale_id.picking_ids.move_ids.quantity",
        "sale_id.picking_ids.move_ids.product_uom_qty",
        "sale_id.picking_ids.move_ids.state",
        "move_ids.quantity",
        "move_ids.product_uom_qty",
        "move_ids.state",
    )
    def _compute_desk_cod_amount(self):
        """What the courier collects: the value of the delivery's goods at the order's
        prices, less the money the customer already paid for the order.

        The money received is spent on the order's deliveries in the order they leave (or
        are planned), so a deposit lowers the first delivery, then the next; a delivery
        already paid for collects nothing. Credit notes are not money received.
        """
        cod = self.filtered(
            lambda p: (
                p.sale_id.desk_settlement_method == "cod"
                and p._desk_is_customer_delivery()
            )
        )
        (self - cod).desk_cod_amount = 0.0
        covered = {}
        for order in cod.sale_id:
            paid_left = max(order.desk_amount_paid, 0.0)
            for delivery in order.picking_ids.filtered(
                lambda p: p.state != "cancel" and p._desk_is_customer_delivery()
            ).sorted(lambda p: (p.date_done or p.scheduled_date or datetime.max, p.id)):
                covered[delivery.id] = min(delivery._desk_goods_value(), paid_left)
                paid_left -= covered[delivery.id]
        for picking in cod:
            picking.desk_cod_amount = picking.sale_id.currency_id.round(
                picking._desk_goods_value() - covered.get(picking._origin.id, 0.0)
            )

    def _desk_goods_value(self):
        """Value of this delivery's goods at the order's prices, taxes included (what
        left once done, what is planned before)."""
        self.ensure_one()
        amount = 0.0
        for move in self.move_ids.filtered(
            lambda m: m.state != "cancel" and m.sale_line_id.product_uom_qty
        ):
            line = move.sale_line_id
            quantity = move.quantity if move.state == "done" else move.product_uom_qty
            amount += (
                move.product_uom._compute_quantity(quantity, line.product_uom_id)
                * line.price_total
                / line.product_uom_qty
            )
        return amount

    def _compute_desk_open_incident_count(self):
        # The lists' red rows, for internal users: incidents are internal (portal
        # customers read none) and count nothing for them.
        if not self.env.su and self.env.user.share:
            self.desk_open_incident_count = 0
            return
        counts = self.env["order.desk.incident"]._desk_open_counts("picking_id", self)
        for picking in self:
            picking.desk_open_incident_count = counts.get(picking._origin, 0)

    # ------------------------------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        pickings.filtered("carrier_tracking_ref")._desk_sync_tracking_numbers()
        return pickings

    def write(self, vals):
        result = super().write(vals)
        if "carrier_tracking_ref" in vals:
            self._desk_sync_tracking_numbers()
            # The shipping notice waits for the tracking numbers of carrier shipments.
            self.filtered(
                lambda p: p.state == "done" and p.carrier_tracking_ref
            )._desk_send_shipping_notice()
        return result

    def _create_backorder_picking(self):
        backorder = super()._create_backorder_picking()
        if self.desk_return_id:
            # sudo: the backorder of a return receipt belongs to the same request; the
            # link is the system's (see _desk_system_fields).
            backorder.sudo().desk_return_id = self.desk_return_id
        return backorder

    def _action_done(self):
        # sudo: warehouse users need no rights on sale orders to be told that an order paid
        # in advance waits for its payment.
        self.filtered(
            lambda p: p._desk_is_customer_delivery()
        ).sudo().sale_id._desk_ensure_prepaid()
        result = super()._action_done()
        # sudo: validating the receipt (the warehouse's job) moves the return request on;
        # warehouse users need no rights on the requests for that.
        self.desk_return_id.sudo()._desk_after_receipt()
        # With "Allocate Receipts", what the receipts brought waits for a manager's
        # allocation run, prepared here.
        self.env["order.desk.allocation"]._desk_prepare_after_receipts(self)
        return result

    def _send_confirmation_email(self):
        result = super()._send_confirmation_email()
        # Shipments with a carrier are announced once their tracking number is known;
        # the company's own transport (no carrier) right away.
        self.filtered(
            lambda p: p.carrier_tracking_ref or not p.carrier_id
        )._desk_send_shipping_notice()
        return result

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def desk_add_tracking_events(self, events):
        """Record carrier tracking events on deliveries and return how many were new.

        ``events`` is a list of dicts with ``tracking_ref`` (or ``picking_id``),
        ``event_date``, ``status``, ``location``, ``description`` and ``source`` (manual or
        import; the webhook's own source is not an RPC caller's to give). On a set of
        deliveries the tracking numbers are looked up among them (a single delivery also
        takes events without a number); on the empty set among every delivery the caller
        can read. Events already recorded (same delivery, time and status) are skipped, so
        sending the same events twice changes nothing. One invalid event refuses the call,
        naming its position. For Order Desk users, over RPC; the import wizard and the
        webhook share its core, ``_desk_prepare_tracking_events``, and report per event.
        """
        self._desk_ensure_tracking_user()
        if not isinstance(events, (list, tuple)):
            raise ValidationError(self.env._("Send the tracking events as a list."))
        # The system (demo data, server code) may record any source; RPC callers theirs.
        sources = (
            tuple(
                dict(self.env["order.desk.tracking.event"]._fields["source"].selection)
            )
            if self.env.su
            else RPC_SOURCES
        )
        vals_list, errors, _known = self._desk_prepare_tracking_events(
            events, sources=sources
        )
        if errors:
            raise ValidationError(
                "\n".join(
                    self.env._("Event %(index)s: %(error)s", index=index, error=error)
                    for index, error in errors
                )
            )
        # sudo: the events were checked above and belong to deliveries the caller can read;
        # it only lets the call record its source (a system field of the events).
        return len(self.env["order.desk.tracking.event"].sudo().create(vals_list))

    def action_desk_confirm_delivered(self):
        """The customer has the goods (clerk): records a manual 'Delivered' event now."""
        self._desk_ensure_tracking_user()
        wrong = self.filtered(
            lambda p: not p._desk_is_customer_delivery() or p.state != "done"
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Only deliveries that have left can be confirmed as delivered: "
                    "%(pickings)s.",
                    pickings=", ".join(wrong.mapped("name")),
                )
            )
        todo = self.filtered(lambda p: not p.desk_delivered_date)
        now = fields.Datetime.now()
        self.env["order.desk.tracking.event"].create(
            [
                {
                    "picking_id": picking.id,
                    "event_date": now,
                    "status": "delivered",
                    "source": "manual",
                    "description": self.env._(
                        "Delivery confirmed by %(user)s.", user=self.env.user.name
                    ),
                }
                for picking in todo
            ]
        )
        return True

    def action_desk_send_shipping_notice(self):
        """Open the e-mail composer with the shipping notice, logged in the chatter."""
        self.ensure_one()
        self._desk_ensure_tracking_user()
        template = self.env.ref("order_desk.mail_template_desk_shipped")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }

    @api.readonly
    def action_view_desk_incidents(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_incident_action"
        )
        action["domain"] = [("picking_id", "in", self.ids)]
        action["context"] = {
            "default_picking_id": self.id if len(self) == 1 else False,
            "default_order_id": self.sale_id.id if len(self.sale_id) == 1 else False,
        }
        return action

    def action_desk_new_return(self):
        """A return request for this delivery (clerk), with its returnable lines."""
        self.ensure_one()
        self._desk_ensure_tracking_user()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Request"),
            "res_model": "order.desk.return",
            "view_mode": "form",
            "context": {
                "default_order_id": self.sale_id.id,
                "default_picking_id": self.id,
            },
        }

    def action_desk_new_tracking_event(self):
        """Form of a manual tracking event for this delivery (clerk)."""
        self.ensure_one()
        self._desk_ensure_tracking_user()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add Tracking Event"),
            "res_model": "order.desk.tracking.event",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_picking_id": self.id,
                "default_tracking_ref": self.desk_tracking_number_ids[:1].name,
                "default_source": "manual",
            },
        }

    # ------------------------------------------------------------------------------------------
    # Scheduler
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_desk_detect_delays(self, limit=1000):
        """Scheduled action: open a delay incident for each delivery in trouble.

        A delivery that has left is late when its expected delivery date has passed without a
        delivered event, and silent when no tracking news came for the company's number of
        days after shipping. Each gets one open 'delay' incident (none while one is open);
        the customers of late deliveries are told when the company notifies customers.
        """
        now = fields.Datetime.now()
        base = Domain(
            [
                ("picking_type_code", "=", "outgoing"),
                ("location_dest_id.usage", "=", "customer"),
                ("state", "=", "done"),
                ("sale_id", "!=", False),
                ("desk_delivered_date", "=", False),
                ("desk_superseded", "=", False),
            ]
        )
        late = self.search(
            base & Domain("desk_expected_date", "<", now),
            limit=limit,
            order="desk_expected_date, id",
        )
        silent_domains = []
        companies = self.env["res.company"].search(
            [("order_desk_tracking_silence_days", ">", 0)]
        )
        for company in companies:
            threshold = now - timedelta(days=company.order_desk_tracking_silence_days)
            silent_domains.append(
                Domain("company_id", "=", company.id)
                & (
                    (
                        Domain("desk_last_event_date", "=", False)
                        & Domain("date_done", "<", threshold)
                    )
                    | Domain("desk_last_event_date", "<", threshold)
                )
            )
        silent = self.browse()
        if silent_domains:
            silent = (
                self.search(
                    base & Domain.OR(silent_domains), limit=limit, order="date_done, id"
                )
                - late
            )
        candidates = late | silent
        if not candidates:
            return
        Incident = self.env["order.desk.incident"]
        busy = Incident.search(
            [
                ("picking_id", "in", candidates.ids),
                ("incident_type", "=", "delay"),
                ("state", "in", ("open", "in_progress")),
            ]
        ).picking_id
        vals_list = []
        for picking in candidates - busy:
            if picking in late:
                description = self.env._(
                    "Expected delivery on %(date)s has passed without delivery.",
                    date=fields.Datetime.to_string(picking.desk_expected_date),
                )
            else:
                description = self.env._(
                    "No tracking news since %(date)s.",
                    date=fields.Datetime.to_string(
                        picking.desk_last_event_date or picking.date_done
                    ),
                )
            vals_list.append(
                picking._desk_incident_vals("delay", "delay_check", description)
            )
        Incident.create(vals_list)
        (late - busy).filtered(
            lambda p: (
                not p.desk_delay_notified and p.company_id.order_desk_notify_customer
            )
        )._desk_send_delay_notice()

    # ------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------
    def _desk_replacement_text(self):
        """What this delivery replaces, in a sentence for the customer: returned goods
        (an exchange) or goods of an incident (a reshipment); empty for the order's own
        goods."""
        self.ensure_one()
        returns = self.move_ids.desk_return_id
        if returns:
            return self.env._(
                "Replacement for the goods of return %(rma)s.",
                rma=desk_join(self.env, returns.mapped("name")),
            )
        incidents = self.move_ids.desk_incident_id
        if incidents:
            return self.env._(
                "Replacement for the goods of incident %(incident)s.",
                incident=desk_join(self.env, incidents.mapped("name")),
            )
        return ""

    def _desk_is_customer_delivery(self):
        """The leg of the delivery route that hands the goods to the customer."""
        self.ensure_one()
        return (
            self.picking_type_code != "incoming"
            and self.location_dest_id.usage == "customer"
        )

    def _desk_is_outbound(self):
        """Any leg of the route of goods on their way to the customer (pick, pack, ship)."""
        self.ensure_one()
        return self._desk_is_customer_delivery() or (
            self.picking_type_code != "incoming"
            and any(
                move.location_final_id.usage == "customer" for move in self.move_ids
            )
        )

    def _desk_ensure_tracking_user(self):
        if not (self.env.su or self.env.user.has_group(USER_GROUP)):
            raise AccessError(self.env._("Only Order Desk users can do this."))
        self.check_access("read")

    def _desk_split_tracking_refs(self):
        self.ensure_one()
        refs = TRACKING_REF_SEPARATORS.split(self.carrier_tracking_ref or "")
        return list(dict.fromkeys(ref for ref in refs if ref))

    def _desk_sync_tracking_numbers(self):
        """Keep the tracking number rows in step with ``carrier_tracking_ref``."""
        # sudo: the rows are an index the system keeps for the deliveries the caller was
        # allowed to write; nobody edits them directly.
        Number = self.env["order.desk.tracking.number"].sudo()
        wanted = {picking.id: picking._desk_split_tracking_refs() for picking in self}
        existing = Number.search([("picking_id", "in", self.ids)])
        existing.filtered(lambda n: n.name not in wanted[n.picking_id.id]).unlink()
        have = {(n.picking_id.id, n.name) for n in existing.exists()}
        Number.create(
            [
                {"picking_id": picking_id, "name": ref}
                for picking_id, refs in wanted.items()
                for ref in refs
                if (picking_id, ref) not in have
            ]
        )

    @api.private
    def _desk_prepare_tracking_events(
        self, events, tz_name=None, domain=None, sources=RPC_SOURCES
    ):
        """Check carrier events and find their deliveries: the batch core of the RPC
        method, the import wizard and the webhook.

        Returns ``(vals_list, errors, known)``: the values of the events to create, an
        ``(position, message)`` pair (1-based) for each refused event, and how many were
        already recorded or repeated within ``events``. Naive times are in ``tz_name``
        (UTC when not given). ``domain`` narrows the deliveries searched (a carrier's).
        ``sources``: the sources the path may record (the first one when an event gives
        none). Whatever an event holds, it is either accepted or refused with a reason,
        never an error of another kind: one bad event never loses the others.
        A fixed number of queries whatever the number of events.
        """
        Event = self.env["order.desk.tracking.event"]
        aliases = Event._desk_status_aliases()
        parsed = []
        errors = []
        for index, event in enumerate(events, start=1):
            try:
                parsed.append(
                    (index, self._desk_parse_event(event, aliases, tz_name, sources))
                )
            except ValidationError as error:
                errors.append((index, error.args[0]))
        refs = {
            values["tracking_ref"] for _i, values in parsed if values["tracking_ref"]
        }
        by_ref = self._desk_find_by_tracking_refs(refs, domain)
        explicit_ids = {
            values["picking_id"] for _i, values in parsed if values["picking_id"]
        }
        explicit = {
            picking.id: picking
            for picking in self._desk_find_by_ids(explicit_ids, domain)
        }
        matched = []
        for index, values in parsed:
            try:
                pickings = self._desk_event_pickings(values, explicit, by_ref)
                if values["status"] == "delivered":
                    waiting = pickings.filtered(lambda p: not p._desk_has_left())
                    if waiting:
                        raise ValidationError(
                            self.env._(
                                "%(picking)s has not left yet: it cannot be delivered.",
                                picking=waiting[0].name,
                            )
                        )
            except ValidationError as error:
                errors.append((index, error.args[0]))
                continue
            matched.extend((picking, values) for picking in pickings)
        recorded = set()
        if matched:
            pickings = self.browse({picking.id for picking, _v in matched})
            # Two calls bringing the same events at the same moment (a carrier's retry, two
            # imports) must not both insert them. Each locks the deliveries first, in id
            # order; recording events updates the delivery's row (its event count), so the
            # later call fails with a serialization error, which Odoo retries as a whole,
            # and the retry sees the events as already recorded.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM stock_picking WHERE id IN %s ORDER BY id FOR UPDATE",
                    tuple(pickings.ids),
                ),
                log_exceptions=False,
            )
            dates = [values["event_date"] for _p, values in matched]
            # sudo: only the events of the deliveries found above (which the caller can
            # read) are looked at, for their keys. A range of dates, not the list: a
            # domain of ten thousand values costs seconds to build.
            recorded = {
                (event.picking_id.id, event.event_date, event.status)
                for event in Event.sudo().search_fetch(
                    [
                        ("picking_id", "in", pickings.ids),
                        ("event_date", ">=", min(dates)),
                        ("event_date", "<=", max(dates)),
                    ],
                    ["picking_id", "event_date", "status"],
                )
            }
        vals_list = []
        known = 0
        if matched:
            pickings.fetch(["company_id", "sale_id", "partner_id", "carrier_id"])
            pickings.desk_tracking_number_ids.fetch(["name"])
        for picking, values in matched:
            key = (picking.id, values["event_date"], values["status"])
            if key in recorded:
                known += 1
                continue
            recorded.add(key)
            vals_list.append(
                {
                    "picking_id": picking.id,
                    # The delivery's own values of the stored related fields: known here
                    # for the whole batch, instead of computed again event by event.
                    "company_id": picking.company_id.id,
                    "sale_id": picking.sale_id.id,
                    "partner_id": picking.partner_id.id,
                    "carrier_id": picking.carrier_id.id,
                    "tracking_ref": values["tracking_ref"]
                    or picking.desk_tracking_number_ids[:1].name,
                    "event_date": values["event_date"],
                    "status": values["status"],
                    "location": values["location"],
                    "description": values["description"],
                    "source": values["source"],
                }
            )
        errors.sort()
        return vals_list, errors, known

    def _desk_event_pickings(self, values, explicit, by_ref):
        """The deliveries an event belongs to; raises ValidationError with the reason."""
        if values["picking_id"]:
            pickings = explicit.get(values["picking_id"])
            if not pickings:
                raise ValidationError(
                    self.env._(
                        "delivery %(picking)s is unknown.", picking=values["picking_id"]
                    )
                )
        elif values["tracking_ref"]:
            pickings = by_ref.get(values["tracking_ref"])
            if not pickings:
                raise ValidationError(
                    self.env._(
                        "unknown tracking number %(ref)s.",
                        ref=desk_printable(values["tracking_ref"]),
                    )
                )
        elif len(self) == 1:
            pickings = self
        else:
            raise ValidationError(self.env._("the tracking number is missing."))
        return pickings

    def _desk_parse_event(self, event, aliases, tz_name, sources=RPC_SOURCES):
        """One event's values, checked; raises ValidationError with the reason."""
        if not isinstance(event, dict):
            raise ValidationError(self.env._("not a set of values."))
        status_text = event.get("status")
        status = (
            aliases.get(status_text.strip().lower())
            if isinstance(status_text, str)
            else None
        )
        if not status:
            raise ValidationError(
                self.env._(
                    "unknown status %(status)s.",
                    status=desk_printable(status_text or ""),
                )
            )
        event_date = self._desk_parse_event_date(event.get("event_date"), tz_name)
        texts = {}
        for key in ("tracking_ref", "location", "description", "source"):
            value = event.get(key)
            if value in (None, False, ""):
                texts[key] = False
            elif isinstance(value, str):
                if "\x00" in value:
                    raise ValidationError(
                        self.env._("%(field)s contains a NUL character.", field=key)
                    )
                texts[key] = value.strip() or False
            elif (
                isinstance(value, int)
                and not isinstance(value, bool)
                and abs(value) < 10**30
            ):
                texts[key] = str(value)
            else:
                raise ValidationError(self.env._("%(field)s must be text.", field=key))
        source = texts["source"] or sources[0]
        if source not in sources:
            raise ValidationError(
                self.env._(
                    "unknown source %(value)s: use %(sources)s.",
                    value=desk_printable(source),
                    sources=", ".join(sources),
                )
            )
        picking_id = event.get("picking_id") or False
        if picking_id and (
            not isinstance(picking_id, int)
            or isinstance(picking_id, bool)
            or not 0 < picking_id < INT_LIMIT
        ):
            raise ValidationError(self.env._("picking_id must be a delivery's id."))
        return {
            "picking_id": picking_id,
            "tracking_ref": texts["tracking_ref"],
            "event_date": event_date,
            "status": status,
            "location": texts["location"],
            "description": texts["description"],
            "source": source,
        }

    def _desk_parse_event_date(self, value, tz_name):
        """A UTC datetime (naive, as Odoo stores it) from a datetime or ISO-like text.

        Values with an offset (``Z``, ``+08:00``, up to ``±14:00``: the real time zones)
        are converted; naive ones are in ``tz_name`` (UTC when none; an unknown zone refuses
        them). Times before 2000 (in UTC, once converted) or in the future (beyond the clock
        tolerance, ``FUTURE_TOLERANCE``) are refused. Raises ValidationError, whatever
        ``value`` is.
        """
        moment = None
        offset_minutes = None
        if isinstance(value, datetime):
            moment = value
            offset = moment.utcoffset()
            if offset is not None and abs(offset) > timedelta(
                minutes=MAX_OFFSET_MINUTES
            ):
                moment = None
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif (
            isinstance(value, str)
            and len(value) <= 64
            and (match := EVENT_DATE_PATTERN.match(value.strip()))
        ):
            year, month, day, hour, minute, second, offset = match.groups()
            try:
                moment = datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour or 0),
                    int(minute or 0),
                    int(second or 0),
                )
            except ValueError:
                moment = None
            if moment and offset:
                if offset.upper() == "Z":
                    offset_minutes = 0
                else:
                    digits = offset[1:].replace(":", "")
                    hours, minutes = int(digits[:2]), int(digits[2:])
                    if minutes > 59 or hours * 60 + minutes > MAX_OFFSET_MINUTES:
                        moment = None
                    else:
                        sign = -1 if offset[0] == "-" else 1
                        offset_minutes = sign * (hours * 60 + minutes)
        shown = desk_printable(value if value is not None else "")
        if moment is None:
            if value in (None, False, ""):
                raise ValidationError(self.env._("the time is missing."))
            raise ValidationError(
                self.env._("%(value)s is not a date and time.", value=shown)
            )
        now = fields.Datetime.now()
        # Before any time zone arithmetic, which cannot reach the years 1 or 9999.
        if moment.year < MIN_EVENT_YEAR:
            raise ValidationError(
                self.env._("%(value)s is not a date and time.", value=shown)
            )
        if moment.year > now.year + 1:
            raise ValidationError(
                self.env._("the time %(value)s is in the future.", value=shown)
            )
        if offset_minutes is not None:
            moment = moment.replace(tzinfo=pytz.FixedOffset(offset_minutes))
        elif moment.tzinfo is None:
            # An unknown zone is refused, not read as UTC: the event would be hours off.
            if tz_name and (
                not isinstance(tz_name, str) or tz_name not in pytz.all_timezones_set
            ):
                raise ValidationError(
                    self.env._(
                        "%(value)s has no offset and the time zone %(tz)s is unknown.",
                        value=shown,
                        tz=desk_printable(tz_name),
                    )
                )
            moment = pytz.timezone(tz_name or "UTC").localize(moment)
        moment = moment.astimezone(pytz.utc).replace(tzinfo=None, microsecond=0)
        if moment < MIN_EVENT_DATE:
            raise ValidationError(
                self.env._(
                    "the time %(value)s is before 2000: check the year.",
                    value=shown,
                )
            )
        if moment > now + FUTURE_TOLERANCE:
            raise ValidationError(
                self.env._("the time %(value)s is in the future.", value=shown)
            )
        return moment

    def _desk_find_by_tracking_refs(self, refs, domain=None):
        """``{tracking number: deliveries}`` among ``self`` (or all readable ones)."""
        if not refs:
            return {}
        number_domain = Domain("name", "in", list(refs)) & Domain(
            "picking_id.picking_type_code", "=", "outgoing"
        )
        if self:
            number_domain &= Domain("picking_id", "in", self.ids)
        if domain:
            number_domain &= Domain(
                "picking_id", "any", self.env["stock.picking"]._search(domain)
            )
        # The numbers follow the deliveries' access: only deliveries the caller can read.
        readable = self.env["stock.picking"]._search([])
        number_domain &= Domain("picking_id", "any", readable)
        found = {}
        # sudo: the index rows are read for the deliveries the domain above keeps to those
        # the caller can read; only their number and delivery leave this method.
        for number in (
            self.env["order.desk.tracking.number"]
            .sudo()
            .search_fetch(number_domain, ["name", "picking_id"])
        ):
            found.setdefault(number.name, self.browse())
            found[number.name] |= number.picking_id.with_env(self.env)
        return found

    def _desk_find_by_ids(self, ids, domain=None):
        if not ids:
            return self.browse()
        search_domain = Domain("id", "in", list(ids)) & Domain(
            "picking_type_code", "=", "outgoing"
        )
        if self:
            search_domain &= Domain("id", "in", self.ids)
        if domain:
            search_domain &= Domain(domain)
        return self.env["stock.picking"].search(search_domain)

    def _desk_after_tracking_events(self, events):
        """Open an incident for deliveries the carrier reports trouble with (failed attempt,
        exception, returned to sender): one per delivery while none is open."""
        trouble = events.filtered(
            lambda e: e.status in TROUBLE_STATUSES and e.picking_id.sale_id
        )
        if not trouble:
            return
        # sudo: the carrier's events (the webhook, an import) open incidents as the system;
        # which ones is decided by the events' statuses only.
        Incident = self.env["order.desk.incident"].sudo()
        busy = Incident.search(
            [
                ("picking_id", "in", trouble.picking_id.ids),
                ("state", "in", ("open", "in_progress")),
            ]
        ).picking_id
        labels = dict(trouble._fields["status"]._description_selection(self.env))
        vals_list = []
        seen = set()
        for event in trouble.sorted(lambda e: (e.event_date, e.id)):
            picking = event.picking_id
            if picking in busy or picking.id in seen:
                continue
            seen.add(picking.id)
            description = self.env._(
                "The carrier reported %(status)s on %(date)s at %(location)s: "
                "%(description)s",
                status=labels[event.status],
                date=fields.Datetime.to_string(event.event_date),
                location=event.location or "-",
                description=event.description or "-",
            )
            vals_list.append(
                picking._desk_incident_vals(
                    TROUBLE_STATUSES[event.status], "tracking", description
                )
            )
        # sudo: the carrier's report opens the incident whoever brought it in (an import by
        # a clerk, the webhook as the system); the incident goes to the salesperson.
        Incident.create(vals_list)

    def _desk_incident_vals(self, incident_type, origin, description):
        self.ensure_one()
        order = self.sale_id
        return {
            "incident_type": incident_type,
            "origin": origin,
            "picking_id": self.id,
            "order_id": order.id,
            "partner_id": (order.partner_id or self.partner_id).id,
            "company_id": self.company_id.id,
            "user_id": (order.user_id or self.env.user).id,
            "description": description,
        }

    def _desk_packing_list_data(self):
        """Packages of the delivery with their content, for the packing list (装箱单).

        ``[{"package", "lines": [{"product", "lot", "quantity", "uom", "weight"}],
        "weight"}]``; goods not in a package come last with ``package`` empty. Weights are
        the products' weights unless the package has its own shipping weight.
        """
        self.ensure_one()
        groups = {}
        for line in self.move_line_ids.filtered(lambda ml: ml.quantity):
            package = line.result_package_id
            product_qty = line.product_uom_id._compute_quantity(
                line.quantity, line.product_id.uom_id
            )
            groups.setdefault(package, []).append(
                {
                    "product": line.product_id,
                    "lot": line.lot_id,
                    "quantity": line.quantity,
                    "uom": line.product_uom_id,
                    "weight": product_qty * line.product_id.weight,
                }
            )
        result = []
        for package in sorted(groups, key=lambda p: (not p, p.name or "")):
            lines = groups[package]
            result.append(
                {
                    "package": package,
                    "lines": lines,
                    "weight": package.shipping_weight
                    or sum(line["weight"] for line in lines),
                }
            )
        return result

    def _desk_customs_lines(self):
        """Lines of the commercial invoice / customs data: per product of the delivery, its
        HS code, origin country, quantity, value (the order's price after discount, tax
        excluded, in the order's currency) and net weight."""
        self.ensure_one()
        lines = {}
        for move in self.move_ids.filtered(lambda m: m.state != "cancel"):
            quantity = move.quantity or move.product_uom_qty
            sale_line = move.sale_line_id
            if sale_line and sale_line.product_uom_qty:
                unit_price = sale_line.price_subtotal / sale_line.product_uom_qty
                sale_qty = move.product_uom._compute_quantity(
                    quantity, sale_line.product_uom_id
                )
                value = unit_price * sale_qty
            else:
                value = move.product_id.lst_price * move.product_uom._compute_quantity(
                    quantity, move.product_id.uom_id
                )
            product_qty = move.product_uom._compute_quantity(
                quantity, move.product_id.uom_id
            )
            entry = lines.setdefault(
                move.product_id,
                {
                    "product": move.product_id,
                    "hs_code": move.product_id.hs_code,
                    "origin": move.product_id.country_of_origin,
                    "quantity": 0.0,
                    "uom": move.product_id.uom_id,
                    "value": 0.0,
                    "weight": 0.0,
                },
            )
            entry["quantity"] += product_qty
            entry["value"] += value
            entry["weight"] += product_qty * move.product_id.weight
        return list(lines.values())

    def _desk_send_shipping_notice(self):
        """Tell the customer a delivery has left (once), when the company wants it and
        Odoo's own delivery e-mail is not already doing so."""
        todo = self.filtered(
            lambda p: (
                p.state == "done"
                and not p.desk_shipped_notified
                and p.sale_id
                and p._desk_is_customer_delivery()
                and p.company_id.order_desk_notify_customer
                and not p.company_id.stock_move_email_validation
            )
        )
        if todo:
            todo._desk_post_template("order_desk.mail_template_desk_shipped")
            # sudo: the flag records that the system sent the notice.
            todo.sudo().write({"desk_shipped_notified": True})

    def _desk_send_delay_notice(self):
        self._desk_post_template("order_desk.mail_template_desk_delayed")
        # sudo: the flag records that the system sent the notice.
        self.sudo().write({"desk_delay_notified": True})

    def _desk_post_template(self, xmlid):
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if not template:
            return
        for picking in self:
            picking.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )
