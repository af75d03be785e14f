from odoo import api, fields, models, tools
from odoo.tools import SQL

from .order_desk_incident import INCIDENT_TYPES
from .sale_order import DESK_CHANNELS, DESK_STATES, PRIORITIES, SETTLEMENT_METHODS

# Returns that count: accepted by a manager (approved, received, done).
COUNTED_RETURN_STATES = ("approved", "received", "done")

# The KPIs that have a per-company target: (key, target field of res.company, True when a
# higher value is better).
TARGETS = (
    ("on_time", "order_desk_target_on_time", True),
    ("otif", "order_desk_target_otif", True),
    ("approval_hours", "order_desk_target_approval_hours", False),
    ("first_pass", "order_desk_target_first_pass", True),
    ("return_rate", "order_desk_target_return_rate", False),
)


def _hours(later, earlier):
    return SQL(
        "CASE WHEN %(later)s IS NOT NULL AND %(earlier)s IS NOT NULL "
        "THEN GREATEST(date_part('epoch', %(later)s - %(earlier)s) / 3600, 0) END",
        later=later,
        earlier=earlier,
    )


def _days(later, earlier):
    return SQL(
        "CASE WHEN %(later)s IS NOT NULL AND %(earlier)s IS NOT NULL "
        "THEN GREATEST(date_part('epoch', %(later)s - %(earlier)s) / 86400, 0) END",
        later=later,
        earlier=earlier,
    )


