import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, float_compare

from .account_move import MONEY_MOVE
from .sale_order import SaleOrder as DeskSaleOrder

_logger = logging.getLogger(__name__)

# The order's timeline and counters the KPIs stand on: written by the desk's own actions and
# computes only (as the system). Refused on create and write unless the caller is the superuser
# (a sudo() environment): a form, an import or an RPC call cannot rewrite the desk's history.
KPI_SYSTEM_FIELDS = (
    "desk_received_date",
    "desk_ready_date",
    "desk_first_shipped_date",
    "desk_last_shipped_date",
    "desk_delivered_date",
    "desk_ship_due_date",
    "desk_delivery_due_date",
    "desk_shipped_in_full",
    "desk_line_count",
    "desk_invoiced_date",
    "desk_paid_date",
    "desk_reject_count",
    "desk_unlock_count",
)

# The computed ones among them, with their column type: created before Odoo's own schema update
# so that installing or upgrading does not recompute them record by record on a live database
# (hooks.PRE_INIT_COLUMNS, the pre-init hook and the 19.0.1.2.0 pre-migration create them;
# _desk_init_timeline fills them in SQL).
KPI_COMPUTED_COLUMNS = {
    "desk_ready_date": "timestamp",
    "desk_first_shipped_date": "timestamp",
    "desk_last_shipped_date": "timestamp",
    "desk_delivered_date": "timestamp",
    "desk_ship_due_date": "timestamp",
    "desk_delivery_due_date": "timestamp",
    "desk_shipped_in_full": "boolean",
    "desk_line_count": "int4",
    "desk_invoiced_date": "date",
    "desk_paid_date": "date",
}

# Created with them: the received date too, so that existing orders keep it empty (the
# timeline's fill gives them their creation date) instead of the install's moment, which
# Odoo would write as the field's default into every existing row.
KPI_PRE_INIT_COLUMNS = {"desk_received_date": "timestamp", **KPI_COMPUTED_COLUMNS}

