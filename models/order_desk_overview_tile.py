from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

USER_GROUP = "order_desk.group_order_desk_user"
MANAGER_GROUP = "order_desk.group_order_desk_manager"
ACCOUNTING_GROUP = "account.group_account_invoice"

TILE_ROLES = [
    ("clerk", "Order Clerk"),
    ("manager", "Desk Manager"),
    ("accountant", "Accountant"),
]

# Who reads which tiles: a manager has the manager's tiles, not the clerk's again (the
# role filters show the others); anyone with Invoicing rights has the accountant's.
ROLE_GROUPS = {
    "clerk": USER_GROUP,
    "manager": MANAGER_GROUP,
    "accountant": ACCOUNTING_GROUP,
}

TILE_KINDS = [
    # Order clerk
    ("my_blocked_drafts", "My Drafts with Blocking Exceptions"),
    ("to_review", "Waiting for Review"),
    ("approved_short", "Approved but Short"),
    ("locked_not_picked", "Locked, Not Picked Yet"),
    ("late_shipments", "Late or Silent Shipments"),
    ("open_incidents", "Open Incidents"),
    ("returns_to_handle", "Returns to Submit or Receive"),
    # Desk manager
    ("review_queue", "To Review"),
    ("review_blocked", "Blocking Exceptions"),
    ("returns_to_approve", "Returns to Approve"),
    ("incidents_to_decide", "Incidents Waiting for a Decision"),
    ("prepaid_held", "Prepaid Orders Held"),
    ("reservations_expiring", "Reservations Expiring Today"),
    # Accountant
    ("statements_to_send", "Statements to Send"),
    ("statements_disputed", "Disputed Statements"),
    ("statements_unanswered", "Statements Unanswered"),
    ("amounts_disagree", "Amounts Not Agreeing"),
]

# Tiles whose count is trouble: shown red when not zero.
ALERT_KINDS = {
    "my_blocked_drafts",
    "approved_short",
    "late_shipments",
    "review_blocked",
    "incidents_to_decide",
    "reservations_expiring",
    "statements_disputed",
    "statements_unanswered",
    "amounts_disagree",
}

# The list each tile opens: the action whose views (and default values) it borrows.
ORDER_ACTION = "order_desk.sale_order_action"


def _serializable(domain):
    """``domain`` with its datetimes as strings, to travel in an action."""
    result = []
    for term in domain:
        if isinstance(term, (list, tuple)) and len(term) == 3:
            field, operator, value = term
            if isinstance(value, datetime):
                value = fields.Datetime.to_string(value)
            elif isinstance(value, date):
                value = fields.Date.to_string(value)
            elif operator in ("any", "not any") and isinstance(value, list):
                value = _serializable(value)
            term = [field, operator, value]
        result.append(term)
    return result


