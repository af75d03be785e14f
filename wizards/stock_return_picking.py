from odoo import models

from ..models.stock_move import COPY_MARKS


class StockReturnPicking(models.TransientModel):
    _inherit = "stock.return.picking"

    # The return of a reshipment (or of an exchange) is a copy of its marked moves, made
    # as the user who returns it: the moves coming back keep the marks of the moves that
    # left, so that neither counts on the order line. The marker is an object no RPC call
    # can send (see stock.move._desk_allowed_create_fields).
    def _create_return(self):
        picking = super(
            StockReturnPicking, self.with_context(order_desk_copy_marks=COPY_MARKS)
        )._create_return()
        return picking.with_env(self.env)

    def _create_exchange(self, return_picking):
        picking = super(
            StockReturnPicking, self.with_context(order_desk_copy_marks=COPY_MARKS)
        )._create_exchange(return_picking)
        return picking.with_env(self.env)
