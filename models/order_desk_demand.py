from odoo import fields, models, tools
from odoo.tools import SQL


class OrderDeskDemand(models.Model):
    """Demand by product and month (需求分析): what confirmed orders still have to deliver in
    this month and the next two, beside what was ordered in each of the last three complete
    months and a "3+2" forecast: the three-month moving average carried two months ahead
    (next month: the average of the last three; the month after: the average of the last
    two and that forecast). Months are calendar months in UTC."""

    _name = "order.desk.demand"
    _description = "Order Desk Demand and Forecast"
    _auto = False
    _order = "date, product_id"
    _depends = {
        "sale.order": [
            "state",
            "date_order",
            "commitment_date",
            "company_id",
            "warehouse_id",
        ],
        "sale.order.line": [
            "order_id",
            "product_id",
            "product_uom_id",
            "product_uom_qty",
            "qty_delivered",
            "display_type",
            "desk_promised_date",
        ],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id", "uom_id", "type"],
        "uom.uom": ["factor"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    date = fields.Date(string="Month", readonly=True)
    qty_sold = fields.Float(
        string="Sold",
        digits="Product Unit",
        readonly=True,
        help="Quantity on the confirmed orders placed in the month (last three complete "
        "months).",
    )
    qty_open = fields.Float(
        string="Open Demand",
        digits="Product Unit",
        readonly=True,
        help="What confirmed orders still have to deliver, by the month it is promised "
        "(overdue lines count in the current month).",
    )
    qty_forecast = fields.Float(
        string="Forecast",
        digits="Product Unit",
        readonly=True,
        help="Next month: the average of the last three complete months; the month "
        "after: the average of the last two and that forecast.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    WITH month0 AS (
                        SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS m0
                    ),
                    lines AS (
                        SELECT sale.company_id,
                               sale.warehouse_id,
                               line.product_id,
                               template.categ_id,
                               sale.date_order,
                               COALESCE(line.desk_promised_date, sale.commitment_date,
                                        sale.date_order) AS due,
                               line.product_uom_qty * line_uom.factor / product_uom.factor
                                   AS ordered,
                               GREATEST(line.product_uom_qty - line.qty_delivered, 0)
                                   * line_uom.factor / product_uom.factor AS open
                          FROM sale_order_line line
                          JOIN sale_order sale ON sale.id = line.order_id
                          JOIN product_product product ON product.id = line.product_id
                          JOIN product_template template
                            ON template.id = product.product_tmpl_id
                          JOIN uom_uom line_uom ON line_uom.id = line.product_uom_id
                          JOIN uom_uom product_uom ON product_uom.id = template.uom_id
                         WHERE sale.state = 'sale'
                           AND line.display_type IS NULL
                           AND template.type = 'consu'
                    ),
                    sold AS (
                        SELECT company_id, warehouse_id, product_id, categ_id,
                               date_trunc('month', date_order)::date AS month,
                               SUM(ordered) AS qty
                          FROM lines, month0
                         WHERE date_order >= m0 - INTERVAL '3 months'
                           AND date_order < m0
                      GROUP BY company_id, warehouse_id, product_id, categ_id, month
                    ),
                    pending AS (
                        SELECT company_id, warehouse_id, product_id, categ_id,
                               GREATEST(date_trunc('month', due)::date, m0) AS month,
                               SUM(open) AS qty
                          FROM lines, month0
                         WHERE open > 0 AND due < m0 + INTERVAL '3 months'
                      GROUP BY company_id, warehouse_id, product_id, categ_id,
                               GREATEST(date_trunc('month', due)::date, m0)
                    ),
                    history AS (
                        SELECT company_id, warehouse_id, product_id, categ_id,
                               COALESCE(SUM(qty) FILTER (
                                   WHERE month = m0 - INTERVAL '3 months'), 0) AS s3,
                               COALESCE(SUM(qty) FILTER (
                                   WHERE month = m0 - INTERVAL '2 months'), 0) AS s2,
                               COALESCE(SUM(qty) FILTER (
                                   WHERE month = m0 - INTERVAL '1 month'), 0) AS s1
                          FROM sold, month0
                      GROUP BY company_id, warehouse_id, product_id, categ_id
                    ),
                    forecast AS (
                        SELECT company_id, warehouse_id, product_id, categ_id,
                               (m0 + INTERVAL '1 month')::date AS month,
                               (s3 + s2 + s1) / 3.0 AS qty
                          FROM history, month0
                        UNION ALL
                        SELECT company_id, warehouse_id, product_id, categ_id,
                               (m0 + INTERVAL '2 months')::date AS month,
                               (s2 + s1 + (s3 + s2 + s1) / 3.0) / 3.0 AS qty
                          FROM history, month0
                    ),
                    figures AS (
                        SELECT company_id, warehouse_id, product_id, categ_id, month,
                               qty AS qty_sold, 0.0 AS qty_open, 0.0 AS qty_forecast
                          FROM sold
                        UNION ALL
                        SELECT company_id, warehouse_id, product_id, categ_id, month,
                               0.0, qty, 0.0
                          FROM pending
                        UNION ALL
                        SELECT company_id, warehouse_id, product_id, categ_id, month,
                               0.0, 0.0, qty
                          FROM forecast
                    )
                    SELECT ROW_NUMBER() OVER (
                               ORDER BY month, product_id, warehouse_id, company_id
                           ) AS id,
                           company_id, warehouse_id, product_id, categ_id,
                           month AS date,
                           SUM(qty_sold) AS qty_sold,
                           SUM(qty_open) AS qty_open,
                           SUM(qty_forecast) AS qty_forecast
                      FROM figures
                  GROUP BY company_id, warehouse_id, product_id, categ_id, month
                )
                """,
                view=SQL.identifier(self._table),
            )
        )
