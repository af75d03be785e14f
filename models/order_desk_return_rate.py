from odoo import fields, models, tools
from odoo.tools import SQL


class OrderDeskReturnRate(models.Model):
    """Returned ÷ delivered quantity per product, company and month, from the done stock
    moves of sale orders: deliveries to customers (reshipments after an incident left out)
    and the returns of those deliveries."""

    _name = "order.desk.return.rate"
    _description = "Order Desk Return Rate"
    _auto = False
    _order = "date desc, product_id"
    _depends = {
        "stock.move": [
            "state",
            "product_id",
            "company_id",
            "date",
            "product_qty",
            "location_id",
            "location_dest_id",
            "sale_line_id",
            "origin_returned_move_id",
            "desk_incident_id",
        ],
        "stock.location": ["usage"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id"],
    }

    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    qty_delivered = fields.Float(
        string="Delivered", digits="Product Unit", readonly=True
    )
    qty_returned = fields.Float(string="Returned", digits="Product Unit", readonly=True)
    return_rate = fields.Float(
        string="Return Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Returned ÷ delivered quantity of the month. Across months, compare the "
        "Delivered and Returned totals.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    SELECT MIN(moves.id) AS id,
                           moves.product_id,
                           template.categ_id,
                           moves.company_id,
                           moves.date,
                           SUM(moves.delivered) AS qty_delivered,
                           SUM(moves.returned) AS qty_returned,
                           CASE WHEN SUM(moves.delivered) > 0
                                THEN 100.0 * SUM(moves.returned) / SUM(moves.delivered)
                                ELSE 0.0 END AS return_rate
                      FROM (
                        SELECT move.id,
                               move.product_id,
                               move.company_id,
                               date_trunc('month', move.date)::date AS date,
                               CASE WHEN destination.usage = 'customer'
                                     AND source.usage != 'customer'
                                    THEN move.product_qty ELSE 0.0 END AS delivered,
                               CASE WHEN source.usage = 'customer'
                                     AND move.origin_returned_move_id IS NOT NULL
                                    THEN move.product_qty ELSE 0.0 END AS returned
                          FROM stock_move move
                          JOIN stock_location source ON source.id = move.location_id
                          JOIN stock_location destination
                            ON destination.id = move.location_dest_id
                         WHERE move.state = 'done'
                           AND move.sale_line_id IS NOT NULL
                           AND move.desk_incident_id IS NULL
                           AND (destination.usage = 'customer' OR source.usage = 'customer')
                      ) moves
                      JOIN product_product product ON product.id = moves.product_id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                  GROUP BY moves.product_id, template.categ_id, moves.company_id, moves.date
                )
                """,
                view=SQL.identifier(self._table),
            )
        )
