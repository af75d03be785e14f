from odoo import api, fields, models
from odoo.exceptions import UserError

from .order_desk_field_guard import desk_changed_fields
from .sale_order import LOCKED_DESK_STATES

# Line fields a desk-locked order protects.
LOCKED_LINE_FIELDS = (
    "product_id",
    "product_uom_qty",
    "product_uom_id",
    "price_unit",
    "discount",
    "tax_ids",
)


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "order.desk.field.guard"]

    # The promise of a line is a manager's (or an allocation run's) decision; what it was
    # before is the system's record (read-only, see order.desk.field.guard).
    _desk_manager_fields = frozenset({"desk_promised_date"})

    desk_qty_on_hand = fields.Float(
        string="On Hand",
        compute="_compute_desk_availability",
        digits="Product Unit",
        groups="base.group_user",
    )
    desk_qty_reserved_other = fields.Float(
        string="Reserved by Others",
        compute="_compute_desk_availability",
        digits="Product Unit",
        groups="base.group_user",
    )
    desk_qty_free = fields.Float(
        string="Free",
        compute="_compute_desk_availability",
        digits="Product Unit",
        groups="base.group_user",
    )
    desk_qty_incoming = fields.Float(
        string="Incoming",
        compute="_compute_desk_availability",
        digits="Product Unit",
        groups="base.group_user",
    )
    desk_incoming_date = fields.Date(
        string="Next Receipt",
        compute="_compute_desk_availability",
        groups="base.group_user",
    )
    desk_qty_shortage = fields.Float(
        string="Shortage",
        compute="_compute_desk_availability",
        digits="Product Unit",
        groups="base.group_user",
    )

    # Promise per line: Odoo's delivery date (commitment_date) is per order; a stock
    # allocation that serves a line from a later receipt moves this line's date only.
    desk_promised_date = fields.Datetime(
        string="Promised Date",
        copy=False,
        help="When this line is promised to the customer, when it differs from the order's "
        "delivery date: set by a stock allocation that serves the line from a later "
        "receipt (or by a desk manager). Empty: the order's delivery date.",
    )
    desk_previous_promised_date = fields.Datetime(
        string="Previously Promised",
        readonly=True,
        copy=False,
        help="What was promised before the last stock allocation moved the date.",
        groups="base.group_user",
    )

    @api.depends(
        "product_id", "product_uom_qty", "order_id.warehouse_id", "move_ids.quantity"
    )
    def _compute_desk_availability(self):
        """Figures in the product's unit, computed per warehouse for all lines at once."""
        storable = self.filtered(
            lambda line: line.product_id.is_storable and line.order_id.warehouse_id
        )
        for line in self - storable:
            line.desk_qty_on_hand = line.desk_qty_reserved_other = (
                line.desk_qty_free
            ) = 0.0
            line.desk_qty_incoming = line.desk_qty_shortage = 0.0
            line.desk_incoming_date = False
        for warehouse, lines in storable.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            figures = lines.product_id._desk_availability(warehouse)
            for line in lines:
                product = line.product_id
                data = figures[product.id]
                own = line._desk_own_reserved()
                needed = line.product_uom_id._compute_quantity(
                    line.product_uom_qty - line.qty_delivered,
                    product.uom_id,
                    raise_if_failure=False,
                )
                line.desk_qty_on_hand = data["on_hand"]
                line.desk_qty_reserved_other = max(data["reserved"] - own, 0.0)
                line.desk_qty_free = data["free"]
                line.desk_qty_incoming = data["incoming"]
                line.desk_incoming_date = (
                    data["schedule"][0][0] if data["schedule"] else False
                )
                line.desk_qty_shortage = max(needed - own - data["free"], 0.0)

    def _desk_due_date(self):
        """When the customer expects this line: its own promised date, else the order's
        delivery date, else the order date."""
        self.ensure_one()
        return (
            self.desk_promised_date
            or self.order_id.commitment_date
            or self.order_id.date_order
        )

    def _desk_own_reserved(self):
        """Quantity reserved for this line's own open moves, in the product's unit."""
        self.ensure_one()
        moves = self.move_ids.filtered(
            lambda m: (
                m.state in ("assigned", "partially_available") and not m.move_orig_ids
            )
        )
        return sum(
            move.product_uom._compute_quantity(
                move.quantity, self.product_id.uom_id, raise_if_failure=False
            )
            for move in moves
        )

    def _desk_qty_kept(self):
        """``{line: quantity}`` the customer keeps of the lines of ``self`` invoiced on
        ordered quantities that had goods come back (see ``_desk_qty_due``). Lines without
        a return are not listed (all of the ordered quantity is kept)."""
        return self.filtered(
            lambda ln: ln.product_id.invoice_policy != "delivery"
        )._desk_qty_due()

    def _desk_qty_due(self):
        """``{line: quantity}`` the customer is to have in the end of the lines of
        ``self`` that had goods come back: ordered, less what came back through a return
        (Odoo's return of the delivery), plus what an exchange sends again; in the line's
        unit. Returned goods that are not replaced are no longer due (a refund), replaced
        ones are due again until the replacement arrives. Lines without a return are not
        listed (the ordered quantity is due). Reads the moves of every line at once."""
        due = {}
        lines = self.filtered(
            lambda ln: ln.qty_delivered_method == "stock_move" and ln.move_ids
        )
        lines.move_ids.mapped("origin_returned_move_id")
        for line in lines:
            outgoing, incoming = line._get_outgoing_incoming_moves()
            back = sum(
                move.product_uom._compute_quantity(move.quantity, line.product_uom_id)
                for move in incoming
                if move.state == "done"
            )
            if not back:
                continue
            again = sum(
                move.product_uom._compute_quantity(
                    move.quantity if move.state == "done" else move.product_uom_qty,
                    line.product_uom_id,
                )
                for move in outgoing
                if move.desk_return_id and move.state != "cancel"
            )
            due[line] = line.product_uom_qty - back + again
        return due

    def _get_outgoing_incoming_moves(self, strict=True):
        # Reshipments after an incident replace goods already counted as delivered: they
        # must not count again (nor be invoiced again).
        outgoing, incoming = super()._get_outgoing_incoming_moves(strict=strict)
        return (
            outgoing.filtered(lambda m: not m.desk_incident_id),
            incoming.filtered(lambda m: not m.desk_incident_id),
        )

    @api.model_create_multi
    def create(self, vals_list):
        stated = not self.env.su and [
            vals for vals in vals_list if vals.get("state") and vals.get("order_id")
        ]
        if stated:
            # As in write: a new line takes its order's status (the orders read at once).
            orders = self.env["sale.order"].browse(
                {vals["order_id"] for vals in stated}
            )
            for vals in stated:
                order = orders.browse(vals["order_id"])
                if order.state != vals["state"]:
                    raise UserError(self._desk_state_apart_message(order))
        # Whatever flags the caller sends (delivery charge, down payment), a locked order
        # gets no new goods and no new amount. The system's own lines pass: Odoo adds a
        # delivery charge as superuser (the shipping wizard, the real cost at validation).
        order_ids = not self.env.su and {
            vals["order_id"]
            for vals in vals_list
            if vals.get("order_id") and self._desk_adds_to_order(vals)
        }
        if order_ids:
            locked = (
                self.env["sale.order"]
                .browse(order_ids)
                .filtered(lambda o: o.desk_state in LOCKED_DESK_STATES)
            )
            if locked:
                raise UserError(
                    self.env._(
                        "Order %(order)s is locked by the Order Desk: lines cannot be added. "
                        "Ask a manager to unlock it first.",
                        order=locked[0].name,
                    )
                )
        return super().create(vals_list)

    @api.model
    def _desk_adds_to_order(self, vals):
        """Whether a new line of ``vals`` adds goods or an amount to its order: every line
        but a section or note, and a down payment (the invoicing wizard's line, which names
        no product, is of no quantity and changes no total)."""
        if vals.get("display_type"):
            return False
        return not (
            vals.get("is_downpayment")
            and not vals.get("product_id")
            and "product_uom_qty" in vals
            and not vals["product_uom_qty"]
        )

    def write(self, vals):
        if "order_id" in vals and not self.env.su:
            self._desk_ensure_may_move(vals["order_id"])
        if "state" in vals and not self.env.su:
            self._desk_ensure_state_follows_order(vals["state"])
        if any(name in vals for name in LOCKED_LINE_FIELDS):
            locked = self.filtered(
                lambda line: (
                    line.order_id.desk_state in LOCKED_DESK_STATES
                    and not line.display_type
                )
            )
            for line in locked:
                # Only a change is refused: an import sending the same value passes.
                if changed := desk_changed_fields(line, vals, LOCKED_LINE_FIELDS):
                    raise UserError(
                        self.env._(
                            "Order %(order)s is locked by the Order Desk: %(field)s cannot "
                            "change on line %(product)s. Ask a manager to unlock it first.",
                            order=line.order_id.name,
                            field=self._fields[changed[0]]._description_string(
                                self.env
                            ),
                            product=line.product_id.display_name,
                        )
                    )
        return super().write(vals)

    def _desk_ensure_state_follows_order(self, state):
        """A line's status is its order's (Odoo's stored copy of it): written on the line
        it would confirm, reset or cancel the goods without the order (Odoo launches the
        deliveries of lines in 'sale'). Refused for every caller but the system when it
        differs from the order's. Raises UserError."""
        apart = self.filtered(lambda line: line.order_id.state != state)
        if apart:
            raise UserError(self._desk_state_apart_message(apart[0].order_id))

    def _desk_state_apart_message(self, order):
        return self.env._(
            "The status of a line is its order's (%(order)s): change the order's status "
            "with its buttons.",
            order=order.name,
        )

    def _desk_ensure_may_move(self, order_id):
        """Refuse moving goods lines out of, or into, an order the desk locked: what a
        locked order holds changes only once a manager unlocked it (as new lines, see
        ``create``)."""
        goods = self.filtered(
            lambda line: not line.display_type and line.order_id.id != order_id
        )
        leaving = goods.filtered(
            lambda line: line.order_id.desk_state in LOCKED_DESK_STATES
        )
        if leaving:
            raise UserError(
                self.env._(
                    "Order %(order)s is locked by the Order Desk: line %(product)s "
                    "cannot move to another order. Ask a manager to unlock it first.",
                    order=leaving[0].order_id.name,
                    product=leaving[0].product_id.display_name,
                )
            )
        target = self.env["sale.order"].browse(order_id)
        if goods and target.desk_state in LOCKED_DESK_STATES:
            raise UserError(
                self.env._(
                    "Order %(order)s is locked by the Order Desk: lines cannot be added. "
                    "Ask a manager to unlock it first.",
                    order=target.name,
                )
            )

    def action_desk_replenish(self):
        """Request replenishment of the lines' shortages through orderpoints (clerk)."""
        self.order_id._ensure_desk_group("order_desk.group_order_desk_user")
        short = self.filtered(
            lambda line: line.product_id.uom_id.compare(line.desk_qty_shortage, 0) > 0
        )
        if not short:
            raise UserError(self.env._("These lines have no shortage to replenish."))
        quantities = {}
        for line in short:
            key = (line.product_id, line.order_id.warehouse_id)
            quantities[key] = quantities.get(key, 0.0) + line.desk_qty_shortage
        # sudo: a replenishment request only records a quantity to order on the warehouse's
        # replenishment list, which the clerk may not edit; nothing is bought or moved here.
        orderpoints = (
            self.env["product.product"].sudo()._desk_request_replenishment(quantities)
        )
        by_order = short.grouped("order_id")
        short.order_id._desk_log(
            lambda order: order.env._(
                "Replenishment requested for %(products)s.",
                products=", ".join(
                    by_order[order]
                    .product_id.with_env(order.env)
                    .mapped("display_name")
                ),
            )
        )
        return orderpoints.with_env(self.env)._desk_action_open()