# Customer deliveries that count for the timeline: done, to a customer location, not a return.
CUSTOMER_DELIVERIES = """
      FROM stock_picking picking
      JOIN stock_location destination ON destination.id = picking.location_dest_id
      JOIN stock_picking_type picking_type ON picking_type.id = picking.picking_type_id
     WHERE picking.sale_id IS NOT NULL
       AND destination.usage = 'customer'
       AND picking_type.code != 'incoming'
"""


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # The timeline joins the desk's own audit fields (see order.desk.field.guard): refused on
    # create and write for every caller but the system, whatever the context says.
    _desk_system_fields = DeskSaleOrder._desk_system_fields | frozenset(
        KPI_SYSTEM_FIELDS
    )

    # Timeline
    desk_received_date = fields.Datetime(
        string="Received On",
        default=lambda self: fields.Datetime.now(),
        readonly=True,
        copy=False,
        index=True,
        help="When the order reached the desk (it was created), whatever its channel.",
        groups="base.group_user",
    )
    desk_ready_date = fields.Datetime(
        string="Ready On",
        compute="_compute_desk_timeline",
        store=True,
        copy=False,
        help="The first time every open delivery of the order was prepared (or its first "
        "goods left, when they left without waiting in the ready state).",
        groups="base.group_user",
    )
    desk_first_shipped_date = fields.Datetime(
        string="First Goods Out",
        compute="_compute_desk_timeline",
        store=True,
        copy=False,
        index=True,
        help="When the first delivery of the order to the customer was validated.",
        groups="base.group_user",
    )
    desk_last_shipped_date = fields.Datetime(
        string="Shipped On",
        compute="_compute_desk_timeline",
        store=True,
        copy=False,
        index=True,
        help="When the last goods of the order left: the moment the order was completely "
        "shipped.",
        groups="base.group_user",
    )
    desk_delivered_date = fields.Datetime(
        string="Delivered On",
        compute="_compute_desk_timeline",
        store=True,
        copy=False,
        index=True,
        help="When the customer had every delivery of the order (the latest delivered date "
        "of its deliveries; a reshipment replaces the delivery it replaces).",
        groups="base.group_user",
    )
    desk_shipped_in_full = fields.Boolean(
        string="First Shipment in Full",
        compute="_compute_desk_timeline",
        store=True,
        copy=False,
        help="The first delivery to the customer carried every ordered quantity.",
        groups="base.group_user",
    )
    desk_ship_due_date = fields.Datetime(
        string="Ship By",
        compute="_compute_desk_due_dates",
        store=True,
        copy=False,
        index=True,
        help="The promised delivery date of the order or, when none was promised, the "
        "scheduled date of its delivery; kept as it was when the first goods left.",
        groups="base.group_user",
    )
    desk_delivery_due_date = fields.Datetime(
        string="Deliver By",
        compute="_compute_desk_due_dates",
        store=True,
        copy=False,
        help="The promised delivery date of the order or, when none was promised, the "
        "shipping due date plus the company's transit days; kept as it was when the first "
        "goods left.",
        groups="base.group_user",
    )

    # The review's own dates, indexed: the KPIs of a period filter on them.
    desk_submitted_date = fields.Datetime(index=True)
    desk_approved_date = fields.Datetime(index=True)

    # Money
    desk_invoiced_date = fields.Date(
        string="First Invoiced On",
        compute="_compute_desk_money_dates",
        store=True,
        copy=False,
        help="Invoice date of the order's first posted customer invoice.",
        groups="base.group_user",
    )
    desk_paid_date = fields.Date(
        string="Paid On",
        compute="_compute_desk_money_dates",
        store=True,
        copy=False,
        index=True,
        help="Once every posted invoice of the order is settled and money came in for it: "
        "the date of the last payment or bank statement line reconciled with them (credit "
        "notes settle an invoice but are not payments).",
        groups="base.group_user",
    )
    desk_line_count = fields.Integer(
        string="Number of Lines",
        compute="_compute_desk_line_count",
        store=True,
        copy=False,
        groups="base.group_user",
    )

    # Counters of the managers' decisions (written by their actions)
    desk_reject_count = fields.Integer(
        string="Rejections",
        default=0,
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    desk_unlock_count = fields.Integer(
        string="Unlocks", default=0, readonly=True, copy=False, groups="base.group_user"
    )

    @api.depends(
        "desk_shipping_state",
        "picking_ids.date_done",
        "picking_ids.desk_delivered_date",
        "picking_ids.desk_superseded",
    )
    def _compute_desk_timeline(self):
        """Follow the order's deliveries to the customer.

        The first goods out, the in-full verdict of that first shipment, the ready moment and
        the shipped moment are kept once known (history does not change when a delivery is
        reshipped or the order is unlocked); the delivered moment follows the deliveries while
        the order is delivered (a reshipment that arrives later moves it).
        """
        now = fields.Datetime.now()
        for order in self:
            state = order.desk_shipping_state
            done = order.picking_ids.filtered(
                lambda p: p.state == "done" and p._desk_is_customer_delivery()
            )
            first = order.desk_first_shipped_date
            in_full = order.desk_shipped_in_full
            if not first and done:
                first_delivery = done.sorted(lambda p: (p.date_done, p.id))[0]
                first = first_delivery.date_done
                in_full = order._desk_carried_in_full(first_delivery)
            ready = order.desk_ready_date
            if not ready:
                if state == "ready":
                    ready = now
                elif state in ("partial", "shipped", "delivered"):
                    ready = first
            last = order.desk_last_shipped_date
            if not last and state in ("shipped", "delivered") and done:
                last = max(done.mapped("date_done"))
            delivered = order.desk_delivered_date
            if state == "delivered":
                arriving = done.filtered(lambda p: not p.desk_superseded)
                delivered = max(arriving.mapped("desk_delivered_date"), default=False)
            order.desk_first_shipped_date = first
            order.desk_shipped_in_full = in_full
            order.desk_ready_date = ready
            order.desk_last_shipped_date = last
            order.desk_delivered_date = delivered or order.desk_delivered_date

    @api.depends(
        "commitment_date",
        "picking_ids.scheduled_date",
        "picking_ids.state",
        "company_id.order_desk_transit_days",
        "desk_first_shipped_date",
    )
    def _compute_desk_due_dates(self):
        """What the order owes the customer, frozen once its first goods left."""
        for order in self:
            if order.desk_first_shipped_date and order.desk_ship_due_date:
                order.desk_ship_due_date = order.desk_ship_due_date
                order.desk_delivery_due_date = order.desk_delivery_due_date
                continue
            if order.commitment_date:
                order.desk_ship_due_date = order.commitment_date
                order.desk_delivery_due_date = order.commitment_date
                continue
            delivery = order._desk_first_planned_delivery()
            due = delivery.scheduled_date if delivery else False
            order.desk_ship_due_date = due
            order.desk_delivery_due_date = (
                due + timedelta(days=order.company_id.order_desk_transit_days)
                if due
                else False
            )

    @api.depends("order_line.display_type")
    def _compute_desk_line_count(self):
        for order in self:
            order.desk_line_count = len(
                order.order_line.filtered(lambda line: not line.display_type)
            )

    @api.depends(
        "order_line.invoice_lines.move_id.state",
        "order_line.invoice_lines.move_id.invoice_date",
        "order_line.invoice_lines.move_id.payment_state",
    )
    def _compute_desk_money_dates(self):
        for order in self:
            invoices = order.order_line.invoice_lines.move_id.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
            )
            order.desk_invoiced_date = min(
                (d for d in invoices.mapped("invoice_date") if d), default=False
            )
            paid = False
            if invoices and all(
                m.payment_state in ("paid", "in_payment", "reversed") for m in invoices
            ):
                partials = invoices.line_ids.filtered(
                    lambda line: line.display_type == "payment_term"
                ).matched_credit_ids
                money = partials.filtered(
                    lambda p: p.credit_move_id.move_id._desk_is_money()
                )
                paid = max(money.mapped("max_date"), default=False)
            order.desk_paid_date = paid

    def _desk_first_planned_delivery(self):
        """The order's original delivery to the customer: not a backorder, not a reshipment
        after an incident, not cancelled; the oldest."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: (
                p.state != "cancel"
                and not p.backorder_id
                and p._desk_is_customer_delivery()
                and not any(p.move_ids.mapped("desk_incident_id"))
            )
        ).sorted("id")[:1]

    def _desk_carried_in_full(self, picking):
        """Whether ``picking`` (a done delivery of the order) carried every ordered quantity
        of the order's goods (delivery charges and services left out)."""
        self.ensure_one()
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        lines = self.order_line.filtered(
            lambda line: (
                not line.display_type
                and not line.is_delivery
                and line.product_id.type == "consu"
                and line.product_uom_qty > 0
            )
        )
        for line in lines:
            carried = sum(
                move.product_uom._compute_quantity(move.quantity, line.product_uom_id)
                for move in picking.move_ids
                if move.state == "done" and move.sale_line_id == line
            )
            if (
                float_compare(carried, line.product_uom_qty, precision_digits=precision)
                < 0
            ):
                return False
        return True

    # ------------------------------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------------------------------
    # ------------------------------------------------------------------------------------------
    # Desk actions: the managers' decisions are counted
    # ------------------------------------------------------------------------------------------
    def action_desk_reject(self, reason):
        result = super().action_desk_reject(reason)
        self._desk_increment("desk_reject_count")
        return result

    def action_desk_unlock(self, reason):
        result = super().action_desk_unlock(reason)
        self._desk_increment("desk_unlock_count")
        return result

    def _desk_increment(self, field_name):
        """Add one to a decision counter of every order of ``self``, in one statement (two
        decisions at the same moment both count: the row lock of the UPDATE orders them)."""
        if not self:
            return
        self.flush_recordset([field_name])
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET %(field)s = COALESCE(%(field)s, 0) + 1 "
                "WHERE id IN %(ids)s",
                field=SQL.identifier(field_name),
                ids=tuple(self.ids),
            )
        )
        self.invalidate_recordset([field_name])

    # ------------------------------------------------------------------------------------------
    # Existing orders
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_init_timeline(self, from_tracking=False):
        """Fill the timeline of orders that do not have it, in SQL (no chatter, no ORM
        recompute): on install on a database with orders, and by the 19.0.1.2.0 migration.

        Only empty values are filled, so orders the desk already follows keep theirs. What the
        database knows: the orders' creation, their deliveries' done dates, delivered dates and
        scheduled dates, their stock moves; with ``from_tracking``, the tracked changes of the
        desk status (ready, rejections, unlocks). Logs what could not be filled.
        """
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE sale_order SET desk_received_date = create_date "
                "WHERE desk_received_date IS NULL"
            )
        )
        # Orders confirmed before the desk followed them: Odoo dates the order when it is
        # confirmed.
        cr.execute(
            SQL(
                "UPDATE sale_order SET desk_approved_date = date_order "
                "WHERE state = 'sale' AND desk_approved_date IS NULL"
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE sale_order
                   SET desk_reject_count = COALESCE(desk_reject_count, 0),
                       desk_unlock_count = COALESCE(desk_unlock_count, 0)
                 WHERE desk_reject_count IS NULL OR desk_unlock_count IS NULL
                """
            )
        )
        # First and last goods out.
        cr.execute(
            SQL(
                """
                UPDATE sale_order so
                   SET desk_first_shipped_date = COALESCE(so.desk_first_shipped_date,
                                                          goods.first_out),
                       desk_last_shipped_date = COALESCE(
                           so.desk_last_shipped_date,
                           CASE WHEN so.desk_shipping_state IN ('shipped', 'delivered')
                                THEN goods.last_out END)
                  FROM (SELECT picking.sale_id,
                               MIN(picking.date_done) AS first_out,
                               MAX(picking.date_done) AS last_out
                          %(deliveries)s
                           AND picking.state = 'done'
                      GROUP BY picking.sale_id) goods
                 WHERE goods.sale_id = so.id
                   AND (so.desk_first_shipped_date IS NULL
                        OR so.desk_last_shipped_date IS NULL)
                """,
                deliveries=SQL(CUSTOMER_DELIVERIES),
            )
        )
        # Delivered: every delivery that arrives (not replaced by a reshipment) has its date.
        cr.execute(
            SQL(
                """
                UPDATE sale_order so
                   SET desk_delivered_date = arrived.delivered
                  FROM (SELECT picking.sale_id,
                               MAX(picking.desk_delivered_date) AS delivered
                          %(deliveries)s
                           AND picking.state = 'done'
                           AND NOT COALESCE(picking.desk_superseded, FALSE)
                      GROUP BY picking.sale_id
                        HAVING bool_and(picking.desk_delivered_date IS NOT NULL)) arrived
                 WHERE arrived.sale_id = so.id
                   AND so.desk_shipping_state = 'delivered'
                   AND so.desk_delivered_date IS NULL
                """,
                deliveries=SQL(CUSTOMER_DELIVERIES),
            )
        )
        if from_tracking:
            self._desk_init_timeline_from_tracking()
        # Ready: when the goods left, they were ready.
        cr.execute(
            SQL(
                """
                UPDATE sale_order
                   SET desk_ready_date = desk_first_shipped_date
                 WHERE desk_ready_date IS NULL
                   AND desk_first_shipped_date IS NOT NULL
                """
            )
        )
        self._desk_init_in_full()
        self._desk_init_due_dates()
        self._desk_init_lines_and_money()
        self.invalidate_model(
            [
                "desk_received_date",
                "desk_approved_date",
                "desk_reject_count",
                "desk_unlock_count",
                *KPI_COMPUTED_COLUMNS,
            ]
        )
        self._desk_log_unfilled()

    @api.model
    def _desk_init_timeline_from_tracking(self):
        """Ready moments and the managers' rejections and unlocks from the tracked changes of
        the desk status (labels are matched in every language they were tracked in)."""
        cr = self.env.cr
        tracked = SQL(
            """
            SELECT message.res_id AS order_id,
                   message.date,
                   old_value.value AS old_state,
                   new_value.value AS new_state
              FROM mail_tracking_value tracking
              JOIN mail_message message ON message.id = tracking.mail_message_id
              JOIN ir_model_fields field ON field.id = tracking.field_id
              LEFT JOIN LATERAL (
                    SELECT selection.value
                      FROM ir_model_fields_selection selection
                     WHERE selection.field_id = field.id
                       AND EXISTS (SELECT 1 FROM jsonb_each_text(selection.name) label
                                    WHERE label.value = tracking.old_value_char)
                     LIMIT 1) old_value ON TRUE
              LEFT JOIN LATERAL (
                    SELECT selection.value
                      FROM ir_model_fields_selection selection
                     WHERE selection.field_id = field.id
                       AND EXISTS (SELECT 1 FROM jsonb_each_text(selection.name) label
                                    WHERE label.value = tracking.new_value_char)
                     LIMIT 1) new_value ON TRUE
             WHERE message.model = 'sale.order'
               AND field.model = 'sale.order'
               AND field.name = 'desk_state'
            """
        )
        cr.execute(
            SQL(
                """
                WITH changes AS (%(tracked)s)
                UPDATE sale_order so
                   SET desk_ready_date = COALESCE(so.desk_ready_date, counted.ready),
                       desk_reject_count = GREATEST(so.desk_reject_count, counted.rejects),
                       desk_unlock_count = GREATEST(so.desk_unlock_count, counted.unlocks)
                  FROM (SELECT order_id,
                               MIN(date) FILTER (WHERE new_state = 'ready') AS ready,
                               COUNT(*) FILTER (WHERE old_state = 'to_review'
                                                  AND new_state = 'draft') AS rejects,
                               COUNT(*) FILTER (WHERE old_state IN ('locked', 'ready')
                                                  AND new_state = 'approved') AS unlocks
                          FROM changes
                      GROUP BY order_id) counted
                 WHERE counted.order_id = so.id
                """,
                tracked=tracked,
            )
        )

    @api.model
    def _desk_init_in_full(self):
        """The in-full verdict of the first delivery of orders whose goods left."""
        self.env.cr.execute(
            SQL(
                """
                WITH first_delivery AS (
                    SELECT DISTINCT ON (picking.sale_id) picking.sale_id, picking.id
                      %(deliveries)s
                       AND picking.state = 'done'
                  ORDER BY picking.sale_id, picking.date_done, picking.id
                ), carried AS (
                    SELECT move.sale_line_id,
                           SUM(move.quantity * move_uom.factor) AS quantity
                      FROM first_delivery
                      JOIN stock_move move ON move.picking_id = first_delivery.id
                      JOIN uom_uom move_uom ON move_uom.id = move.product_uom
                     WHERE move.state = 'done'
                       AND move.sale_line_id IS NOT NULL
                  GROUP BY move.sale_line_id
                )
                UPDATE sale_order so
                   SET desk_shipped_in_full = NOT EXISTS (
                        SELECT 1
                          FROM sale_order_line line
                          JOIN uom_uom line_uom ON line_uom.id = line.product_uom_id
                          JOIN product_product product ON product.id = line.product_id
                          JOIN product_template template
                            ON template.id = product.product_tmpl_id
                          LEFT JOIN carried ON carried.sale_line_id = line.id
                         WHERE line.order_id = so.id
                           AND line.display_type IS NULL
                           AND NOT COALESCE(line.is_delivery, FALSE)
                           AND template.type = 'consu'
                           AND line.product_uom_qty > 0
                           AND COALESCE(carried.quantity, 0)
                               < line.product_uom_qty * line_uom.factor - 1e-6)
                  FROM first_delivery
                 WHERE first_delivery.sale_id = so.id
                   AND so.desk_shipped_in_full IS NULL
                """,
                deliveries=SQL(CUSTOMER_DELIVERIES),
            )
        )

    @api.model
    def _desk_init_due_dates(self):
        """Due dates from the promise, else from the original delivery's scheduled date."""
        self.env.cr.execute(
            SQL(
                """
                WITH planned AS (
                    SELECT DISTINCT ON (picking.sale_id)
                           picking.sale_id, picking.scheduled_date
                      %(deliveries)s
                       AND picking.state != 'cancel'
                       AND picking.backorder_id IS NULL
                       AND NOT EXISTS (SELECT 1 FROM stock_move move
                                        WHERE move.picking_id = picking.id
                                          AND move.desk_incident_id IS NOT NULL)
                  ORDER BY picking.sale_id, picking.id
                )
                UPDATE sale_order so
                   SET desk_ship_due_date = COALESCE(so.commitment_date,
                                                     planned.scheduled_date),
                       desk_delivery_due_date = COALESCE(
                           so.commitment_date,
                           planned.scheduled_date
                             + make_interval(days => COALESCE(
                                   company.order_desk_transit_days, 0)))
                  FROM sale_order base
                  JOIN res_company company ON company.id = base.company_id
                  LEFT JOIN planned ON planned.sale_id = base.id
                 WHERE base.id = so.id
                   AND so.desk_ship_due_date IS NULL
                   AND (so.commitment_date IS NOT NULL OR planned.sale_id IS NOT NULL)
                """,
                deliveries=SQL(CUSTOMER_DELIVERIES),
            )
        )

    @api.model
    def _desk_init_lines_and_money(self):
        """Line counts, first invoice dates and payment dates, as their computes set them."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE sale_order so
                   SET desk_line_count = counted.line_count
                  FROM (SELECT order_id, COUNT(*) AS line_count
                          FROM sale_order_line
                         WHERE display_type IS NULL
                      GROUP BY order_id) counted
                 WHERE counted.order_id = so.id
                   AND so.desk_line_count IS NULL
                """
            )
        )
        cr.execute(
            SQL(
                "UPDATE sale_order SET desk_line_count = 0 WHERE desk_line_count IS NULL"
            )
        )
        cr.execute(
            SQL(
                """
                WITH invoices AS (
                    SELECT DISTINCT order_line.order_id, invoice.id, invoice.invoice_date,
                           invoice.payment_state
                      FROM sale_order_line_invoice_rel rel
                      JOIN sale_order_line order_line ON order_line.id = rel.order_line_id
                      JOIN account_move_line invoice_line
                        ON invoice_line.id = rel.invoice_line_id
                      JOIN account_move invoice ON invoice.id = invoice_line.move_id
                     WHERE invoice.state = 'posted'
                       AND invoice.move_type = 'out_invoice'
                ), money AS (
                    SELECT receivable.move_id, MAX(partial.max_date) AS paid_date
                      FROM account_move_line receivable
                      JOIN account_partial_reconcile partial
                        ON partial.debit_move_id = receivable.id
                      JOIN account_move_line counterpart
                        ON counterpart.id = partial.credit_move_id
                      JOIN account_move money ON money.id = counterpart.move_id
                     WHERE receivable.display_type = 'payment_term'
                       AND receivable.move_id IN (SELECT id FROM invoices)
                       AND %(money)s
                  GROUP BY receivable.move_id
                )
                UPDATE sale_order so
                   SET desk_invoiced_date = facts.invoiced,
                       desk_paid_date = CASE WHEN facts.settled THEN facts.paid END
                  FROM (SELECT invoices.order_id,
                               MIN(invoices.invoice_date) AS invoiced,
                               MAX(money.paid_date) AS paid,
                               bool_and(invoices.payment_state
                                        IN ('paid', 'in_payment', 'reversed')) AS settled
                          FROM invoices
                          LEFT JOIN money ON money.move_id = invoices.id
                      GROUP BY invoices.order_id) facts
                 WHERE facts.order_id = so.id
                   AND so.desk_invoiced_date IS NULL
                """,
                money=MONEY_MOVE,
            )
        )

    @api.model
    def _desk_log_unfilled(self):
        """Say which orders keep an empty timeline step the database could not tell."""
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE desk_shipping_state IN ('shipped', 'delivered')
                                          AND desk_last_shipped_date IS NULL),
                       COUNT(*) FILTER (WHERE desk_shipping_state = 'delivered'
                                          AND desk_delivered_date IS NULL),
                       COUNT(*) FILTER (WHERE state = 'sale'
                                          AND desk_approved_date IS NULL),
                       COUNT(*) FILTER (WHERE desk_ship_due_date IS NULL
                                          AND state = 'sale')
                  FROM sale_order
                """
            )
        )
        shipped, delivered, approved, due = self.env.cr.fetchone()
        _logger.info(
            "Order Desk KPI timeline filled. Left empty (the database does not know): "
            "%s shipped orders without a shipping date, %s delivered orders without a "
            "delivered date, %s confirmed orders without an approval date, %s confirmed "
            "orders without a due date.",
            shipped,
            delivered,
            approved,
            due,
        )
