from odoo import fields, models

# Context marker of the desk's approval, which reserves the whole batch itself: an object, so
# that no RPC call (whose context is JSON) can send it and confirm without reserving.
DEFER_RESERVATION = object()
# Desk orders whose open moves wait for an allocation run instead of taking a receipt's
# goods first come, first served.
HELD_DESK_STATES = ("approved", "locked", "ready")
# Context marker of a receipt's goods held for an allocation run: an object, so that no RPC
# call can send it and keep other callers' moves from reserving.
HOLD_FOR_ALLOCATION = object()


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "order.desk.field.guard"]

    # The moves of a reshipment or an exchange are marked by the desk's procurement (as the
    # system); nobody else marks or unmarks a move (a marked move does not count as
    # delivered on the order line). Odoo copies moves along their route and into
    # backorders as any user, marks included: only writes are checked.
    _desk_system_fields = frozenset({"desk_incident_id", "desk_return_id"})
    _desk_guard_create = False

    # Copied along the route (pushed steps, backorders) so every leg of a reshipment keeps it.
    desk_incident_id = fields.Many2one(
        "order.desk.incident",
        string="Reshipment of Incident",
        index="btree_not_null",
        readonly=True,
        copy=True,
    )

    desk_return_id = fields.Many2one(
        "order.desk.return",
        string="Exchange of Return",
        index="btree_not_null",
        readonly=True,
        copy=True,
    )

    def _should_assign_at_confirm(self):
        # The desk's approval reserves the whole batch itself, most urgent order first.
        if self.env.context.get("order_desk_defer_reservation") is DEFER_RESERVATION:
            return False
        return super()._should_assign_at_confirm()

    def _desk_brings_stock(self):
        """Whether this move brings goods into its warehouse's stock location from outside
        it (a receipt, or the last step of a multi-step reception)."""
        self.ensure_one()
        warehouse = self.location_dest_id.warehouse_id
        if not warehouse:
            return False
        stock_path = warehouse.lot_stock_id.parent_path or "-"
        return (self.location_dest_id.parent_path or "").startswith(
            stock_path
        ) and not (self.location_id.parent_path or "").startswith(stock_path)

    def _trigger_assign(self):
        # With "Allocate Receipts", the goods a receipt brings are not reserved first come,
        # first served for the desk's orders: an allocation run proposes who gets them
        # (see stock.picking._action_done). Other moves (transfers, manufacturing) reserve
        # as usual.
        held = self.filtered(
            lambda m: (
                m.company_id.order_desk_allocate_receipts and m._desk_brings_stock()
            )
        )
        if held:
            super(
                StockMove,
                held.with_context(order_desk_hold_for_allocation=HOLD_FOR_ALLOCATION),
            )._trigger_assign()
        return super(StockMove, self - held)._trigger_assign()

    def _action_assign(self, force_qty=False):
        moves = self
        if (
            self.env.context.get("order_desk_hold_for_allocation")
            is HOLD_FOR_ALLOCATION
        ):
            moves = self.filtered(lambda m: not m._desk_held_for_allocation())
        return super(StockMove, moves)._action_assign(force_qty=force_qty)

    def _desk_held_for_allocation(self):
        order = self.sale_line_id.order_id
        return bool(
            order
            and order.desk_state in HELD_DESK_STATES
            and order.company_id.order_desk_allocate_receipts
        )

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        if self.desk_incident_id:
            values["desk_incident_id"] = self.desk_incident_id.id
        if self.desk_return_id:
            values["desk_return_id"] = self.desk_return_id.id
        return values
