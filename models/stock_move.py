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


# Context marker of Odoo's return of a delivery (the return wizard), whose moves copy the
# returned moves' marks: an object, so that no RPC call can send it.
COPY_MARKS = object()

# The marks of the desk's moves (see StockMove).
MOVE_MARKS = ("desk_incident_id", "desk_return_id")


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "order.desk.field.guard"]

    # The moves of a reshipment or an exchange are marked by the desk's procurement (as the
    # system); nobody else marks or unmarks a move (a marked reshipment does not count as
    # delivered on the order line, so it is neither counted nor invoiced). Odoo's own flows
    # carry the marks as any user: a move split into a backorder (_split), and the return
    # of a marked move (stock.return.picking); see _desk_allowed_create_fields. A copy of a
    # marked move by anybody else is refused.
    _desk_system_fields = frozenset(MOVE_MARKS)

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

    def _desk_allowed_create_fields(self, vals):
        allowed = super()._desk_allowed_create_fields(vals)
        if self.env.context.get("order_desk_copy_marks") is COPY_MARKS:
            return allowed | frozenset(MOVE_MARKS)
        split = self._desk_split_vals().get(id(vals))
        if split and split[0] is vals:
            # Values made by _split of a marked move: the marks are the move's own.
            allowed |= frozenset(
                name for name in MOVE_MARKS if vals.get(name) == split[1].get(name)
            )
        return allowed

    def _desk_split_vals(self):
        """``{id(values): (values, marks)}`` of the values ``_split`` made in this
        transaction for marked moves (the values themselves are kept, so their ids are
        not reused)."""
        return self.env.cr.cache.setdefault("order_desk_split_vals", {})

    def _split(self, qty, restrict_partner_id=False):
        vals_list = super()._split(qty, restrict_partner_id=restrict_partner_id)
        marks = {name: self[name].id for name in MOVE_MARKS if self[name]}
        if marks:
            registry = self._desk_split_vals()
            for vals in vals_list:
                registry[id(vals)] = (vals, marks)
        return vals_list

    def _prepare_merge_moves_distinct_fields(self):
        # The moves of two incidents (or returns) are never merged: each keeps its own
        # mark, and each incident its own new delivery.
        return [*super()._prepare_merge_moves_distinct_fields(), *MOVE_MARKS]

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
