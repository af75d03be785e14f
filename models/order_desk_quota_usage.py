from odoo import fields, models, tools
from odoo.tools import SQL

from .order_desk_quota import QUOTA_PERIODS


class OrderDeskQuotaUsage(models.Model):
    """Each quota against what its customers ordered and received in its period: one row
    per quota and customer (a tag's quota gives a row to each customer with the tag)."""

    _name = "order.desk.quota.usage"
    _description = "Order Desk Quota Usage"
    _auto = False
    _order = "date_start desc, partner_id, quota_id"
    _depends = {
        "order.desk.quota": [
            "active",
            "company_id",
            "partner_id",
            "category_id",
            "product_id",
            "product_categ_id",
            "quantity",
            "period",
            "date_start",
            "date_end",
        ],
        "sale.order": ["state", "date_order", "partner_id", "company_id"],
        "sale.order.line": [
            "order_id",
            "product_id",
            "product_uom_id",
            "product_uom_qty",
            "qty_delivered",
            "display_type",
        ],
        "res.partner": ["commercial_partner_id", "category_id", "parent_id", "active"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id", "uom_id"],
        "product.category": ["parent_path"],
        "uom.uom": ["factor"],
    }

    quota_id = fields.Many2one("order.desk.quota", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    category_id = fields.Many2one(
        "res.partner.category", string="Customer Tag", readonly=True
    )
    product_id = fields.Many2one("product.product", readonly=True)
    product_categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    period = fields.Selection(QUOTA_PERIODS, string="Period Type", readonly=True)
    date_start = fields.Date(string="Period Start", readonly=True)
    date_end = fields.Date(string="Period End", readonly=True)
    qty_quota = fields.Float(
        string="Quota Quantity", digits="Product Unit", readonly=True
    )
    qty_ordered = fields.Float(string="Ordered", digits="Product Unit", readonly=True)
    qty_delivered = fields.Float(
        string="Delivered", digits="Product Unit", readonly=True
    )
    qty_remaining = fields.Float(
        string="Remaining",
        digits="Product Unit",
        readonly=True,
        help="Quota less what confirmed orders of the period ordered (negative: above "
        "the quota).",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    WITH holders AS (
                        SELECT quota.id AS quota_id, quota.partner_id AS customer_id
                          FROM order_desk_quota quota
                         WHERE quota.active AND quota.partner_id IS NOT NULL
                        UNION
                        SELECT quota.id, customer.id
                          FROM order_desk_quota quota
                          JOIN res_partner_res_partner_category_rel tag
                            ON tag.category_id = quota.category_id
                          JOIN res_partner customer
                            ON customer.id = tag.partner_id
                           AND customer.parent_id IS NULL
                           AND customer.active
                         WHERE quota.active AND quota.category_id IS NOT NULL
                    ),
                    used AS (
                        SELECT holders.quota_id,
                               holders.customer_id,
                               SUM(line.product_uom_qty * line_uom.factor
                                   / product_uom.factor) AS ordered,
                               SUM(line.qty_delivered * line_uom.factor
                                   / product_uom.factor) AS delivered
                          FROM holders
                          JOIN order_desk_quota quota ON quota.id = holders.quota_id
                          LEFT JOIN product_category quota_categ
                            ON quota_categ.id = quota.product_categ_id
                          JOIN sale_order sale
                            ON sale.company_id = quota.company_id
                           AND sale.state = 'sale'
                           AND sale.date_order >= quota.date_start
                           AND sale.date_order < quota.date_end + 1
                          JOIN res_partner buyer
                            ON buyer.id = sale.partner_id
                           AND buyer.commercial_partner_id = holders.customer_id
                          JOIN sale_order_line line
                            ON line.order_id = sale.id AND line.display_type IS NULL
                          JOIN product_product product ON product.id = line.product_id
                          JOIN product_template template
                            ON template.id = product.product_tmpl_id
                          LEFT JOIN product_category categ ON categ.id = template.categ_id
                          JOIN uom_uom line_uom ON line_uom.id = line.product_uom_id
                          JOIN uom_uom product_uom ON product_uom.id = template.uom_id
                         WHERE line.product_id = quota.product_id
                            OR categ.parent_path LIKE quota_categ.parent_path || '%%'
                      GROUP BY holders.quota_id, holders.customer_id
                    )
                    SELECT ROW_NUMBER() OVER (ORDER BY quota.id, holders.customer_id) AS id,
                           quota.id AS quota_id,
                           quota.company_id,
                           holders.customer_id AS partner_id,
                           quota.category_id,
                           quota.product_id,
                           quota.product_categ_id,
                           quota.period,
                           quota.date_start,
                           quota.date_end,
                           quota.quantity AS qty_quota,
                           COALESCE(used.ordered, 0.0) AS qty_ordered,
                           COALESCE(used.delivered, 0.0) AS qty_delivered,
                           quota.quantity - COALESCE(used.ordered, 0.0) AS qty_remaining
                      FROM holders
                      JOIN order_desk_quota quota ON quota.id = holders.quota_id
                      LEFT JOIN used
                        ON used.quota_id = holders.quota_id
                       AND used.customer_id = holders.customer_id
                )
                """,
                view=SQL.identifier(self._table),
            )
        )
