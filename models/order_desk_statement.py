import io
import json
import re
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_is_zero, format_date

from .account_move import MONEY_MOVE, money_move_sql
from .desk_xlsx import desk_workbook
from .order_desk_field_guard import MAX_NUMBER, desk_printable, desk_to_number

STATEMENT_STATES = [
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("confirmed", "Confirmed"),
    ("disputed", "Disputed"),
    ("closed", "Closed"),
]

# A confirmed or closed statement no longer changes.
FROZEN_STATES = ("confirmed", "closed")

ENTRY_TYPES = [
    ("invoice", "Invoice"),
    ("credit_note", "Credit Note"),
    ("payment", "Payment"),
    ("other", "Other"),
]

DISPUTE_STATES = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("rejected", "Rejected"),
]

# How far a statement line's item is settled. Paid is money: a payment or a bank statement
# line matched with the item (as Odoo's own payment status counts it); an item matched
# only with credit notes or other entries is credited, not paid.
SETTLEMENT_STATES = [
    ("open", "Outstanding"),
    ("partial", "Partly Settled"),
    ("paid", "Paid"),
    ("credited", "Credited"),
    ("settled", "Settled"),
]

SETTLEMENT_SQL = SQL(
    """
    CASE WHEN NOT aml.reconciled THEN
              CASE WHEN aml.amount_residual = aml.balance THEN 'open' ELSE 'partial' END
         WHEN aml.balance <= 0 OR %(own_money)s THEN 'settled'
         WHEN EXISTS (
              SELECT 1
                FROM account_partial_reconcile part
                JOIN account_move_line other ON other.id = part.credit_move_id
                JOIN account_move money ON money.id = other.move_id
               WHERE part.debit_move_id = aml.id
                 AND %(money)s) THEN 'paid'
         ELSE 'credited' END
    """,
    money=MONEY_MOVE,
    own_money=money_move_sql("move"),
)

ACCOUNTING_GROUP = "account.group_account_invoice"

# Customers matched per chunk (and per commit) by the scheduled job.
MATCH_CHUNK_SIZE = 100

# Fields of a statement its own actions write once it is frozen.
STATE_FIELDS = {
    "access_token",
    "message_main_attachment_id",
    "state",
    "closed_date",
}

# What a statement is about: given when it is prepared, never changed afterwards (a
# statement moved to another customer, company or period would keep the figures, lines
# and disputes of the first; one moved to another company would leave its users' reach).
STATEMENT_KEY_FIELDS = frozenset({"partner_id", "company_id", "date_from", "date_to"})

# What a dispute records of the customer's answer: fixed once the answer is recorded (the
# statement disputed, agreed or closed) or the dispute settled.
DISPUTE_ANSWER_FIELDS = frozenset({"line_id", "amount", "reason"})

# Posted journal items of receivable accounts of one company, with their customer (the
# commercial partner of the item's partner): the ground of every statement figure.
RECEIVABLE_ITEMS = """
      FROM account_move_line aml
      JOIN account_account account ON account.id = aml.account_id
      JOIN res_partner partner ON partner.id = aml.partner_id
     WHERE aml.company_id = %(company)s
       AND aml.parent_state = 'posted'
       AND account.account_type = 'asset_receivable'
"""


