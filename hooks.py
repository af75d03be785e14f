from odoo.tools import SQL

# Where the install remembers the last order that existed before it (pre_init_hook) for
# the post_init_hook, which Odoo runs after the module's data and demo data are loaded.
LAST_ORDER_PARAM = "order_desk.install_last_order_id"


def pre_init_hook(env):
    """Remember the last order that exists before the install: the orders created later
    during the install (the demo data) have their desk state already."""
    env.cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM sale_order"))
    env["ir.config_parameter"].set_param(LAST_ORDER_PARAM, str(env.cr.fetchone()[0]))
    create_desk_columns(env)


def post_init_hook(env):
    """Give orders that existed before the install the desk state matching their sale
    state, and the shipped rules to every company that has none yet."""
    Param = env["ir.config_parameter"]
    last_id = int(Param.get_param(LAST_ORDER_PARAM) or 0)
    Param.search([("key", "=", LAST_ORDER_PARAM)]).unlink()
    # One UPDATE per state instead of loading every historical order through the ORM: a
    # database may hold hundreds of thousands of orders and none of them needs tracking here.
    env.cr.execute(
        SQL(
            """
            UPDATE sale_order
               SET desk_state = CASE state WHEN 'sale' THEN 'approved'
                                           WHEN 'cancel' THEN 'cancel'
                                           ELSE 'draft' END
             WHERE id <= %s
            """,
            last_id,
        )
    )
    env["sale.order"].invalidate_model(["desk_state"])
    sync_shipping_states(env, last_id)
    index_tracking_numbers(env)
    recompute_foreign_amounts(env)
    env["res.company"].search([])._order_desk_ensure_rules()
    set_home_actions(env)
    # The KPI timeline of the orders that exist before the install (SQL, no chatter).
    env["sale.order"]._desk_init_timeline()


def sync_shipping_states(env, last_id=None):
    """Confirmed orders (up to id ``last_id`` when given) whose goods have all left (or
    arrived) take that desk state."""
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
               %s
            """,
            SQL("AND id <= %s", last_id) if last_id is not None else SQL(),
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
# creates them and fills them in SQL, so that the ORM finds them already there.
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
    ],
}

# res.company's order_desk_transit_days default: the companies get it at the same install.
DEFAULT_TRANSIT_DAYS = 3


def create_desk_columns(env):
    """Create the addon's stored computed columns of existing deliveries and orders with
    their values, in SQL: installing on a live database computes nothing row by row and
    posts nothing in any chatter."""
    for table, columns in PRE_INIT_COLUMNS.items():
        for column, column_type in columns:
            env.cr.execute(
                SQL(
                    "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    SQL(column_type),
                )
            )
    init_desk_columns(env.cr)


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
            WITH lines AS (
                SELECT line.order_id,
                       SUM(line.price_total / line.product_uom_qty * line.qty_delivered)
                           AS delivered,
                       SUM(CASE WHEN tmpl.invoice_policy = 'delivery'
                                THEN line.price_total / line.product_uom_qty
                                     * line.qty_delivered
                                ELSE line.price_total END) AS expected
                  FROM sale_order_line line
                  LEFT JOIN product_product product ON product.id = line.product_id
                  LEFT JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                 WHERE line.display_type IS NULL AND line.product_uom_qty != 0
                 GROUP BY line.order_id
            ), goods AS (
                SELECT line.order_id,
                       bool_or(COALESCE(line.price_subtotal, 0) != 0) AS weighted,
                       SUM(COALESCE(line.price_subtotal, 0)) AS total,
                       SUM(COALESCE(line.price_subtotal, 0)
                           * LEAST(line.qty_delivered / line.product_uom_qty, 1)) AS shipped,
                       COUNT(*) AS count,
                       SUM(LEAST(line.qty_delivered / line.product_uom_qty, 1))
                           AS shipped_count
                  FROM sale_order_line line
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                 WHERE line.display_type IS NULL
                   AND tmpl.type = 'consu'
                   AND line.product_uom_qty > 0
                   AND NOT COALESCE(line.is_delivery, false)
                 GROUP BY line.order_id
            ), moves AS (
                SELECT DISTINCT line.order_id, move.id, move.move_type, move.currency_id,
                       move.amount_total, move.amount_residual
                  FROM sale_order_line line
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = line.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move move ON move.id = aml.move_id
                 WHERE move.move_type IN ('out_invoice', 'out_refund')
                   AND move.state = 'posted'
            ), invoices AS (
                SELECT moves.order_id,
                       bool_and(moves.currency_id = so.currency_id) AS same_currency,
                       SUM(CASE WHEN moves.move_type = 'out_refund' THEN -1 ELSE 1 END
                           * moves.amount_total) AS invoiced,
                       SUM(CASE WHEN moves.move_type = 'out_refund' THEN -1 ELSE 1 END
                           * (moves.amount_total - moves.amount_residual)) AS paid,
                       COUNT(*) FILTER (WHERE moves.move_type = 'out_invoice')
                           AS customer_invoices,
                       bool_and(ROUND(moves.amount_residual / cur.rounding) = 0) FILTER (
                           WHERE moves.move_type = 'out_invoice') AS all_paid,
                       SUM(moves.amount_total) FILTER (
                           WHERE moves.move_type = 'out_invoice') AS customer_total
                  FROM moves
                  JOIN sale_order so ON so.id = moves.order_id
                  JOIN res_currency cur ON cur.id = moves.currency_id
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
                       COALESCE(invoices.customer_invoices, 0) > 0
                           AND invoices.all_paid
                           AND ROUND((invoices.customer_total - so.amount_total)
                                     / cur.rounding) >= 0 AS prepaid
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
