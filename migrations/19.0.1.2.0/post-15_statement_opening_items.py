from odoo.tools import SQL
from odoo.tools.sql import table_exists


def migrate(cr, version):
    """The items of each statement's opening balance move from the relation table
    order_desk_statement_opening_rel (one row per item) to the statement's own JSON list
    ``opening_item_ids``; Odoo drops the old table at the end of the upgrade."""
    if not table_exists(cr, "order_desk_statement_opening_rel"):
        return
    cr.execute(
        SQL(
            """
            UPDATE order_desk_statement st
               SET opening_item_ids = rel.item_ids
              FROM (SELECT statement_id, jsonb_agg(move_line_id ORDER BY move_line_id)
                               AS item_ids
                      FROM order_desk_statement_opening_rel
                     GROUP BY statement_id) rel
             WHERE st.id = rel.statement_id
            """
        )
    )
