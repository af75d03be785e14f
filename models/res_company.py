from odoo import SUPERUSER_ID, api, fields, models

from .order_desk_field_guard import OrderDeskFieldGuard

MANAGER_GROUP = "order_desk.group_order_desk_manager"


class ResCompany(models.Model):
    _inherit = "res.company"

    order_desk_require_approval = fields.Boolean(
        string="Orders Need Desk Approval",
        default=True,
        help="Sales orders can only be confirmed through the order desk's approval.",
        groups="base.group_user",
    )
    order_desk_auto_approve = fields.Boolean(
        string="Approve Clean Orders Automatically",
        help="An order whose checks find no exception at all is approved as soon as it is "
        "submitted.",
        groups="base.group_user",
    )

    order_desk_reservation_days = fields.Integer(
        string="Reservation Hold (days)",
        default=7,
        help="Days a locked order keeps its reserved stock before the scheduler releases it "
        "(when neither shipped nor paid). 0 keeps it without limit.",
        groups="base.group_user",
    )

    order_desk_transit_days = fields.Integer(
        string="Transit Days",
        default=3,
        help="Days a shipment is expected on the way when the order promised no date.",
        groups="base.group_user",
    )
    order_desk_tracking_silence_days = fields.Integer(
        string="Tracking Silence Alert (days)",
        default=3,
        help="A delivery that has left with no tracking news for this many days opens a "
        "delay incident (0: never).",
        groups="base.group_user",
    )
    order_desk_notify_customer = fields.Boolean(
        string="Notify Customers of Shipping",
        default=True,
        help="E-mail the customer when a delivery leaves (with its tracking numbers), when "
        "it is late, and when a delivery incident is opened or resolved.",
        groups="base.group_user",
    )

    order_desk_return_days = fields.Integer(
        string="Return Window (days)",
        default=30,
        help="Days after delivery during which the customer may return goods (0: no limit). "
        "A manager can accept a return outside the window.",
    )

    order_desk_statement_auto = fields.Boolean(
        string="Prepare Monthly Statements",
        help="On the first day of each month, draft statements of account of the previous "
        "month are prepared for every customer with a balance or a movement.",
        groups="base.group_user",
    )

    order_desk_allocate_receipts = fields.Boolean(
        string="Allocate Receipts",
        help="When a receipt is validated, its goods are not reserved first come, first "
        "served for the desk's orders: a stock allocation proposal is prepared for the "
        "products it brought, for a manager to apply.",
        groups="base.group_user",
    )
    order_desk_allocation_user_id = fields.Many2one(
        "res.users",
        string="Stock Allocation Manager",
        domain="[('share', '=', False)]",
        help="Gets an activity for each allocation proposal prepared after a receipt, and "
        "the shortage warnings of products without a responsible. Empty: the first Order "
        "Desk manager of the company.",
        groups="base.group_user",
    )
    order_desk_shortage_days = fields.Integer(
        string="Shortage Horizon (days)",
        default=14,
        help="The shortage warning compares the approved demand due in this many days "
        "with the free stock and the receipts expected by then.",
        groups="base.group_user",
    )

    # KPI targets (see order.desk.kpi.report); the weekly check warns the desk managers of a
    # miss.
    order_desk_target_on_time = fields.Float(
        string="Target: Shipped On Time (%)",
        default=95.0,
        help="Share of orders whose goods all left by the shipping due date.",
        groups="base.group_user",
    )
    order_desk_target_otif = fields.Float(
        string="Target: OTIF (%)",
        default=90.0,
        help="Share of delivered orders delivered on time whose first shipment was in full.",
        groups="base.group_user",
    )
    order_desk_target_approval_hours = fields.Float(
        string="Target: Approval Lead Time (h)",
        default=24.0,
        help="Average hours from receiving an order to approving it.",
        groups="base.group_user",
    )
    order_desk_target_first_pass = fields.Float(
        string="Target: First Pass (%)",
        default=80.0,
        help="Share of submitted orders on which the checks raised no exception.",
        groups="base.group_user",
    )
    order_desk_target_return_rate = fields.Float(
        string="Target: Return Rate (%)",
        default=2.0,
        help="Highest acceptable share of shipped orders with an approved return.",
        groups="base.group_user",
    )

    _order_desk_target_percentages = models.Constraint(
        "CHECK(order_desk_target_on_time BETWEEN 0 AND 100 "
        "AND order_desk_target_otif BETWEEN 0 AND 100 "
        "AND order_desk_target_first_pass BETWEEN 0 AND 100 "
        "AND order_desk_target_return_rate BETWEEN 0 AND 100)",
        "A KPI target in percent lies between 0 and 100.",
    )
    _order_desk_target_hours_positive = models.Constraint(
        "CHECK(order_desk_target_approval_hours >= 0)",
        "The approval lead time target cannot be negative.",
    )
    # Days reach date arithmetic (deadlines, the Overview, the scheduled checks): beyond
    # ten years they only overflow it.
    _order_desk_reservation_days_positive = models.Constraint(
        "CHECK(order_desk_reservation_days BETWEEN 0 AND 3650)",
        "The reservation hold is between 0 and 3650 days.",
    )
    _order_desk_return_days_positive = models.Constraint(
        "CHECK(order_desk_return_days BETWEEN 0 AND 3650)",
        "The return window is between 0 and 3650 days.",
    )
    _order_desk_transit_days_positive = models.Constraint(
        "CHECK(order_desk_transit_days BETWEEN 0 AND 3650)",
        "The transit days are between 0 and 3650.",
    )
    _order_desk_tracking_silence_days_positive = models.Constraint(
        "CHECK(order_desk_tracking_silence_days BETWEEN 0 AND 3650)",
        "The tracking silence alert is between 0 and 3650 days.",
    )

    _order_desk_shortage_days_positive = models.Constraint(
        "CHECK(order_desk_shortage_days BETWEEN 0 AND 3650)",
        "The shortage horizon is between 0 and 3650 days.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._order_desk_check_input(vals)
        companies = super().create(vals_list)
        companies._order_desk_ensure_rules()
        return companies

    def write(self, vals):
        self._order_desk_check_input(vals)
        return super().write(vals)

    def _order_desk_check_input(self, vals):
        """The desk's settings (days, targets, from Settings or RPC) refuse what the desk's
        own records refuse: numbers that are not finite or beyond ``MAX_NUMBER``, NUL in
        text. Odoo's own company fields are left to Odoo."""
        desk_vals = {
            name: value
            for name, value in vals.items()
            if name.startswith("order_desk_")
        }
        if desk_vals:
            # The check of order.desk.field.guard, on this model's fields.
            OrderDeskFieldGuard._desk_check_input(self, desk_vals)

    def _order_desk_ensure_rules(self):
        """Give each company in ``self`` without any desk rule a copy of the shipped rules.

        Called by the install hook and on company creation; the shipped rules (the records of
        ``data/order_desk_rule_data.xml``) are the templates, so their translations are copied.
        """
        Rule = self.env["order.desk.rule"].with_context(active_test=False)
        templates = Rule.browse(
            self.env["ir.model.data"]
            .search([("module", "=", "order_desk"), ("model", "=", "order.desk.rule")])
            .mapped("res_id")
        ).exists()
        if not templates:
            return
        # sudo: companies the current user is not logged into must be counted too.
        with_rules = {
            company.id
            for [company] in Rule.sudo()._read_group(
                [("company_id", "in", self.ids)], groupby=["company_id"]
            )
        }
        for company in self.filtered(lambda c: c.id not in with_rules):
            # sudo: rules are created for a company the current user may not be logged into.
            templates.sudo().copy({"company_id": company.id})

    def _desk_lang(self):
        """The language the desk writes its chatter notes in for this company: the company's
        own (its partner's language) when active, else English. Notes are shared by every
        reader, so they do not follow the language of whoever pressed the button."""
        self.ensure_one()
        return self.env["res.lang"]._get_code(self.partner_id.lang or "") or "en_US"

    def _order_desk_allocation_user(self):
        """Who hears of allocation proposals and shortages of the company: the configured
        manager, else the first active Order Desk manager of the company (not OdooBot)."""
        self.ensure_one()
        if self.order_desk_allocation_user_id.active:
            return self.order_desk_allocation_user_id
        # sudo: the users of another group are read only to pick the recipient.
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("all_group_ids", "in", self.env.ref(MANAGER_GROUP).ids),
                    ("company_ids", "in", self.ids),
                    ("share", "=", False),
                    ("id", "!=", SUPERUSER_ID),
                ],
                order="id",
                limit=1,
            )
            .with_env(self.env)
        )