class OrderDeskStatement(models.Model):
    _name = "order.desk.statement"
    _description = "Customer Statement of Account"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "order.desk.document.mixin",
    ]
    _order = "date_to desc, id desc"
    _check_company_auto = True

    # Made from the books and moved by the statement's own actions only: its status, the
    # confirmation's who and when, and every figure (see order.desk.field.guard).
    _desk_system_fields = frozenset(
        {
            "state",
            "previous_statement_id",
            "opening_balance",
            "total_debit",
            "total_credit",
            "closing_balance",
            "overdue_0_30",
            "overdue_31_60",
            "overdue_61_90",
            "overdue_90_plus",
            "overdue_total",
            "computed_date",
            "opening_move_line_ids",
            "sent_date",
            "confirmed_date",
            "confirmed_by",
            "closed_date",
            # Made by the preparation only: the journal items the opening balance counts
            # (agreeing the statement marks them) and the lines.
            "opening_item_ids",
            "line_ids",
            # The e-mailed link's secret, drawn by the system when the statement is sent.
            "access_token",
        }
    )

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_currency_id = fields.Many2one(
        "res.currency",
        string="Customer Currency",
        compute="_compute_partner_currency_id",
        help="The currency of the customer's pricelist, when it is not the company's.",
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True, index=True)
    state = fields.Selection(
        STATEMENT_STATES,
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    previous_statement_id = fields.Many2one(
        "order.desk.statement",
        string="Previous Agreed Statement",
        readonly=True,
        help="The latest confirmed or closed statement before this one: its closing balance "
        "opens this one, and entries posted since in its period appear here as late entries.",
    )

    # Figures, in the company currency
    opening_balance = fields.Monetary(readonly=True)
    total_debit = fields.Monetary(string="Debit", readonly=True)
    total_credit = fields.Monetary(string="Credit", readonly=True)
    closing_balance = fields.Monetary(readonly=True, tracking=True)
    overdue_0_30 = fields.Monetary(string="Overdue 0-30", readonly=True)
    overdue_31_60 = fields.Monetary(string="Overdue 31-60", readonly=True)
    overdue_61_90 = fields.Monetary(string="Overdue 61-90", readonly=True)
    overdue_90_plus = fields.Monetary(string="Overdue 90+", readonly=True)
    overdue_total = fields.Monetary(string="Overdue", readonly=True)
    computed_date = fields.Datetime(string="Computed On", readonly=True)

    line_ids = fields.One2many(
        "order.desk.statement.line", "statement_id", string="Lines", readonly=True
    )
    # The ids of the journal items the opening balance counts (statements without a
    # previous agreed one), kept as one JSON list per statement: a first statement of a
    # customer with years of history counts thousands of items, and one relation row
    # per item (with its two foreign key checks) made most of the preparation's time.
    opening_item_ids = fields.Json(readonly=True, copy=False, groups="base.group_user")
    opening_move_line_ids = fields.Many2many(
        "account.move.line",
        string="Items in the Opening Balance",
        compute="_compute_opening_move_line_ids",
        groups="base.group_user",
    )
    dispute_ids = fields.One2many(
        "order.desk.statement.dispute", "statement_id", string="Disputes"
    )
    open_dispute_count = fields.Integer(compute="_compute_open_dispute_count")

    # Confirmation
    sent_date = fields.Datetime(readonly=True, copy=False)
    confirmed_date = fields.Datetime(readonly=True, copy=False)
    confirmed_by = fields.Char(readonly=True, copy=False)
    confirmation_note = fields.Text(
        copy=False,
        help="How the balance was confirmed (phone call, signed paper copy attached in the "
        "chatter).",
    )
    closed_date = fields.Datetime(readonly=True, copy=False)

    _unique_period = models.Constraint(
        "UNIQUE(partner_id, company_id, date_from, date_to)",
        "A customer has one statement per period.",
    )
    _dates_in_order = models.Constraint(
        "CHECK(date_from <= date_to)", "A statement's period ends after it starts."
    )

    @api.depends("partner_id", "date_from", "date_to")
    def _compute_name(self):
        # Stored for searching and file names: ISO dates, the same for every reader. What
        # people read is the display name, in their own date format.
        for statement in self:
            statement.name = "{} {} - {}".format(
                statement.partner_id.name or "",
                statement.date_from or "",
                statement.date_to or "",
            )

    @api.depends("partner_id", "date_from", "date_to")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for statement in self:
            statement.display_name = self.env._(
                "%(partner)s %(date_from)s - %(date_to)s",
                partner=statement.partner_id.name or "",
                date_from=format_date(self.env, statement.date_from),
                date_to=format_date(self.env, statement.date_to),
            )

    @api.depends("partner_id", "currency_id")
    def _compute_partner_currency_id(self):
        for statement in self:
            currency = statement.partner_id.property_product_pricelist.currency_id
            statement.partner_currency_id = (
                currency if currency and currency != statement.currency_id else False
            )

    @api.depends("opening_item_ids")
    def _compute_opening_move_line_ids(self):
        for statement in self:
            statement.opening_move_line_ids = self.env["account.move.line"].browse(
                statement.opening_item_ids or []
            )

    @api.depends("dispute_ids.state")
    def _compute_open_dispute_count(self):
        for statement in self:
            statement.open_dispute_count = len(
                statement.dispute_ids.filtered(lambda d: d.state == "open")
            )

    def _get_report_base_filename(self):
        """The name of the statement's PDF (the portal's download)."""
        self.ensure_one()
        return self.env._("Statement of Account %(name)s", name=self.name)

    def _desk_letter_filename(self):
        """The name of the balance confirmation letter's PDF (the portal's download)."""
        self.ensure_one()
        return self.env._("Balance Confirmation %(name)s", name=self.name)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/statements/{statement.id}"
        return result

    @api.constrains("partner_id", "company_id", "date_from", "date_to")
    def _check_no_overlap(self):
        others = self.search(
            [
                ("id", "not in", self.ids),
                ("partner_id", "in", self.partner_id.ids),
                ("company_id", "in", self.company_id.ids),
                ("date_from", "<=", max(self.mapped("date_to"))),
                ("date_to", ">=", min(self.mapped("date_from"))),
            ]
        )
        for statement in self:
            clash = others.filtered(
                lambda o, s=statement: (
                    o.partner_id == s.partner_id
                    and o.company_id == s.company_id
                    and o.date_from <= s.date_to
                    and o.date_to >= s.date_from
                )
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "%(partner)s already has a statement for %(period)s.",
                        partner=statement.partner_id.display_name,
                        period=clash[0].display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        """Statements are prepared from the books (``_desk_generate``: the wizard, *Compute
        Again*, the monthly job), which check who calls: a hand-made statement would carry
        the caller's figures, lines and opening items."""
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Statements are prepared from the books: use Prepare Statements."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        fixed = sorted(STATEMENT_KEY_FIELDS & vals.keys())
        if fixed and (not self.env.su or self.filtered(lambda s: s.state != "draft")):
            raise UserError(
                self.env._(
                    "%(field)s of a statement is set when it is prepared and does not "
                    "change: prepare the statement of the right customer, company and "
                    "period instead.",
                    field=self._fields[fixed[0]]._description_string(self.env),
                )
            )
        if set(vals) - STATE_FIELDS:
            self._desk_ensure_unfrozen()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        sent = self.filtered(lambda s: s.state != "draft")
        if sent:
            raise UserError(
                self.env._(
                    "Only draft statements can be deleted: %(statements)s.",
                    statements=", ".join(sent.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_recompute(self):
        """Compute draft statements again from the books (accountant)."""
        self._desk_ensure_accountant()
        self._desk_ensure_state(
            ("draft",),
            lambda names: self.env._(
                "Only draft statements are computed again: %(statements)s.",
                statements=names,
            ),
        )
        for (company, date_from, date_to), statements in self.grouped(
            lambda s: (s.company_id, s.date_from, s.date_to)
        ).items():
            self._desk_generate(company, date_from, date_to, statements.partner_id)
        return True

    def action_send(self):
        """E-mail the statements to the customers with a link to confirm or dispute them,
        logged in the chatter (accountant)."""
        self._desk_ensure_accountant()
        self._desk_ensure_state(
            ("draft", "sent"),
            lambda names: self.env._(
                "Only draft or sent statements are sent: %(statements)s.",
                statements=names,
            ),
        )
        template = self.env.ref("order_desk.mail_template_desk_statement")
        for statement in self:
            statement._portal_ensure_token()
            statement.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )
        self.filtered(lambda s: s.state == "draft")._desk_write(
            {"state": "sent", "sent_date": fields.Datetime.now()}
        )
        return True

    def action_confirm(self, note=None):
        """The customer agrees with the balance, recorded by the accountant after a call or
        a signed copy: the statement is frozen."""
        self._desk_ensure_accountant()
        return self._desk_confirm(self.env.user.name, note)

    @api.private
    def _desk_confirm(self, who, note=None):
        """Confirm the statements for ``who``: the accountant's action, or the portal for
        the customer after checking the link's token (never a caller's word)."""
        self._desk_ensure_state(
            ("sent", "draft"),
            lambda names: self.env._(
                "Only statements waiting for the customer can be confirmed: %(statements)s.",
                statements=names,
            ),
        )
        if note is not None and not isinstance(note, str):
            raise UserError(self.env._("The confirmation note is text."))
        vals = {
            "state": "confirmed",
            "confirmed_date": fields.Datetime.now(),
            "confirmed_by": who,
        }
        if note:
            vals["confirmation_note"] = note
        self._desk_freeze()
        self._desk_write(vals)
        self._desk_log(lambda rec: rec.env._("Balance confirmed by %(who)s.", who=who))
        return True

    def action_dispute(self, disputes=None):
        """Record the customer's disputes (``disputes``: dicts with ``line_id``, ``amount``,
        ``reason``) and mark the statements disputed; without ``disputes``, the statements'
        own open disputes count (accountant, or the portal)."""
        self._desk_ensure_accountant()
        self._desk_ensure_state(
            ("sent", "disputed", "draft"),
            lambda names: self.env._(
                "Only statements waiting for the customer can be disputed: %(statements)s.",
                statements=names,
            ),
        )
        if disputes:
            if not isinstance(disputes, (list, tuple)) or len(self) != 1:
                raise UserError(
                    self.env._("Give the disputes of one statement as a list.")
                )
            self.env["order.desk.statement.dispute"].create(
                [self._desk_dispute_vals(dispute) for dispute in disputes]
            )
        undisputed = self.filtered(lambda s: not s.open_dispute_count)
        if undisputed:
            raise UserError(
                self.env._(
                    "Record what the customer disputes on %(statements)s first.",
                    statements=", ".join(undisputed.mapped("display_name")),
                )
            )
        self._desk_write({"state": "disputed"})
        self._desk_log(lambda rec: rec.env._("The customer disputes the balance."))
        return True

    def action_close(self):
        """Archive agreed statements (accountant): every dispute must be settled."""
        self._desk_ensure_accountant()
        self._desk_ensure_state(
            ("confirmed", "disputed"),
            lambda names: self.env._(
                "Only confirmed or disputed statements can be closed: %(statements)s.",
                statements=names,
            ),
        )
        unsettled = self.filtered("open_dispute_count")
        if unsettled:
            raise UserError(
                self.env._(
                    "Settle every dispute of %(statements)s before closing.",
                    statements=", ".join(unsettled.mapped("display_name")),
                )
            )
        self.filtered(lambda s: s.state not in FROZEN_STATES)._desk_freeze()
        self._desk_write({"state": "closed", "closed_date": fields.Datetime.now()})
        self._desk_log(lambda rec: rec.env._("Statement closed and archived."))
        return True

    @api.readonly
    def action_export_xlsx(self, layout="sheets"):
        """Download the statements as an XLSX workbook: one sheet per customer, or one
        summary sheet."""
        self._desk_ensure_accountant()
        if layout not in ("sheets", "summary"):
            raise UserError(
                self.env._("Unknown workbook layout %(layout)s.", layout=layout)
            )
        ids = ",".join(str(i) for i in self.ids)
        return {
            "type": "ir.actions.act_url",
            "url": f"/order_desk/statements/xlsx?ids={ids}&layout={layout}",
            "target": "self",
        }

    @api.readonly
    def action_export_xlsx_summary(self):
        return self.action_export_xlsx(layout="summary")

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _desk_ensure_accountant(self):
        if not (self.env.su or self.env.user.has_group(ACCOUNTING_GROUP)):
            raise AccessError(
                self.env._("Only accountants (Invoicing users) can do this.")
            )
        self.check_access("write")

    def _desk_ensure_lines_change(self):
        """Refuse when a statement of ``self`` was sent: what the customer received
        (lines, figures) no longer changes."""
        sent = self.filtered(lambda s: s.state != "draft")
        if sent:
            raise UserError(
                self.env._(
                    "Statement %(statement)s was sent to the customer: what it shows "
                    "no longer changes. Later entries appear in the next statement.",
                    statement=sent[0].display_name,
                )
            )

    def _desk_ensure_unfrozen(self):
        frozen = self.filtered(lambda s: s.state in FROZEN_STATES)
        if frozen:
            raise UserError(
                self.env._(
                    "Statement %(statement)s is agreed with the customer: it no longer "
                    "changes. Later entries appear in the next statement.",
                    statement=frozen[0].display_name,
                )
            )

    def _desk_dispute_vals(self, dispute):
        """The values of one dispute of this statement, checked: a line of it (or none,
        the whole balance), an amount more than zero and at most what the statement (or
        the line) shows, a reason."""
        self.ensure_one()
        if not isinstance(dispute, dict):
            raise UserError(self.env._("A dispute is a set of values."))
        line_id = dispute.get("line_id") or False
        line = self.line_ids.filtered(lambda ln: ln.id == line_id)
        reason = dispute.get("reason")
        amount = desk_to_number(dispute.get("amount") or 0.0)
        if line_id and not line:
            raise UserError(self.env._("The disputed line is not on this statement."))
        if amount is None or amount <= 0:
            raise UserError(self.env._("Give the disputed amount (more than zero)."))
        limit = self._desk_dispute_limit(line)
        # Compared plainly first: rounding an absurd amount would overflow.
        if amount >= MAX_NUMBER or self.currency_id.compare_amounts(amount, limit) > 0:
            raise UserError(
                self.env._(
                    "The disputed amount %(amount)s is larger than %(limit)s, the largest "
                    "figure of %(what)s.",
                    amount=self.currency_id.format(amount)
                    if amount < MAX_NUMBER
                    else desk_printable(amount),
                    limit=self.currency_id.format(limit),
                    what=(line.name or self.name) if line else self.name,
                )
            )
        room = self._desk_dispute_room(line)
        if self.currency_id.compare_amounts(amount, room) > 0:
            raise UserError(
                self.env._(
                    "The disputed amount %(amount)s and the open disputes of %(what)s "
                    "add up to more than %(limit)s, its largest figure: %(room)s is "
                    "left to dispute.",
                    amount=self.currency_id.format(amount),
                    what=(line.name or self.name) if line else self.name,
                    limit=self.currency_id.format(limit),
                    room=self.currency_id.format(max(room, 0.0)),
                )
            )
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("Say why the amount is disputed."))
        if "\x00" in reason:
            raise UserError(
                self.env._("The reason contains a NUL character: remove it.")
            )
        return {
            "statement_id": self.id,
            "line_id": line.id,
            "amount": amount,
            "reason": reason.strip(),
        }

    def _desk_dispute_room(self, line=None):
        """What is left to dispute: the limit (``_desk_dispute_limit``) less the open
        disputes, of the line (and of the whole statement) or of the whole statement."""
        self.ensure_one()
        open_disputes = self.dispute_ids.filtered(lambda d: d.state == "open")
        room = self._desk_dispute_limit() - sum(open_disputes.mapped("amount"))
        if line:
            on_line = open_disputes.filtered(lambda d: d.line_id == line)
            room = min(
                room, self._desk_dispute_limit(line) - sum(on_line.mapped("amount"))
            )
        return room

    def _desk_dispute_total_message(self, limit, line=None):
        return self.env._(
            "The open disputes of %(what)s add up to more than %(limit)s, its largest "
            "figure.",
            what=(line.name or self.name) if line else self.name,
            limit=self.currency_id.format(limit),
        )

    def _desk_dispute_limit(self, line=None):
        """The most a customer can dispute: the line's amount, or the largest figure of the
        statement (opening or closing balance, debit or credit of the period)."""
        self.ensure_one()
        if line:
            return max(line.debit, line.credit)
        return max(
            abs(self.opening_balance),
            abs(self.closing_balance),
            self.total_debit,
            self.total_credit,
        )

    # ------------------------------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_generate(self, company, date_from, date_to, partners=None):
        """Make (or compute again) the statements of ``company`` for the period.

        ``partners``: the customers (their commercial partners); none: every customer with a
        balance or a movement. Statements already sent or agreed are left as they are. A
        fixed number of queries whatever the number of customers and items: the figures are
        aggregated in SQL and the lines inserted in one statement.
        """
        params = {
            "company": company.id,
            "date_from": date_from,
            "date_to": date_to,
        }
        partner_filter = SQL("")
        if partners:
            params["partners"] = tuple(partners.commercial_partner_id.ids)
            partner_filter = SQL(
                "AND partner.commercial_partner_id IN %s", params["partners"]
            )
        # Customers with a balance or a movement, and their figures before the period.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id,
                       COALESCE(SUM(aml.balance) FILTER (WHERE aml.date < %(date_from)s), 0),
                       COUNT(*) FILTER (WHERE aml.date >= %(date_from)s)
                """
                + RECEIVABLE_ITEMS
                + """
                   AND aml.date <= %(date_to)s
                   %(partner_filter)s
              GROUP BY partner.commercial_partner_id
                """,
                partner_filter=partner_filter,
                **params,
            )
        )
        figures = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        currency = company.currency_id
        partner_ids = (
            set(partners.commercial_partner_id.ids)
            if partners
            else {
                partner_id
                for partner_id, (before, moves) in figures.items()
                if moves or not currency.is_zero(before)
            }
        )
        if not partner_ids:
            return self.browse()
        # Statements of the period: drafts are computed again, the others stay.
        existing = self.search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", list(partner_ids)),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
            ]
        )
        kept = existing.filtered(lambda s: s.state != "draft")
        drafts = existing - kept
        todo_ids = partner_ids - set(kept.partner_id.ids)
        if not todo_ids:
            # Every customer's statement is already sent or agreed: nothing to compute.
            return kept
        previous = {}
        for statement in self.search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", list(todo_ids)),
                ("state", "in", FROZEN_STATES),
                ("date_to", "<", date_from),
            ],
            order="date_to desc",
        ):
            previous.setdefault(statement.partner_id.id, statement)
        # The period's movements (and the late entries of customers with an agreed
        # statement before), and what is overdue at the end of the period.
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id,
                       COALESCE(SUM(aml.debit), 0),
                       COALESCE(SUM(aml.credit), 0),
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE aml.amount_residual > 0
                             AND %(date_to)s - COALESCE(aml.date_maturity, aml.date)
                                 BETWEEN 1 AND 30), 0),
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE aml.amount_residual > 0
                             AND %(date_to)s - COALESCE(aml.date_maturity, aml.date)
                                 BETWEEN 31 AND 60), 0),
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE aml.amount_residual > 0
                             AND %(date_to)s - COALESCE(aml.date_maturity, aml.date)
                                 BETWEEN 61 AND 90), 0),
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE aml.amount_residual > 0
                             AND %(date_to)s - COALESCE(aml.date_maturity, aml.date) > 90),
                           0)
                """
                + RECEIVABLE_ITEMS
                + """
                   AND aml.date <= %(date_to)s
                   AND partner.commercial_partner_id IN %(todo)s
              GROUP BY partner.commercial_partner_id
                """,
                todo=tuple(todo_ids),
                **params,
            )
        )
        aging = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id,
                       COALESCE(SUM(aml.debit), 0),
                       COALESCE(SUM(aml.credit), 0)
                """
                + RECEIVABLE_ITEMS
                + """
                   AND aml.date <= %(date_to)s
                   AND partner.commercial_partner_id IN %(todo)s
                   AND (aml.date >= %(date_from)s
                        OR (partner.commercial_partner_id IN %(with_previous)s
                            AND aml.desk_statement_id IS NULL))
              GROUP BY partner.commercial_partner_id
                """,
                todo=tuple(todo_ids),
                with_previous=tuple(previous) or (0,),
                **params,
            )
        )
        movements = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        now = fields.Datetime.to_string(fields.Datetime.now())
        figures_by_partner = {}
        for partner_id in todo_ids:
            before, _moves = figures.get(partner_id, (0.0, 0))
            prev = previous.get(partner_id)
            opening = prev.closing_balance if prev else before
            debit, credit = movements.get(partner_id, (0.0, 0.0))
            overdue = aging.get(partner_id, (0, 0, 0, 0, 0, 0))[2:]
            figures_by_partner[partner_id] = {
                "previous_statement_id": prev.id if prev else None,
                "opening_balance": opening,
                "total_debit": debit,
                "total_credit": credit,
                "closing_balance": opening + debit - credit,
                "overdue_0_30": overdue[0],
                "overdue_31_60": overdue[1],
                "overdue_61_90": overdue[2],
                "overdue_90_plus": overdue[3],
                "overdue_total": sum(overdue),
                "computed_date": now,
            }
        # A statement's creation and its figures show in its own fields: no chatter
        # message, follower or tracking per statement (a thousand customers would get a
        # thousand messages). sudo: statements are made here only (see ``create``): their
        # customer, company and period are system fields, set by the generation the caller
        # was allowed to run (the wizard's and the scheduler's checks: who and which company).
        created = (
            self.sudo()
            .with_context(tracking_disable=True, mail_create_nolog=True)
            .create(
                [
                    {
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "date_from": date_from,
                        "date_to": date_to,
                    }
                    for partner_id in todo_ids - set(drafts.partner_id.ids)
                ]
            )
        )
        statements = (drafts | created).with_env(self.env)
        self._desk_write_figures(statements, figures_by_partner, company.currency_id)
        self.env.flush_all()
        self._desk_insert_lines(statements, params)
        return statements | kept

    @api.model
    def _desk_write_figures(self, statements, figures_by_partner, currency):
        """Write the figures of draft ``statements`` (``figures_by_partner``: the values
        of each customer's statement) in one UPDATE, rounded to ``currency``: the ORM
        would write each statement apart (its own values) and convert every amount
        through a new record to find its currency."""
        self.env.flush_all()
        rows = [
            {"id": statement.id, **figures_by_partner[statement.partner_id.id]}
            for statement in statements
        ]
        self.env.cr.execute(
            SQL(
                """
                UPDATE order_desk_statement st
                   SET previous_statement_id = v.previous_statement_id,
                       opening_balance = ROUND(v.opening_balance, %(digits)s),
                       total_debit = ROUND(v.total_debit, %(digits)s),
                       total_credit = ROUND(v.total_credit, %(digits)s),
                       closing_balance = ROUND(v.closing_balance, %(digits)s),
                       overdue_0_30 = ROUND(v.overdue_0_30, %(digits)s),
                       overdue_31_60 = ROUND(v.overdue_31_60, %(digits)s),
                       overdue_61_90 = ROUND(v.overdue_61_90, %(digits)s),
                       overdue_90_plus = ROUND(v.overdue_90_plus, %(digits)s),
                       overdue_total = ROUND(v.overdue_total, %(digits)s),
                       computed_date = v.computed_date,
                       write_uid = %(uid)s,
                       write_date = now() at time zone 'UTC'
                  FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(
                       id int, previous_statement_id int, opening_balance numeric,
                       total_debit numeric, total_credit numeric,
                       closing_balance numeric, overdue_0_30 numeric,
                       overdue_31_60 numeric, overdue_61_90 numeric,
                       overdue_90_plus numeric, overdue_total numeric,
                       computed_date timestamp)
                 WHERE st.id = v.id AND st.state = 'draft'
                """,
                digits=currency.decimal_places,
                uid=self.env.uid,
                rows=json.dumps(rows),
            )
        )
        statements.invalidate_recordset(
            [fname for fname in rows[0] if fname != "id"] if rows else None
        )

    @api.model
    def _desk_insert_lines(self, statements, params):
        """The lines of ``statements`` with their running balance, in SQL: one statement for
        any number of customers and items (the ORM would create them one by one). Also
        records, for statements without a previous agreed one, the items their opening
        balance counts, so that agreeing them marks exactly those."""
        if not statements:
            return
        cr = self.env.cr
        ids = tuple(statements.ids)
        cr.execute(
            SQL("DELETE FROM order_desk_statement_line WHERE statement_id IN %s", ids)
        )
        # The contacts of each statement's customer come first (materialized), and their
        # items are reached by partner: the plan stays a walk along the partner index even
        # when the tables' statistics are stale (items just posted, statements just made).
        customers = SQL(
            """
            WITH customers AS MATERIALIZED (
                SELECT partner.id AS partner_id, st.id AS statement_id, st.company_id,
                       st.date_from, st.date_to, st.opening_balance,
                       st.previous_statement_id IS NOT NULL AS has_previous
                  FROM order_desk_statement st
                  JOIN res_partner partner ON partner.commercial_partner_id = st.partner_id
                 WHERE st.id IN %s
            )
            """,
            ids,
        )
        cr.execute(
            SQL(
                """
                %(customers)s
                INSERT INTO order_desk_statement_line
                       (statement_id, company_id, sequence, date, move_id, move_line_id,
                        name, ref, date_maturity, debit, credit, balance, amount_residual,
                        reconciled, settlement, currency_id, amount_currency,
                        entry_type, is_late,
                        create_uid, create_date, write_uid, write_date)
                SELECT c.statement_id, aml.company_id,
                       ROW_NUMBER() OVER w,
                       aml.date, aml.move_id, aml.id,
                       move.name, COALESCE(NULLIF(move.ref, ''), aml.name),
                       aml.date_maturity, aml.debit, aml.credit,
                       c.opening_balance + SUM(aml.balance) OVER w,
                       aml.amount_residual, aml.reconciled,
                       %(settlement)s,
                       aml.currency_id, aml.amount_currency,
                       CASE WHEN move.move_type = 'out_invoice' THEN 'invoice'
                            WHEN move.move_type = 'out_refund' THEN 'credit_note'
                            WHEN %(move_money)s
                                 OR journal.type IN ('bank', 'cash') THEN 'payment'
                            ELSE 'other' END,
                       aml.date < c.date_from,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM customers c
                  JOIN account_move_line aml
                    ON aml.partner_id = c.partner_id AND aml.company_id = c.company_id
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN account_journal journal ON journal.id = aml.journal_id
                 WHERE aml.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND aml.date <= c.date_to
                   AND (aml.date >= c.date_from
                        OR (c.has_previous AND aml.desk_statement_id IS NULL))
                WINDOW w AS (PARTITION BY c.statement_id
                             ORDER BY aml.date < c.date_from DESC, aml.date, aml.id)
                """,
                customers=customers,
                settlement=SETTLEMENT_SQL,
                move_money=money_move_sql("move"),
                uid=self.env.uid,
            )
        )
        cr.execute(
            SQL(
                """
                %(customers)s,
                opening AS (
                    SELECT c.statement_id, jsonb_agg(aml.id ORDER BY aml.id) AS item_ids
                      FROM customers c
                      JOIN account_move_line aml
                        ON aml.partner_id = c.partner_id
                       AND aml.company_id = c.company_id
                      JOIN account_account account ON account.id = aml.account_id
                     WHERE NOT c.has_previous
                       AND aml.parent_state = 'posted'
                       AND account.account_type = 'asset_receivable'
                       AND aml.date < c.date_from
                     GROUP BY c.statement_id
                )
                UPDATE order_desk_statement st
                   SET opening_item_ids = opening.item_ids
                  FROM order_desk_statement base
                  LEFT JOIN opening ON opening.statement_id = base.id
                 WHERE st.id = base.id AND base.id IN %(ids)s
                """,
                customers=customers,
                ids=ids,
            )
        )
        self.env["order.desk.statement.line"].invalidate_model()
        statements.invalidate_recordset(
            ["line_ids", "opening_item_ids", "opening_move_line_ids"]
        )

    def _desk_freeze(self):
        """Mark the journal items these statements account for (lines and opening) as agreed:
        items posted later in their period are then late entries of the next statement."""
        Line = self.env["account.move.line"].sudo()
        # Read what the loop needs for every statement at once.
        (self.line_ids.move_line_id | self.opening_move_line_ids).mapped(
            "desk_statement_id"
        )
        for statement in self:
            # Only the statement's own customer's receivable items of its company: the
            # lines and opening items are the preparation's, and a mark on another
            # customer's item would drop it from that customer's next statement.
            items = (
                statement.line_ids.move_line_id | statement.opening_move_line_ids
            ).filtered(
                lambda aml, s=statement: (
                    not aml.desk_statement_id
                    and aml.company_id == s.company_id
                    and aml.partner_id.commercial_partner_id == s.partner_id
                    and aml.account_id.account_type == "asset_receivable"
                )
            )
            # sudo: the accountant agreeing a statement needs no right to write journal
            # items for this mark, which changes nothing in the accounting.
            Line.browse(items.ids).write({"desk_statement_id": statement.id})

    # ------------------------------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------------------------------
    def _desk_xlsx(self, layout="sheets"):
        """The statements as an XLSX workbook: one sheet per statement (``sheets``) or one
        summary sheet (``summary``); numbers formatted, header rows frozen."""
        output = io.BytesIO()
        workbook = desk_workbook(output)
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}
            ),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "money_bold": workbook.add_format({"num_format": "#,##0.00", "bold": True}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "bold": workbook.add_format({"bold": True}),
        }
        if layout == "summary":
            self._desk_xlsx_summary(workbook, formats)
        else:
            used = set()
            for statement in self:
                statement._desk_xlsx_sheet(workbook, formats, used)
        workbook.close()
        return output.getvalue()

    def _desk_xlsx_summary(self, workbook, formats):
        sheet = workbook.add_worksheet(self.env._("Summary"))
        states = dict(self._fields["state"]._description_selection(self.env))
        headers = [
            self.env._("Customer"),
            self.env._("From"),
            self.env._("To"),
            self.env._("Status"),
            self.env._("Opening Balance"),
            self.env._("Debit"),
            self.env._("Credit"),
            self.env._("Closing Balance"),
            self.env._("Overdue 0-30"),
            self.env._("Overdue 31-60"),
            self.env._("Overdue 61-90"),
            self.env._("Overdue 90+"),
        ]
        sheet.write_row(0, 0, headers, formats["header"])
        sheet.freeze_panes(1, 1)
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, 3, 12)
        sheet.set_column(4, 11, 15)
        for row, statement in enumerate(self, start=1):
            sheet.write_string(row, 0, statement.partner_id.display_name or "")
            sheet.write_datetime(
                row,
                1,
                fields.Datetime.to_datetime(statement.date_from),
                formats["date"],
            )
            sheet.write_datetime(
                row, 2, fields.Datetime.to_datetime(statement.date_to), formats["date"]
            )
            sheet.write_string(row, 3, states[statement.state])
            for column, value in enumerate(
                (
                    statement.opening_balance,
                    statement.total_debit,
                    statement.total_credit,
                    statement.closing_balance,
                    statement.overdue_0_30,
                    statement.overdue_31_60,
                    statement.overdue_61_90,
                    statement.overdue_90_plus,
                ),
                start=4,
            ):
                sheet.write_number(row, column, value, formats["money"])

    def _desk_xlsx_sheet(self, workbook, formats, used):
        self.ensure_one()
        name = re.sub(r"[\[\]:*?/\\]", " ", self.partner_id.display_name or "")[
            :25
        ].strip()
        base, index = name or self.env._("Statement"), 1
        while name.lower() in used or not name:
            index += 1
            name = f"{base[:25]} ({index})"
        used.add(name.lower())
        sheet = workbook.add_worksheet(name)
        types = dict(
            self.env["order.desk.statement.line"]
            ._fields["entry_type"]
            ._description_selection(self.env)
        )
        settlements = dict(
            self.env["order.desk.statement.line"]
            ._fields["settlement"]
            ._description_selection(self.env)
        )
        sheet.write_string(0, 0, self.env._("Statement of Account"), formats["title"])
        sheet.write_string(1, 0, self.partner_id.display_name or "", formats["bold"])
        sheet.write_string(
            2,
            0,
            self.env._(
                "%(date_from)s - %(date_to)s (%(currency)s)",
                date_from=self.date_from,
                date_to=self.date_to,
                currency=self.currency_id.name,
            ),
        )
        headers = [
            self.env._("Date"),
            self.env._("Document"),
            self.env._("Reference"),
            self.env._("Due Date"),
            self.env._("Type"),
            self.env._("Debit"),
            self.env._("Credit"),
            self.env._("Balance"),
            self.env._("Status"),
        ]
        sheet.write_row(4, 0, headers, formats["header"])
        sheet.freeze_panes(5, 0)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 2, 22)
        sheet.set_column(3, 4, 13)
        sheet.set_column(5, 7, 15)
        sheet.write_string(5, 1, self.env._("Opening balance"), formats["bold"])
        sheet.write_number(5, 7, self.opening_balance, formats["money_bold"])
        row = 6
        for line in self.line_ids:
            sheet.write_datetime(
                row, 0, fields.Datetime.to_datetime(line.date), formats["date"]
            )
            sheet.write_string(row, 1, line.name or "")
            sheet.write_string(row, 2, line.ref or "")
            if line.date_maturity:
                sheet.write_datetime(
                    row,
                    3,
                    fields.Datetime.to_datetime(line.date_maturity),
                    formats["date"],
                )
            sheet.write_string(row, 4, types.get(line.entry_type, ""))
            sheet.write_number(row, 5, line.debit, formats["money"])
            sheet.write_number(row, 6, line.credit, formats["money"])
            sheet.write_number(row, 7, line.balance, formats["money"])
            sheet.write_string(row, 8, settlements.get(line.settlement, ""))
            row += 1
        sheet.write_string(row, 1, self.env._("Closing balance"), formats["bold"])
        sheet.write_number(row, 5, self.total_debit, formats["money_bold"])
        sheet.write_number(row, 6, self.total_credit, formats["money_bold"])
        sheet.write_number(row, 7, self.closing_balance, formats["money_bold"])
        row += 2
        for label, value in (
            (self.env._("Overdue 0-30"), self.overdue_0_30),
            (self.env._("Overdue 31-60"), self.overdue_31_60),
            (self.env._("Overdue 61-90"), self.overdue_61_90),
            (self.env._("Overdue 90+"), self.overdue_90_plus),
        ):
            sheet.write_string(row, 1, label)
            sheet.write_number(row, 7, value, formats["money"])
            row += 1

    # ------------------------------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_auto_match(
        self, company, partners, date_to, chunk_size=None, commit=None
    ):
        """Reconcile the customers' open payments with their open invoices: first a payment
        whose reference is an invoice's number or payment reference, then a payment of an
        invoice's exact amount, then the rest oldest first (Odoo's own reconciliation).
        Returns the number of reconciliation groups made (None when stopped).

        The customers are matched ``chunk_size`` at a time (each customer's plan depends
        on their own items only: the result is the same as in one pass, which is the
        default and the fastest: each chunk costs Odoo's reconciliation a fixed
        overhead). ``commit``, when given, is called after each chunk with the number of
        customers matched and the number left (a scheduled job commits there and reports
        its progress); when it returns False the matching stops, and the next run starts
        with what is still open."""
        plans = self._desk_match_plans(company, partners, date_to)
        chunk_size = chunk_size or len(plans) or 1
        # No "payment status" note on each invoice matched: a batch of a hundred thousand
        # items would post as many messages (the items show their matching themselves).
        # No re-synchronisation of the entries' tax and payment term lines around the
        # matching (skip_invoice_sync, as Odoo's own exchange difference entries are
        # created): matching changes what is left to pay, never those lines, and the
        # check of every entry matched took a third of the time.
        AccountMoveLine = (
            self.env["account.move.line"]
            .sudo()
            .with_context(tracking_disable=True, skip_invoice_sync=True)
        )
        made = 0
        for start in range(0, len(plans), chunk_size):
            chunk = plans[start : start + chunk_size]
            # One prefetch set for the chunk: the items are read together, not group by
            # group.
            prefetch = [item for plan in chunk for ids in plan for item in ids]
            groups = [
                AccountMoveLine.browse(ids).with_prefetch(prefetch)
                for plan in chunk
                for ids in plan
            ]
            # sudo: matching is the accountant's decision (checked by the caller) or the
            # scheduler's; the reconciliation writes partials and exchange entries as
            # Odoo's own does.
            AccountMoveLine._reconcile_plan(groups)
            made += len(groups)
            if commit and not commit(len(chunk), len(plans) - start - len(chunk)):
                return None
        return made

    @api.model
    def _desk_match_plan(self, company, partners, date_to):
        """The groups of open receivable items that matching would reconcile, as journal
        items, nothing written: the preview the accountant sees before preparing the
        statements (see ``_desk_match_plans``)."""
        groups = [
            ids
            for plan in self._desk_match_plans(company, partners, date_to)
            for ids in plan
        ]
        prefetch = [item for ids in groups for item in ids]
        Line = self.env["account.move.line"]
        return [Line.browse(ids).with_prefetch(prefetch) for ids in groups]

    @api.model
    def _desk_match_plans(self, company, partners, date_to):
        """The reconciliation groups (lists of journal item ids) of each customer with
        both open invoices and open payments, read in one query and planned in memory
        (the ORM would load a hundred thousand items with their moves)."""
        partner_filter = SQL("")
        if partners:
            partner_filter = SQL(
                "AND partner.commercial_partner_id IN %s",
                tuple(partners.commercial_partner_id.ids),
            )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.id, partner.commercial_partner_id, aml.account_id,
                       aml.amount_residual, currency.rounding,
                       move.name, move.payment_reference, move.ref, aml.name,
                       payment.memo
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_currency currency ON currency.id = aml.currency_id
                  LEFT JOIN account_payment payment ON payment.id = move.origin_payment_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND aml.date <= %(date_to)s
                   %(partner_filter)s
                 ORDER BY aml.date, aml.id
                """,
                company=company.id,
                date_to=date_to,
                partner_filter=partner_filter,
            )
        )
        by_customer = defaultdict(list)
        for row in self.env.cr.fetchall():
            by_customer[row[1], row[2]].append(row)

        def key(text):
            return (text or "").strip().lower()

        plans = []
        for rows in by_customer.values():
            invoices = [row for row in rows if row[3] > 0]
            payments = [row for row in rows if row[3] < 0]
            if not invoices or not payments:
                continue
            references = {}
            for invoice in invoices:
                for text in (invoice[5], invoice[6]):
                    if key(text):
                        references.setdefault(key(text), invoice)
            matched = set()
            plan = []
            for payment in payments:
                keys = {key(payment[7]), key(payment[8]), key(payment[9])}
                invoice = next((references[k] for k in keys if references.get(k)), None)
                if invoice and invoice[0] not in matched:
                    plan.append([invoice[0], payment[0]])
                    matched.update((invoice[0], payment[0]))
            for payment in payments:
                if payment[0] in matched:
                    continue
                invoice = next(
                    (
                        inv
                        for inv in invoices
                        if inv[0] not in matched
                        and float_is_zero(
                            float(inv[3] + payment[3]), precision_rounding=float(inv[4])
                        )
                    ),
                    None,
                )
                if invoice:
                    plan.append([invoice[0], payment[0]])
                    matched.update((invoice[0], payment[0]))
            rest = [row for row in rows if row[0] not in matched]
            if any(row[3] > 0 for row in rest) and any(row[3] < 0 for row in rest):
                plan.append([row[0] for row in rest])
            if plan:
                plans.append(plan)
        return plans

    # ------------------------------------------------------------------------------------------
    # Scheduler
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_desk_match_payments(self, chunk_size=MATCH_CHUNK_SIZE):
        """Scheduled action (off by default): match the open payments of every customer
        with their open invoices, company by company, ``chunk_size`` customers at a
        time. Each chunk is committed with the job's progress (shown on the scheduled
        action); a run cut short leaves the rest to the next one, which starts from
        what is still open."""
        today = fields.Date.context_today(self)
        Cron = self.env["ir.cron"]

        def commit(done, left):
            return Cron._commit_progress(done, remaining=left) > 0

        # A handful of companies; each one's items are read in one query.
        for company in self.env["res.company"].search([("active", "=", True)]):
            matched = self.with_company(company)._desk_auto_match(
                company, None, today, chunk_size=chunk_size, commit=commit
            )
            if matched is None:
                return

    @api.model
    def _cron_prepare_statements(self):
        """Scheduled action: on the first day of the month, draft statements of the previous
        month for the companies that want them."""
        today = fields.Date.context_today(self)
        date_to = today.replace(day=1) - timedelta(days=1)
        date_from = date_to.replace(day=1)
        for company in self.env["res.company"].search(
            [("order_desk_statement_auto", "=", True)]
        ):
            self.with_company(company)._desk_generate(company, date_from, date_to)


