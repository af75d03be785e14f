from odoo.tools import SQL


def migrate(cr, version):
    """19.0.1.2.0 (issue 12) stores what an exception found as values, rendered in each
    reader's language. Exceptions raised before keep the text they were written with: the
    column of the former stored message is still there (Odoo does not drop it)."""
    if not version:
        return
    cr.execute(
        SQL(
            """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'order_desk_exception' AND column_name = 'message'
        """
        )
    )
    if not cr.fetchone():
        return
    cr.execute(
        SQL(
            """
        UPDATE order_desk_exception
           SET message_code = 'legacy', message_args = jsonb_build_object('text', message)
         WHERE message_args IS NULL AND message IS NOT NULL
        """
        )
    )
