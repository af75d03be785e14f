from collections import defaultdict
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

QUOTA_PERIODS = [
    ("month", "Month"),
    ("quarter", "Quarter"),
]


def period_bounds(period, day):
    """First and last day of the month or quarter holding ``day``."""
    if period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, start + relativedelta(months=3, days=-1)
    start = date(day.year, day.month, 1)
    return start, start + relativedelta(months=1, days=-1)


class OrderDeskQuota(models.Model):
    """How much of a product (or a product category) a customer (or each customer with a
    tag) may order in a month or a quarter (配额). The *Within quota* check flags orders
    beyond it; allocation runs serve no line beyond it."""

    _name = "order.desk.quota"
    _description = "Order Desk Customer Quota"
    _inherit = ["order.desk.field.guard"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    # Who
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        check_company=True,
        domain="[('parent_id', '=', False)]",
        help="The customer (the company, not one of its contacts).",
    )
    category_id = fields.Many2one(
        "res.partner.category",
        string="Customer Tag",
        index=True,
        help="Instead of one customer: every customer with this tag gets this quota, each "
        "for themselves.",
    )

    # What
    product_id = fields.Many2one("product.product", index=True, check_company=True)
    product_categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        index=True,
        help="Instead of one product: the products of this category (and its "
        "subcategories) together.",
    )
    quantity = fields.Float(
        required=True,
        digits="Product Unit",
        help="In the product's unit; for a category, the units of its products added up.",
    )

    # When
    period = fields.Selection(
        QUOTA_PERIODS, string="Period Type", required=True, default="month"
    )
    date_start = fields.Date(
        string="Period Start",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
        help="Any day of the month or quarter: the quota covers the whole period.",
    )
    date_end = fields.Date(
        string="Period End", compute="_compute_date_end", store=True, index=True
    )
    period_label = fields.Char(string="Period", compute="_compute_period_label")
    note = fields.Text()

    @api.depends("period", "date_start")
    def _compute_date_end(self):
        for quota in self:
            quota.date_end = (
                period_bounds(quota.period, quota.date_start)[1]
                if quota.date_start
                else False
            )

    @api.depends("period", "date_start")
    def _compute_period_label(self):
        for quota in self:
            start = quota.date_start
            if not start:
                quota.period_label = False
            elif quota.period == "quarter":
                quota.period_label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
            else:
                quota.period_label = f"{start.year}-{start.month:02d}"

    @api.depends(
        "partner_id", "category_id", "product_id", "product_categ_id", "period_label"
    )
    def _compute_display_name(self):
        for quota in self:
            who = quota.partner_id.display_name or quota.category_id.display_name or ""
            what = (
                quota.product_id.display_name
                or quota.product_categ_id.display_name
                or ""
            )
            quota.display_name = " · ".join(
                part for part in (who, what, quota.period_label) if part
            )

    @api.constrains(
        "partner_id", "category_id", "product_id", "product_categ_id", "quantity"
    )
    def _check_scope(self):
        for quota in self:
            if bool(quota.partner_id) == bool(quota.category_id):
                raise ValidationError(
                    self.env._("A quota is for one customer or for one customer tag.")
                )
            if bool(quota.product_id) == bool(quota.product_categ_id):
                raise ValidationError(
                    self.env._(
                        "A quota is for one product or for one product category."
                    )
                )
            if quota.quantity < 0:
                raise ValidationError(
                    self.env._(
                        "A quota cannot be negative (%(quota)s).",
                        quota=quota.display_name,
                    )
                )
            if quota.partner_id and quota.partner_id.parent_id:
                raise ValidationError(
                    self.env._(
                        "A quota is for the customer %(customer)s itself, not for its "
                        "contact %(contact)s.",
                        customer=quota.partner_id.commercial_partner_id.display_name,
                        contact=quota.partner_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_period(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "date_start" in vals or "period" in vals:
            # Each quota moves to the first day of its (new) period.
            for quota in self:
                values = {
                    "period": quota.period,
                    "date_start": quota.date_start,
                    **vals,
                }
                self._normalize_period(values)
                super(OrderDeskQuota, quota).write(
                    {**vals, "date_start": values["date_start"]}
                )
            return True
        return super().write(vals)

    @api.model
    def _normalize_period(self, vals):
        """Any day of the period given, the quota starts on its first day."""
        if vals.get("date_start"):
            day = fields.Date.to_date(vals["date_start"])
            vals["date_start"] = period_bounds(vals.get("period") or "month", day)[0]

    # ------------------------------------------------------------------------------------------
    # Coverage
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_find(self, company, partners, products, date_min, date_max):
        """The active quotas of ``company`` that may cover ``partners`` (commercial) buying
        ``products`` between the two dates: one search."""
        if not partners or not products:
            return self.browse()
        category_ids = {
            int(part)
            for path in products.categ_id.mapped("parent_path")
            for part in (path or "").split("/")
            if part
        }
        return self.search(
            [
                ("company_id", "=", company.id),
                ("date_start", "<=", date_max),
                ("date_end", ">=", date_min),
                "|",
                ("partner_id", "in", partners.ids),
                # The customers' tags found by the search itself (no read of them first).
                ("category_id.partner_ids", "in", partners.ids),
                "|",
                ("product_id", "in", products.ids),
                ("product_categ_id", "in", list(category_ids)),
            ]
        )

    def _desk_covers(self, customer, product, day):
        """Whether the quota ``self`` caps what ``customer`` (commercial) orders of
        ``product`` on ``day``."""
        self.ensure_one()
        if self.partner_id:
            if self.partner_id != customer:
                return False
        elif self.category_id not in customer.category_id:
            return False
        if self.product_id:
            if self.product_id != product:
                return False
        elif not (product.categ_id.parent_path or "").startswith(
            self.product_categ_id.parent_path or "-"
        ):
            return False
        return self.date_start <= day <= self.date_end

    def _desk_scope_lines(self, customers, exclude_orders=None):
        """Lines of confirmed orders of ``customers`` that quotas of ``self`` may count,
        fetched at once (one search): the products and periods of every quota of ``self``.
        """
        if not self or not customers:
            return self.env["sale.order.line"]
        start = datetime.combine(min(self.mapped("date_start")), time.min)
        end = datetime.combine(
            max(self.mapped("date_end")) + timedelta(days=1), time.min
        )
        product_domain = Domain.OR(
            [
                [("product_id", "in", self.product_id.ids)],
                [("product_id.categ_id", "child_of", self.product_categ_id.ids)]
                if self.product_categ_id
                else Domain.FALSE,
            ]
        )
        domain = Domain.AND(
            [
                [
                    ("company_id", "in", self.company_id.ids),
                    ("state", "=", "sale"),
                    ("display_type", "=", False),
                    ("order_partner_id.commercial_partner_id", "in", customers.ids),
                    ("order_id.date_order", ">=", start),
                    ("order_id.date_order", "<", end),
                ],
                product_domain,
                [("order_id", "not in", exclude_orders.ids)]
                if exclude_orders
                else Domain.TRUE,
            ]
        )
        # sudo: a quota counts every order of the customer, also those of other
        # salespeople the caller may not read; only quantities are used.
        return (
            self.env["sale.order.line"]
            .sudo()
            .search_fetch(
                domain,
                [
                    "order_id",
                    "product_id",
                    "product_uom_id",
                    "product_uom_qty",
                    "qty_delivered",
                    "order_partner_id",
                ],
            )
        )

    @api.model
    def _desk_line_qty(self, line, quantity):
        return line.product_uom_id._compute_quantity(
            quantity, line.product_id.uom_id, raise_if_failure=False
        )

    @api.model
    def _desk_caps(self, lines):
        """The most each of ``lines`` (confirmed order lines) may still be served under the
        quotas that cover it, in the product's unit: ``{line_id: (cap, quota)}`` for the
        covered lines only.

        A customer's orders use their quota in the order they were placed: the part of a
        line beyond what remains of the quota once the earlier orders of the period are
        counted is not served, and what was delivered already counts. With several quotas
        on one line, the tightest binds. A fixed number of queries for any number of lines.
        """
        if not lines:
            return {}
        customers = lines.order_partner_id.commercial_partner_id
        dates = [d.date() for d in lines.order_id.mapped("date_order")]
        quotas = self._desk_find(
            lines.company_id, customers, lines.product_id, min(dates), max(dates)
        )
        if not quotas:
            return {}
        scope = quotas._desk_scope_lines(customers)
        by_customer = scope.grouped(
            lambda line: line.order_partner_id.commercial_partner_id
        )
        wanted = set(lines.ids)
        caps = {}
        for quota in quotas:
            for customer, customer_lines in by_customer.items():
                covered = customer_lines.filtered(
                    lambda line, q=quota, c=customer: q._desk_covers(
                        c, line.product_id, line.order_id.date_order.date()
                    )
                ).sorted(
                    lambda line: (line.order_id.date_order, line.order_id.id, line.id)
                )
                before = 0.0
                for line in covered:
                    ordered = self._desk_line_qty(line, line.product_uom_qty)
                    if line.id in wanted:
                        eligible = min(max(quota.quantity - before, 0.0), ordered)
                        delivered = self._desk_line_qty(line, line.qty_delivered)
                        cap = max(eligible - delivered, 0.0)
                        if line.id not in caps or cap < caps[line.id][0]:
                            caps[line.id] = (cap, quota)
                    before += ordered
        return caps

    @api.model
    def _desk_usage(self, quotas, customers, exclude_orders):
        """Quantity ordered on confirmed orders under each quota, per customer:
        ``{(quota_id, customer_id): quantity}`` (orders of ``exclude_orders`` left out)."""
        used = defaultdict(float)
        scope = quotas._desk_scope_lines(customers, exclude_orders=exclude_orders)
        for line in scope:
            customer = line.order_partner_id.commercial_partner_id
            day = line.order_id.date_order.date()
            for quota in quotas:
                if quota._desk_covers(customer, line.product_id, day):
                    used[quota.id, customer.id] += self._desk_line_qty(
                        line, line.product_uom_qty
                    )
        return used
