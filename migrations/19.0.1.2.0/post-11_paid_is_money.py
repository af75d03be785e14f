from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, split_every

from odoo.addons.order_desk.models.order_desk_statement import SETTLEMENT_SQL


def migrate(cr, version):
    """19.0.1.2.0 counts as paid only money received (issue 11): the stored settlement
    amounts of confirmed orders are computed again, and the statement lines made before get
    their status (open and partly settled as they were when made; how a settled item was
    settled from its reconciliation now)."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(
        SQL(
            """
            UPDATE order_desk_statement_line line
               SET settlement = CASE
                       WHEN NOT COALESCE(line.reconciled, FALSE) THEN
                            CASE WHEN line.amount_residual = line.debit - line.credit
                                 THEN 'open' ELSE 'partial' END
                       ELSE %(settlement)s END
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
             WHERE aml.id = line.move_line_id
               AND line.settlement IS NULL
            """,
            settlement=SETTLEMENT_SQL,
        )
    )
    Order = env["sale.order"]
    field = Order._fields["desk_amount_paid"]
    # By chunks: a database may hold many confirmed orders.
    for ids in split_every(1000, Order.search([("state", "=", "sale")]).ids):
        orders = Order.browse(ids)
        env.add_to_compute(field, orders)
        orders._recompute_recordset(["desk_amount_paid"])
        env.flush_all()
        env.invalidate_all()
