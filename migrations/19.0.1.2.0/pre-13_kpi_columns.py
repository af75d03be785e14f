from odoo.addons.order_desk.hooks import create_columns
from odoo.addons.order_desk.models.sale_order_timeline import KPI_PRE_INIT_COLUMNS


def migrate(cr, version):
    """19.0.1.2.0 adds the orders' KPI timeline: its columns are created before Odoo's
    schema update, so that the upgrade computes nothing order by order (nor writes the
    install's moment as every order's received date); post-13_kpi_dates.py fills them in
    SQL. The same columns as the install's pre-init hook (hooks.PRE_INIT_COLUMNS)."""
    if not version:
        return
    create_columns(cr, {"sale_order": list(KPI_PRE_INIT_COLUMNS.items())})
