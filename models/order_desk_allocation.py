from collections import defaultdict
from datetime import datetime, time, timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, format_date, formatLang

from .allocation_engine import Demand, allocate
from .order_desk_document_mixin import MANAGER_GROUP
from .res_partner import DESK_RANKS

ALLOCATION_STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("applied", "Applied"),
    ("cancelled", "Cancelled"),
]

ALLOCATION_METHODS = [
    ("sequential", "By Priority"),
    ("fair_share", "Fair Share within a Rank"),
]

ALLOCATION_CRITERIA = [
    ("urgent", "Urgent Orders First"),
    ("rank", "Customer Rank"),
    ("promised", "Earliest Promised Date"),
    ("settlement", "Paid First, then Within Credit"),
    ("order_date", "Oldest Order"),
]

SETTLEMENT_CLASSES = [
    ("paid", "Paid"),
    ("credit", "Within Credit"),
    ("over", "Over Credit Limit"),
]

SUPPLY_KINDS = [
    ("stock", "Stock"),
    ("receipt", "Receipt"),
]

# Orders whose open lines an allocation run serves: approved, locked, and prepared ones
# (whose picked goods stay theirs, but whose missing goods may still come).
OPEN_DESK_STATES = ("approved", "locked", "ready")

RANK_ORDER = {"a": 0, "b": 1, "c": 2}
SETTLEMENT_ORDER = {"paid": 0, "credit": 1, "over": 2}

# What the run is about: set while it is a draft.
PARAMETER_FIELDS = {
    "company_id",
    "warehouse_id",
    "product_ids",
    "categ_ids",
    "date_from",
    "date_to",
    "method",
    "take_back",
    "criterion_ids",
}


