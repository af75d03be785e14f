from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, formatLang

CHECK_TYPES = [
    ("customer_data", "Customer data complete"),
    ("sellable", "Product sellable"),
    ("stock", "Stock available"),
    ("price_floor", "Price not below floor"),
    ("payment_term", "Payment term set"),
    ("credit_limit", "Credit limit"),
    ("commitment_date", "Delivery date promised"),
    ("duplicate", "Duplicate order"),
]

SEVERITIES = [
    ("blocking", "Blocking"),
    ("warning", "Warning"),
]


class OrderDeskRule(models.Model):
    _name = "order.desk.rule"
    _description = "Order Desk Check Rule"
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
    _duplicate_days_positive = models.Constraint(
        "CHECK(duplicate_days >= 0)",
        "The duplicate window cannot be negative.",
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
    def _evaluate(self, orders):
        """Run the rules in ``self`` on ``orders`` and return the failures.

        Each rule only judges the orders of its own company. Called by
        ``sale.order._desk_run_checks``; every check works on the whole batch with a bounded
        number of queries.

        :returns: list of dicts ``{order_id, rule_id, line_id, severity, message}``
        """
        failures = []
        for rule in self:
            company_orders = orders.filtered(
                lambda o, r=rule: o.company_id == r.company_id
            )
            if not company_orders:
                continue
            check = getattr(rule, f"_check_{rule.check_type}")
            for order, line, message in check(company_orders):
                failures.append(
                    {
                        "order_id": order.id,
                        "rule_id": rule.id,
                        "line_id": line.id if line else False,
                        "severity": rule.severity,
                        "message": message,
                    }
                )
        return failures

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

    def _fmt_qty(self, qty):
        return formatLang(self.env, qty, dp="Product Unit")

    # Checks: each yields (order, line or None, message) ------------------------------------------
    def _check_customer_data(self, orders):
        for order in orders:
            partner, shipping = order.partner_id, order.partner_shipping_id
            missing = []
            if not (partner.email or partner.commercial_partner_id.email):
                missing.append(self.env._("e-mail"))
            if not (
                partner.phone or shipping.phone or partner.commercial_partner_id.phone
            ):
                missing.append(self.env._("phone"))
            if not shipping.street:
                missing.append(self.env._("delivery street"))
            if not shipping.city:
                missing.append(self.env._("delivery city"))
            if not shipping.country_id:
                missing.append(self.env._("delivery country"))
            if missing:
                yield (
                    order,
                    None,
                    self.env._(
                        "Customer %(partner)s is missing: %(missing)s.",
                        partner=partner.display_name,
                        missing=", ".join(missing),
                    ),
                )

    def _check_sellable(self, orders):
        for line in self._product_lines(orders):
            product = line.product_id
            if not product.active:
                message = self.env._(
                    "Line %(line)s: product %(product)s is archived.",
                    line=self._line_label(line),
                    product=product.display_name,
                )
            elif not product.sale_ok:
                message = self.env._(
                    "Line %(line)s: product %(product)s cannot be sold.",
                    line=self._line_label(line),
                    product=product.display_name,
                )
            else:
                continue
            yield line.order_id, line, message

    def _check_stock(self, orders):
        lines = self._product_lines(orders).filtered(
            lambda line: line.product_id.is_storable
        )
        for warehouse, wh_lines in lines.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            # One computation of free quantities per warehouse for every product of the batch.
            products = wh_lines.product_id.with_context(warehouse_id=warehouse.id)
            free = {product.id: product.free_qty for product in products}
            for order_lines in wh_lines.grouped("order_id").values():
                # A confirmed order (re-lock after an unlock) counts what it already holds
                # and what it already delivered.
                needed = defaultdict(float)
                own = defaultdict(float)
                for line in order_lines:
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
                            self.env._(
                                "Line %(line)s: %(product)s needs %(needed)s %(uom)s, only "
                                "%(free)s free in warehouse %(warehouse)s.",
                                line=self._line_label(line),
                                product=product.display_name,
                                needed=self._fmt_qty(needed[product.id]),
                                uom=product.uom_id.name,
                                free=self._fmt_qty(max(available, 0.0)),
                                warehouse=warehouse.display_name,
                            ),
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
                    self.env._(
                        "Line %(line)s: %(product)s at %(price)s after discount is below the "
                        "floor %(floor)s (pricelist price %(list_price)s less %(tolerance)s%%).",
                        line=self._line_label(line),
                        product=line.product_id.display_name,
                        price=format_amount(self.env, net_price, currency),
                        floor=format_amount(self.env, floor, currency),
                        list_price=format_amount(self.env, list_price, currency),
                        tolerance=formatLang(self.env, self.tolerance_percent),
                    ),
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
            yield order, None, self.env._("No payment term is set on the order.")

    def _check_commitment_date(self, orders):
        now = fields.Datetime.now()
        for order in orders:
            if not order.commitment_date:
                yield (
                    order,
                    None,
                    self.env._("No delivery date is promised to the customer."),
                )
            elif order.commitment_date < now:
                yield (
                    order,
                    None,
                    self.env._(
                        "The promised delivery date %(date)s is already past.",
                        date=format_date(self.env, order.commitment_date),
                    ),
                )

    def _check_credit_limit(self, orders):
        company = self.company_id
        currency = company.currency_id
        today = fields.Date.context_today(self)
        partners = orders.partner_id.commercial_partner_id.with_company(company)
        # sudo: the clerk must see the customer's exposure without accounting rights; only
        # totals are read, and only to build the message of this check.
        partners_sudo = partners.sudo()
        receivable = {p.id: p.credit for p in partners_sudo}
        limits = {p.id: p.credit_limit for p in partners_sudo}
        open_amounts = self._open_order_amounts(partners_sudo, company, exclude=orders)
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
                    self.env._(
                        "Customer %(partner)s would owe %(total)s (receivable %(receivable)s + "
                        "open orders %(open)s + this order %(order)s), above the credit limit "
                        "%(limit)s.",
                        partner=partner.display_name,
                        total=format_amount(self.env, total, currency),
                        receivable=format_amount(
                            self.env, receivable[partner.id], currency
                        ),
                        open=format_amount(
                            self.env, open_amounts[partner.id], currency
                        ),
                        order=format_amount(self.env, this_amounts[order.id], currency),
                        limit=format_amount(self.env, limit, currency),
                    ),
                )

    @api.model
    def _open_order_amounts(self, partners, company, exclude):
        """Confirmed, not yet invoiced amount (tax included) per commercial partner, in the
        company currency, from one grouped read of the order lines."""
        # sudo: the clerk may not see other salespeople's orders; only the sums per order
        # are read, for the credit check's message.
        groups = (
            self.env["sale.order.line"]
            .sudo()
            ._read_group(
                [
                    ("order_id.state", "=", "sale"),
                    ("order_id.company_id", "=", company.id),
                    ("order_id.partner_id.commercial_partner_id", "in", partners.ids),
                    ("order_id", "not in", exclude.ids),
                    ("untaxed_amount_to_invoice", "!=", 0),
                ],
                groupby=["order_id"],
                aggregates=["untaxed_amount_to_invoice:sum"],
            )
        )
        today = fields.Date.context_today(self)
        amounts = defaultdict(float)
        for order, untaxed in groups:
            # Tax share of the order applied to what is left to invoice.
            ratio = (
                order.amount_total / order.amount_untaxed
                if order.amount_untaxed
                else 1.0
            )
            amounts[order.partner_id.commercial_partner_id.id] += (
                order.currency_id._convert(
                    untaxed * ratio, company.currency_id, company, today
                )
            )
        return amounts

    def _check_duplicate(self, orders):
        days = self.duplicate_days
        oldest = min(orders.mapped("date_order")) - timedelta(days=days)
        newest = max(orders.mapped("date_order")) + timedelta(days=days)
        candidates = self.env["sale.order"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "child_of", orders.partner_id.commercial_partner_id.ids),
                ("state", "!=", "cancel"),
                ("date_order", ">=", oldest),
                ("date_order", "<=", newest),
            ]
        )
        by_partner = candidates.grouped(lambda o: o.partner_id.commercial_partner_id)
        window = timedelta(days=days)
        for order in orders:
            others = by_partner.get(
                order.partner_id.commercial_partner_id, candidates.browse()
            )
            others = others.filtered(
                lambda o, ref=order: (
                    o != ref and abs(o.date_order - ref.date_order) <= window
                )
            )
            if not others:
                continue
            ref = (order.client_order_ref or "").strip()
            same_ref = ref and others.filtered(
                lambda o, ref=ref: (o.client_order_ref or "").strip() == ref
            )
            if same_ref:
                yield (
                    order,
                    None,
                    self.env._(
                        "Possible duplicate of %(orders)s: same customer reference %(ref)s.",
                        orders=", ".join(same_ref.mapped("name")),
                        ref=ref,
                    ),
                )
                continue
            signature = self._lines_signature(order)
            same_lines = signature and others.filtered(
                lambda o, sig=signature: self._lines_signature(o) == sig
            )
            if same_lines:
                yield (
                    order,
                    None,
                    self.env._(
                        "Possible duplicate of %(orders)s: same customer and same lines within "
                        "%(days)s days.",
                        orders=", ".join(same_lines.mapped("name")),
                        days=days,
                    ),
                )

    @api.model
    def _lines_signature(self, order):
        quantities = defaultdict(float)
        for line in self._product_lines(order):
            quantities[(line.product_id.id, line.product_uom_id.id)] += (
                line.product_uom_qty
            )
        return frozenset(quantities.items())
