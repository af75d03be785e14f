from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _should_assign_at_confirm(self):
        # The desk's approval reserves the whole batch itself, most urgent order first.
        if self.env.context.get("order_desk_defer_reservation"):
            return False
        return super()._should_assign_at_confirm()
