from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang


class OrderDeskAvailabilityWizard(models.TransientModel):
    """Stock enquiry (库存查询与反馈) the clerk answers on the phone, before any order exists."""

    _name = "order.desk.availability.wizard"
    _description = "Order Desk Availability Enquiry"
    _inherit = ["order.desk.field.guard"]

    product_id = fields.Many2one(
        "product.product",
        required=True,
        domain=[("is_storable", "=", True)],
        help="The product the customer asks about (goods tracked in stock).",
    )
    quantity = fields.Float(
        required=True,
        default=1.0,
        digits="Product Unit",
        help="How much the customer wants, in the product's unit.",
    )
    uom_id = fields.Many2one(related="product_id.uom_id")
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    date_wanted = fields.Date(
        string="Wanted On",
        required=True,
        default=fields.Date.context_today,
        help="When the customer wants the goods: the answer says whether that date can be "
        "promised, or the earliest one.",
    )

    qty_on_hand = fields.Float(
        string="On Hand", compute="_compute_answer", digits="Product Unit"
    )
    qty_reserved = fields.Float(
        string="Reserved", compute="_compute_answer", digits="Product Unit"
    )
    qty_free = fields.Float(
        string="Free", compute="_compute_answer", digits="Product Unit"
    )
    qty_incoming = fields.Float(
        string="Incoming", compute="_compute_answer", digits="Product Unit"
    )
    incoming_schedule = fields.Text(compute="_compute_answer")
    can_promise = fields.Boolean(compute="_compute_answer")
    promise_date = fields.Date(string="Earliest Date", compute="_compute_answer")
    qty_shortage = fields.Float(
        string="Shortage", compute="_compute_answer", digits="Product Unit"
    )
    answer = fields.Char(compute="_compute_answer")

    @api.depends("product_id", "quantity", "warehouse_id", "date_wanted")
    def _compute_answer(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            wizard.update(
                {
                    "qty_on_hand": 0.0,
                    "qty_reserved": 0.0,
                    "qty_free": 0.0,
                    "qty_incoming": 0.0,
                    "incoming_schedule": False,
                    "can_promise": False,
                    "promise_date": False,
                    "qty_shortage": 0.0,
                    "answer": False,
                }
            )
            if not (wizard.product_id and wizard.warehouse_id):
                continue
            uom = wizard.product_id.uom_id
            data = wizard.product_id._desk_availability(wizard.warehouse_id)[
                wizard.product_id.id
            ]
            wizard.qty_on_hand = data["on_hand"]
            wizard.qty_reserved = data["reserved"]
            wizard.qty_free = data["free"]
            wizard.qty_incoming = data["incoming"]
            wizard.incoming_schedule = "\n".join(
                f"{format_date(self.env, day)}: {formatLang(self.env, qty, dp='Product Unit')}"
                for day, qty in data["schedule"]
            )
            if wizard.quantity <= 0:
                wizard.answer = self.env._(
                    "Enter the quantity the customer asks for (more than zero)."
                )
                continue
            promise = (
                today if uom.compare(data["free"], wizard.quantity) >= 0 else False
            )
            cumulated = data["free"]
            for day, qty in data["schedule"]:
                if promise:
                    break
                cumulated += qty
                if uom.compare(cumulated, wizard.quantity) >= 0:
                    promise = max(day, today)
            wizard.promise_date = promise
            wizard.can_promise = bool(promise) and promise <= (
                wizard.date_wanted or today
            )
            wizard.qty_shortage = (
                max(wizard.quantity - cumulated, 0.0) if not promise else 0.0
            )
            if wizard.can_promise:
                wizard.answer = self.env._(
                    "Yes: %(qty)s can be promised for %(date)s.",
                    qty=formatLang(self.env, wizard.quantity, dp="Product Unit"),
                    date=format_date(self.env, wizard.date_wanted),
                )
            elif promise:
                wizard.answer = self.env._(
                    "Not by %(wanted)s: the earliest date is %(date)s, with the expected "
                    "receipts.",
                    wanted=format_date(self.env, wizard.date_wanted),
                    date=format_date(self.env, promise),
                )
            else:
                wizard.answer = self.env._(
                    "No: %(shortage)s are missing even with every expected receipt.",
                    shortage=formatLang(
                        self.env, wizard.qty_shortage, dp="Product Unit"
                    ),
                )

    @api.constrains("quantity")
    def _check_quantity(self):
        if any(wizard.quantity <= 0 for wizard in self):
            raise UserError(self.env._("The quantity asked for must be positive."))

    def action_check(self):
        """Answer again with the stock of this moment (clerk). The form already answers as
        the clerk types; the button says so and refreshes the figures on demand."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Availability Enquiry"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_request_replenishment(self):
        """Put the shortage on the warehouse's replenishment list (orderpoint)."""
        self.ensure_one()
        self.env["sale.order"]._ensure_desk_group("order_desk.group_order_desk_user")
        missing = max(self.quantity - self.qty_free, 0.0)
        if self.product_id.uom_id.compare(missing, 0) <= 0:
            raise UserError(
                self.env._("The free stock covers this quantity: nothing to replenish.")
            )
        # sudo: the request only records a quantity to order on the replenishment list, which
        # clerks may not edit themselves; nothing is bought or moved here.
        orderpoints = (
            self.env["product.product"]
            .sudo()
            ._desk_request_replenishment(
                {(self.product_id, self.warehouse_id): missing}
            )
        )
        return orderpoints.with_env(self.env)._desk_action_open()
