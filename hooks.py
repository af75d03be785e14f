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
    env["res.company"].search([])._order_desk_ensure_rules()
