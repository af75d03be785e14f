from odoo import SUPERUSER_ID, api

from odoo.addons.order_desk.hooks import index_tracking_numbers, sync_shipping_states


def migrate(cr, version):
    """19.0.1.1.0 adds shipping: orders already shipped take their desk state, and the
    existing tracking references are indexed."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    sync_shipping_states(env)
    index_tracking_numbers(env)
