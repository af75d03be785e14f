from odoo.tools import SQL


def post_init_hook(env):
    """Give orders that exist before the install the desk state matching their sale state,
    and the shipped rules to every company that has none yet."""
    # One UPDATE per state instead of loading every historical order through the ORM: a
    # database may hold hundreds of thousands of orders and none of them needs tracking here.
    env.cr.execute(
        SQL(
            """
            UPDATE sale_order
               SET desk_state = CASE state WHEN 'sale' THEN 'approved'
                                           WHEN 'cancel' THEN 'cancel'
                                           ELSE 'draft' END
            """
        )
    )
    env["sale.order"].invalidate_model(["desk_state"])
    sync_shipping_states(env)
    index_tracking_numbers(env)
    env["res.company"].search([])._order_desk_ensure_rules()
    # The KPI timeline of the orders that exist before the install (SQL, no chatter).
    env["sale.order"]._desk_init_timeline()


def sync_shipping_states(env):
    """Confirmed orders whose goods have all left (or arrived) take that desk state."""
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
