from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """19.0.1.2.0 adds the KPIs: the orders' timeline (received, ready, goods out, delivered,
    due dates, first shipment in full) and the managers' rejections and unlocks are filled in
    SQL from what the database knows (creation dates, the deliveries, the tracked changes of the
    desk status); what it cannot tell is logged."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["sale.order"]._desk_init_timeline(from_tracking=True)
