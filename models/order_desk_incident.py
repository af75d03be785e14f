from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, formatLang

from .order_desk_document_mixin import MANAGER_GROUP, USER_GROUP

INCIDENT_TYPES = [
    ("stock_out", "Stock-out"),
    ("damage", "Damage"),
    ("lost", "Lost"),
    ("delay", "Delay"),
    ("complaint", "Complaint"),
    ("address", "Address Problem"),
    ("other", "Other"),
]

INCIDENT_STATES = [
    ("open", "Open"),
    ("in_progress", "In Progress"),
    ("resolved", "Resolved"),
    ("cancelled", "Cancelled"),
]

RESOLUTIONS = [
    ("reship", "Reship"),
    ("replace", "Replace"),
    ("refund", "Refund"),
    ("compensate", "Compensate"),
    ("none", "No Action"),
]

INCIDENT_ORIGINS = [
    ("manual", "Manual"),
    ("tracking", "Carrier Tracking"),
    ("delay_check", "Delay Check"),
]


# Resolutions that send goods again, and those that give money back (a manager's call).
SHIPPING_RESOLUTIONS = ("reship", "replace")

# What may still change on a resolved or cancelled incident: who follows it up, and when.
CLOSED_EDITABLE = {"user_id", "date_deadline", "message_main_attachment_id"}
MONEY_RESOLUTIONS = ("refund", "compensate")


