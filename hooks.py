from odoo.tools import SQL

from .models.account_move import money_matched_sql
from .models.sale_order_timeline import KPI_PRE_INIT_COLUMNS


def pre_init_hook(env):
    """Before the models load: the desk's stored computed columns of the existing orders
    and deliveries, created and filled in SQL (``create_desk_columns``)."""
    create_desk_columns(env)


def post_init_hook(env):
    """After the module's data (and demo data) are loaded: what needs the desk's tables,
    in SQL for existing records, and the shipped rules to every company that has none yet.

    The desk state of the orders that existed before the install was set by the pre-init
    hook (``init_desk_columns``: the state of their sale status, or the shipping state of
    confirmed orders whose goods left); orders made during the install (the demo data)
    keep the state their own workflow gave them."""
    index_tracking_numbers(env)
    recompute_foreign_amounts(env)
    env["res.company"].search([])._order_desk_ensure_rules()
    set_home_actions(env)
    # The KPI timeline of the orders that exist before the install (SQL, no chatter).
    env["sale.order"]._desk_init_timeline()


def sync_shipping_states(env):
    """Confirmed orders whose goods have all left (or arrived) take that desk state (the
    19.0.1.1.0 migration)."""
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            UPDATE sale_order
               SET desk_state = desk_shipping_state
             WHERE state = 'sale'
               AND desk_state IN ('approved', 'locked', 'ready', 'shipped', 'delivered')
               AND desk_shipping_state IN ('shipped', 'delivered')
               AND desk_state != desk_shipping_state
            """
        )
    )
    env["sale.order"].invalidate_model(["desk_state"])


def index_tracking_numbers(env):
    """One tracking number row per number of each delivery's ``carrier_tracking_ref``, split
    as ``stock.picking._desk_split_tracking_refs`` does; in SQL, for every existing picking."""
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            INSERT INTO order_desk_tracking_number
                   (name, picking_id, company_id, carrier_id,
                    create_uid, write_uid, create_date, write_date)
            SELECT DISTINCT ref, picking.id, picking.company_id, picking.carrier_id,
                   %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM stock_picking picking,
                   regexp_split_to_table(picking.carrier_tracking_ref, '[[:space:],;]+') ref
             WHERE picking.carrier_tracking_ref IS NOT NULL
               AND ref != ''
            ON CONFLICT DO NOTHING
            """,
            uid=env.uid,
        )
    )
    env["order.desk.tracking.number"].invalidate_model()


def set_home_actions(env):
    """Desk users without a home action land on the Overview after login."""
    group = env.ref("order_desk.group_order_desk_user")
    group.all_user_ids._desk_sync_home_action()


# Stored computed columns the addon adds to tables that already hold rows when it is
# installed. The ORM would compute each of them for every existing row (hours on a live
# database) and, for the tracked ones, post a chatter message per order: the pre-init hook
# creates them (so that the ORM finds them already there) and fills them in SQL. Every
# stored computed field of the addon on a table it does not create is listed here
# (tests/test_install.py checks it).
PRE_INIT_COLUMNS = {
    "stock_picking": [
        ("desk_tracking_status", "varchar"),
        ("desk_last_event_date", "timestamp"),
        ("desk_tracking_event_count", "int4"),
        ("desk_last_event_location", "varchar"),
        ("desk_expected_date", "timestamp"),
        ("desk_delivered_date", "timestamp"),
        ("desk_prepared", "bool"),
    ],
    "sale_order": [
        # filled by init_desk_columns in the pre-init hook
        ("desk_state", "varchar"),
        ("desk_open_exception_count", "int4"),
        ("desk_has_blocking_exception", "bool"),
        ("desk_has_warning_exception", "bool"),
        ("desk_shipping_state", "varchar"),
        ("desk_shipped_percent", "float8"),
        ("desk_settlement_method", "varchar"),
        ("desk_amount_expected", "numeric"),
        ("desk_amount_delivered", "numeric"),
        ("desk_amount_invoiced", "numeric"),
        ("desk_amount_paid", "numeric"),
        ("desk_amount_to_invoice", "numeric"),
        ("desk_amount_unpaid", "numeric"),
        ("desk_amounts_agree", "bool"),
        ("desk_prepaid", "bool"),
        # the KPI timeline: filled by sale.order._desk_init_timeline in the post-init hook
        # (it reads columns of the desk's other tables) and by the 19.0.1.2.0 migration,
        # which creates them first (pre-13_kpi_columns.py)
        *KPI_PRE_INIT_COLUMNS.items(),
    ],
}

# res.company's order_desk_transit_days default: the companies get it at the same install.
DEFAULT_TRANSIT_DAYS = 3