class OrderDeskStatementLine(models.Model):
    _name = "order.desk.statement.line"
    _description = "Customer Statement Line"
    _inherit = ["order.desk.field.guard"]
    _order = "statement_id, sequence, id"
    _check_company_auto = True

    statement_id = fields.Many2one(
        "order.desk.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency")
    company_currency_id = fields.Many2one(
        related="statement_id.currency_id", string="Company Currency"
    )
    sequence = fields.Integer()
    date = fields.Date(required=True)
    move_id = fields.Many2one("account.move", string="Document", index=True)
    move_line_id = fields.Many2one(
        "account.move.line", string="Journal Item", index=True
    )
    name = fields.Char(string="Number")
    ref = fields.Char(string="Reference")
    date_maturity = fields.Date(string="Due Date")
    entry_type = fields.Selection(ENTRY_TYPES, string="Type")
    debit = fields.Monetary(currency_field="company_currency_id")
    credit = fields.Monetary(currency_field="company_currency_id")
    balance = fields.Monetary(
        currency_field="company_currency_id", help="Running balance after this line."
    )
    amount_residual = fields.Monetary(
        string="Open Amount", currency_field="company_currency_id"
    )
    amount_currency = fields.Monetary(
        string="Amount in Currency", currency_field="currency_id"
    )
    reconciled = fields.Boolean(help="Fully matched when the statement was made.")
    settlement = fields.Selection(
        SETTLEMENT_STATES,
        string="Status",
        help="When the statement was made: Paid, matched with payments or bank statement "
        "lines; Credited, matched only with credit notes or other entries (nothing was "
        "paid); Settled, a payment or credit fully used; Partly Settled; Open.",
    )
    is_late = fields.Boolean(
        string="Late Entry",
        help="Dated before this statement's period and posted after the previous agreed "
        "statement.",
    )

    # Lines are made by the preparation (in SQL) and read by everybody else: no access
    # right lets a user write them. The system itself changes them only on drafts.
    @api.model_create_multi
    def create(self, vals_list):
        statements = self.env["order.desk.statement"].browse(
            {vals["statement_id"] for vals in vals_list if vals.get("statement_id")}
        )
        statements._desk_ensure_lines_change()
        return super().create(vals_list)

    def write(self, vals):
        self.statement_id._desk_ensure_lines_change()
        if "statement_id" in vals:
            self.env["order.desk.statement"].browse(
                vals["statement_id"]
            )._desk_ensure_lines_change()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_frozen(self):
        self.statement_id._desk_ensure_lines_change()