class OrderDeskIncident(models.Model):
    _name = "order.desk.incident"
    _description = "Order Desk Delivery Incident"
    _inherit = ["mail.thread", "mail.activity.mixin", "order.desk.document.mixin"]
    _order = "date_deadline, id desc"
    _check_company_auto = True
    _desk_sequence_code = "order.desk.incident"

    # Written by the incident's own actions (and the detections, as the system) only: its
    # status, how it was detected, who resolved it and when, what the resolution made.
    _desk_system_fields = frozenset(
        {
            "state",
            "origin",
            "resolved_date",
            "resolved_user_id",
            "new_picking_ids",
            "refund_move_ids",
        }
    )

    # Identification
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    incident_type = fields.Selection(
        INCIDENT_TYPES, string="Type", required=True, tracking=True
    )
    origin = fields.Selection(
        INCIDENT_ORIGINS,
        string="Detected By",
        required=True,
        default="manual",
        readonly=True,
        copy=False,
    )
    state = fields.Selection(
        INCIDENT_STATES,
        string="Status",
        required=True,
        default="open",
        index=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # What it is about
    order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        index=True,
        check_company=True,
        tracking=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        index=True,
        check_company=True,
        domain="[('picking_type_code', '=', 'outgoing'), ('sale_id', '=?', order_id)]",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
    )
    description = fields.Text()
    line_ids = fields.One2many(
        "order.desk.incident.line", "incident_id", string="Affected Goods", copy=True
    )

    # Handling
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
    )
    date_deadline = fields.Date(
        string="Deadline",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=2),
        tracking=True,
    )
    notify_customer = fields.Boolean(
        compute="_compute_notify_customer",
        store=True,
        readonly=False,
        precompute=True,
        help="E-mail the customer when the incident is opened and when it is resolved.",
    )

    # Resolution
    resolution = fields.Selection(RESOLUTIONS, tracking=True)
    resolution_note = fields.Text()
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    compensation_amount = fields.Monetary(
        currency_field="currency_id",
        help="With the 'Compensate' resolution: the amount of the draft credit note.",
    )
    resolved_date = fields.Datetime(string="Resolved On", readonly=True, copy=False)
    resolved_user_id = fields.Many2one(
        "res.users", string="Resolved By", readonly=True, copy=False
    )
    new_picking_ids = fields.Many2many(
        "stock.picking",
        "order_desk_incident_new_picking_rel",
        "incident_id",
        "picking_id",
        string="New Deliveries",
        readonly=True,
        copy=False,
    )
    refund_move_ids = fields.Many2many(
        "account.move",
        "order_desk_incident_refund_move_rel",
        "incident_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
    )

    # Button visibility (the server checks are the real ones)
    can_cancel = fields.Boolean(compute="_compute_can_cancel")

    @api.depends("order_id", "picking_id")
    def _compute_partner_id(self):
        for incident in self:
            partner = incident.order_id.partner_id or incident.picking_id.partner_id
            if partner:
                incident.partner_id = partner

    @api.depends("company_id")
    def _compute_notify_customer(self):
        for incident in self:
            incident.notify_customer = incident.company_id.order_desk_notify_customer

    @api.depends("order_id.currency_id", "company_id.currency_id")
    def _compute_currency_id(self):
        for incident in self:
            incident.currency_id = (
                incident.order_id.currency_id or incident.company_id.currency_id
            )

    @api.depends("state", "create_uid")
    @api.depends_context("uid")
    def _compute_can_cancel(self):
        for incident in self:
            incident.can_cancel = incident.state in ("open", "in_progress") and (
                incident._desk_may_cancel()
            )

    @api.constrains("order_id", "picking_id")
    def _check_picking_id(self):
        """The delivery is one of the order's: a reshipment supersedes it, and its customer
        is told about it."""
        for incident in self.filtered("picking_id"):
            picking = incident.picking_id
            if picking.picking_type_code != "outgoing":
                raise ValidationError(
                    self.env._(
                        "Incident %(incident)s: %(picking)s is not a delivery to a "
                        "customer.",
                        incident=incident.name,
                        picking=picking.name,
                    )
                )
            if not incident.order_id and picking.sale_id:
                raise ValidationError(
                    self.env._(
                        "Incident %(incident)s: %(picking)s is a delivery of order "
                        "%(order)s: the incident is about that order.",
                        incident=incident.name,
                        picking=picking.name,
                        order=picking.sale_id.name,
                    )
                )
            if picking.sale_id != incident.order_id:
                raise ValidationError(
                    self.env._(
                        "Incident %(incident)s: %(picking)s is not a delivery of order "
                        "%(order)s.",
                        incident=incident.name,
                        picking=picking.name,
                        order=incident.order_id.name,
                    )
                )

    @api.constrains("order_id")
    def _check_order_lines(self):
        """The affected goods stay lines of the incident's order when the order changes."""
        self.line_ids._check_sale_line_id()

    @api.constrains("partner_id", "order_id", "picking_id")
    def _check_partner_id(self):
        """The customer told about the incident is the order's (or the delivery's): one of
        the contacts of the same company, never another customer."""
        for incident in self.filtered("partner_id"):
            customer = incident.order_id.partner_id or incident.picking_id.partner_id
            if (
                customer
                and incident.partner_id.commercial_partner_id
                != customer.commercial_partner_id
            ):
                raise ValidationError(
                    self.env._(
                        "Incident %(incident)s: %(partner)s is not the customer of "
                        "%(document)s (%(customer)s).",
                        incident=incident.name,
                        partner=incident.partner_id.display_name,
                        document=(incident.order_id or incident.picking_id).name,
                        customer=customer.commercial_partner_id.display_name,
                    )
                )

    @api.onchange("order_id")
    def _onchange_order_id(self):
        if self.picking_id and self.picking_id.sale_id != self.order_id:
            self.picking_id = False

    @api.onchange("picking_id")
    def _onchange_picking_id(self):
        if self.picking_id.sale_id:
            self.order_id = self.picking_id.sale_id

    @api.model_create_multi
    def create(self, vals_list):
        pickings = self.env["stock.picking"].browse(
            {vals["picking_id"] for vals in vals_list if vals.get("picking_id")}
        )
        order_by_picking = {picking.id: picking.sale_id.id for picking in pickings}
        for vals in vals_list:
            if vals.get("picking_id") and not vals.get("order_id"):
                vals["order_id"] = order_by_picking[vals["picking_id"]]
        incidents = super().create(vals_list)
        incidents._desk_default_lines()
        incidents.filtered("notify_customer")._desk_notify(
            "order_desk.mail_template_desk_incident_opened"
        )
        return incidents

    def write(self, vals):
        # The incident's own actions write as the system (see _desk_write).
        if set(vals) - CLOSED_EDITABLE and not self.env.su:
            self._desk_ensure_not_closed()
        return super().write(vals)

    def _desk_ensure_not_closed(self):
        closed = self.filtered(lambda i: i.state in ("resolved", "cancelled"))
        if closed:
            raise UserError(
                self.env._(
                    "Incident %(incident)s is closed: open a new incident, or ask a manager "
                    "to reopen it if it was cancelled.",
                    incident=closed[0].name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_active(self):
        active = self.filtered(lambda i: i.state not in ("cancelled",))
        if active:
            raise UserError(
                self.env._(
                    "Only cancelled incidents can be deleted: %(incidents)s.",
                    incidents=", ".join(active.mapped("name")),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_start(self):
        """Someone works on the incidents now (clerk)."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("open",),
            lambda names: self.env._(
                "Only open incidents can be started: %(incidents)s.", incidents=names
            ),
        )
        self._desk_write({"state": "in_progress"})
        return True

    def action_resolve(self):
        """Close the incidents with their resolution (clerk; refunds and compensation need a
        manager). Reship and replace create the new deliveries through Odoo's procurement,
        refund and compensate prepare draft credit notes; all of it or nothing."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("open", "in_progress"),
            lambda names: self.env._(
                "Only open incidents can be resolved: %(incidents)s.", incidents=names
            ),
        )
        for incident in self:
            if not incident.resolution:
                raise UserError(
                    self.env._(
                        "Choose how incident %(incident)s was resolved.",
                        incident=incident.name,
                    )
                )
            if not (incident.resolution_note or "").strip():
                raise UserError(
                    self.env._(
                        "Write a resolution note for incident %(incident)s.",
                        incident=incident.name,
                    )
                )
        money = self.filtered(lambda i: i.resolution in MONEY_RESOLUTIONS)
        if money and not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(
                self.env._(
                    "Only an Order Desk manager can resolve an incident with a refund or a "
                    "compensation: %(incidents)s.",
                    incidents=", ".join(money.mapped("name")),
                )
            )
        shipping = self.filtered(lambda i: i.resolution in SHIPPING_RESOLUTIONS)
        shipping._desk_ensure_reship_within_delivery()
        shipping._desk_reship()
        self.filtered(lambda i: i.resolution == "refund")._desk_refund()
        self.filtered(lambda i: i.resolution == "compensate")._desk_compensate()
        self._desk_write(
            {
                "state": "resolved",
                "resolved_date": fields.Datetime.now(),
                "resolved_user_id": self.env.uid,
            }
        )
        self.filtered("notify_customer")._desk_notify(
            "order_desk.mail_template_desk_incident_resolved"
        )
        return True

    def action_cancel(self):
        """Drop incidents that need no handling. Clerks cancel their own; a manager any."""
        self._desk_ensure_group()
        self._desk_ensure_state(
            ("open", "in_progress"),
            lambda names: self.env._(
                "Only open incidents can be cancelled: %(incidents)s.", incidents=names
            ),
        )
        others = self.filtered(lambda i: not i._desk_may_cancel())
        if others:
            raise AccessError(
                self.env._(
                    "Only an Order Desk manager can cancel an incident somebody else "
                    "opened: %(incidents)s.",
                    incidents=", ".join(others.mapped("name")),
                )
            )
        self._desk_write({"state": "cancelled"})
        return True

    def action_reopen(self):
        """Open cancelled incidents again (manager)."""
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("cancelled",),
            lambda names: self.env._(
                "Only cancelled incidents can be reopened: %(incidents)s.",
                incidents=names,
            ),
        )
        self._desk_write({"state": "open"})
        return True

    @api.readonly
    def action_view_new_pickings(self):
        return self._desk_view(self.new_picking_ids, "stock.action_picking_tree_all")

    @api.readonly
    def action_view_refunds(self):
        return self._desk_view(
            self.refund_move_ids, "account.action_move_out_refund_type"
        )

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _desk_may_cancel(self):
        self.ensure_one()
        user = self.env.user
        return (
            self.env.su
            or user.has_group(MANAGER_GROUP)
            or (self.create_uid == user and user.has_group(USER_GROUP))
        )

    def _desk_ensure_reship_within_delivery(self):
        """Refuse to ship again more than was lost: beyond that is a manager's decision,
        like a refund or a compensation.

        Each reshipment uses up goods that left for the customer. An incident about a
        delivery may ship again what that delivery brought, less what was already
        reshipped for it and what came back or is on its way back. The goods of the
        order's own deliveries (not reshipments) are counted once more for the order line:
        reshipments of incidents without a delivery and of incidents about those
        deliveries share what the order delivered (net of returns). The incidents of the
        batch count against each other in their order, as if resolved one by one.
        """
        if not self or self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        # sudo: quantities only, read for the check; desk users need no Inventory rights.
        incidents = self.sudo()
        sale_lines = incidents.line_ids.sale_line_id
        reshipped_moves = (
            self.env["stock.move"]
            .sudo()
            .search(
                [
                    ("desk_incident_id", "!=", False),
                    ("sale_line_id", "in", sale_lines.ids),
                    ("state", "!=", "cancel"),
                    ("location_dest_id.usage", "=", "customer"),
                ]
            )
        )

        def in_line_unit(move, quantity):
            return move.product_uom._compute_quantity(
                quantity, move.sale_line_id.product_uom_id
            )

        def moved(move):
            return move.quantity if move.state == "done" else move.product_uom_qty

        def is_reshipment(picking):
            return any(picking.move_ids.mapped("desk_incident_id"))

        # What each pool of goods already gave to reshipments: a delivery's own goods
        # (picking, order line), the order line's delivered goods (False, order line).
        used = defaultdict(float)
        for move in reshipped_moves:
            quantity = in_line_unit(move, moved(move))
            picking = move.desk_incident_id.picking_id
            if picking:
                used[picking, move.sale_line_id] += quantity
            if not picking or not is_reshipment(picking):
                used[False, move.sale_line_id] += quantity
        for incident in incidents:
            asked = defaultdict(float)
            for line in incident._desk_lines_to_act_on():
                asked[line.sale_line_id] += line.quantity
            picking = incident.picking_id
            for sale_line, quantity in asked.items():
                pools = []
                if picking:
                    moves = picking.move_ids.filtered(
                        lambda m, s=sale_line: m.state == "done" and m.sale_line_id == s
                    )
                    returned = sum(
                        in_line_unit(back, moved(back))
                        for back in moves.returned_move_ids
                        if back.state != "cancel"
                    )
                    pools.append(
                        (
                            (picking, sale_line),
                            sum(in_line_unit(m, m.quantity) for m in moves),
                            returned,
                        )
                    )
                if not picking or not is_reshipment(picking):
                    pools.append(((False, sale_line), sale_line.qty_delivered, 0.0))
                for key, delivered, returned in pools:
                    left = delivered - used[key] - returned
                    if float_compare(quantity, left, precision_digits=precision) > 0:
                        raise incident._desk_reship_refusal(
                            key[0], sale_line, quantity, delivered, used[key], returned
                        )
                for key, _delivered, _returned in pools:
                    used[key] += quantity

    def _desk_reship_refusal(
        self, picking, sale_line, quantity, delivered, reshipped, returned
    ):
        """The error refusing to ship ``quantity`` of ``sale_line`` again."""
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        values = {
            "incident": self.name,
            "quantity": formatLang(self.env, quantity, digits=precision),
            "product": sale_line.product_id.display_name,
            "delivered": formatLang(self.env, delivered, digits=precision),
            "reshipped": formatLang(self.env, reshipped, digits=precision),
            "returned": formatLang(self.env, returned, digits=precision),
        }
        if picking:
            return AccessError(
                self.env._(
                    "Incident %(incident)s: %(quantity)s %(product)s to ship again, but "
                    "%(picking)s brought %(delivered)s, of which %(reshipped)s were "
                    "already reshipped and %(returned)s returned. Only an Order Desk "
                    "manager can ship more.",
                    picking=picking.name,
                    **values,
                )
            )
        return AccessError(
            self.env._(
                "Incident %(incident)s: %(quantity)s %(product)s to ship again, but the "
                "order delivered %(delivered)s (net of returns), of which %(reshipped)s "
                "were already reshipped. Only an Order Desk manager can ship more.",
                **values,
            )
        )

    # ------------------------------------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_open_counts(self, field_name, records):
        """``{record: number of open incidents}`` for orders or deliveries, one query."""
        return dict(
            self._read_group(
                [
                    (field_name, "in", records.ids),
                    ("state", "in", ("open", "in_progress")),
                ],
                groupby=[field_name],
                aggregates=["__count"],
            )
        )

    def _desk_default_lines(self):
        """The goods of the delivery, when an incident about a delivery lists none."""
        vals_list = []
        for incident in self.filtered(lambda i: i.picking_id and not i.line_ids):
            for move in incident.picking_id.move_ids.filtered(
                lambda m: m.state != "cancel" and m.sale_line_id
            ):
                quantity = (
                    move.quantity if move.state == "done" else move.product_uom_qty
                )
                vals_list.append(
                    {
                        "incident_id": incident.id,
                        "sale_line_id": move.sale_line_id.id,
                        "quantity": move.product_uom._compute_quantity(
                            quantity, move.sale_line_id.product_uom_id
                        ),
                    }
                )
        self.env["order.desk.incident.line"].create(vals_list)

    def _desk_lines_to_act_on(self):
        """The incident's lines with a quantity; refuses an incident with none."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.quantity > 0)
        if not self.order_id or not lines:
            raise UserError(
                self.env._(
                    "Incident %(incident)s: list the goods affected (order lines and "
                    "quantities) first.",
                    incident=self.name,
                )
            )
        return lines

    def _desk_reship(self):
        """Ship the affected goods again through Odoo's procurement (the order's routes and
        warehouse). The new moves are marked with the incident: they do not count again as
        delivered on the order lines, so the customer is not invoiced twice."""
        if not self:
            return
        requests = []
        for incident in self:
            lines = incident._desk_lines_to_act_on()
            not_goods = lines.filtered(lambda line: line.product_id.type != "consu")
            if not_goods:
                raise UserError(
                    self.env._(
                        "Incident %(incident)s: %(product)s is not a good that can be "
                        "shipped.",
                        incident=incident.name,
                        product=not_goods[0].product_id.display_name,
                    )
                )
            requests += [
                (
                    line.sale_line_id,
                    line.quantity,
                    incident.name,
                    {
                        "date_deadline": fields.Datetime.now(),
                        "desk_incident_id": incident.id,
                    },
                )
                for line in lines
            ]
        self._desk_procure(requests)
        # sudo: the moves were just made for these incidents; desk users need no Inventory
        # rights to link them.
        moves = (
            self.env["stock.move"].sudo().search([("desk_incident_id", "in", self.ids)])
        )
        for incident in self:
            # sudo: the link records what the resolution made (a system field).
            incident.sudo().new_picking_ids = moves.filtered(
                lambda m, i=incident: m.desk_incident_id == i
            ).picking_id
        # The lost or damaged deliveries are replaced: the order is delivered when the new
        # ones arrive. sudo: a flag on the delivery, written by the desk's decision.
        self.picking_id.filtered(lambda p: p.state == "done").sudo().write(
            {"desk_superseded": True}
        )
        self._desk_log(
            lambda i: i.env._(
                "New delivery created: %(pickings)s.",
                pickings=", ".join(i.new_picking_ids.mapped("name")),
            )
        )

    def _desk_refund(self):
        """Draft credit notes at the invoiced price for the affected quantities."""
        for incident in self:
            lines = incident._desk_lines_to_act_on()
            quantities = {}
            for line in lines:
                quantities[line.sale_line_id] = (
                    quantities.get(line.sale_line_id, 0.0) + line.quantity
                )
            refunds = incident.order_id._desk_create_refunds(
                quantities,
                self.env._(
                    "%(incident)s: %(note)s",
                    incident=incident.name,
                    note=incident.resolution_note,
                ),
            )
            # sudo: the link records what the resolution made (a system field).
            incident.sudo().refund_move_ids = [
                Command.link(move.id) for move in refunds
            ]
        self._desk_log(
            lambda i: i.env._(
                "Draft credit note prepared: %(moves)s.",
                moves=", ".join(i.refund_move_ids.mapped("display_name")),
            )
        )

    def _desk_compensate(self):
        """A draft credit note of the compensation amount (none for a zero amount)."""
        negative = self.filtered(lambda i: i.compensation_amount < 0)
        if negative:
            raise UserError(
                self.env._(
                    "Incident %(incident)s: the compensation cannot be negative.",
                    incident=negative[0].name,
                )
            )
        paying = self.filtered(
            lambda i: (
                not float_is_zero(
                    i.compensation_amount, precision_rounding=i.currency_id.rounding
                )
            )
        )
        no_customer = paying.filtered(lambda i: not i.partner_id)
        if no_customer:
            raise UserError(
                self.env._(
                    "Incident %(incident)s: a compensation needs a customer.",
                    incident=no_customer[0].name,
                )
            )
        # sudo: a draft credit note is a proposal an accountant reviews and posts; the desk
        # manager who decided the compensation needs no Accounting rights to prepare it.
        moves = (
            self.env["account.move"]
            .sudo()
            .create(
                [
                    {
                        "move_type": "out_refund",
                        "company_id": incident.company_id.id,
                        "partner_id": incident.partner_id.commercial_partner_id.id,
                        "currency_id": incident.currency_id.id,
                        "invoice_origin": incident.order_id.name or incident.name,
                        "ref": incident.name,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": self.env._(
                                        "Compensation for %(incident)s",
                                        incident=incident.name,
                                    ),
                                    "quantity": 1.0,
                                    "price_unit": incident.compensation_amount,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for incident in paying
                ]
            )
        )
        for incident, move in zip(paying, moves, strict=True):
            # sudo: the link records what the resolution made (a system field).
            incident.sudo().refund_move_ids = [Command.link(move.id)]

    def _desk_notify(self, xmlid):
        """E-mail the customers from the chatter with a template (logged)."""
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if not template:
            return
        for incident in self.filtered("partner_id"):
            incident.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )


class OrderDeskIncidentLine(models.Model):
    _name = "order.desk.incident.line"
    _description = "Order Desk Incident Line"
    _inherit = ["order.desk.field.guard"]
    _order = "incident_id, id"
    _check_company_auto = True

    incident_id = fields.Many2one(
        "order.desk.incident", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="incident_id.company_id", store=True, precompute=True
    )
    order_id = fields.Many2one(related="incident_id.order_id")
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        required=True,
        check_company=True,
        domain="[('order_id', '=', order_id), ('display_type', '=', False)]",
    )
    product_id = fields.Many2one(related="sale_line_id.product_id", store=True)
    product_uom_id = fields.Many2one(related="sale_line_id.product_uom_id")
    quantity = fields.Float(digits="Product Unit", default=1.0)

    @api.depends("incident_id.name", "product_id")
    def _compute_display_name(self):
        # The document and the goods (a line is named in chatter, logs and errors).
        for line in self:
            line.display_name = " - ".join(
                name
                for name in (line.incident_id.name, line.product_id.display_name)
                if name
            ) or str(line.id or "")

    _quantity_positive = models.Constraint(
        "CHECK(quantity >= 0)", "The quantity of an incident line cannot be negative."
    )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["order.desk.incident"].browse(
            {vals["incident_id"] for vals in vals_list if vals.get("incident_id")}
        )._desk_ensure_not_closed()
        return super().create(vals_list)

    def write(self, vals):
        self.incident_id._desk_ensure_not_closed()
        if "incident_id" in vals:
            # Neither may a line join a closed incident.
            self.env["order.desk.incident"].browse(
                vals["incident_id"]
            )._desk_ensure_not_closed()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        self.incident_id._desk_ensure_not_closed()

    @api.constrains("sale_line_id", "incident_id")
    def _check_sale_line_id(self):
        for line in self:
            if line.sale_line_id.order_id != line.incident_id.order_id:
                raise ValidationError(
                    self.env._(
                        "Incident %(incident)s: %(product)s is not a line of its order.",
                        incident=line.incident_id.name,
                        product=line.sale_line_id.display_name,
                    )
                )