class OrderDeskAllocation(models.Model):
    """A stock allocation run (库存调配): shares what is free now and what the receipts
    bring among the open lines of approved orders, by the order of its criteria or by fair
    share, within the customers' quotas; proposed first, applied by a desk manager."""

    _name = "order.desk.allocation"
    _description = "Order Desk Stock Allocation"
    _inherit = ["mail.thread", "mail.activity.mixin", "order.desk.document.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _desk_sequence_code = "order.desk.allocation"
    # The form edits the allocated quantity of a proposal's lines through them: the lines
    # guard themselves (only that quantity, by a manager, on a proposal).
    _desk_writable_fields = frozenset({"line_ids"})

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    state = fields.Selection(
        ALLOCATION_STATES,
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    # Scope
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
        tracking=True,
    )
    product_ids = fields.Many2many(
        "product.product",
        "order_desk_allocation_product_rel",
        "allocation_id",
        "product_id",
        string="Products",
        check_company=True,
        domain="[('is_storable', '=', True)]",
        help="Empty with no category either: every product with open demand.",
    )
    categ_ids = fields.Many2many(
        "product.category",
        "order_desk_allocation_categ_rel",
        "allocation_id",
        "categ_id",
        string="Product Categories",
        help="The products of these categories (and their subcategories) too.",
    )
    date_from = fields.Date(
        string="Due From",
        help="Only lines promised from this day on (empty: also the overdue ones).",
    )
    date_to = fields.Date(
        string="Due Until",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=30),
        help="Lines promised up to this day, and receipts expected by then (empty: "
        "every line and every receipt).",
    )

    # Strategy
    method = fields.Selection(
        ALLOCATION_METHODS,
        string="Strategy",
        required=True,
        default="sequential",
        help="By priority: each line in turn, in the order of the criteria, takes what it "
        "asks while stock lasts. Fair share: the customer ranks are served in turn (A, then "
        "B, then C) and, inside a rank, what is left is shared in proportion to what each "
        "line asks.",
    )
    criterion_ids = fields.One2many(
        "order.desk.allocation.criterion",
        "allocation_id",
        string="Criteria",
        copy=True,
        default=lambda self: [
            Command.create({"sequence": index, "criterion": criterion})
            for index, (criterion, _label) in enumerate(ALLOCATION_CRITERIA)
        ],
    )
    take_back = fields.Boolean(
        string="Take Back Reserved Stock",
        help="Lines that already hold stock may lose it to lines ahead of them (a higher "
        "rank for the fair share): each such line says how much it gives back. Picked "
        "goods are never taken back.",
    )

    # Results
    line_ids = fields.One2many(
        "order.desk.allocation.line", "allocation_id", string="Lines", readonly=True
    )
    supply_ids = fields.One2many(
        "order.desk.allocation.supply", "allocation_id", readonly=True
    )
    receipt_ids = fields.Many2many(
        "stock.picking",
        "order_desk_allocation_receipt_rel",
        "allocation_id",
        "picking_id",
        string="Prepared After Receipts",
        readonly=True,
        copy=False,
    )
    line_count = fields.Integer(compute="_compute_totals")
    qty_wanted = fields.Float(
        string="Wanted", compute="_compute_totals", digits="Product Unit"
    )
    qty_allocated = fields.Float(
        string="Allocated Now", compute="_compute_totals", digits="Product Unit"
    )
    qty_incoming = fields.Float(
        string="From Receipts", compute="_compute_totals", digits="Product Unit"
    )
    qty_short = fields.Float(
        string="Still Short", compute="_compute_totals", digits="Product Unit"
    )
    proposed_date = fields.Datetime(string="Proposed On", readonly=True, copy=False)
    proposed_user_id = fields.Many2one(
        "res.users", string="Proposed By", readonly=True, copy=False
    )
    applied_date = fields.Datetime(string="Applied On", readonly=True, copy=False)
    applied_user_id = fields.Many2one(
        "res.users", string="Applied By", readonly=True, copy=False
    )
    note = fields.Text()

    @api.depends(
        "line_ids.qty_wanted",
        "line_ids.qty_allocated",
        "line_ids.qty_incoming",
        "line_ids.qty_short",
    )
    def _compute_totals(self):
        for allocation in self:
            lines = allocation.line_ids
            allocation.line_count = len(lines)
            allocation.qty_wanted = sum(lines.mapped("qty_wanted"))
            allocation.qty_allocated = sum(lines.mapped("qty_allocated"))
            allocation.qty_incoming = sum(lines.mapped("qty_incoming"))
            allocation.qty_short = sum(lines.mapped("qty_short"))

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for allocation in self:
            if (
                allocation.date_from
                and allocation.date_to
                and allocation.date_from > allocation.date_to
            ):
                raise ValidationError(
                    self.env._(
                        "Allocation %(name)s: the window starts after it ends.",
                        name=allocation.name,
                    )
                )

    @api.constrains("criterion_ids", "method")
    def _check_criteria(self):
        for allocation in self:
            if allocation.method == "sequential" and not allocation.criterion_ids:
                raise ValidationError(
                    self.env._(
                        "Allocation %(name)s: a strategy by priority needs at least one "
                        "criterion.",
                        name=allocation.name,
                    )
                )

    def write(self, vals):
        if PARAMETER_FIELDS & set(vals):
            self._desk_ensure_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        applied = self.filtered(lambda a: a.state not in ("draft", "cancelled"))
        if applied:
            raise UserError(
                self.env._(
                    "Only draft or cancelled allocations can be deleted: %(names)s.",
                    names=", ".join(applied.mapped("name")),
                )
            )

    def _desk_ensure_state_write(self):
        # The status is written as the system by the buttons, which check the caller
        # first; no context opens it to anybody else.
        if not self.env.su:
            raise UserError(
                self.env._(
                    "The status of an allocation changes through its buttons only."
                )
            )

    def _desk_ensure_draft(self):
        not_draft = self.filtered(lambda a: a.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Allocation %(name)s is %(state)s: set it back to draft to change what "
                    "it covers or its strategy.",
                    name=not_draft[0].name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        not_draft[0].state
                    ],
                )
            )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_propose(self):
        """Compute (again) who gets what: one line per open order line (manager)."""
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("draft", "proposed"),
            lambda names: self.env._(
                "Only draft or proposed allocations can be proposed: %(names)s.",
                names=names,
            ),
        )
        for allocation in self:
            allocation._desk_propose()
        return True

    def action_apply(self):
        """Reserve and unreserve as proposed, in one transaction (manager).

        Refused, with nothing changed, when the stock or the orders moved since the
        proposal. The orders log what changed and why; lines now served by a later receipt
        get that receipt's date as promised date and their customers an e-mail.
        """
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("proposed",),
            lambda names: self.env._(
                "Only proposed allocations can be applied: %(names)s.", names=names
            ),
        )
        for allocation in self:
            allocation._desk_apply()
        return True

    def action_cancel(self):
        """Drop proposals that will not be applied (manager)."""
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("draft", "proposed"),
            lambda names: self.env._(
                "Only draft or proposed allocations can be cancelled: %(names)s.",
                names=names,
            ),
        )
        # sudo: the status is the system's to write, for a manager's decision.
        self.sudo().write({"state": "cancelled"})
        self._desk_log(
            lambda rec: rec.env._("Cancelled by %(user)s.", user=self.env.user.name)
        )
        return True

    def action_draft(self):
        """Back to draft to change the scope or the strategy; the proposal is dropped."""
        self._desk_ensure_group(MANAGER_GROUP)
        self._desk_ensure_state(
            ("proposed", "cancelled"),
            lambda names: self.env._(
                "Only proposed or cancelled allocations go back to draft: %(names)s.",
                names=names,
            ),
        )
        # sudo: the proposal's lines and status are the system's to write.
        self.sudo().line_ids.unlink()
        self.sudo().supply_ids.unlink()
        self.sudo().write({"state": "draft"})
        return True

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.sale_order_action"
        )
        action["domain"] = [("id", "in", self.line_ids.order_id.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------------------------------
    # Propose
    # ------------------------------------------------------------------------------------------
    def _desk_products(self):
        """The products the run covers, or ``None`` for every product with open demand."""
        self.ensure_one()
        if not self.product_ids and not self.categ_ids:
            return None
        products = self.product_ids
        if self.categ_ids:
            products |= self.env["product.product"].search(
                [
                    ("categ_id", "child_of", self.categ_ids.ids),
                    ("is_storable", "=", True),
                    ("company_id", "in", (False, self.company_id.id)),
                ]
            )
        return products

    def _desk_inputs(self):
        """The run's figures, read now: see ``_desk_collect``."""
        self.ensure_one()
        return self._desk_collect(
            self.company_id,
            self.warehouse_id,
            self._desk_products(),
            self.date_from,
            self.date_to,
            self.take_back,
        )

    @api.model
    def _desk_collect(
        self, company, warehouse, products, date_from, date_to, take_back
    ):
        """What an allocation run (or the shortage warning) works on, for the whole batch
        in a fixed number of queries.

        Demand: the open moves that take goods from the warehouse's stock location for the
        lines of approved and locked orders of ``company`` (make to stock, first step of the
        route), due (promised date, else the order's delivery date, else order date)
        between ``date_from`` and ``date_to``; without ``take_back`` only lines still
        missing something. Supply: the quants of the stock location and the receipts
        expected by ``date_to`` that no order claimed.

        :param products: ``product.product`` records, or ``None`` for every product with
            open demand.
        :returns: dict with ``lines`` ({sale line: {moves, product, wanted, reserved,
            picked, due}}), ``stock`` ({product id: (on hand, reserved)}), ``receipts``
            ({product id: [(picking, date, quantity)]}) and ``products``.
        """
        # sudo: the run reads stock moves and quants of the orders a manager allocates;
        # desk managers need no Inventory rights for it, and nothing is written here.
        Move = self.env["stock.move"].sudo()
        domain = [
            ("company_id", "=", company.id),
            ("location_id", "=", warehouse.lot_stock_id.id),
            ("state", "in", ("confirmed", "partially_available", "assigned")),
            ("procure_method", "=", "make_to_stock"),
            ("move_orig_ids", "=", False),
            ("sale_line_id", "!=", False),
            ("sale_line_id.order_id.state", "=", "sale"),
            ("sale_line_id.order_id.desk_state", "in", OPEN_DESK_STATES),
            ("product_id.is_storable", "=", True),
        ]
        if products is not None:
            domain.append(("product_id", "in", products.ids))
        moves = Move.search_fetch(
            domain, ["sale_line_id", "product_id", "product_qty", "state", "picked"]
        )
        moves.move_line_ids.fetch(["quantity_product_uom", "picked", "move_id"])
        sale_lines = moves.sale_line_id
        sale_lines.fetch(["order_id", "desk_promised_date", "product_id"])
        sale_lines.order_id.fetch(["commitment_date", "date_order"])
        window_end = datetime.combine(date_to, time.max) if date_to else None
        window_start = datetime.combine(date_from, time.min) if date_from else None
        lines = {}
        for sale_line, line_moves in moves.grouped("sale_line_id").items():
            due = sale_line._desk_due_date()
            if (window_end and due > window_end) or (
                window_start and due < window_start
            ):
                continue
            reserved = picked = 0.0
            for move_line in line_moves.move_line_ids:
                reserved += move_line.quantity_product_uom
                if move_line.picked or move_line.move_id.picked:
                    picked += move_line.quantity_product_uom
            wanted = sum(line_moves.mapped("product_qty"))
            uom = sale_line.product_id.uom_id
            if not take_back and uom.compare(reserved, wanted) >= 0:
                continue
            lines[sale_line] = {
                "moves": line_moves,
                "product": sale_line.product_id,
                "wanted": wanted,
                "reserved": reserved,
                "picked": picked,
                "due": due,
            }
        demand_products = self.env["product.product"].union(
            *(values["product"] for values in lines.values())
        )
        covered = demand_products if products is None else products
        # sudo: the free stock and the incoming receipts of the products a manager
        # allocates (only quantities are read), whatever stock rights the manager has.
        stock = {
            product.id: (on_hand, reserved)
            for product, on_hand, reserved in self.env["stock.quant"]
            .sudo()
            ._read_group(
                [
                    ("product_id", "in", covered.ids),
                    ("location_id", "child_of", warehouse.lot_stock_id.id),
                ],
                groupby=["product_id"],
                aggregates=["quantity:sum", "reserved_quantity:sum"],
            )
        }
        receipts = (
            covered.sudo()._desk_receipts(warehouse, window_end) if covered else {}
        )
        return {
            "lines": lines,
            "stock": stock,
            "receipts": receipts,
            "products": covered,
        }

    def _desk_sort_values(self, sale_lines):
        """Per sale line, what each criterion of the run compares (smaller first)."""
        self.ensure_one()
        criteria = self.criterion_ids.sorted(lambda c: (c.sequence, c.id)).mapped(
            "criterion"
        )
        orders = sale_lines.order_id
        settlement = {}
        if "settlement" in criteria:
            settlement = self._desk_settlement_classes(orders)
        values = {}
        for line in sale_lines:
            order = line.order_id
            rank = order.partner_id.commercial_partner_id.desk_rank or "c"
            by_criterion = {
                "urgent": 0 if order.priority == "1" else 1,
                "rank": RANK_ORDER.get(rank, 2),
                "promised": line._desk_due_date(),
                "settlement": SETTLEMENT_ORDER[settlement.get(order.id, "credit")],
                "order_date": order.date_order,
            }
            values[line.id] = {
                "key": (
                    *(by_criterion[c] for c in criteria),
                    order.date_order,
                    order.id,
                    line.id,
                ),
                "rank": RANK_ORDER.get(rank, 2),
                "rank_code": rank,
                "settlement": settlement.get(order.id, False),
            }
        return values

    @api.model
    def _desk_settlement_classes(self, orders):
        """``{order id: paid | credit | over}``: paid in advance or in full, else whether
        the customer is within the credit limit (receivable plus confirmed orders not yet
        invoiced, as the credit check counts them). Batched."""
        if not orders:
            return {}
        company = orders.company_id[:1]
        partners = orders.partner_id.commercial_partner_id.with_company(company)
        # sudo: the customers' exposure is read to rank orders; only totals are used.
        partners_sudo = partners.sudo()
        exposure = self.env["order.desk.rule"]._open_order_amounts(
            partners_sudo, company, exclude=orders.browse()
        )
        within = {
            partner.id: not partner.credit_limit
            or company.currency_id.compare_amounts(
                partner.credit + exposure[partner.id], partner.credit_limit
            )
            <= 0
            for partner in partners_sudo
        }
        classes = {}
        for order in orders:
            paid = order.desk_prepaid or (
                order.amount_total
                and order.currency_id.compare_amounts(
                    order.desk_amount_paid, order.amount_total
                )
                >= 0
            )
            if paid:
                classes[order.id] = "paid"
            elif within[order.partner_id.commercial_partner_id.id]:
                classes[order.id] = "credit"
            else:
                classes[order.id] = "over"
        return classes

    def _desk_propose(self):
        """Build the proposal of one run: gather, share per product, write the lines."""
        self.ensure_one()
        data = self._desk_inputs()
        sale_lines = self.env["sale.order.line"].union(*data["lines"])
        sorting = self._desk_sort_values(sale_lines)
        # sudo: every order of the customers counts against their quotas.
        caps = self.env["order.desk.quota"].sudo()._desk_caps(sale_lines)
        demands_by_product = defaultdict(list)
        for sale_line, values in data["lines"].items():
            cap, quota = caps.get(sale_line.id, (None, None))
            demands_by_product[values["product"]].append(
                (
                    Demand(
                        key=sale_line.id,
                        sort_key=sorting[sale_line.id]["key"],
                        rank=sorting[sale_line.id]["rank"],
                        wanted=values["wanted"],
                        reserved=values["reserved"],
                        picked=values["picked"],
                        cap=cap,
                    ),
                    quota,
                )
            )
        line_vals = []
        supply_vals = []
        for product in data["products"]:
            entries = demands_by_product.get(product, [])
            on_hand, reserved = data["stock"].get(product.id, (0.0, 0.0))
            free = max(on_hand - reserved, 0.0)
            receipts = data["receipts"].get(product.id, [])
            demands = [demand for demand, _quota in entries]
            if demands:
                allocate(
                    demands,
                    free,
                    [(picking.id, date, qty) for picking, date, qty in receipts],
                    method=self.method,
                    take_back=self.take_back,
                    step=product.uom_id.rounding,
                )
            receipt_use = defaultdict(float)
            for demand in demands:
                for picking_id, quantity in demand.receipts:
                    receipt_use[picking_id] += quantity
            supply_vals.append(
                {
                    "allocation_id": self.id,
                    "product_id": product.id,
                    "kind": "stock",
                    "qty_on_hand": on_hand,
                    "qty_reserved": reserved,
                    "qty_available": free,
                }
            )
            supply_vals.extend(
                {
                    "allocation_id": self.id,
                    "product_id": product.id,
                    "kind": "receipt",
                    "picking_id": picking.id,
                    "date": date,
                    "qty_available": quantity,
                    "qty_planned": receipt_use.get(picking.id, 0.0),
                }
                for picking, date, quantity in receipts
            )
            for demand, quota in entries:
                sale_line = self.env["sale.order.line"].browse(demand.key)
                values = data["lines"][sale_line]
                line_vals.append(
                    {
                        "allocation_id": self.id,
                        "sale_line_id": sale_line.id,
                        "order_id": sale_line.order_id.id,
                        "partner_id": sale_line.order_id.partner_id.commercial_partner_id.id,
                        "product_id": product.id,
                        "partner_rank": sorting[sale_line.id]["rank_code"],
                        "settlement_class": sorting[sale_line.id]["settlement"],
                        "date_due": values["due"],
                        "line_promised_date": sale_line.desk_promised_date,
                        "order_promised_date": sale_line.order_id.commitment_date,
                        "qty_wanted": demand.wanted,
                        "qty_reserved": demand.reserved,
                        "qty_picked": demand.picked,
                        "qty_allocated": demand.allocated,
                        "qty_incoming": demand.incoming,
                        "receipt_id": demand.receipt,
                        "receipt_date": demand.receipt_date,
                        "has_cap": demand.cap is not None,
                        "qty_cap": demand.cap or 0.0,
                        "quota_id": quota.id if quota else False,
                        "sort_key": demand.sort_key,
                    }
                )
        # The proposal order: the strategy's order per product.
        line_vals.sort(key=lambda vals: (vals["product_id"], vals.pop("sort_key")))
        for index, vals in enumerate(line_vals):
            vals["sequence"] = index
        # sudo: the proposal is the system's computation for a manager, who checked in
        # action_propose (or the receipt hook, which runs as the system).
        self_sudo = self.sudo()
        self_sudo.line_ids.unlink()
        self_sudo.supply_ids.unlink()
        self.env["order.desk.allocation.supply"].sudo().create(supply_vals)
        self.env["order.desk.allocation.line"].sudo().create(line_vals)
        self_sudo.write(
            {
                "state": "proposed",
                "proposed_date": fields.Datetime.now(),
                "proposed_user_id": self.env.uid,
            }
        )
        self._desk_log(
            lambda rec: rec.env._(
                "Proposed by %(user)s: %(lines)s order lines, %(allocated)s allocated "
                "from stock, %(incoming)s from receipts, %(short)s still short.",
                user=self.env.user.name,
                lines=len(line_vals),
                allocated=self._desk_fmt(sum(v["qty_allocated"] for v in line_vals)),
                incoming=self._desk_fmt(sum(v["qty_incoming"] for v in line_vals)),
                short=self._desk_fmt(
                    sum(
                        max(v["qty_wanted"] - v["qty_allocated"] - v["qty_incoming"], 0)
                        for v in line_vals
                    )
                ),
            )
        )

    def _desk_fmt(self, quantity):
        return formatLang(self.env, quantity, dp="Product Unit")

    def _desk_check_pool(self, product, lines, free, precision):
        """The run's lines of ``product`` hold no more than what is free plus what they
        held when proposed."""
        pool = free + sum(lines.mapped("qty_reserved"))
        total = sum(lines.mapped("qty_allocated"))
        if float_compare(total, pool, precision_digits=precision) > 0:
            raise ValidationError(
                self.env._(
                    "%(product)s: %(total)s allocated in %(name)s, but only %(pool)s is "
                    "free or held by its lines.",
                    product=product.display_name,
                    total=self._desk_fmt(total),
                    name=self.name,
                    pool=self._desk_fmt(pool),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Apply
    # ------------------------------------------------------------------------------------------
    def _desk_stale_products(self, data):
        """Products whose stock, receipts or open lines differ from the proposal."""
        self.ensure_one()
        stale = self.env["product.product"]
        lines = {line.sale_line_id: line for line in self.line_ids}
        for sale_line in set(lines) ^ set(data["lines"]):
            stale |= sale_line.product_id
        for sale_line, values in data["lines"].items():
            line = lines.get(sale_line)
            if not line:
                continue
            uom = values["product"].uom_id
            if any(
                uom.compare(values[key], line[f"qty_{key}"])
                for key in ("wanted", "reserved", "picked")
            ):
                stale |= values["product"]
        proposed_stock = {}
        proposed_receipts = defaultdict(dict)
        for supply in self.supply_ids:
            if supply.kind == "stock":
                proposed_stock[supply.product_id.id] = (
                    supply.qty_on_hand,
                    supply.qty_reserved,
                )
            else:
                proposed_receipts[supply.product_id.id][supply.picking_id.id] = (
                    supply.date,
                    supply.qty_available,
                )
        products = data["products"] | self.supply_ids.product_id
        for product in products:
            uom = product.uom_id
            now = data["stock"].get(product.id, (0.0, 0.0))
            before = proposed_stock.get(product.id, (0.0, 0.0))
            if any(uom.compare(a, b) for a, b in zip(now, before, strict=True)):
                stale |= product
                continue
            receipts_now = {
                picking.id: (date, quantity)
                for picking, date, quantity in data["receipts"].get(product.id, [])
            }
            receipts_before = proposed_receipts.get(product.id, {})
            if set(receipts_now) != set(receipts_before) or any(
                receipts_now[key][0] != receipts_before[key][0]
                or uom.compare(receipts_now[key][1], receipts_before[key][1])
                for key in receipts_now
            ):
                stale |= product
        return stale

    def _desk_apply(self):
        """Apply one proposal: see ``action_apply``."""
        self.ensure_one()
        products = self.line_ids.product_id | self.supply_ids.product_id
        # The same locks as an approval, taken before anything is read (see the helper).
        products._desk_lock_stock(self.warehouse_id.lot_stock_id)
        data = self._desk_inputs()
        stale = self._desk_stale_products(data)
        if stale:
            raise UserError(
                self.env._(
                    "The stock or the orders of %(products)s changed since %(name)s was "
                    "proposed: nothing was applied. Propose again to see the new "
                    "situation.",
                    products=", ".join(stale.mapped("display_name")),
                    name=self.name,
                )
            )
        self.line_ids._check_allocated()
        lines = self.line_ids.sorted("sequence")
        moves_of = {
            sale_line: values["moves"] for sale_line, values in data["lines"].items()
        }
        uoms = {line: line.product_id.uom_id for line in lines}
        giving = lines.filtered(
            lambda line: uoms[line].compare(line.qty_allocated, line.qty_reserved) < 0
        )
        # sudo: reserving and unreserving is the consequence of the manager's decision
        # (checked in action_apply), as in the approval; no Inventory rights needed.
        giving_moves = (
            self.env["stock.move"]
            .sudo()
            .union(*(moves_of[line.sale_line_id] for line in giving))
        )
        giving_moves.filtered(lambda m: not m.picked)._do_unreserve()
        taking = lines.filtered(
            lambda line: uoms[line].compare(line.qty_allocated, line.qty_reserved) != 0
        )
        # Lines getting all they want reserve in one call (Odoo reserves each move's
        # missing quantity); the others exactly their share, move by move. The totals were
        # checked against the locked stock, so every reservation finds its goods.
        full = taking.filtered(
            lambda line: uoms[line].compare(line.qty_allocated, line.qty_wanted) >= 0
        )
        touched = (
            self.env["stock.move"]
            .sudo()
            .union(*(moves_of[line.sale_line_id] for line in full))
            .filtered(lambda m: not m.picked)
        )
        touched._action_assign()
        for line in taking - full:
            moves = moves_of[line.sale_line_id].filtered(lambda m: not m.picked)
            uom = uoms[line]
            need = line.qty_allocated - self._desk_reserved(moves_of[line.sale_line_id])
            for move in moves:
                if uom.compare(need, 0.0) <= 0:
                    break
                room = move.product_qty - self._desk_reserved(move)
                take = min(room, need)
                if uom.compare(take, 0.0) <= 0:
                    continue
                move._action_assign(
                    force_qty=uom._compute_quantity(
                        take, move.product_uom, rounding_method="HALF-UP"
                    )
                )
                touched |= move
                need -= take
        (touched | giving_moves)._recompute_state()
        self.env["stock.move.line"].flush_model()
        self.env["stock.move"].sudo().union(*moves_of.values()).invalidate_recordset(
            ["move_line_ids"]
        )
        missing = [
            line
            for line in taking
            if uoms[line].compare(
                self._desk_reserved(moves_of[line.sale_line_id]), line.qty_allocated
            )
        ]
        if missing:
            raise UserError(
                self.env._(
                    "%(name)s could not reserve %(quantity)s of %(product)s for %(order)s "
                    "as proposed: nothing was applied. Propose again.",
                    name=self.name,
                    quantity=self._desk_fmt(missing[0].qty_allocated),
                    product=missing[0].product_id.display_name,
                    order=missing[0].order_id.name,
                )
            )
        self._desk_update_promises(lines)
        self._desk_restart_holds(lines)
        self._desk_log_orders(lines)
        # sudo: the status is the system's to write, for the manager's decision.
        self.sudo().write(
            {
                "state": "applied",
                "applied_date": fields.Datetime.now(),
                "applied_user_id": self.env.uid,
            }
        )
        self._desk_log(
            lambda rec: rec.env._(
                "Applied by %(user)s: %(count)s order lines changed.",
                user=self.env.user.name,
                count=len(lines.filtered("changed")),
            )
        )

    @api.model
    def _desk_reserved(self, moves):
        """What ``moves`` hold now (reserved or picked), in the product's unit."""
        return sum(moves.move_line_ids.mapped("quantity_product_uom"))

    def _desk_update_promises(self, lines):
        """Lines now served by a later receipt promise its date; lines served from stock
        at last go back to the order's date. Customers whose date moved are told."""
        moved = lines.filtered("date_moved")
        if not moved:
            return
        by_date = defaultdict(lambda: self.env["sale.order.line"])
        previous = defaultdict(lambda: self.env["sale.order.line"])
        for line in moved:
            waits = (
                line.product_id.uom_id.compare(line.qty_allocated, line.qty_wanted) < 0
            )
            by_date[line.date_promised if waits else False] |= line.sale_line_id
            previous[line.date_due] |= line.sale_line_id
        # sudo: the promised dates are written for the manager's decision; the line guard
        # keeps them from clerks' hands.
        for date, sale_lines in by_date.items():
            sale_lines.sudo().write({"desk_promised_date": date})
        for date, sale_lines in previous.items():
            sale_lines.sudo().write({"desk_previous_promised_date": date})
        orders = moved.order_id.filtered(
            lambda o: o.company_id.order_desk_notify_customer and o.partner_id.email
        )
        template = self.env.ref(
            "order_desk.mail_template_desk_promise_moved", raise_if_not_found=False
        )
        if template:
            for order in orders:
                order.message_post_with_source(
                    template,
                    subtype_xmlid="mail.mt_comment",
                    email_layout_xmlid="mail.mail_notification_light",
                )

    def _desk_restart_holds(self, lines):
        """Orders that hold stock again after their hold had expired start a new hold."""
        orders = lines.filtered(
            lambda line: line.qty_allocated > line.qty_reserved
        ).order_id.filtered("desk_reservation_released")
        if orders:
            orders._desk_set_deadline()
            orders._desk_write({"desk_reservation_released": False})

    def _desk_log_orders(self, lines):
        """One note per order saying what the run changed on it and why (one insert),
        written in the order's company language like every desk note."""
        changed = lines.filtered("changed")
        if not changed:
            return
        bodies = {}
        for lang, lang_lines in changed.grouped(
            lambda line: line.order_id.company_id._desk_lang()
        ).items():
            run = self.with_context(lang=lang)
            title = run.env._(
                "Stock allocation %(name)s (%(strategy)s) by %(user)s:",
                name=self.name,
                strategy=dict(run._fields["method"]._description_selection(run.env))[
                    self.method
                ],
                user=self.env.user.name,
            )
            for order, order_lines in (
                lang_lines.with_env(run.env).grouped("order_id").items()
            ):
                items = [
                    run.env._(
                        "%(product)s: held %(before)s, now %(after)s. %(why)s",
                        product=line.product_id.display_name,
                        before=self._desk_fmt(line.qty_reserved),
                        after=self._desk_fmt(line.qty_allocated),
                        why=line.note or "",
                    )
                    for line in order_lines
                ]
                bodies[order.id] = Markup("<p>%s</p><ul>%s</ul>") % (
                    title,
                    Markup().join(Markup("<li>%s</li>") % item for item in items),
                )
        self.env["sale.order"].browse(list(bodies))._message_log_batch(bodies)

    def _desk_prepare_after_receipts(self, pickings):
        """Prepare a proposal for the products that validated ``pickings`` brought into a
        warehouse's stock, when the company asks for it (*Allocate Receipts*), and give the
        allocation manager an activity. An older proposal prepared after a receipt for the
        same warehouse and products is replaced (cancelled)."""
        moves = pickings.move_ids.filtered(
            lambda m: (
                m.state == "done"
                and m.product_id.is_storable
                and m.company_id.order_desk_allocate_receipts
                and m._desk_brings_stock()
            )
        )
        if not moves:
            return self.browse()
        # sudo: runs as part of the warehouse's validation; the proposal is data for a
        # desk manager, who applies it.
        Allocation = self.sudo()
        created = Allocation
        groups = moves.grouped(
            lambda m: (m.company_id, m.location_dest_id.warehouse_id)
        )
        for (company, warehouse), group in groups.items():
            allocation = Allocation.with_company(company).create(
                {
                    "company_id": company.id,
                    "warehouse_id": warehouse.id,
                    # Every open line may get what the receipt brought.
                    "date_to": False,
                    "product_ids": [Command.set(group.product_id.ids)],
                    "receipt_ids": [Command.set(group.picking_id.ids)],
                    "note": self.env._(
                        "Prepared after the receipt of %(receipts)s.",
                        receipts=", ".join(group.picking_id.mapped("name")),
                    ),
                }
            )
            allocation._desk_propose()
            if not allocation.line_ids:
                # Nobody waits for these goods: no proposal to keep.
                allocation.write({"state": "cancelled"})
                allocation.unlink()
                continue
            older = Allocation.search(
                [
                    ("id", "!=", allocation.id),
                    ("state", "=", "proposed"),
                    ("warehouse_id", "=", warehouse.id),
                    ("receipt_ids", "!=", False),
                    ("product_ids", "in", group.product_id.ids),
                ]
            )
            if older:
                older.write({"state": "cancelled"})
                older._desk_log(
                    lambda rec, name=allocation.name: rec.env._(
                        "Replaced by %(name)s, prepared after a later receipt.",
                        name=name,
                    )
                )
            user = company._order_desk_allocation_user()
            if user:
                allocation.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Stock allocation proposed: review and apply"),
                    user_id=user.id,
                )
            created |= allocation
        return created


class OrderDeskAllocationCriterion(models.Model):
    _name = "order.desk.allocation.criterion"
    _description = "Order Desk Allocation Criterion"
    _inherit = ["order.desk.field.guard"]
    _order = "allocation_id, sequence, id"

    allocation_id = fields.Many2one(
        "order.desk.allocation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="allocation_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    criterion = fields.Selection(ALLOCATION_CRITERIA, required=True)

    _criterion_once = models.Constraint(
        "UNIQUE(allocation_id, criterion)",
        "Each criterion counts once in an allocation's strategy.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        allocations = self.env["order.desk.allocation"].browse(
            {vals["allocation_id"] for vals in vals_list if vals.get("allocation_id")}
        )
        allocations._desk_ensure_draft()
        return super().create(vals_list)

    def write(self, vals):
        self.allocation_id._desk_ensure_draft()
        if "allocation_id" in vals:
            self.env["order.desk.allocation"].browse(
                vals["allocation_id"]
            )._desk_ensure_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_draft(self):
        self.allocation_id.filtered(lambda a: a.exists())._desk_ensure_draft()


class OrderDeskAllocationLine(models.Model):
    """One open order line in a run: what it wants, holds, gets now and from which
    receipt, and what is still short."""

    _name = "order.desk.allocation.line"
    _description = "Order Desk Allocation Line"
    _inherit = ["order.desk.field.guard"]
    _order = "allocation_id, sequence, id"
    _check_company_auto = True

    allocation_id = fields.Many2one(
        "order.desk.allocation", required=True, ondelete="cascade", index=True
    )
    state = fields.Selection(related="allocation_id.state")
    company_id = fields.Many2one(
        related="allocation_id.company_id", store=True, index=True
    )
    sequence = fields.Integer(
        string="Turn", help="Position in the strategy's order, per product."
    )
    sale_line_id = fields.Many2one(
        "sale.order.line", string="Order Line", required=True, index=True, readonly=True
    )
    order_id = fields.Many2one("sale.order", required=True, index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, readonly=True
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    priority = fields.Selection(related="order_id.priority", string="Urgent")
    date_order = fields.Datetime(related="order_id.date_order", string="Order Date")
    partner_rank = fields.Selection(DESK_RANKS, string="Rank", readonly=True)
    settlement_class = fields.Selection(
        SETTLEMENT_CLASSES, string="Settlement", readonly=True
    )
    date_due = fields.Datetime(
        string="Promised", readonly=True, help="The line's promise when proposed."
    )
    line_promised_date = fields.Datetime(readonly=True)
    order_promised_date = fields.Datetime(readonly=True)

    qty_wanted = fields.Float(
        string="Wanted",
        digits="Product Unit",
        readonly=True,
        help="What the line still has to deliver from this warehouse.",
    )
    qty_reserved = fields.Float(
        string="Reserved Now",
        digits="Product Unit",
        readonly=True,
        help="What the line held when proposed.",
    )
    qty_picked = fields.Float(
        string="Picked",
        digits="Product Unit",
        readonly=True,
        help="Picked already: never taken back.",
    )
    qty_allocated = fields.Float(
        string="Allocated Now",
        digits="Product Unit",
        help="What the line will hold from stock once applied. A manager may change it "
        "before applying.",
    )
    qty_incoming = fields.Float(
        string="From Receipts", digits="Product Unit", readonly=True
    )
    receipt_id = fields.Many2one(
        "stock.picking", readonly=True, help="The (last) receipt."
    )
    receipt_date = fields.Datetime(string="Expected On", readonly=True)
    has_cap = fields.Boolean(readonly=True)
    qty_cap = fields.Float(string="Quota Allows", digits="Product Unit", readonly=True)
    quota_id = fields.Many2one("order.desk.quota", readonly=True)

    qty_short = fields.Float(
        string="Still Short",
        digits="Product Unit",
        compute="_compute_outcome",
        store=True,
    )
    qty_taken_back = fields.Float(
        string="Taken Back",
        digits="Product Unit",
        compute="_compute_outcome",
        store=True,
    )
    date_promised = fields.Datetime(
        string="New Promise", compute="_compute_outcome", store=True
    )
    date_moved = fields.Boolean(
        string="Date Moves", compute="_compute_outcome", store=True
    )
    changed = fields.Boolean(compute="_compute_outcome", store=True)
    note = fields.Char(string="Why", compute="_compute_note")

    @api.depends(
        "qty_wanted",
        "qty_reserved",
        "qty_allocated",
        "qty_incoming",
        "receipt_date",
        "date_due",
        "line_promised_date",
        "order_promised_date",
    )
    def _compute_outcome(self):
        for line in self:
            uom = line.product_id.uom_id
            line.qty_short = max(
                line.qty_wanted - line.qty_allocated - line.qty_incoming, 0.0
            )
            line.qty_taken_back = max(line.qty_reserved - line.qty_allocated, 0.0)
            served_now = uom.compare(line.qty_allocated, line.qty_wanted) >= 0
            waits = not served_now and line.qty_incoming > 0 and line.receipt_date
            if waits and (not line.date_due or line.receipt_date > line.date_due):
                line.date_promised = line.receipt_date
                line.date_moved = True
            elif served_now and line.line_promised_date:
                # Served now after an earlier run had moved it: back to the order's date.
                line.date_promised = line.order_promised_date
                line.date_moved = True
            else:
                line.date_promised = line.date_due
                line.date_moved = False
            line.changed = line.date_moved or bool(
                uom.compare(line.qty_allocated, line.qty_reserved)
            )

    @api.depends_context("lang")
    @api.depends(
        "qty_taken_back",
        "qty_allocated",
        "qty_reserved",
        "qty_incoming",
        "receipt_id",
        "receipt_date",
        "has_cap",
        "qty_cap",
        "qty_short",
        "date_moved",
        "date_promised",
    )
    def _compute_note(self):
        for line in self:
            parts = []
            if line.qty_taken_back:
                parts.append(
                    self.env._(
                        "%(qty)s taken back for orders ahead of it.",
                        qty=line._fmt(line.qty_taken_back),
                    )
                )
            added = line.qty_allocated - line.qty_reserved
            if line.product_id.uom_id.compare(added, 0.0) > 0:
                parts.append(
                    self.env._(
                        "%(qty)s more reserved from stock.", qty=line._fmt(added)
                    )
                )
            if line.qty_incoming:
                parts.append(
                    self.env._(
                        "%(qty)s from receipt %(receipt)s expected on %(date)s.",
                        qty=line._fmt(line.qty_incoming),
                        receipt=line.receipt_id.name or "",
                        date=format_date(self.env, line.receipt_date),
                    )
                )
            if (
                line.has_cap
                and line.product_id.uom_id.compare(line.qty_cap, line.qty_wanted) < 0
            ):
                parts.append(
                    self.env._(
                        "The customer's quota allows %(qty)s.",
                        qty=line._fmt(line.qty_cap),
                    )
                )
            if line.qty_short:
                parts.append(
                    self.env._("%(qty)s still short.", qty=line._fmt(line.qty_short))
                )
            if line.date_moved:
                parts.append(
                    self.env._(
                        "Promised date moves to %(date)s.",
                        date=format_date(self.env, line.date_promised)
                        if line.date_promised
                        else self.env._("the order's date"),
                    )
                )
            line.note = " ".join(parts)

    def _fmt(self, quantity):
        return formatLang(self.env, quantity, dp="Product Unit")

    @api.constrains("qty_allocated")
    def _check_allocated(self):
        """A manager's change (and the proposal itself) stays within what the line wants,
        what it cannot give back, and what the product has: free stock plus what the
        run's lines hold."""
        precision = self.env["decimal.precision"].precision_get("Product Unit")
        for line in self:
            floor = line.qty_reserved if not line.allocation_id.take_back else 0.0
            floor = max(floor, line.qty_picked)
            if float_compare(line.qty_allocated, 0.0, precision_digits=precision) < 0:
                raise ValidationError(
                    self.env._(
                        "%(order)s, %(product)s: the allocated quantity cannot be "
                        "negative.",
                        order=line.order_id.name,
                        product=line.product_id.display_name,
                    )
                )
            if (
                float_compare(
                    line.qty_allocated, line.qty_wanted, precision_digits=precision
                )
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "%(order)s, %(product)s: %(allocated)s allocated, but the line "
                        "only wants %(wanted)s.",
                        order=line.order_id.name,
                        product=line.product_id.display_name,
                        allocated=line._fmt(line.qty_allocated),
                        wanted=line._fmt(line.qty_wanted),
                    )
                )
            if float_compare(line.qty_allocated, floor, precision_digits=precision) < 0:
                raise ValidationError(
                    self.env._(
                        "%(order)s, %(product)s: the line keeps at least %(floor)s (what "
                        "it holds, unless the run takes back reserved stock; picked goods "
                        "always).",
                        order=line.order_id.name,
                        product=line.product_id.display_name,
                        floor=line._fmt(floor),
                    )
                )
        for allocation, lines in self.grouped("allocation_id").items():
            siblings_of = allocation.line_ids.grouped("product_id")
            free = defaultdict(float)
            for supply in allocation.supply_ids.filtered(lambda s: s.kind == "stock"):
                free[supply.product_id] += supply.qty_available
            for product in lines.product_id:
                allocation._desk_check_pool(
                    product, siblings_of[product], free[product], precision
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._("The lines of an allocation come from its proposal.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if set(vals) - {"qty_allocated"}:
                raise UserError(
                    self.env._(
                        "Only the allocated quantity of a proposal line can be changed."
                    )
                )
            self.allocation_id._desk_ensure_group(MANAGER_GROUP)
            not_proposed = self.allocation_id.filtered(lambda a: a.state != "proposed")
            if not_proposed:
                raise UserError(
                    self.env._(
                        "Allocation %(name)s is not a proposal any more: its lines no "
                        "longer change.",
                        name=not_proposed[0].name,
                    )
                )
        return super().write(vals)


class OrderDeskAllocationSupply(models.Model):
    """What a run shares: the product's stock when proposed, and each expected receipt."""

    _name = "order.desk.allocation.supply"
    _description = "Order Desk Allocation Supply"
    _inherit = ["order.desk.field.guard"]
    _order = "allocation_id, product_id, kind desc, date, id"
    _check_company_auto = True

    allocation_id = fields.Many2one(
        "order.desk.allocation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="allocation_id.company_id", store=True, index=True
    )
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    kind = fields.Selection(SUPPLY_KINDS, required=True, readonly=True)
    picking_id = fields.Many2one("stock.picking", string="Receipt", readonly=True)
    date = fields.Datetime(string="Expected On", readonly=True)
    qty_on_hand = fields.Float(string="On Hand", digits="Product Unit", readonly=True)
    qty_reserved = fields.Float(string="Reserved", digits="Product Unit", readonly=True)
    qty_available = fields.Float(
        string="Free / Expected", digits="Product Unit", readonly=True
    )
    qty_planned = fields.Float(
        string="Planned for Lines", digits="Product Unit", readonly=True
    )
    qty_allocated = fields.Float(
        string="Allocated",
        digits="Product Unit",
        compute="_compute_qty_allocated",
        help="Stock: what the run's lines will hold. Receipt: what the run plans from it.",
    )

    @api.depends("qty_planned", "allocation_id.line_ids.qty_allocated")
    def _compute_qty_allocated(self):
        totals = defaultdict(float)
        for line in self.allocation_id.line_ids:
            totals[line.allocation_id.id, line.product_id.id] += line.qty_allocated
        for supply in self:
            if supply.kind == "stock":
                supply.qty_allocated = totals[
                    supply.allocation_id.id, supply.product_id.id
                ]
            else:
                supply.qty_allocated = supply.qty_planned

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._("The supply of an allocation comes from its proposal.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(
                self.env._("The supply of an allocation comes from its proposal.")
            )
        return super().write(vals)
