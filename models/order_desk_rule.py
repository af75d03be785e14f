import json
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, format_amount, format_date, formatLang

from .order_desk_field_guard import INT_LIMIT, desk_join

CHECK_TYPES = [
    ("customer_data", "Customer data complete"),
    ("sellable", "Product sellable"),
    ("stock", "Stock available"),
    ("price_floor", "Price not below floor"),
    ("payment_term", "Payment term set"),
    ("credit_limit", "Credit limit"),
    ("commitment_date", "Delivery date promised"),
    ("duplicate", "Duplicate order"),
    ("quota", "Within quota"),
]

# Keys of a message's values that name a record, and the record's model.
MESSAGE_RECORD_KEYS = {
    "partner_id": "res.partner",
    "product_id": "product.product",
    "uom_id": "uom.uom",
    "warehouse_id": "stock.warehouse",
    "currency_id": "res.currency",
}

# Values of nested findings (the quotas an order crosses) naming a record.
QUOTA_KEY = {"quota_id": "order.desk.quota"}


def desk_record_id(value):
    """Whether ``value`` of a check's message is a record id (booleans are not)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 0 < value < INT_LIMIT
    )


# Checks judging only the order's own data (its header and lines, customer and products):
# the approval does not run them again while that data is as their last run saw it
# (sale.order._desk_own_data_key); stock, credit, duplicates, quotas and dates depend on
# more than the order and always run again.
ORDER_DATA_CHECKS = frozenset(
    {"customer_data", "sellable", "payment_term", "price_floor"}
)

# What the evaluation reads of each rule (kept in memory, see _desk_active_rules).
RULE_FIELDS = (
    "company_id",
    "check_type",
    "severity",
    "tolerance_percent",
    "duplicate_days",
)

SEVERITIES = [
    ("blocking", "Blocking"),
    ("warning", "Warning"),
]


class OrderDeskRule(models.Model):
    _name = "order.desk.rule"
    _description = "Order Desk Check Rule"
    _inherit = ["order.desk.field.guard"]
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="What the check protects against.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    check_type = fields.Selection(CHECK_TYPES, required=True)
    severity = fields.Selection(SEVERITIES, required=True, default="blocking")

    # Parameters, each used by one check type.
    tolerance_percent = fields.Float(
        string="Price Tolerance (%)",
        help="Price floor: how far below the pricelist price the unit price after discount "
        "may go.",
    )
    duplicate_days = fields.Integer(
        string="Duplicate Window (days)",
        default=7,
        help="Duplicate: orders of the same customer placed within this many days are compared.",
    )

    exception_count = fields.Integer(compute="_compute_exception_count")

    _tolerance_range = models.Constraint(
        "CHECK(tolerance_percent >= 0 AND tolerance_percent < 100)",
        "The price tolerance must be at least 0% and below 100%.",
    )
    # Days reach date arithmetic: beyond ten years they only overflow it.
    _duplicate_days_positive = models.Constraint(
        "CHECK(duplicate_days BETWEEN 0 AND 3650)",
        "The duplicate window is between 0 and 3650 days.",
    )

    def _compute_exception_count(self):
        counts = dict(
            self.env["order.desk.exception"]._read_group(
                [("rule_id", "in", self.ids)],
                groupby=["rule_id"],
                aggregates=["__count"],
            )
        )
        for rule in self:
            rule.exception_count = counts.get(rule, 0)

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        # The active rules are kept in memory (_desk_active_rules).
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.env["order.desk.exception"].search_count(
            [("rule_id", "in", self.ids)], limit=1
        ):
            raise UserError(
                self.env._(
                    "A rule that has raised exceptions cannot be deleted: archive it instead."
                )
            )

    @api.readonly
    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_exception_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------------------------------
    # Evaluation
    # ------------------------------------------------------------------------------------------
    @api.private
    def _evaluate(self, orders, unchanged=()):
        """Run the rules in ``self`` on ``orders`` and return the failures.

        ``unchanged``: ids of orders whose own data is as the last check saw it: the
        checks of ``ORDER_DATA_CHECKS`` are not run on them.

        Each rule only judges the orders of its own company. Called by
        ``sale.order._desk_run_checks``; every check works on the whole batch with a bounded
        number of queries.

        :returns: list of dicts ``{order_id, rule_id, line_id, severity, message_code,
            message_args}``: what failed and the values that say why, never rendered text
            (the message is rendered in the reader's language, see
            ``order.desk.exception._compute_message``)
        """
        failures = []
        for rule in self:
            own_data = rule.check_type in ORDER_DATA_CHECKS
            company_orders = orders.filtered(
                lambda o, r=rule, own=own_data: (
                    o.company_id == r.company_id and not (own and o.id in unchanged)
                )
            )
            if not company_orders:
                continue
            check = getattr(rule, f"_check_{rule.check_type}")
            for order, line, code, args in check(company_orders):
                failures.append(
                    {
                        "order_id": order.id,
                        "rule_id": rule.id,
                        "line_id": line.id if line else False,
                        "severity": rule.severity,
                        "message_code": code,
                        # Through JSON once, as the database gives it back: compared with
                        # the stored values on the next check.
                        "message_args": json.loads(json.dumps(args)),
                    }
                )
        return failures

    @api.model
    def _desk_active_rules(self, companies):
        """The active rules of ``companies`` in evaluation order, with the fields the
        evaluation reads in cache: kept in memory between calls (rules change seldom, and
        every order checked would otherwise read them again), forgotten whenever a rule is
        created, written or deleted."""
        rows = self._desk_active_rule_rows(tuple(sorted(companies.ids)))
        rules = self.browse([row[0] for row in rows])
        for index, name in enumerate(RULE_FIELDS, 1):
            # As One2many.read fills its cache: values already in cache stay.
            rules._fields[name]._insert_cache(rules, [row[index] for row in rows])
        return rules

    @api.model
    @tools.ormcache("company_ids")
    def _desk_active_rule_rows(self, company_ids):
        # sudo: which checks run is the companies' configuration, the same whoever checks
        # (nothing of it is returned to the caller but through the exceptions raised).
        rules = self.sudo().search_fetch(
            [("company_id", "in", list(company_ids))],
            list(RULE_FIELDS),
            order="sequence, id",
        )
        return tuple(
            (rule.id, rule.company_id.id, *(rule[name] for name in RULE_FIELDS[1:]))
            for rule in rules
        )

    # Helpers ------------------------------------------------------------------------------------
    @api.model
    def _product_lines(self, orders):
        return orders.order_line.filtered(
            lambda line: (
                not line.display_type and line.product_id and not line.is_downpayment
            )
        )

    @api.model
    def _line_label(self, line):
        """Position of the line among the order's product lines, as the clerk counts them."""
        lines = self._product_lines(line.order_id)
        return str(lines.ids.index(line.id) + 1) if line.id in lines.ids else "?"

    # Checks: each yields (order, line or None, message code, message values) -------------------
    # The values are ids, numbers and codes, never text in the language of who runs the
    # check: ``_desk_render_message`` writes the message in the reader's language.
    def _check_customer_data(self, orders):
        for order in orders:
            partner, shipping = order.partner_id, order.partner_shipping_id
            missing = []
            if not (partner.email or partner.commercial_partner_id.email):
                missing.append("email")
            if not (
                partner.phone or shipping.phone or partner.commercial_partner_id.phone
            ):
                missing.append("phone")
            if not shipping.street:
                missing.append("street")
            if not shipping.city:
                missing.append("city")
            if not shipping.country_id:
                missing.append("country")
            if missing:
                yield (
                    order,
                    None,
                    "customer_missing",
                    {"partner_id": partner.id, "missing": missing},
                )

    def _check_sellable(self, orders):
        for line in self._product_lines(orders):
            product = line.product_id
            if not product.active:
                code = "product_archived"
            elif not product.sale_ok:
                code = "product_not_sellable"
            else:
                continue
            yield (
                line.order_id,
                line,
                code,
                {"line": self._line_label(line), "product_id": product.id},
            )

    def _check_stock(self, orders):
        lines = self._product_lines(orders).filtered(
            lambda line: line.product_id.is_storable
        )
        for warehouse, wh_lines in lines.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            # One computation of free quantities per warehouse for every product of the batch.
            free = wh_lines.product_id._desk_free_qty(warehouse)
            for order_lines in wh_lines.grouped("order_id").values():
                # A confirmed order (re-lock after an unlock) counts what it already holds
                # and what it already delivered.
                needed = defaultdict(float)
                own = defaultdict(float)
                # (A quotation has no stock moves yet: nothing to read.)
                for line in order_lines.filtered(lambda ln: ln.state == "sale"):
                    own[line.product_id.id] += line._desk_own_reserved()
                for line in order_lines:
                    product = line.product_id
                    needed[product.id] += line.product_uom_id._compute_quantity(
                        line.product_uom_qty - line.qty_delivered,
                        product.uom_id,
                        raise_if_failure=False,
                    )
                    available = free.get(product.id, 0.0) + own[product.id]
                    if product.uom_id.compare(needed[product.id], available) > 0:
                        yield (
                            line.order_id,
                            line,
                            "stock_short",
                            {
                                "line": self._line_label(line),
                                "product_id": product.id,
                                "needed": product.uom_id.round(needed[product.id]),
                                "uom_id": product.uom_id.id,
                                "free": product.uom_id.round(max(available, 0.0)),
                                "warehouse_id": warehouse.id,
                            },
                        )

    def _check_price_floor(self, orders):
        lines = self._product_lines(orders)
        prices = self._pricelist_prices(lines)
        factor = 1.0 - self.tolerance_percent / 100.0
        for line in lines:
            currency = line.currency_id
            list_price = prices[line.id]
            floor = currency.round(list_price * factor)
            net_price = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
            if currency.compare_amounts(net_price, floor) < 0:
                yield (
                    line.order_id,
                    line,
                    "price_below_floor",
                    {
                        "line": self._line_label(line),
                        "product_id": line.product_id.id,
                        "price": currency.round(net_price),
                        "floor": floor,
                        "list_price": currency.round(list_price),
                        "tolerance": self.tolerance_percent,
                        "currency_id": currency.id,
                    },
                )

    @api.model
    def _pricelist_prices(self, lines):
        """Pricelist unit price of each line, in the order's currency (the product's sales
        price when the order has no pricelist).

        Mirrors ``product.pricelist._compute_price_rule`` but fetches the applicable pricelist
        items once per pricelist and order day for all the batch's products, instead of once
        per line as ``sale.order.line._get_pricelist_price`` would.
        """
        prices = {}
        # Grouped by day, not by timestamp, so that a batch of one day's orders shares one
        # search; a pricelist item starting or ending inside that day counts for the whole day.
        groups = lines.grouped(
            lambda line: (line.order_id.pricelist_id, line._get_order_date().date())
        )
        for (pricelist, date), group in groups.items():
            items = pricelist._get_applicable_rules(group.product_id, date)
            for line in group:
                product = line.product_id.with_context(
                    **line._get_product_price_context()
                )
                quantity = line.product_uom_qty or 1.0
                uom = line.product_uom_id or product.uom_id
                qty_in_product_uom = uom._compute_quantity(
                    quantity, product.uom_id, raise_if_failure=False
                )
                item = next(
                    (
                        i
                        for i in items
                        if i._is_applicable_for(product, qty_in_product_uom)
                    ),
                    self.env["product.pricelist.item"],
                )
                prices[line.id] = item._compute_price(
                    product, quantity, uom, date=date, currency=line.currency_id
                )
        return prices

    def _check_payment_term(self, orders):
        for order in orders.filtered(lambda o: not o.payment_term_id):
            yield order, None, "no_payment_term", {}

    def _check_commitment_date(self, orders):
        now = fields.Datetime.now()
        for order in orders:
            if not order.commitment_date:
                yield order, None, "no_commitment_date", {}
            elif order.commitment_date < now:
                yield (
                    order,
                    None,
                    "commitment_date_past",
                    {"date": fields.Datetime.to_string(order.commitment_date)},
                )

    def _check_credit_limit(self, orders):
        company = self.company_id
        currency = company.currency_id
        today = fields.Date.context_today(self)
        partners = orders.partner_id.commercial_partner_id.with_company(company)
        # sudo: the clerk must see the customer's exposure without accounting rights; only
        # totals are read, and only to build the message of this check.
        partners_sudo = partners.sudo()
        limits = {p.id: p.credit_limit for p in partners_sudo}
        limited = partners_sudo.filtered(lambda p: limits[p.id])
        if not limited:
            # No limit to compare with: the exposure is not read at all.
            return
        receivable, open_amounts = self._credit_exposure(
            limited, company, exclude=orders
        )
        this_amounts = defaultdict(float)
        for order in orders:
            this_amounts[order.id] = order.currency_id._convert(
                order.amount_total, currency, company, order.date_order or today
            )
        for order in orders:
            partner = order.partner_id.commercial_partner_id
            limit = limits[partner.id]
            if not limit:
                continue
            total = (
                receivable[partner.id]
                + open_amounts[partner.id]
                + this_amounts[order.id]
            )
            if currency.compare_amounts(total, limit) > 0:
                yield (
                    order,
                    None,
                    "credit_limit",
                    {
                        "partner_id": partner.id,
                        "total": currency.round(total),
                        "receivable": currency.round(receivable[partner.id]),
                        "open": currency.round(open_amounts[partner.id]),
                        "order": currency.round(this_amounts[order.id]),
                        "limit": currency.round(limit),
                        "currency_id": currency.id,
                    },
                )

    @api.model
    def _open_order_amounts(self, partners, company, exclude):
        """Confirmed, not yet invoiced amount (tax included) per commercial partner, in the
        company currency (see ``_credit_exposure``)."""
        return self._credit_exposure(partners, company, exclude, receivable=False)[1]

    @api.model
    def _credit_exposure(self, partners, company, exclude, receivable=True):
        """``(receivable, open)``: per commercial partner of ``partners``, what they owe
        (their ``credit``, as ``res.partner._credit_debit_get`` sums it for ``company``)
        and their confirmed orders' amount (tax included) not yet invoiced, in the
        company currency, ``exclude`` (orders) left out; both from one grouped query
        (``receivable=False``: only the open orders)."""
        # The sums per order with the order's totals (a grouped read of the lines would
        # read the orders next). As the system (no record rule): the clerk may not see
        # other salespeople's orders; only the sums are used, for the credit check.
        self.env["sale.order.line"].flush_model(
            ["order_id", "untaxed_amount_to_invoice"]
        )
        self.env["sale.order"].flush_model(
            [
                "state",
                "company_id",
                "partner_id",
                "currency_id",
                "amount_total",
                "amount_untaxed",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        query = SQL(
            """
            SELECT 'order', partner.commercial_partner_id, sale_order.currency_id,
                   sale_order.amount_total, sale_order.amount_untaxed,
                   SUM(line.untaxed_amount_to_invoice)
              FROM sale_order_line line
              JOIN sale_order ON sale_order.id = line.order_id
              JOIN res_partner partner ON partner.id = sale_order.partner_id
             WHERE sale_order.state = 'sale'
               AND sale_order.company_id = %(company)s
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND NOT sale_order.id = ANY(%(exclude)s)
               AND line.untaxed_amount_to_invoice != 0
             GROUP BY sale_order.id, partner.commercial_partner_id
            """,
            company=company.id,
            partners=partners.ids,
            exclude=exclude.ids,
        )
        if receivable:
            # The items Odoo's own computation of ``credit`` sums, found as it finds them.
            items = (
                self.env["account.move.line"]
                .with_company(company)
                ._search(
                    [
                        ("parent_state", "=", "posted"),
                        ("company_id", "child_of", company.root_id.id),
                    ],
                    bypass_access=True,
                )
            )
            self.env["account.move.line"].flush_model(
                [
                    "account_id",
                    "amount_residual",
                    "company_id",
                    "parent_state",
                    "partner_id",
                    "reconciled",
                ]
            )
            self.env["account.account"].flush_model(["account_type"])
            query = SQL(
                """
                %(orders)s
                 UNION ALL
                SELECT 'receivable', account_move_line.partner_id, NULL, NULL, NULL,
                       SUM(account_move_line.amount_residual)
                  FROM %(from_clause)s
                  LEFT JOIN account_account a ON a.id = account_move_line.account_id
                 WHERE a.account_type = 'asset_receivable'
                   AND account_move_line.partner_id = ANY(%(partners)s)
                   AND account_move_line.reconciled IS NOT TRUE
                   AND %(where_clause)s
                 GROUP BY account_move_line.partner_id
                """,
                orders=query,
                from_clause=items.from_clause,
                where_clause=items.where_clause or SQL("TRUE"),
                partners=partners.ids,
            )
        today = fields.Date.context_today(self)
        Currency = self.env["res.currency"]
        owed = defaultdict(float)
        amounts = defaultdict(float)
        for (
            kind,
            partner_id,
            currency_id,
            total,
            untaxed_total,
            amount,
        ) in self.env.execute_query(query):
            if kind == "receivable":
                owed[partner_id] += amount
                continue
            # Tax share of the order applied to what is left to invoice.
            ratio = total / untaxed_total if untaxed_total else 1.0
            amounts[partner_id] += Currency.browse(currency_id)._convert(
                amount * ratio, company.currency_id, company, today
            )
        return owed, amounts

    def _check_duplicate(self, orders):
        days = self.duplicate_days
        oldest = min(orders.mapped("date_order")) - timedelta(days=days)
        newest = max(orders.mapped("date_order")) + timedelta(days=days)
        # Searched as the caller (record rules apply), in the orders' usual order (the
        # names in the message follow it); the customers compared by their commercial
        # partner (as the orders are grouped below).
        SaleOrder = self.env["sale.order"]
        query = SaleOrder._search(
            [
                ("company_id", "=", self.company_id.id),
                (
                    "partner_id.commercial_partner_id",
                    "in",
                    orders.partner_id.commercial_partner_id.ids,
                ),
                ("state", "!=", "cancel"),
                ("date_order", ">=", oldest),
                ("date_order", "<=", newest),
            ],
            order=SaleOrder._order,
        )
        candidates = self._duplicate_candidates(query)
        by_partner = defaultdict(list)
        for candidate in candidates.values():
            by_partner[candidate["partner"]].append(candidate)
        window = timedelta(days=days)
        empty = frozenset()
        for order in orders:
            others = [
                candidate
                for candidate in by_partner[order.partner_id.commercial_partner_id.id]
                if candidate["id"] != order.id
                and abs(candidate["date"] - order.date_order) <= window
            ]
            if not others:
                continue
            ref = (order.client_order_ref or "").strip()
            same_ref = ref and [
                other["name"] for other in others if (other["ref"] or "").strip() == ref
            ]
            if same_ref:
                yield (
                    order,
                    None,
                    "duplicate_ref",
                    {"orders": same_ref, "ref": ref},
                )
                continue
            signature = candidates.get(order.id, {}).get("lines", empty)
            same_lines = signature and [
                other["name"] for other in others if other["lines"] == signature
            ]
            if same_lines:
                yield (
                    order,
                    None,
                    "duplicate_lines",
                    {"orders": same_lines, "days": days},
                )

    @api.model
    def _duplicate_candidates(self, query):
        """``{order id: {id, name, partner, date, ref, lines}}`` of the orders of ``query``
        (a ``sale.order`` search), ``partner`` their commercial partner and ``lines`` the
        quantities of their product lines (as ``_product_lines`` takes them) per product
        and unit, as a frozenset: one query (which orders' lines the check compares
        depends on the references; read order by order they would cost a query per
        customer, read with the ORM one more query for the lines)."""
        self.env["sale.order"].flush_model(
            ["name", "partner_id", "date_order", "client_order_ref"]
        )
        self.env["sale.order.line"].flush_model(
            [
                "order_id",
                "product_id",
                "product_uom_id",
                "product_uom_qty",
                "display_type",
                "is_downpayment",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            query.select(
                SQL(
                    """
                    sale_order.id, sale_order.name, sale_order.date_order,
                    sale_order.client_order_ref,
                    (SELECT partner.commercial_partner_id FROM res_partner partner
                      WHERE partner.id = sale_order.partner_id),
                    (SELECT json_agg(json_build_array(
                                lines.product_id, lines.product_uom_id, lines.quantity))
                       FROM (SELECT line.product_id, line.product_uom_id,
                                    SUM(line.product_uom_qty) AS quantity
                               FROM sale_order_line line
                              WHERE line.order_id = sale_order.id
                                AND line.display_type IS NULL
                                AND line.product_id IS NOT NULL
                                AND line.is_downpayment IS NOT TRUE
                              GROUP BY line.product_id, line.product_uom_id) lines)
                    """
                )
            )
        )
        return {
            order_id: {
                "id": order_id,
                "name": name,
                "date": date_order,
                "ref": ref,
                "partner": partner_id,
                "lines": frozenset(
                    ((product_id, uom_id), float(quantity))
                    for product_id, uom_id, quantity in (lines or ())
                ),
            }
            for order_id, name, date_order, ref, partner_id, lines in rows
        }

    def _check_quota(self, orders):
        """An order that takes its customer beyond a quota of the period (配额): what the
        customer's confirmed orders of the period ordered, plus the orders of this batch
        placed before it, plus this order. The finding sits on the line that crosses the
        quota (one finding per line, naming every quota it crosses)."""
        Quota = self.env["order.desk.quota"]
        lines = self._product_lines(orders)
        customers = orders.partner_id.commercial_partner_id
        dates = [d.date() for d in orders.mapped("date_order")]
        # sudo: quotas of the customers are read to judge the order; clerks may read them,
        # the check also runs for salespeople.
        quotas = (
            Quota.sudo()._desk_find(
                self.company_id, customers, lines.product_id, min(dates), max(dates)
            )
            if lines
            else Quota.sudo()
        )
        if not quotas:
            return
        used = Quota._desk_usage(quotas, customers, exclude_orders=orders)
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        findings = defaultdict(list)
        for order in orders.sorted(lambda o: (o.date_order, o.id)):
            customer = order.partner_id.commercial_partner_id
            day = order.date_order.date()
            order_lines = lines.filtered(lambda line, o=order: line.order_id == o)
            for quota in quotas:
                covered = order_lines.filtered(
                    lambda line, q=quota, c=customer, d=day: q._desk_covers(
                        c, line.product_id, d
                    )
                )
                if not covered:
                    continue
                key = (quota.id, customer.id)
                before = used[key]
                total = before
                crossing = None
                for line in covered:
                    total += Quota._desk_line_qty(line, line.product_uom_qty)
                    if (
                        crossing is None
                        and float_compare(
                            total, quota.quantity, precision_digits=precision
                        )
                        > 0
                    ):
                        crossing = line
                used[key] = total
                if crossing:
                    findings[crossing].append(
                        {
                            "quota_id": quota.id,
                            "quota": quota.quantity,
                            "before": before,
                            "total": total,
                        }
                    )
        for line, crossed in findings.items():
            yield (
                line.order_id,
                line,
                "quota_exceeded",
                {
                    "line": self._line_label(line),
                    "partner_id": line.order_id.partner_id.commercial_partner_id.id,
                    "quotas": crossed,
                },
            )

    # ------------------------------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_render_messages(self, items):
        """Texts of the check messages ``items`` (``(code, values)`` pairs), in the language
        of ``self.env``: the reader's, not the language of whoever ran the checks.

        Called by ``order.desk.exception._compute_message``; one read per kind of record the
        values name, whatever the number of messages.
        """
        # A value naming a record is an id: anything else (False for an order of a
        # company without a warehouse, text, a list) names nothing and shows as "?".
        items = [(code, args if isinstance(args, dict) else {}) for code, args in items]
        ids = defaultdict(set)
        for _code, args in items:
            for key, model in MESSAGE_RECORD_KEYS.items():
                if desk_record_id(args.get(key)):
                    ids[model].add(args[key])
        for _code, args in items:
            quotas = args.get("quotas")
            for crossed in quotas if isinstance(quotas, list) else []:
                if isinstance(crossed, dict) and desk_record_id(
                    crossed.get("quota_id")
                ):
                    ids["order.desk.quota"].add(crossed["quota_id"])
        records = {}
        for model, model_ids in ids.items():
            # sudo: only the names of what a readable exception names are shown (the
            # product, customer, warehouse of the reader's own order), in the reader's
            # language; a deleted record shows as "?".
            found = self.env[model].sudo().browse(model_ids).exists()
            records[model] = {record.id: record for record in found}

        def record(args, key):
            model = MESSAGE_RECORD_KEYS.get(key) or QUOTA_KEY.get(key)
            value = args.get(key)
            return records.get(model, {}).get(value) if desk_record_id(value) else None

        texts = []
        for code, args in items:
            try:
                texts.append(self._desk_render_message(code, args, record))
            except (TypeError, ValueError):
                # Values of another shape than the check stores (data written by hand
                # before they were the system's): the message is unreadable, the order
                # is not.
                texts.append(str(code or "?"))
        return texts

    @api.model
    def _desk_render_message(self, code, args, record):
        """One check message; ``record(args, key)`` gives the record a value names."""
        env = self.env

        def name(key):
            found = record(args, key)
            return found.display_name if found else "?"

        def amount(key):
            currency = record(args, "currency_id")
            value = args.get(key) or 0.0
            if currency:
                return format_amount(env, value, currency)
            return formatLang(env, value)

        def qty(key):
            return formatLang(env, args.get(key) or 0.0, dp="Product Unit")

        if code == "customer_missing":
            labels = {
                "email": env._("e-mail"),
                "phone": env._("phone"),
                "street": env._("delivery street"),
                "city": env._("delivery city"),
                "country": env._("delivery country"),
            }
            return env._(
                "Customer %(partner)s is missing: %(missing)s.",
                partner=name("partner_id"),
                missing=desk_join(
                    env, [labels.get(key, key) for key in args.get("missing", [])]
                ),
            )
        if code == "product_archived":
            return env._(
                "Line %(line)s: product %(product)s is archived.",
                line=args.get("line"),
                product=name("product_id"),
            )
        if code == "product_not_sellable":
            return env._(
                "Line %(line)s: product %(product)s cannot be sold.",
                line=args.get("line"),
                product=name("product_id"),
            )
        if code == "stock_short":
            return env._(
                "Line %(line)s: %(product)s needs %(needed)s %(uom)s, only "
                "%(free)s free in warehouse %(warehouse)s.",
                line=args.get("line"),
                product=name("product_id"),
                needed=qty("needed"),
                uom=name("uom_id"),
                free=qty("free"),
                warehouse=name("warehouse_id"),
            )
        if code == "price_below_floor":
            return env._(
                "Line %(line)s: %(product)s at %(price)s after discount is below the "
                "floor %(floor)s (pricelist price %(list_price)s less %(tolerance)s%%).",
                line=args.get("line"),
                product=name("product_id"),
                price=amount("price"),
                floor=amount("floor"),
                list_price=amount("list_price"),
                tolerance=formatLang(env, args.get("tolerance") or 0.0),
            )
        if code == "no_payment_term":
            return env._("No payment term is set on the order.")
        if code == "no_commitment_date":
            return env._("No delivery date is promised to the customer.")
        if code == "commitment_date_past":
            return env._(
                "The promised delivery date %(date)s is already past.",
                date=format_date(env, args.get("date")),
            )
        if code == "credit_limit":
            return env._(
                "Customer %(partner)s would owe %(total)s (receivable %(receivable)s + "
                "open orders %(open)s + this order %(order)s), above the credit limit "
                "%(limit)s.",
                partner=name("partner_id"),
                total=amount("total"),
                receivable=amount("receivable"),
                open=amount("open"),
                order=amount("order"),
                limit=amount("limit"),
            )
        if code == "duplicate_ref":
            return env._(
                "Possible duplicate of %(orders)s: same customer reference %(ref)s.",
                orders=desk_join(env, args.get("orders", [])),
                ref=args.get("ref"),
            )
        if code == "duplicate_lines":
            return env._(
                "Possible duplicate of %(orders)s: same customer and same lines within "
                "%(days)s days.",
                orders=desk_join(env, args.get("orders", [])),
                days=args.get("days"),
            )
        if code == "quota_exceeded":
            parts = []
            quotas = args.get("quotas")
            for crossed in quotas if isinstance(quotas, list) else []:
                if not isinstance(crossed, dict):
                    continue
                quota = record(crossed, "quota_id")
                parts.append(
                    env._(
                        "%(customer)s's quota for %(scope)s in %(period)s is "
                        "%(quota)s: %(before)s already ordered, this order brings it "
                        "to %(total)s.",
                        customer=name("partner_id"),
                        scope=(
                            quota.product_id.display_name
                            or quota.product_categ_id.display_name
                        )
                        if quota
                        else "?",
                        period=quota.period_label if quota else "?",
                        quota=formatLang(
                            env, crossed.get("quota") or 0.0, dp="Product Unit"
                        ),
                        before=formatLang(
                            env, crossed.get("before") or 0.0, dp="Product Unit"
                        ),
                        total=formatLang(
                            env, crossed.get("total") or 0.0, dp="Product Unit"
                        ),
                    )
                )
            return env._(
                "Line %(line)s: %(quotas)s",
                line=args.get("line"),
                quotas=" ".join(parts),
            )
        # Exceptions raised before messages were stored as values keep their text.
        return args.get("text") or code or ""
