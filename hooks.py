from odoo.tools import SQL

# Where the install remembers the last order that existed before it (pre_init_hook) for
# the post_init_hook, which Odoo runs after the module's data and demo data are loaded.
LAST_ORDER_PARAM = "order_desk.install_last_order_id"


def pre_init_hook(env):
    """Remember the last order that exists before the install: the orders created later
    during the install (the demo data) have their desk state already."""
    env.cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM sale_order"))
    env["ir.config_parameter"].set_param(LAST_ORDER_PARAM, str(env.cr.fetchone()[0]))


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