class OrderDeskOverviewTile(models.Model):
    """One tile of *Order Desk > Overview*: a count of what needs someone now, opening the
    matching list.

    The tiles are data (one record per kind); their counts are computed for the reading
    user, through their access rights and record rules, over the companies selected in the
    company switcher, with one grouped read per tile.
    """

    _name = "order.desk.overview.tile"
    _description = "Order Desk Overview Tile"
    _inherit = ["order.desk.field.guard"]
    _order = "sequence, id"

    # Definition
    name = fields.Char(required=True, translate=True)
    description = fields.Char(translate=True, help="What the tile counts, in a line.")
    kind = fields.Selection(TILE_KINDS, required=True, readonly=True)
    role = fields.Selection(TILE_ROLES, required=True, readonly=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    threshold_days = fields.Integer(
        string="After (days)",
        default=7,
        help="For 'Statements Unanswered': a statement sent this many days ago without "
        "the customer's answer counts.",
    )

    # For the reading user
    count = fields.Integer(compute="_compute_count")
    note = fields.Char(compute="_compute_count")
    alert = fields.Boolean(compute="_compute_count")
    color = fields.Integer(compute="_compute_count")
    is_mine = fields.Boolean(
        string="My Tiles", compute="_compute_is_mine", search="_search_is_mine"
    )

    _unique_kind = models.Constraint(
        "UNIQUE(kind)", "Each kind of tile exists once on the Overview."
    )
    # Days reach date arithmetic for every reader of the Overview: beyond ten years they
    # only overflow it.
    _threshold_days_positive = models.Constraint(
        "CHECK(threshold_days BETWEEN 0 AND 3650)",
        "The number of days is between 0 and 3650.",
    )

    @api.depends("kind", "threshold_days")
    @api.depends_context("uid", "allowed_company_ids", "tz")
    def _compute_count(self):
        for tile in self:
            spec = tile._desk_tile_spec()
            Model = self.env[spec["model"]]
            count, oldest = 0, False
            if Model.has_access("read"):
                aggregates = ["__count"]
                if spec.get("oldest"):
                    aggregates.append(f"{spec['oldest']}:min")
                row = Model._read_group(spec["domain"], aggregates=aggregates)[0]
                count = row[0]
                oldest = row[1] if len(row) > 1 else False
            tile.count = count
            tile.alert = bool(count) and tile.kind in ALERT_KINDS
            # Kanban colours: 1 red (trouble waiting), 10 green (nothing left), 0 none.
            tile.color = 1 if tile.alert else (10 if not count else 0)
            tile.note = tile._desk_tile_note(count, oldest)

    @api.depends("role")
    @api.depends_context("uid")
    def _compute_is_mine(self):
        roles = self._desk_user_roles()
        for tile in self:
            tile.is_mine = tile.role in roles

    def _search_is_mine(self, operator, value):
        if operator != "in":
            return NotImplemented
        return [("role", "in", self._desk_user_roles())]

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    @api.readonly
    def action_open(self):
        """The list behind the tile: exactly the records it counts (kanban card click)."""
        self.ensure_one()
        spec = self._desk_tile_spec()
        action = self.env["ir.actions.act_window"]._for_xml_id(spec["action"])
        context = {
            key: value
            for key, value in self._desk_action_context(action).items()
            if not key.startswith("search_default_")
        }
        action.update(
            {
                "name": self.name,
                "domain": _serializable(spec["domain"]),
                "context": context,
                "target": "current",
            }
        )
        action.pop("path", None)
        return action

    @api.readonly
    def action_new_order(self):
        """A new order in the desk's own order form (the Overview's *New Order* button,
        called on no tile)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(ORDER_ACTION)
        form_views = [view for view in action.get("views", []) if view[1] == "form"]
        action.update(
            {
                "name": self.env._("New Order"),
                "views": form_views or [(False, "form")],
                "view_mode": "form",
                "res_id": False,
                "target": "current",
                "context": self._desk_action_context(action),
            }
        )
        action.pop("path", None)
        return action

    # ------------------------------------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------------------------------------
    def _desk_action_context(self, action):
        """The context of ``action`` (a string in the action's record) as a dict."""
        context = action.get("context") or {}
        if isinstance(context, str):
            context = safe_eval(
                context, self.env["ir.actions.actions"]._get_eval_context()
            )
        return dict(context)

    def _desk_user_roles(self):
        user = self.env.user
        roles = [role for role, group in ROLE_GROUPS.items() if user.has_group(group)]
        # A manager's day is the manager's tiles; the clerk's stay under the role filter.
        if "manager" in roles:
            roles.remove("clerk")
        return roles

    def _desk_tile_note(self, count, oldest):
        if self.kind == "statements_unanswered":
            return self.env._(
                "No answer after %(days)s day(s)", days=self.threshold_days
            )
        if not count or not oldest:
            return ""
        if not isinstance(oldest, datetime):
            oldest = datetime.combine(oldest, time.min)
        days = (fields.Datetime.now() - oldest).days
        if days < 1:
            return self.env._("Oldest: today")
        return self.env._("Oldest: %(days)s days", days=days)

    def _desk_today_end(self):
        """The end of the user's day, in UTC (naive), as the ORM stores datetimes."""
        # Odoo's own reading of the time zone: an unknown one (a caller's context) is UTC.
        tz = self.env.tz
        today = fields.Datetime.now().replace(tzinfo=pytz.utc).astimezone(tz).date()
        end = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        return end.astimezone(pytz.utc).replace(tzinfo=None)

    def _desk_tile_spec(self):
        """``{"model", "domain", "action", "oldest"}`` of the tile for the reading user.

        ``domain`` is what the count counts and what the list shows; ``oldest`` names a
        date field whose minimum says how long the oldest record waits.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        kind = self.kind
        if kind == "my_blocked_drafts":
            return self._desk_order_spec(
                [
                    ("desk_state", "=", "draft"),
                    ("desk_has_blocking_exception", "=", True),
                    ("user_id", "=", self.env.uid),
                ]
            )
        if kind in ("to_review", "review_queue"):
            return self._desk_order_spec(
                [("desk_state", "=", "to_review")], oldest="desk_submitted_date"
            )
        if kind == "review_blocked":
            return self._desk_order_spec(
                [
                    ("desk_state", "=", "to_review"),
                    ("desk_has_blocking_exception", "=", True),
                ],
                oldest="desk_submitted_date",
            )
        if kind == "approved_short":
            # Goods the order waits for: its open moves are not (fully) reserved.
            return self._desk_order_spec(
                [
                    ("desk_state", "in", ("approved", "locked")),
                    (
                        "order_line.move_ids",
                        "any",
                        [
                            ("state", "in", ("confirmed", "partially_available")),
                            ("picking_code", "!=", "incoming"),
                        ],
                    ),
                ]
            )
        if kind == "locked_not_picked":
            return self._desk_order_spec(
                [("desk_state", "=", "locked")], oldest="desk_locked_date"
            )
        if kind == "prepaid_held":
            return self._desk_order_spec(
                [
                    ("state", "=", "sale"),
                    ("desk_state", "in", ("approved", "locked", "ready")),
                    ("desk_settlement_method", "=", "prepayment"),
                    ("desk_prepaid", "=", False),
                    ("desk_prepayment_released", "=", False),
                ],
                oldest="desk_approved_date",
            )
        if kind == "reservations_expiring":
            return self._desk_order_spec(
                [
                    ("desk_state", "=", "locked"),
                    ("desk_reservation_released", "=", False),
                    ("desk_reservation_deadline", "!=", False),
                    ("desk_reservation_deadline", "<", self._desk_today_end()),
                ]
            )
        if kind == "amounts_disagree":
            return self._desk_order_spec(
                [("state", "=", "sale"), ("desk_amounts_agree", "=", False)]
            )
        if kind == "late_shipments":
            return {
                "model": "stock.picking",
                "domain": self._desk_late_shipments_domain(now),
                "action": "order_desk.stock_picking_action_shipments",
            }
        if kind == "open_incidents":
            return {
                "model": "order.desk.incident",
                "domain": [("state", "in", ("open", "in_progress"))],
                "action": "order_desk.order_desk_incident_action",
                "oldest": "create_date",
            }
        if kind == "incidents_to_decide":
            # Money is a manager's decision (refund, compensation); an incident past its
            # deadline needs one too.
            return {
                "model": "order.desk.incident",
                "domain": [
                    ("state", "in", ("open", "in_progress")),
                    "|",
                    ("resolution", "in", ("refund", "compensate")),
                    ("date_deadline", "<", fields.Date.context_today(self)),
                ],
                "action": "order_desk.order_desk_incident_action",
                "oldest": "create_date",
            }
        if kind == "returns_to_handle":
            return {
                "model": "order.desk.return",
                "domain": [("state", "in", ("draft", "approved"))],
                "action": "order_desk.order_desk_return_action",
                "oldest": "date_request",
            }
        if kind == "returns_to_approve":
            return {
                "model": "order.desk.return",
                "domain": [("state", "=", "to_approve")],
                "action": "order_desk.order_desk_return_action",
                "oldest": "date_request",
            }
        if kind == "statements_to_send":
            return self._desk_statement_spec([("state", "=", "draft")])
        if kind == "statements_disputed":
            return self._desk_statement_spec([("state", "=", "disputed")])
        if kind == "statements_unanswered":
            return self._desk_statement_spec(
                [
                    ("state", "=", "sent"),
                    ("sent_date", "<", now - timedelta(days=self.threshold_days)),
                ]
            )
        raise ValueError(kind)

    def _desk_order_spec(self, domain, oldest=None):
        return {
            "model": "sale.order",
            "domain": domain,
            "action": ORDER_ACTION,
            "oldest": oldest,
        }

    def _desk_statement_spec(self, domain):
        return {
            "model": "order.desk.statement",
            "domain": domain,
            "action": "order_desk.order_desk_statement_action",
        }

    def _desk_late_shipments_domain(self, now):
        """Deliveries on their way past their expected date, or without carrier news for
        their company's silence days (as the delay check sees them)."""
        silent = []
        for company in self.env.companies:
            days = company.order_desk_tracking_silence_days
            if not days:
                continue
            limit = now - timedelta(days=days)
            silent.append(
                Domain("company_id", "=", company.id)
                & (
                    (
                        Domain("desk_last_event_date", "=", False)
                        & Domain("date_done", "<", limit)
                    )
                    | Domain("desk_last_event_date", "<", limit)
                )
            )
        return list(
            Domain(
                [
                    ("picking_type_code", "=", "outgoing"),
                    ("sale_id", "!=", False),
                    ("state", "=", "done"),
                    ("desk_delivered_date", "=", False),
                    ("desk_superseded", "=", False),
                ]
            )
            & Domain.OR([Domain("desk_expected_date", "<", now), *silent])
        )
