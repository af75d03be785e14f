from odoo import api, models
from odoo.tools import SQL


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    @api.private
    def _desk_lock_for_reservation(self, products, locations):
        """Lock the quants of ``products`` in ``locations`` (and below) before reserving.

        The one place where the desk serialises reservations: the approval
        (``sale.order._desk_reserve``) and the allocation run's *Apply*
        (``order.desk.allocation``) both call it before they read what is free and reserve.
        Two transactions competing for the same stock must not both take it: the rows are
        locked with a blocking ``SELECT ... FOR UPDATE`` in id order, so two of them never
        deadlock; the second one waits for the first, and since Odoo runs in REPEATABLE READ
        it then fails with a serialization error, which Odoo's RPC layer answers by retrying
        the whole call; the retry sees the stock the first one took. ``lock_for_update`` is
        not used because it skips locked rows and raises a user error instead of waiting.
        """
        if not products or not locations:
            return
        quants = self.search(
            [
                ("product_id", "in", products.ids),
                ("location_id", "child_of", locations.ids),
            ]
        )
        if quants:
            # A serialization failure here is the expected outcome of a race, retried by the
            # caller: it is not logged as a bad query.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM stock_quant WHERE id IN %s ORDER BY id FOR UPDATE",
                    tuple(quants.ids),
                ),
                log_exceptions=False,
            )