class OrderDeskKpiReport(models.Model):
    """One row per sales order with what the desk's KPIs are made of.

    Every rate has its numerator and denominator as summed measures next to it, and every
    average its total and its count, so that any grouping can recompute them exactly; the
    rates and averages themselves are measures with ``avg`` over the rows they apply to
    (the others hold NULL, which the average skips). Definitions: README, *KPIs*.
    """

    _name = "order.desk.kpi.report"
    _description = "Order Desk KPIs"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"
    _depends = {
        "sale.order": [
            "name",
            "company_id",
            "partner_id",
            "user_id",
            "team_id",
            "warehouse_id",
            "state",
            "desk_state",
            "desk_channel",
            "priority",
            "desk_settlement_method",
            "amount_untaxed",
            "currency_rate",
            "desk_received_date",
            "desk_submitted_date",
            "desk_submitted_user_id",
            "desk_approved_date",
            "desk_approved_user_id",
            "desk_ready_date",
            "desk_first_shipped_date",
            "desk_last_shipped_date",
            "desk_delivered_date",
            "desk_ship_due_date",
            "desk_delivery_due_date",
            "desk_shipped_in_full",
            "desk_shipping_state",
            "desk_reject_count",
            "desk_unlock_count",
            "desk_amounts_agree",
            "desk_line_count",
            "desk_invoiced_date",
            "desk_paid_date",
        ],
        "sale.order.line": ["order_id", "price_reduce_taxexcl"],
        "order.desk.exception": ["order_id", "severity", "state"],
        "order.desk.incident": ["order_id", "incident_type", "state"],
        "order.desk.return": ["order_id", "state", "approved_date"],
        "order.desk.return.line": [
            "return_id",
            "sale_line_id",
            "quantity",
            "at_company_fault",
        ],
        "order.desk.statement": [
            "partner_id",
            "company_id",
            "date_from",
            "date_to",
            "sent_date",
            "confirmed_date",
        ],
        "res.partner": ["commercial_partner_id"],
        "order.desk.statement.dispute": ["statement_id"],
        "res.company": [
            "currency_id",
            "order_desk_target_on_time",
            "order_desk_target_otif",
            "order_desk_target_approval_hours",
            "order_desk_target_first_pass",
            "order_desk_target_return_rate",
        ],
    }

    # Dimensions
    order_id = fields.Many2one("sale.order", readonly=True)
    name = fields.Char(string="Order Reference", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    clerk_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Who submitted the order for review (who created it, when never submitted).",
    )
    approver_id = fields.Many2one("res.users", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    channel = fields.Selection(DESK_CHANNELS, readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    settlement_method = fields.Selection(
        SETTLEMENT_METHODS, string="Settlement", readonly=True
    )
    desk_state = fields.Selection(DESK_STATES, string="Desk Status", readonly=True)
    date = fields.Datetime(string="Received On", readonly=True)
    date_submitted = fields.Datetime(string="Submitted On", readonly=True)
    date_approved = fields.Datetime(string="Approved On", readonly=True)
    date_first_shipped = fields.Datetime(string="First Goods Out", readonly=True)
    date_shipped = fields.Datetime(string="Shipped On", readonly=True)
    date_delivered = fields.Datetime(string="Delivered On", readonly=True)
    date_due = fields.Datetime(string="Ship By", readonly=True)
    date_returned = fields.Datetime(
        string="First Return On",
        readonly=True,
        help="When the first return of the order was approved.",
    )
    date_invoiced = fields.Date(string="Invoiced On", readonly=True)
    date_paid = fields.Date(string="Paid On", readonly=True)
    date_statement = fields.Datetime(
        string="Statement Sent On",
        readonly=True,
        help="When the customer's statement of account of the period of the order's first "
        "invoice was sent.",
    )
    late_now = fields.Boolean(
        readonly=True,
        help="Confirmed, goods not all shipped, and the shipping due date has passed.",
    )

    # Volume
    order_count = fields.Integer(string="Orders", readonly=True)
    line_count = fields.Integer(string="Lines", readonly=True)
    amount = fields.Monetary(
        readonly=True,
        help="Untaxed amount in the company's currency.",
    )

    # Speed
    approved_count = fields.Integer(string="Approved Orders", readonly=True)
    approval_hours = fields.Float(
        string="Approval Lead Time (h)",
        readonly=True,
        aggregator="avg",
        help="Hours from received to approved, averaged over approved orders.",
    )
    approval_hours_total = fields.Float(string="Approval Hours (Total)", readonly=True)
    shipped_count = fields.Integer(string="Shipped Orders", readonly=True)
    ship_hours = fields.Float(
        string="Approved to Shipped (h)",
        readonly=True,
        aggregator="avg",
        help="Hours from approved to the last goods out, averaged over shipped orders.",
    )
    ship_hours_total = fields.Float(string="Shipping Hours (Total)", readonly=True)
    delivered_count = fields.Integer(string="Delivered Orders", readonly=True)
    transit_days = fields.Float(
        string="Shipped to Delivered (days)",
        readonly=True,
        aggregator="avg",
        help="Days from the last goods out to delivered, averaged over delivered orders.",
    )
    transit_days_total = fields.Float(string="Transit Days (Total)", readonly=True)
    lead_days = fields.Float(
        string="Received to Delivered (days)",
        readonly=True,
        aggregator="avg",
        help="Days from received to delivered, averaged over delivered orders.",
    )
    lead_days_total = fields.Float(string="Lead Days (Total)", readonly=True)
    days_late = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Orders late now: days since the shipping due date.",
    )

    # Service
    shipped_on_time_count = fields.Integer(string="Shipped On Time", readonly=True)
    shipped_on_time_rate = fields.Float(
        string="Shipped On Time (%)",
        readonly=True,
        aggregator="avg",
        help="Shipped orders whose last goods left by the shipping due date.",
    )
    delivered_on_time_count = fields.Integer(string="Delivered On Time", readonly=True)
    delivered_on_time_rate = fields.Float(
        string="Delivered On Time (%)",
        readonly=True,
        aggregator="avg",
        help="Delivered orders the customer had by the delivery due date.",
    )
    first_shipped_count = fields.Integer(string="Orders with Goods Out", readonly=True)
    in_full_count = fields.Integer(string="In Full", readonly=True)
    in_full_rate = fields.Float(
        string="In Full (%)",
        readonly=True,
        aggregator="avg",
        help="Orders whose first shipment carried every ordered quantity.",
    )
    otif_count = fields.Integer(string="OTIF", readonly=True)
    otif_rate = fields.Float(
        string="OTIF (%)",
        readonly=True,
        aggregator="avg",
        help="Delivered orders delivered on time whose first shipment was in full.",
    )

    # Quality
    submitted_count = fields.Integer(string="Submitted Orders", readonly=True)
    exception_count = fields.Integer(string="Exceptions", readonly=True)
    blocking_count = fields.Integer(string="Blocking Exceptions", readonly=True)
    exceptions_per_order = fields.Float(
        string="Exceptions per Order",
        readonly=True,
        aggregator="avg",
        help="Exceptions the checks raised, averaged over submitted orders.",
    )
    blocking_per_order = fields.Float(
        string="Blocking per Order", readonly=True, aggregator="avg"
    )
    first_pass_count = fields.Integer(string="First Pass", readonly=True)
    first_pass_rate = fields.Float(
        string="First Pass (%)",
        readonly=True,
        aggregator="avg",
        help="Submitted orders on which the checks never raised an exception.",
    )
    override_count = fields.Integer(string="Overrides", readonly=True)
    reject_count = fields.Integer(string="Rejections", readonly=True)
    unlock_count = fields.Integer(string="Unlocks", readonly=True)
    incident_count = fields.Integer(string="Incidents", readonly=True)
    incident_stock_out_count = fields.Integer(
        string="Incidents: Stock-out", readonly=True
    )
    incident_damage_count = fields.Integer(string="Incidents: Damage", readonly=True)
    incident_lost_count = fields.Integer(string="Incidents: Lost", readonly=True)
    incident_delay_count = fields.Integer(string="Incidents: Delay", readonly=True)
    incident_complaint_count = fields.Integer(
        string="Incidents: Complaint", readonly=True
    )
    incident_address_count = fields.Integer(string="Incidents: Address", readonly=True)
    incident_other_count = fields.Integer(string="Incidents: Other", readonly=True)
    return_count = fields.Integer(string="Returns", readonly=True)
    return_qty = fields.Float(
        string="Returned Quantity", digits="Product Unit", readonly=True
    )
    return_value = fields.Monetary(string="Returned Value", readonly=True)
    returned_order_count = fields.Integer(string="Orders Returned", readonly=True)
    return_rate = fields.Float(
        string="Return Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Orders with goods out that have an approved return.",
    )
    against_us_count = fields.Integer(string="Returns Against Us", readonly=True)
    against_us_qty = fields.Float(
        string="Returned Quantity Against Us", digits="Product Unit", readonly=True
    )
    against_us_value = fields.Monetary(
        string="Returned Value Against Us", readonly=True
    )

    # Money
    disagree_count = fields.Integer(
        string="Amounts Not Agreeing",
        readonly=True,
        help="Confirmed orders whose invoiced amount differs from what is due for "
        "invoicing.",
    )
    paid_count = fields.Integer(string="Paid Orders", readonly=True)
    payment_days = fields.Float(
        string="Invoice to Payment (days)",
        readonly=True,
        aggregator="avg",
        help="Days from the first invoice to the last payment, averaged over orders whose "
        "invoices are settled and were paid (payments or bank statement lines; credit "
        "notes are not payments).",
    )
    payment_days_total = fields.Float(string="Payment Days (Total)", readonly=True)
    statement_sent_count = fields.Integer(string="On a Statement Sent", readonly=True)
    statement_confirmed_count = fields.Integer(
        string="Statement Confirmed", readonly=True
    )
    statement_disputed_count = fields.Integer(
        string="Statement Disputed", readonly=True
    )
    statement_answered_count = fields.Integer(
        string="Statement Answered", readonly=True
    )
    answer_days = fields.Float(
        string="Days to Customer's Answer",
        readonly=True,
        aggregator="avg",
        help="Days from sending the statement to the customer's confirmation or first "
        "dispute.",
    )
    answer_days_total = fields.Float(string="Answer Days (Total)", readonly=True)

    # Targets of the order's company
    target_on_time = fields.Float(
        string="Target: Shipped On Time (%)", readonly=True, aggregator="avg"
    )
    target_otif = fields.Float(
        string="Target: OTIF (%)", readonly=True, aggregator="avg"
    )
    target_approval_hours = fields.Float(
        string="Target: Approval Lead Time (h)", readonly=True, aggregator="avg"
    )
    target_first_pass = fields.Float(
        string="Target: First Pass (%)", readonly=True, aggregator="avg"
    )
    target_return_rate = fields.Float(
        string="Target: Return Rate (%)", readonly=True, aggregator="avg"
    )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # Every read of the report (pivot, graph, list, dashboard, KPIs) builds its query here.
        # PostgreSQL's JIT compiler estimates this view as expensive and spends seconds
        # compiling it, more than the query itself takes: off for the rest of this
        # transaction (a read request), as Odoo's website does with its own SET LOCAL.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        return super()._search(
            domain, offset=offset, limit=limit, order=order, **kwargs
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %(view)s AS (%(query)s)",
                view=SQL.identifier(self._table),
                query=self._desk_query(),
            )
        )

    @api.model
    def _desk_query(self):
        now = SQL("(now() AT TIME ZONE 'UTC')")
        rate = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)::float8")
        shipped = SQL("so.desk_last_shipped_date IS NOT NULL")
        delivered = SQL("so.desk_delivered_date IS NOT NULL")
        first_shipped = SQL("so.desk_first_shipped_date IS NOT NULL")
        submitted = SQL("so.desk_submitted_date IS NOT NULL")
        shipped_on_time = SQL(
            "(so.desk_ship_due_date IS NULL "
            "OR so.desk_last_shipped_date <= so.desk_ship_due_date)"
        )
        delivered_on_time = SQL(
            "(so.desk_delivery_due_date IS NULL "
            "OR so.desk_delivered_date <= so.desk_delivery_due_date)"
        )
        otif = SQL(
            "(%s AND %s AND COALESCE(so.desk_shipped_in_full, FALSE))",
            delivered,
            delivered_on_time,
        )
        first_pass = SQL("COALESCE(exceptions.exception_count, 0) = 0")
        late_now = SQL(
            "(so.state = 'sale' AND so.desk_shipping_state IN ('waiting', 'ready', "
            "'partial') AND so.desk_ship_due_date < %s)",
            now,
        )
        returned = SQL("COALESCE(returns.return_count, 0) > 0")
        paid = SQL(
            "(so.desk_paid_date IS NOT NULL AND so.desk_invoiced_date IS NOT NULL)"
        )
        incident_columns = SQL(", ").join(
            SQL(
                "COUNT(*) FILTER (WHERE incident_type = %(type)s) AS %(column)s",
                type=incident_type,
                column=SQL.identifier(f"incident_{incident_type}_count"),
            )
            for incident_type, _label in INCIDENT_TYPES
        )
        incident_selects = SQL(", ").join(
            SQL(
                "COALESCE(incidents.%(column)s, 0)::int AS %(column)s",
                column=SQL.identifier(f"incident_{incident_type}_count"),
            )
            for incident_type, _label in INCIDENT_TYPES
        )

        def flag(condition):
            return SQL("CASE WHEN %s THEN 1 ELSE 0 END", condition)

        def percent(condition, population):
            return SQL(
                "CASE WHEN %(population)s THEN CASE WHEN %(condition)s THEN 100::float8 "
                "ELSE 0::float8 END END",
                population=population,
                condition=condition,
            )

        def only(value, population):
            return SQL("CASE WHEN %s THEN %s END", population, value)

        def total(value):
            return SQL("COALESCE(%s, 0)", value)

        approval = _hours(SQL("so.desk_approved_date"), SQL("so.desk_received_date"))
        shipping = only(
            _hours(SQL("so.desk_last_shipped_date"), SQL("so.desk_approved_date")),
            shipped,
        )
        transit = only(
            _days(SQL("so.desk_delivered_date"), SQL("so.desk_last_shipped_date")),
            delivered,
        )
        lead = _days(SQL("so.desk_delivered_date"), SQL("so.desk_received_date"))
        answer = only(
            SQL(
                "GREATEST(date_part('epoch', LEAST(statement.confirmed_date, "
                "disputes.first_dispute) - statement.sent_date) / 86400, 0)"
            ),
            SQL(
                "COALESCE(statement.confirmed_date, disputes.first_dispute) IS NOT NULL"
            ),
        )
        payment_days = only(
            SQL("GREATEST(so.desk_paid_date - so.desk_invoiced_date, 0)::float"), paid
        )
        return SQL(
            """
            WITH exceptions AS (
                SELECT order_id,
                       COUNT(*) AS exception_count,
                       COUNT(*) FILTER (WHERE severity = 'blocking') AS blocking_count,
                       COUNT(*) FILTER (WHERE state = 'overridden') AS override_count
                  FROM order_desk_exception
              GROUP BY order_id
            ), incidents AS (
                SELECT order_id, COUNT(*) AS incident_count, %(incident_columns)s
                  FROM order_desk_incident
                 WHERE order_id IS NOT NULL
                   AND state != 'cancelled'
              GROUP BY order_id
            ), returns AS (
                SELECT request.order_id,
                       COUNT(DISTINCT request.id) AS return_count,
                       MIN(request.approved_date) AS first_return_date,
                       SUM(line.quantity) AS return_qty,
                       SUM(line.quantity * order_line.price_reduce_taxexcl) AS return_value,
                       COUNT(DISTINCT request.id)
                           FILTER (WHERE line.at_company_fault) AS against_us_count,
                       SUM(line.quantity)
                           FILTER (WHERE line.at_company_fault) AS against_us_qty,
                       SUM(line.quantity * order_line.price_reduce_taxexcl)
                           FILTER (WHERE line.at_company_fault) AS against_us_value
                  FROM order_desk_return request
                  JOIN order_desk_return_line line ON line.return_id = request.id
                  JOIN sale_order_line order_line ON order_line.id = line.sale_line_id
                 WHERE request.state IN %(return_states)s
              GROUP BY request.order_id
            ), disputes AS (
                SELECT statement_id, MIN(create_date) AS first_dispute
                  FROM order_desk_statement_dispute
              GROUP BY statement_id
            )
            SELECT so.id AS id,
                   so.id AS order_id,
                   so.name AS name,
                   so.company_id AS company_id,
                   company.currency_id AS currency_id,
                   COALESCE(so.desk_submitted_user_id, so.create_uid) AS clerk_id,
                   so.desk_approved_user_id AS approver_id,
                   so.user_id AS user_id,
                   so.team_id AS team_id,
                   so.partner_id AS partner_id,
                   so.desk_channel AS channel,
                   so.warehouse_id AS warehouse_id,
                   so.priority AS priority,
                   so.desk_settlement_method AS settlement_method,
                   so.desk_state AS desk_state,
                   so.desk_received_date AS date,
                   so.desk_submitted_date AS date_submitted,
                   so.desk_approved_date AS date_approved,
                   so.desk_first_shipped_date AS date_first_shipped,
                   so.desk_last_shipped_date AS date_shipped,
                   so.desk_delivered_date AS date_delivered,
                   so.desk_ship_due_date AS date_due,
                   returns.first_return_date AS date_returned,
                   so.desk_invoiced_date AS date_invoiced,
                   so.desk_paid_date AS date_paid,
                   statement.sent_date AS date_statement,
                   %(late_now)s AS late_now,
                   1 AS order_count,
                   COALESCE(so.desk_line_count, 0) AS line_count,
                   so.amount_untaxed::float8 / %(rate)s AS amount,
                   %(approved_flag)s AS approved_count,
                   %(approval)s AS approval_hours,
                   %(approval_total)s AS approval_hours_total,
                   %(shipped_flag)s AS shipped_count,
                   %(shipping)s AS ship_hours,
                   %(shipping_total)s AS ship_hours_total,
                   %(delivered_flag)s AS delivered_count,
                   %(transit)s AS transit_days,
                   %(transit_total)s AS transit_days_total,
                   %(lead)s AS lead_days,
                   %(lead_total)s AS lead_days_total,
                   CASE WHEN %(late_now)s THEN %(days_late)s END AS days_late,
                   %(shipped_on_time_flag)s AS shipped_on_time_count,
                   %(shipped_on_time_rate)s AS shipped_on_time_rate,
                   %(delivered_on_time_flag)s AS delivered_on_time_count,
                   %(delivered_on_time_rate)s AS delivered_on_time_rate,
                   %(first_shipped_flag)s AS first_shipped_count,
                   %(in_full_flag)s AS in_full_count,
                   %(in_full_rate)s AS in_full_rate,
                   %(otif_flag)s AS otif_count,
                   %(otif_rate)s AS otif_rate,
                   %(submitted_flag)s AS submitted_count,
                   CASE WHEN %(submitted)s
                        THEN COALESCE(exceptions.exception_count, 0)::int ELSE 0 END
                       AS exception_count,
                   CASE WHEN %(submitted)s
                        THEN COALESCE(exceptions.blocking_count, 0)::int ELSE 0 END
                       AS blocking_count,
                   CASE WHEN %(submitted)s
                        THEN COALESCE(exceptions.exception_count, 0)::float8 END
                       AS exceptions_per_order,
                   CASE WHEN %(submitted)s
                        THEN COALESCE(exceptions.blocking_count, 0)::float8 END
                       AS blocking_per_order,
                   %(first_pass_flag)s AS first_pass_count,
                   %(first_pass_rate)s AS first_pass_rate,
                   COALESCE(exceptions.override_count, 0)::int AS override_count,
                   COALESCE(so.desk_reject_count, 0) AS reject_count,
                   COALESCE(so.desk_unlock_count, 0) AS unlock_count,
                   COALESCE(incidents.incident_count, 0)::int AS incident_count,
                   %(incident_selects)s,
                   COALESCE(returns.return_count, 0)::int AS return_count,
                   COALESCE(returns.return_qty, 0)::float8 AS return_qty,
                   COALESCE(returns.return_value, 0)::float8 / %(rate)s AS return_value,
                   %(returned_flag)s AS returned_order_count,
                   %(return_rate)s AS return_rate,
                   COALESCE(returns.against_us_count, 0)::int AS against_us_count,
                   COALESCE(returns.against_us_qty, 0)::float8 AS against_us_qty,
                   COALESCE(returns.against_us_value, 0)::float8 / %(rate)s
                       AS against_us_value,
                   CASE WHEN so.state = 'sale' AND NOT COALESCE(so.desk_amounts_agree, TRUE)
                        THEN 1 ELSE 0 END AS disagree_count,
                   %(paid_flag)s AS paid_count,
                   %(payment_days)s AS payment_days,
                   %(payment_days_total)s AS payment_days_total,
                   CASE WHEN statement.id IS NOT NULL THEN 1 ELSE 0 END
                       AS statement_sent_count,
                   CASE WHEN statement.confirmed_date IS NOT NULL THEN 1 ELSE 0 END
                       AS statement_confirmed_count,
                   CASE WHEN disputes.first_dispute IS NOT NULL THEN 1 ELSE 0 END
                       AS statement_disputed_count,
                   CASE WHEN %(answer)s IS NOT NULL THEN 1 ELSE 0 END
                       AS statement_answered_count,
                   %(answer)s AS answer_days,
                   %(answer_total)s AS answer_days_total,
                   company.order_desk_target_on_time AS target_on_time,
                   company.order_desk_target_otif AS target_otif,
                   company.order_desk_target_approval_hours AS target_approval_hours,
                   company.order_desk_target_first_pass AS target_first_pass,
                   company.order_desk_target_return_rate AS target_return_rate
              FROM sale_order so
              JOIN res_company company ON company.id = so.company_id
              LEFT JOIN exceptions ON exceptions.order_id = so.id
              LEFT JOIN incidents ON incidents.order_id = so.id
              LEFT JOIN returns ON returns.order_id = so.id
              -- The customer's statement of the period of the order's first invoice (the
              -- statements of a customer do not overlap: one at most).
              LEFT JOIN res_partner customer ON customer.id = so.partner_id
              LEFT JOIN order_desk_statement statement
                ON statement.partner_id = customer.commercial_partner_id
               AND statement.company_id = so.company_id
               AND statement.sent_date IS NOT NULL
               AND so.desk_invoiced_date BETWEEN statement.date_from AND statement.date_to
              LEFT JOIN disputes ON disputes.statement_id = statement.id
            """,
            incident_columns=incident_columns,
            incident_selects=incident_selects,
            return_states=COUNTED_RETURN_STATES,
            paid=paid,
            late_now=late_now,
            rate=rate,
            approved_flag=flag(SQL("so.desk_approved_date IS NOT NULL")),
            approval=approval,
            approval_total=total(approval),
            shipped_flag=flag(shipped),
            shipping=shipping,
            shipping_total=total(shipping),
            delivered_flag=flag(delivered),
            transit=transit,
            transit_total=total(transit),
            lead=lead,
            lead_total=total(lead),
            days_late=_days(now, SQL("so.desk_ship_due_date")),
            shipped_on_time_flag=flag(SQL("%s AND %s", shipped, shipped_on_time)),
            shipped_on_time_rate=percent(shipped_on_time, shipped),
            delivered_on_time_flag=flag(SQL("%s AND %s", delivered, delivered_on_time)),
            delivered_on_time_rate=percent(delivered_on_time, delivered),
            first_shipped_flag=flag(first_shipped),
            in_full_flag=flag(
                SQL("%s AND COALESCE(so.desk_shipped_in_full, FALSE)", first_shipped)
            ),
            in_full_rate=percent(
                SQL("COALESCE(so.desk_shipped_in_full, FALSE)"), first_shipped
            ),
            otif_flag=flag(otif),
            otif_rate=percent(otif, delivered),
            submitted=submitted,
            submitted_flag=flag(submitted),
            first_pass_flag=flag(SQL("%s AND %s", submitted, first_pass)),
            first_pass_rate=percent(first_pass, submitted),
            returned_flag=flag(returned),
            return_rate=percent(returned, first_shipped),
            paid_flag=flag(paid),
            payment_days=payment_days,
            payment_days_total=total(payment_days),
            answer=answer,
            answer_total=total(answer),
        )

    # ------------------------------------------------------------------------------------------
    # KPIs of a period
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_kpi_definitions(self):
        """The desk's KPIs: each the ratio (or total) of summed measures of this report, over
        the orders whose event (the ``date`` field of the numerator or the denominator)
        falls in the period. ``unit``: ``%`` (100 times the ratio), ``h``, ``days``, ``ratio``,
        ``count`` or ``money`` (a total)."""
        return [
            {
                "key": "orders",
                "name": self.env._("Orders received"),
                "num": "order_count",
                "date": "date",
                "unit": "count",
            },
            {
                "key": "amount",
                "name": self.env._("Amount received"),
                "num": "amount",
                "date": "date",
                "unit": "money",
            },
            {
                "key": "approval_hours",
                "name": self.env._("Approval lead time (received to approved)"),
                "num": "approval_hours_total",
                "den": "approved_count",
                "date": "date_approved",
                "unit": "h",
            },
            {
                "key": "ship_hours",
                "name": self.env._("Approved to shipped"),
                "num": "ship_hours_total",
                "den": "shipped_count",
                "date": "date_shipped",
                "unit": "h",
            },
            {
                "key": "transit_days",
                "name": self.env._("Shipped to delivered"),
                "num": "transit_days_total",
                "den": "delivered_count",
                "date": "date_delivered",
                "unit": "days",
            },
            {
                "key": "lead_days",
                "name": self.env._("Received to delivered"),
                "num": "lead_days_total",
                "den": "delivered_count",
                "date": "date_delivered",
                "unit": "days",
            },
            {
                "key": "on_time",
                "name": self.env._("Shipped on time"),
                "num": "shipped_on_time_count",
                "den": "shipped_count",
                "date": "date_shipped",
                "unit": "%",
            },
            {
                "key": "delivered_on_time",
                "name": self.env._("Delivered on time"),
                "num": "delivered_on_time_count",
                "den": "delivered_count",
                "date": "date_delivered",
                "unit": "%",
            },
            {
                "key": "in_full",
                "name": self.env._("In full (first shipment)"),
                "num": "in_full_count",
                "den": "first_shipped_count",
                "date": "date_first_shipped",
                "unit": "%",
            },
            {
                "key": "otif",
                "name": self.env._("On time in full (OTIF)"),
                "num": "otif_count",
                "den": "delivered_count",
                "date": "date_delivered",
                "unit": "%",
            },
            {
                "key": "first_pass",
                "name": self.env._("First pass (no exception)"),
                "num": "first_pass_count",
                "den": "submitted_count",
                "date": "date_submitted",
                "unit": "%",
            },
            {
                "key": "exceptions_per_order",
                "name": self.env._("Exceptions per order"),
                "num": "exception_count",
                "den": "submitted_count",
                "date": "date_submitted",
                "unit": "ratio",
            },
            {
                "key": "blocking_per_order",
                "name": self.env._("Blocking exceptions per order"),
                "num": "blocking_count",
                "den": "submitted_count",
                "date": "date_submitted",
                "unit": "ratio",
            },
            {
                "key": "overrides",
                "name": self.env._("Exceptions overridden"),
                "num": "override_count",
                "date": "date_submitted",
                "unit": "count",
            },
            {
                "key": "rejections",
                "name": self.env._("Orders rejected (times)"),
                "num": "reject_count",
                "date": "date_submitted",
                "unit": "count",
            },
            {
                "key": "unlocks",
                "name": self.env._("Orders unlocked (times)"),
                "num": "unlock_count",
                "date": "date_approved",
                "unit": "count",
            },
            {
                "key": "incidents",
                "name": self.env._("Incidents per order shipped"),
                "num": "incident_count",
                "den": "first_shipped_count",
                "date": "date_first_shipped",
                "unit": "ratio",
            },
            {
                "key": "return_rate",
                "name": self.env._("Return rate (orders returned)"),
                "num": "returned_order_count",
                "num_date": "date_returned",
                "den": "first_shipped_count",
                "date": "date_first_shipped",
                "unit": "%",
            },
            {
                "key": "returns_against_us",
                "name": self.env._("Returns counting against us"),
                "num": "against_us_count",
                "date": "date_returned",
                "unit": "count",
            },
            {
                "key": "disagree",
                "name": self.env._("Orders whose amounts do not agree"),
                "num": "disagree_count",
                "date": "date_approved",
                "unit": "count",
            },
            {
                "key": "payment_days",
                "name": self.env._("Invoice to payment"),
                "num": "payment_days_total",
                "den": "paid_count",
                "date": "date_paid",
                "unit": "days",
            },
            {
                "key": "statement_confirmed",
                "name": self.env._("Statements confirmed"),
                "num": "statement_confirmed_count",
                "den": "statement_sent_count",
                "date": "date_statement",
                "unit": "%",
            },
            {
                "key": "statement_disputed",
                "name": self.env._("Statements disputed"),
                "num": "statement_disputed_count",
                "den": "statement_sent_count",
                "date": "date_statement",
                "unit": "%",
            },
            {
                "key": "answer_days",
                "name": self.env._("Days to the customer's answer"),
                "num": "answer_days_total",
                "den": "statement_answered_count",
                "date": "date_statement",
                "unit": "days",
            },
        ]

    @api.model
    def _desk_kpis(self, company, date_from, date_to):
        """The KPIs of ``company`` for the orders whose events fall in [date_from, date_to)
        (datetimes, UTC), with their targets: a list of dicts (the definition plus
        ``value``, ``numerator``, ``denominator``, ``target``, ``met``). One grouped read per
        event date, whatever the number of KPIs."""
        definitions = self._desk_kpi_definitions()
        by_date = {}
        for definition in definitions:
            by_date.setdefault(
                definition.get("num_date", definition["date"]), set()
            ).add(definition["num"])
            if definition.get("den"):
                by_date.setdefault(definition["date"], set()).add(definition["den"])
        sums = {}
        for date_field, measures in by_date.items():
            measures = sorted(measures)
            [row] = self._read_group(
                [
                    ("company_id", "=", company.id),
                    (date_field, ">=", date_from),
                    (date_field, "<", date_to),
                ],
                aggregates=[f"{measure}:sum" for measure in measures],
            )
            for measure, value in zip(measures, row, strict=True):
                sums[date_field, measure] = value or 0.0
        targets = {key: (field, higher) for key, field, higher in TARGETS}
        result = []
        for definition in definitions:
            num_date = definition.get("num_date", definition["date"])
            numerator = sums[num_date, definition["num"]]
            denominator = (
                sums[definition["date"], definition["den"]]
                if definition.get("den")
                else None
            )
            if denominator is None:
                value = numerator
            elif not denominator:
                value = None
            elif definition["unit"] == "%":
                value = 100.0 * numerator / denominator
            else:
                value = numerator / denominator
            target = met = None
            if definition["key"] in targets:
                target_field, higher = targets[definition["key"]]
                target = company[target_field]
                if value is not None:
                    met = value >= target if higher else value <= target
            result.append(
                dict(
                    definition,
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    target=target,
                    met=met,
                )
            )
        return result

    def action_open_order(self):
        """Drill down from a report row to its sales order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.order_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