class OrderDeskStatementDispute(models.Model):
    _name = "order.desk.statement.dispute"
    _description = "Customer Statement Dispute"
    _inherit = ["mail.thread", "order.desk.field.guard"]
    _order = "statement_id, id"
    _check_company_auto = True

    # Settled with Resolve or Reject only (see order.desk.field.guard); the company and
    # the customer are the statement's.
    _desk_system_fields = frozenset({"state", "company_id", "partner_id"})

    statement_id = fields.Many2one(
        "order.desk.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="statement_id.company_id", store=True, precompute=True, index=True
    )
    partner_id = fields.Many2one(related="statement_id.partner_id", store=True)
    currency_id = fields.Many2one(related="statement_id.currency_id")
    line_id = fields.Many2one(
        "order.desk.statement.line",
        string="Disputed Line",
        domain="[('statement_id', '=', statement_id)]",
    )
    amount = fields.Monetary(required=True)
    reason = fields.Text(required=True)
    state = fields.Selection(
        DISPUTE_STATES, required=True, default="open", readonly=True, tracking=True
    )
    resolution_note = fields.Text()

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "A disputed amount is more than zero."
    )

    @api.model_create_multi
    def create(self, vals_list):
        statements = self.env["order.desk.statement"].browse(
            {vals["statement_id"] for vals in vals_list if vals.get("statement_id")}
        )
        agreed = statements.filtered(lambda s: s.state in FROZEN_STATES)
        if agreed:
            raise UserError(
                self.env._(
                    "Statement %(statement)s is agreed or closed: it takes no more "
                    "disputes.",
                    statement=agreed[0].display_name,
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        # A dispute belongs to the statement it was raised on, for everybody: moved, it
        # would leave its statement closable unsettled, or show on another customer's.
        if "statement_id" in vals and any(
            dispute.statement_id.id != vals["statement_id"] for dispute in self
        ):
            raise UserError(
                self.env._(
                    "A dispute stays on the statement it was raised on: record a new "
                    "one on the other statement."
                )
            )
        if DISPUTE_ANSWER_FIELDS & vals.keys():
            settled = self.filtered(lambda d: d.state != "open")
            if settled:
                raise UserError(
                    self.env._(
                        "A settled dispute no longer changes: record a new one if the "
                        "customer disputes something else."
                    )
                )
            answered = self.filtered(
                lambda d: d.statement_id.state not in ("draft", "sent")
            )
            if answered:
                raise UserError(
                    self.env._(
                        "The dispute of %(amount)s is the customer's recorded answer on "
                        "%(statement)s: it no longer changes. Resolve or reject it, "
                        "and record a new one if the customer disputes something else.",
                        amount=answered[0].currency_id.format(answered[0].amount),
                        statement=answered[0].statement_id.display_name,
                    )
                )
        if "resolution_note" in vals and self.filtered(lambda d: d.state != "open"):
            raise UserError(
                self.env._(
                    "A settled dispute no longer changes, its resolution note included."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_settled(self):
        """A settled dispute, and any dispute once the customer's answer is recorded (a
        disputed, agreed or closed statement), is part of the record: removing one would
        let a statement close unsettled."""
        kept = self.filtered(
            lambda d: d.state != "open" or d.statement_id.state not in ("draft", "sent")
        )
        if kept:
            raise UserError(
                self.env._(
                    "The disputes of %(statement)s cannot be deleted: settle them with "
                    "Resolve or Reject.",
                    statement=kept[0].statement_id.name,
                )
            )

    @api.constrains("line_id", "statement_id", "company_id")
    def _check_line_id(self):
        for dispute in self:
            if dispute.line_id and dispute.line_id.statement_id != dispute.statement_id:
                raise ValidationError(
                    self.env._("The disputed line is not on this statement.")
                )
            if dispute.company_id != dispute.statement_id.company_id:
                raise ValidationError(
                    self.env._("A dispute belongs to the company of its statement.")
                )

    @api.constrains("amount", "line_id", "statement_id", "state")
    def _check_amount_within_statement(self):
        """The open disputes of a statement add up to at most what it shows: per line,
        the line's amount; together, the statement's largest figure. Settled disputes no
        longer count (a rejected one may be raised again)."""
        for statement in self.statement_id:
            room = statement._desk_dispute_room()
            if statement.currency_id.compare_amounts(room, 0.0) < 0:
                raise ValidationError(
                    statement._desk_dispute_total_message(
                        statement._desk_dispute_limit()
                    )
                )
            for line in self.filtered(
                lambda d, s=statement: d.statement_id == s
            ).line_id:
                if (
                    statement.currency_id.compare_amounts(
                        statement._desk_dispute_room(line), 0.0
                    )
                    < 0
                ):
                    raise ValidationError(
                        statement._desk_dispute_total_message(
                            statement._desk_dispute_limit(line), line
                        )
                    )

    def action_resolve(self):
        """The dispute is settled in the customer's favour or explained (accountant)."""
        return self._desk_settle("resolved")

    def action_reject(self):
        """The dispute is unfounded (accountant)."""
        return self._desk_settle("rejected")

    def _desk_settle(self, state):
        self.statement_id._desk_ensure_accountant()
        wrong = self.filtered(lambda d: d.state != "open")
        if wrong:
            raise UserError(self.env._("Only open disputes can be settled."))
        missing = self.filtered(lambda d: not (d.resolution_note or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Write how the dispute of %(amount)s was settled.",
                    amount=missing[0].currency_id.format(missing[0].amount),
                )
            )
        # sudo: the accountant was checked above; the status is a system field.
        self.sudo().write({"state": state})
        return True
