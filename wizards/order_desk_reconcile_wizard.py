from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.order_desk_statement import ACCOUNTING_GROUP

PERIODS = [
    ("month", "Previous Month"),
    ("quarter", "Previous Quarter"),
    ("custom", "Custom Dates"),
]


class OrderDeskReconcileWizard(models.TransientModel):
    _name = "order.desk.reconcile.wizard"
    _description = "Prepare Customer Statements of Account"
    _inherit = ["order.desk.field.guard"]

    period = fields.Selection(PERIODS, required=True, default="month")
    date_from = fields.Date(
        string="From",
        compute="_compute_dates",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    date_to = fields.Date(
        string="To",
        compute="_compute_dates",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        help="Empty: every customer with a balance or a movement in the period.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    auto_match = fields.Boolean(
        string="Match Payments First",
        help="Reconcile open payments with open invoices before the statements are made: "
        "same reference first, then same amount, then the oldest invoices first. The "
        "matches are listed below before anything is reconciled.",
    )
    match_preview = fields.Text(
        string="Matches",
        compute="_compute_match_preview",
        help="What Match Payments First will reconcile when the statements are prepared.",
    )
    send_email = fields.Boolean(
        string="Send by E-mail",
        help="E-mail each statement to its customer with a link to confirm or dispute it.",
    )

    @api.depends("period")
    def _compute_dates(self):
        today = fields.Date.context_today(self)
        first_of_month = today.replace(day=1)
        for wizard in self:
            if wizard.period == "quarter":
                quarter_start = first_of_month.replace(
                    month=3 * ((first_of_month.month - 1) // 3) + 1
                )
                wizard.date_to = quarter_start - timedelta(days=1)
                wizard.date_from = wizard.date_to.replace(
                    day=1, month=3 * ((wizard.date_to.month - 1) // 3) + 1
                )
            elif wizard.period == "month" or not (wizard.date_from and wizard.date_to):
                wizard.date_to = first_of_month - timedelta(days=1)
                wizard.date_from = wizard.date_to.replace(day=1)

    @api.depends("auto_match", "company_id", "partner_ids", "date_to")
    def _compute_match_preview(self):
        for wizard in self:
            if not (wizard.auto_match and wizard.company_id and wizard.date_to):
                wizard.match_preview = False
                continue
            plan = self.env["order.desk.statement"]._desk_match_plan(
                wizard.company_id,
                wizard.partner_ids.commercial_partner_id,
                wizard.date_to,
            )
            wizard.match_preview = wizard._desk_describe_plan(plan)

    def _desk_describe_plan(self, plan, limit=30):
        """One line per reconciliation group of ``plan``: the invoices, the payments and
        the amount they settle."""
        if not plan:
            return self.env._("No open payment matches an open invoice.")
        currency = self.company_id.currency_id
        lines = []
        for group in plan[:limit]:
            invoices = group.filtered(lambda line: line.amount_residual > 0)
            payments = group - invoices
            settled = min(
                sum(invoices.mapped("amount_residual")),
                -sum(payments.mapped("amount_residual")),
            )
            lines.append(
                self.env._(
                    "%(customer)s: %(invoices)s matched with %(payments)s (%(amount)s)",
                    customer=group.partner_id.commercial_partner_id[:1].display_name,
                    invoices=", ".join(invoices.move_id.mapped("name")),
                    payments=", ".join(payments.move_id.mapped("name")),
                    amount=currency.format(settled),
                )
            )
        if len(plan) > limit:
            lines.append(self.env._("… and %(count)s more.", count=len(plan) - limit))
        return "\n".join(lines)

    def action_generate(self):
        """Match payments (optional), make the statements of the period, send them
        (optional), and show them. For accountants."""
        self.ensure_one()
        if not self.env.user.has_group(ACCOUNTING_GROUP):
            raise AccessError(
                self.env._("Only accountants (Invoicing users) can do this.")
            )
        if self.company_id not in self.env.companies:
            raise AccessError(
                self.env._(
                    "Select the company %(company)s in the company switcher first.",
                    company=self.company_id.name,
                )
            )
        if self.date_from > self.date_to:
            raise UserError(self.env._("The period must end after it starts."))
        Statement = self.env["order.desk.statement"].with_company(self.company_id)
        partners = self.partner_ids.commercial_partner_id
        if self.auto_match:
            Statement._desk_auto_match(self.company_id, partners, self.date_to)
        statements = Statement._desk_generate(
            self.company_id, self.date_from, self.date_to, partners or None
        )
        if not statements:
            raise UserError(
                self.env._("No customer has a balance or a movement in this period.")
            )
        if self.send_email:
            statements.filtered(lambda s: s.state in ("draft", "sent")).action_send()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_statement_action"
        )
        action["domain"] = [("id", "in", statements.ids)]
        action["context"] = {"create": False}
        return action
