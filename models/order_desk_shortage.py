from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date, formatLang

USER_GROUP = "order_desk.group_order_desk_user"


class OrderDeskShortage(models.Model):
    """A product that will run short in a warehouse (库存预警): the approved demand due in
    the coming days against what is free and what the receipts bring by then. Kept up to
    date by a scheduled action, which gives the responsible buyer an activity."""

    _name = "order.desk.shortage"
    _description = "Order Desk Shortage Warning"
    _inherit = ["mail.thread", "mail.activity.mixin", "order.desk.field.guard"]
    _order = "date_short, qty_short desc, id"
    _check_company_auto = True
    _rec_name = "product_id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, index=True, readonly=True, check_company=True
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, readonly=True
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    date_short = fields.Date(
        string="Runs Short On",
        readonly=True,
        help="The day the first order cannot be served on time.",
    )
    horizon_date = fields.Date(string="Looked Until", readonly=True)
    qty_free = fields.Float(string="Free Now", digits="Product Unit", readonly=True)
    qty_incoming = fields.Float(string="Incoming", digits="Product Unit", readonly=True)
    qty_demand = fields.Float(
        string="Demand",
        digits="Product Unit",
        readonly=True,
        help="What the approved orders due by then still miss (not reserved).",
    )
    qty_short = fields.Float(
        string="Short",
        digits="Product Unit",
        readonly=True,
        help="What cannot be served on the promised day.",
    )
    order_ids = fields.Many2many(
        "sale.order",
        "order_desk_shortage_order_rel",
        "shortage_id",
        "order_id",
        string="Orders Hit",
        readonly=True,
    )
    order_count = fields.Integer(string="Orders", readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Buyer",
        readonly=True,
        help="The product's responsible, else the company's stock allocation manager.",
    )
    computed_date = fields.Datetime(string="Checked On", readonly=True)
    notified_qty = fields.Float(readonly=True, digits="Product Unit")
    notified_date = fields.Date(readonly=True)

    _product_warehouse_unique = models.Constraint(
        "UNIQUE(warehouse_id, product_id)",
        "One shortage warning per product and warehouse.",
    )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_replenish(self):
        """Put the shortages on Odoo's replenishment list and open it (clerk)."""
        self._desk_ensure_user()
        # sudo: the request only records a quantity to order on the replenishment list,
        # which clerks may not edit themselves; nothing is bought or moved here.
        orderpoints = (
            self.env["product.product"]
            .sudo()
            ._desk_request_replenishment(
                {
                    (shortage.product_id, shortage.warehouse_id): shortage.qty_short
                    for shortage in self
                }
            )
        )
        return orderpoints.with_env(self.env)._desk_action_open()

    def action_refresh(self):
        """Compute the warnings of the user's companies again now (clerk)."""
        self._desk_ensure_user()
        # sudo: the warnings are the system's computation; the user only asks for it now.
        self.sudo()._desk_detect(self.env.companies)
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.sale_order_action"
        )
        action["domain"] = [("id", "in", self.order_ids.ids)]
        action["context"] = {"create": False}
        return action

    def _desk_ensure_user(self):
        if not (self.env.su or self.env.user.has_group(USER_GROUP)):
            raise AccessError(self.env._("Only Order Desk users can do this."))

    # ------------------------------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_desk_detect_shortages(self):
        """Scheduled action: the shortage warnings of every company."""
        # Every company: the cron serves them all, and companies are few (bounded anyway).
        self._desk_detect(self.env["res.company"].search([], limit=1000))

    @api.model
    def _desk_detect(self, companies):
        """Bring the warnings of ``companies`` up to date: new shortages are created, the
        known ones updated, the solved ones removed; the buyer of each new or worse
        shortage gets an activity (never a second one while one is open)."""
        today = fields.Date.context_today(self)
        now = fields.Datetime.now()
        Allocation = self.env["order.desk.allocation"]
        found = {}
        warehouses = self.env["stock.warehouse"].search(
            [("company_id", "in", companies.ids)]
        )
        for warehouse in warehouses:
            company = warehouse.company_id
            horizon = today + timedelta(days=company.order_desk_shortage_days)
            data = Allocation._desk_collect(
                company, warehouse, None, None, horizon, take_back=False
            )
            for product, values in self._desk_simulate(data, today).items():
                found[warehouse.id, product.id] = {
                    "company_id": company.id,
                    "warehouse_id": warehouse.id,
                    "product_id": product.id,
                    "horizon_date": horizon,
                    "computed_date": now,
                    **values,
                }
        existing = self.search([("company_id", "in", companies.ids)])
        by_key = {(s.warehouse_id.id, s.product_id.id): s for s in existing}
        solved = existing.filtered(
            lambda s: (s.warehouse_id.id, s.product_id.id) not in found
        )
        solved.unlink()
        to_create = []
        for key, vals in found.items():
            shortage = by_key.get(key)
            if shortage:
                shortage.write(vals)
            else:
                to_create.append(vals)
        # The warnings are the system's computation: no creation note on each.
        created = self.with_context(mail_create_nolog=True).create(to_create)
        shortages = self.browse([by_key[key].id for key in found if key in by_key])
        (created | shortages)._desk_assign_buyers()
        (created | shortages)._desk_notify_buyers()
        return created | shortages

    @api.model
    def _desk_simulate(self, data, today):
        """Day by day per product: free stock and receipts in, unreserved demand out (the
        earliest promised first, urgent first on the same day). Returns the values of the
        products that cannot serve an order on its day."""
        needs = defaultdict(list)
        for sale_line, values in data["lines"].items():
            need = values["wanted"] - values["reserved"]
            if values["product"].uom_id.compare(need, 0.0) <= 0:
                continue
            day = max(values["due"].date(), today)
            order = sale_line.order_id
            needs[values["product"]].append(
                (day, order.priority != "1", order.date_order, order.id, need, order)
            )
        result = {}
        for product, demand in needs.items():
            uom = product.uom_id
            on_hand, reserved = data["stock"].get(product.id, (0.0, 0.0))
            free = max(on_hand - reserved, 0.0)
            receipts = sorted(
                (max(date.date(), today), quantity)
                for _picking, date, quantity in data["receipts"].get(product.id, [])
            )
            balance = free
            short = 0.0
            date_short = False
            hit = self.env["sale.order"]
            for day, _normal, _date, _id, need, order in sorted(
                demand, key=lambda entry: entry[:4]
            ):
                while receipts and receipts[0][0] <= day:
                    balance += receipts.pop(0)[1]
                served = min(max(balance, 0.0), need)
                balance -= served
                missing = need - served
                if uom.compare(missing, 0.0) > 0:
                    short += missing
                    hit |= order
                    date_short = date_short or day
            if date_short:
                result[product] = {
                    "date_short": date_short,
                    "qty_free": free,
                    "qty_incoming": sum(
                        quantity
                        for _picking, _date, quantity in data["receipts"].get(
                            product.id, []
                        )
                    ),
                    "qty_demand": sum(entry[4] for entry in demand),
                    "qty_short": short,
                    "order_ids": [fields.Command.set(hit.ids)],
                    "order_count": len(hit),
                }
        return result

    def _desk_assign_buyers(self):
        """The product's responsible in the company, else the company's allocation
        manager."""
        for company, shortages in self.grouped("company_id").items():
            fallback = company._order_desk_allocation_user()
            for user, group in shortages.grouped(
                lambda s, c=company, f=fallback: (
                    s.product_id.with_company(c).responsible_id.filtered(
                        lambda u, c=c: u.active and c in u.company_ids
                    )
                    or f
                )
            ).items():
                group.filtered(lambda s, u=user: s.user_id != u).write(
                    {"user_id": user.id}
                )

    def _desk_notify_buyers(self):
        """One activity per shortage for its buyer: created when the shortage is new or
        got worse since the buyer last heard of it, kept up to date while it is open
        (never a second one)."""
        todo = self.filtered(
            lambda s: (
                s.user_id
                and (
                    not s.notified_date
                    or s.date_short != s.notified_date
                    or s.product_id.uom_id.compare(s.qty_short, s.notified_qty)
                )
            )
        )
        opened = todo.filtered("activity_ids")
        for shortage in opened:
            shortage.activity_ids[:1].write(shortage._desk_activity_vals())
        worse = (todo - opened).filtered(
            lambda s: (
                not s.notified_date
                or s.date_short < s.notified_date
                or s.product_id.uom_id.compare(s.qty_short, s.notified_qty) > 0
            )
        )
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": shortage.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "user_id": shortage.user_id.id,
                    **shortage._desk_activity_vals(),
                }
                for shortage in worse
            ]
        )
        # What the buyer was last told (the better figures too, once the activity is done).
        for shortage in opened | worse:
            shortage.write(
                {
                    "notified_qty": shortage.qty_short,
                    "notified_date": shortage.date_short,
                }
            )

    def _desk_activity_vals(self):
        self.ensure_one()
        return {
            "date_deadline": max(
                fields.Date.context_today(self), self.date_short - timedelta(days=1)
            ),
            "summary": self.env._(
                "Replenish %(product)s: short on %(date)s",
                product=self.product_id.display_name,
                date=format_date(self.env, self.date_short),
            ),
            "note": Markup(
                "<p>%s</p><p><a href='/odoo/action-stock.action_orderpoint_replenish'>"
                "%s</a></p>"
            )
            % (
                self.env._(
                    "%(qty)s %(uom)s of %(product)s missing in %(warehouse)s for "
                    "%(count)s order(s) from %(date)s.",
                    qty=formatLang(self.env, self.qty_short, dp="Product Unit"),
                    uom=self.uom_id.name,
                    product=self.product_id.display_name,
                    warehouse=self.warehouse_id.name,
                    count=self.order_count,
                    date=format_date(self.env, self.date_short),
                ),
                self.env._("Open Replenishment"),
            ),
        }
