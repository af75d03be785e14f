from odoo.tools import SQL
from odoo.tools.sql import column_exists

# Numbers of days and the column that holds them, bounded by 19.0.1.2.0 (at most ten
# years: beyond, they only overflow the date arithmetic of whoever reads them).
DAY_COLUMNS = {
    "order_desk_overview_tile": ("threshold_days",),
    "order_desk_rule": ("duplicate_days",),
    "res_company": (
        "order_desk_reservation_days",
        "order_desk_return_days",
        "order_desk_transit_days",
        "order_desk_tracking_silence_days",
        "order_desk_shortage_days",
    ),
}


def migrate(cr, version):
    """Bring numbers of days beyond ten years back to ten years, before the constraints
    that bound them are added."""
    if not version:
        return
    for table, columns in DAY_COLUMNS.items():
        for column in columns:
            if not column_exists(cr, table, column):
                # Added by 19.0.1.2.0 itself (after this script): nothing to bring back.
                continue
            cr.execute(
                SQL(
                    "UPDATE %(table)s SET %(column)s = 3650 WHERE %(column)s > 3650",
                    table=SQL.identifier(table),
                    column=SQL.identifier(column),
                )
            )