def create_desk_columns(env):
    """Create the addon's stored computed columns of existing deliveries and orders with
    their values, in SQL: installing on a live database computes nothing row by row and
    posts nothing in any chatter."""
    create_columns(env.cr, PRE_INIT_COLUMNS)
    init_desk_columns(env.cr)


def create_columns(cr, columns):
    """Create the columns ``{table: [(column, type)]}`` that do not exist yet, empty."""
    for table, table_columns in columns.items():
        for column, column_type in table_columns:
            cr.execute(
                SQL(
                    "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    SQL(column_type),
                )
            )


def init_desk_columns(cr, picking_ids=None, order_ids=None):
    """Fill the columns of ``PRE_INIT_COLUMNS`` as their computes would, for the given
    deliveries and orders (all when None). The values are those of records without any
    desk data yet (no tracking event, exception or incident). Orders invoiced in another
    currency than theirs keep empty amounts: ``recompute_foreign_amounts`` (post-init)
    has the ORM convert them."""
    only_pickings = SQL("")
    if picking_ids is not None:
        only_pickings = SQL("AND picking.id IN %s", tuple(picking_ids) or (0,))
    cr.execute(
        SQL(
            """
            UPDATE stock_picking picking
               SET desk_tracking_status = NULL,
                   desk_last_event_date = NULL,
                   desk_tracking_event_count = 0,
                   desk_last_event_location = NULL,
                   desk_delivered_date = NULL,
                   desk_expected_date = CASE
                       WHEN ptype.code != 'outgoing' THEN NULL
                       ELSE COALESCE(
                           CASE WHEN picking.sale_id IS NOT NULL
                                THEN (SELECT so.commitment_date FROM sale_order so
                                       WHERE so.id = picking.sale_id)
                                ELSE picking.date_deadline END,
                           COALESCE(picking.date_done, picking.scheduled_date)
                               + make_interval(days => %(transit)s))
                   END,
                   desk_prepared = picking.state = 'assigned' AND EXISTS (
                       SELECT FROM stock_move move
                        WHERE move.picking_id = picking.id
                          AND move.state NOT IN ('done', 'cancel')
                   ) AND NOT EXISTS (
                       SELECT FROM stock_move move
                        WHERE move.picking_id = picking.id
                          AND move.state NOT IN ('done', 'cancel')
                          AND NOT COALESCE(move.picked, false)
                          AND NOT (
                              EXISTS (SELECT FROM stock_move_move_rel rel
                                       WHERE rel.move_dest_id = move.id)
                              AND NOT EXISTS (
                                  SELECT FROM stock_move_move_rel rel
                                    JOIN stock_move orig ON orig.id = rel.move_orig_id
                                   WHERE rel.move_dest_id = move.id
                                     AND orig.state NOT IN ('done', 'cancel'))
                          )
                   )
              FROM stock_picking_type ptype
             WHERE ptype.id = picking.picking_type_id
               %(only)s
            """,
            transit=DEFAULT_TRANSIT_DAYS,
            only=only_pickings,
        )
    )
    only_orders = SQL("")
    if order_ids is not None:
        only_orders = SQL("AND so.id IN %s", tuple(order_ids) or (0,))
    cr.execute(
        SQL(
            """
            WITH inter_company AS (
                SELECT location.parent_path
                  FROM ir_model_data xmlid
                  JOIN stock_location location ON location.id = xmlid.res_id
                 WHERE xmlid.module = 'stock'
                   AND xmlid.name = 'stock_location_inter_company'
            ), returned AS (
                -- What came back of each line through Odoo's return of its delivery, as
                -- sale.order.line._desk_qty_kept counts it: the line's done moves "to
                -- refund" that sale_stock's _get_outgoing_incoming_moves(strict=True)
                -- takes as incoming, in the line's unit. (Exchanges and reshipments are
                -- desk data: none before the install.)
                SELECT move.sale_line_id AS line_id,
                       SUM(move.quantity * move_uom.factor / line_uom.factor) AS back
                  FROM stock_move move
                  JOIN sale_order_line line ON line.id = move.sale_line_id
                  JOIN uom_uom move_uom ON move_uom.id = move.product_uom
                  JOIN uom_uom line_uom ON line_uom.id = line.product_uom_id
                  JOIN stock_location src ON src.id = move.location_id
                  JOIN stock_location dest ON dest.id = move.location_dest_id
                 WHERE move.state = 'done'
                   AND move.to_refund
                   AND move.product_id = line.product_id
                   AND line.qty_delivered_method = 'stock_move'
                   AND dest.usage != 'inventory'
                   -- not outgoing (stock.location._is_outgoing), unless a dropshipment
                   -- sent back (stock.move._is_dropshipped_returned)
                   AND (NOT (dest.usage = 'customer'
                             OR EXISTS (SELECT FROM inter_company ic
                                         WHERE dest.parent_path LIKE ic.parent_path || '%%'))
                        OR ((src.usage = 'customer'
                             OR (src.usage = 'transit' AND src.company_id IS NULL))
                            AND (dest.usage = 'supplier'
                                 OR (dest.usage = 'transit' AND dest.company_id IS NULL))))
                   -- incoming (stock.move._is_incoming, or from an outgoing location)
                   AND (src.usage IN ('customer', 'supplier')
                        OR (src.usage = 'transit' AND src.company_id IS NULL)
                        OR EXISTS (SELECT FROM inter_company ic
                                    WHERE src.parent_path LIKE ic.parent_path || '%%'))
                 GROUP BY move.sale_line_id
            ), lines AS (
                SELECT line.order_id,
                       SUM(line.price_total / line.product_uom_qty * line.qty_delivered)
                           AS delivered,
                       SUM(CASE WHEN tmpl.invoice_policy = 'delivery'
                                THEN line.price_total / line.product_uom_qty
                                     * line.qty_delivered
                                -- ordered quantities: what the customer keeps
                                ELSE line.price_total
                                     - line.price_total / line.product_uom_qty
                                       * COALESCE(returned.back, 0) END) AS expected
                  FROM sale_order_line line
                  LEFT JOIN product_product product ON product.id = line.product_id
                  LEFT JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                  LEFT JOIN returned ON returned.line_id = line.id
                 WHERE line.display_type IS NULL AND line.product_uom_qty != 0
                 GROUP BY line.order_id
            ), due AS (
                -- What the customer is to have (sale.order.line._desk_qty_due): ordered,
                -- less what came back (no exchange before the install).
                SELECT line.id AS line_id,
                       line.product_uom_qty - COALESCE(returned.back, 0) AS qty
                  FROM sale_order_line line
                  LEFT JOIN returned ON returned.line_id = line.id
            ), goods AS (
                SELECT line.order_id,
                       bool_or(COALESCE(line.price_subtotal, 0) != 0) AS weighted,
                       SUM(COALESCE(line.price_subtotal, 0)) AS total,
                       SUM(COALESCE(line.price_subtotal, 0)
                           * CASE WHEN due.qty <= 0 THEN 1
                                  ELSE LEAST(line.qty_delivered / due.qty, 1) END)
                           AS shipped,
                       COUNT(*) AS count,
                       SUM(CASE WHEN due.qty <= 0 THEN 1
                                ELSE LEAST(line.qty_delivered / due.qty, 1) END)
                           AS shipped_count
                  FROM sale_order_line line
                  JOIN due ON due.line_id = line.id
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                 WHERE line.display_type IS NULL
                   AND tmpl.type = 'consu'
                   AND line.product_uom_qty > 0
                   AND NOT COALESCE(line.is_delivery, false)
                 GROUP BY line.order_id
            ), moves AS (
                SELECT DISTINCT line.order_id, move.id, move.move_type, move.currency_id,
                       move.amount_total
                  FROM sale_order_line line
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = line.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move move ON move.id = aml.move_id
                 WHERE move.move_type IN ('out_invoice', 'out_refund')
                   AND move.state = 'posted'
            ), money AS (
                -- Paid is money received (account_move.money_matched_sql).
                SELECT matched.move_id, SUM(matched.amount) AS amount
                  FROM (%(money_matched)s) AS matched(move_id, amount)
                 GROUP BY matched.move_id
            ), invoices AS (
                SELECT moves.order_id,
                       bool_and(moves.currency_id = so.currency_id) AS same_currency,
                       SUM(CASE WHEN moves.move_type = 'out_refund' THEN -1 ELSE 1 END
                           * moves.amount_total) AS invoiced,
                       SUM(CASE WHEN moves.move_type = 'out_refund' THEN -1 ELSE 1 END
                           * COALESCE(money.amount, 0)) AS paid
                  FROM moves
                  JOIN sale_order so ON so.id = moves.order_id
                  LEFT JOIN money ON money.move_id = moves.id
                 GROUP BY moves.order_id
            ), pickings AS (
                SELECT picking.sale_id AS order_id,
                       COUNT(*) AS outbound,
                       COUNT(*) FILTER (WHERE picking.state = 'done' AND dest.usage = 'customer')
                           AS done,
                       COUNT(*) FILTER (WHERE picking.state != 'done') AS pending,
                       COUNT(*) FILTER (WHERE picking.state != 'done'
                                          AND NOT (dest.usage = 'customer'
                                                   AND picking.desk_prepared))
                           AS pending_unprepared
                  FROM stock_picking picking
                  JOIN stock_picking_type ptype ON ptype.id = picking.picking_type_id
                  JOIN stock_location dest ON dest.id = picking.location_dest_id
                 WHERE picking.sale_id IS NOT NULL
                   AND picking.state != 'cancel'
                   AND ptype.code != 'incoming'
                   AND (dest.usage = 'customer' OR EXISTS (
                        SELECT FROM stock_move move
                          JOIN stock_location final ON final.id = move.location_final_id
                         WHERE move.picking_id = picking.id AND final.usage = 'customer'))
                 GROUP BY picking.sale_id
            ), figures AS (
                SELECT so.id,
                       cur.rounding,
                       CASE WHEN pickings.outbound IS NULL THEN 'none'
                            WHEN pickings.pending > 0 THEN
                                CASE WHEN pickings.done > 0 THEN 'partial'
                                     WHEN pickings.pending_unprepared = 0 THEN 'ready'
                                     ELSE 'waiting' END
                            WHEN pickings.done = 0 THEN 'waiting'
                            ELSE 'shipped' END AS shipping_state,
                       CASE WHEN goods.weighted AND goods.total != 0
                                THEN 100.0 * goods.shipped / goods.total
                            WHEN NOT goods.weighted
                                THEN 100.0 * goods.shipped_count / goods.count
                            ELSE 0 END AS shipped_percent,
                       ROUND(COALESCE(lines.delivered, 0) / cur.rounding) * cur.rounding
                           AS delivered,
                       CASE WHEN so.state = 'sale'
                            THEN ROUND(COALESCE(lines.expected, 0) / cur.rounding)
                                 * cur.rounding
                            ELSE 0 END AS expected,
                       COALESCE(invoices.same_currency, true) AS same_currency,
                       COALESCE(invoices.invoiced, 0) AS invoiced,
                       COALESCE(invoices.paid, 0) AS paid,
                       -- money received covers the order (sale.order
                       -- _compute_desk_settlement_amounts)
                       ROUND((COALESCE(invoices.paid, 0) - so.amount_total)
                             / cur.rounding) >= 0
                           AND (ROUND(COALESCE(invoices.paid, 0) / cur.rounding) > 0
                                OR ROUND(so.amount_total / cur.rounding) = 0) AS prepaid
                  FROM sale_order so
                  JOIN res_currency cur ON cur.id = so.currency_id
                  LEFT JOIN lines ON lines.order_id = so.id
                  LEFT JOIN goods ON goods.order_id = so.id
                  LEFT JOIN invoices ON invoices.order_id = so.id
                  LEFT JOIN pickings ON pickings.order_id = so.id
                 WHERE true %(only)s
            )
            UPDATE sale_order so
               SET desk_state = CASE
                       WHEN so.state = 'sale'
                            AND figures.shipping_state IN ('shipped', 'delivered')
                           THEN figures.shipping_state
                       WHEN so.state = 'sale' THEN 'approved'
                       WHEN so.state = 'cancel' THEN 'cancel'
                       ELSE 'draft' END,
                   desk_open_exception_count = 0,
                   desk_has_blocking_exception = false,
                   desk_has_warning_exception = false,
                   desk_settlement_method = 'on_account',
                   desk_shipping_state = figures.shipping_state,
                   desk_shipped_percent = figures.shipped_percent,
                   desk_amount_delivered = figures.delivered,
                   desk_amount_expected = figures.expected,
                   desk_amount_invoiced = CASE WHEN figures.same_currency
                                               THEN figures.invoiced END,
                   desk_amount_paid = CASE WHEN figures.same_currency
                                           THEN figures.paid END,
                   desk_amount_to_invoice = CASE WHEN figures.same_currency
                                                 THEN figures.expected - figures.invoiced
                                            END,
                   desk_amount_unpaid = CASE WHEN figures.same_currency
                                             THEN figures.invoiced - figures.paid END,
                   desk_amounts_agree = CASE WHEN figures.same_currency
                       THEN ROUND((figures.expected - figures.invoiced)
                                  / figures.rounding) = 0 END,
                   desk_prepaid = CASE WHEN figures.same_currency
                                       THEN COALESCE(figures.prepaid, false) END
              FROM figures
             WHERE figures.id = so.id
            """,
            only=only_orders,
            money_matched=money_matched_sql(SQL("(SELECT id FROM moves)")),
        )
    )


def recompute_foreign_amounts(env):
    """Orders invoiced in another currency than theirs: the ORM converts their amounts at
    each invoice date's rate (``init_desk_columns`` left them empty). Not tracked fields:
    nothing is posted."""
    env.cr.execute(SQL("SELECT id FROM sale_order WHERE desk_amount_invoiced IS NULL"))
    orders = env["sale.order"].browse(row[0] for row in env.cr.fetchall())
    if orders:
        fields = env.registry.field_computed[orders._fields["desk_amount_invoiced"]]
        for field in fields:
            env.add_to_compute(field, orders)
        orders._recompute_recordset([field.name for field in fields])
        orders.flush_recordset()
