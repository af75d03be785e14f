import gc
import logging
from datetime import datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


class AllocationCase(OrderDeskCase):
    """Orders approved while the lamp was out of stock (nothing reserved), then stock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lamp = cls._create_product("Desk Lamp", "LAMP", 50.0, storable=True)
        cls.rank_a = cls._partner("Xinan Distribution", "a")
        cls.rank_b = cls._partner("Donghai Retail", "b")
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.supplier = cls.env.ref("stock.stock_location_suppliers")

    @classmethod
    def _partner(cls, name, rank, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "desk_rank": rank,
                "email": f"{rank}@dealer.test",
                "phone": "+86 21 5555 0000",
                "street": "1 Road",
                "city": "Shanghai",
                "country_id": cls.country.id,
                **vals,
            }
        )

    def _locked(self, qty, partner=None, date="2099-01-10", urgent=False, **vals):
        order = self._order(
            partner=partner,
            lines=[(vals.pop("product", self.lamp), qty, {})],
            commitment_date=f"{date} 10:00:00",
            priority="1" if urgent else "0",
            **vals,
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "locked")
        return order

    def _held(self, order):
        moves = order.order_line.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        return sum(moves.move_line_ids.mapped("quantity_product_uom"))

    def _run(self, propose=True, **vals):
        allocation = (
            self.env["order.desk.allocation"]
            .with_user(self.manager)
            .create(
                {
                    "warehouse_id": self.warehouse.id,
                    "product_ids": [Command.set([self.lamp.id])],
                    "date_to": "2099-12-31",
                    **vals,
                }
            )
        )
        if propose:
            allocation.action_propose()
        return allocation

    def _lines(self, allocation):
        return {line.order_id: line for line in allocation.line_ids}

    def _results(self, allocation, *fields_):
        fields_ = fields_ or ("qty_allocated", "qty_short")
        return {
            order: tuple(line[name] for name in fields_)
            for order, line in self._lines(allocation).items()
        }

    def _receipt(self, quantity, days, product=None):
        date = fields.Datetime.now() + timedelta(days=days)
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.supplier.id,
                "location_dest_id": self.stock_location.id,
                "scheduled_date": date,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": (product or self.lamp).id,
                            "product_uom_qty": quantity,
                            "location_id": self.supplier.id,
                            "location_dest_id": self.stock_location.id,
                            "date": date,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking


@tagged("post_install", "-at_install")
class TestAllocationStrategies(AllocationCase):
    """Hand-computed proposals for each strategy, then applied."""

    def test_by_priority_with_the_default_criteria(self):
        # Urgent first, then rank A, B, C, then the earliest promised date.
        o1 = self._locked(4, date="2099-01-05")
        o2 = self._locked(5, self.rank_a, date="2099-01-10")
        o3 = self._locked(3, date="2099-01-20", urgent=True)
        o4 = self._locked(4, self.rank_b, date="2099-01-01")
        self._set_stock(self.lamp, 10)
        run = self._run()
        self.assertEqual(run.state, "proposed")
        self.assertEqual(
            self._results(run),
            {o3: (3, 0), o2: (5, 0), o4: (2, 2), o1: (0, 4)},
        )
        self.assertEqual(run.line_ids.sorted("sequence").order_id, o3 | o2 | o4 | o1)
        run.action_apply()
        self.assertEqual(run.state, "applied")
        self.assertEqual(
            [self._held(o) for o in (o1, o2, o3, o4)], [0.0, 5.0, 3.0, 2.0]
        )
        self.assertEqual(o4.desk_reservation_status, "partial")
        note = o4.message_ids.filtered(lambda m: run.name in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("held 0.00, now 2.00", note.body)
        self.assertIn("2.00 still short", note.body)
        self.assertFalse(o1.message_ids.filtered(lambda m: run.name in (m.body or "")))

    def test_by_priority_with_the_criteria_reordered(self):
        o1 = self._locked(4, date="2099-01-05")
        o2 = self._locked(5, self.rank_a, date="2099-01-10")
        o3 = self._locked(3, date="2099-01-20", urgent=True)
        o4 = self._locked(4, self.rank_b, date="2099-01-01")
        self._set_stock(self.lamp, 10)
        run = self._run(
            propose=False,
            criterion_ids=[Command.create({"sequence": 1, "criterion": "promised"})],
        )
        run.action_propose()
        self.assertEqual(
            self._results(run),
            {o4: (4, 0), o1: (4, 0), o2: (2, 3), o3: (0, 3)},
        )
        # Urgent before the date: the manager reorders the criteria of a draft.
        run.action_draft()
        self.assertFalse(run.line_ids)
        run.criterion_ids = [Command.create({"sequence": 0, "criterion": "urgent"})]
        run.action_propose()
        self.assertEqual(
            self._results(run),
            {o3: (3, 0), o4: (4, 0), o1: (3, 1), o2: (0, 5)},
        )

    def test_fair_share_within_a_rank(self):
        x = self._locked(2, self.rank_a)
        a = self._locked(6)
        b = self._locked(4)
        c = self._locked(2)
        self._set_stock(self.lamp, 8)
        run = self._run(method="fair_share")
        # Rank A first (2), then 6 shared 6:4:2 among rank C.
        self.assertEqual(
            self._results(run), {x: (2, 0), a: (3, 3), b: (2, 2), c: (1, 1)}
        )
        run.action_apply()
        self.assertEqual([self._held(o) for o in (x, a, b, c)], [2.0, 3.0, 2.0, 1.0])

    def test_paid_first_then_within_credit(self):
        over = self._partner("Over Limit Co", "c", credit_limit=10.0)
        paid_customer = self._partner("Paid Co", "c")
        o_over = self._locked(3, over)
        o_credit = self._locked(3)
        o_paid = self._locked(3, paid_customer)
        invoice = o_paid._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({}).action_create_payments()
        self._set_stock(self.lamp, 5)
        run = self._run(
            criterion_ids=[Command.create({"sequence": 1, "criterion": "settlement"})]
        )
        self.assertEqual(
            self._results(run, "settlement_class", "qty_allocated"),
            {o_paid: ("paid", 3), o_credit: ("credit", 2), o_over: ("over", 0)},
        )

    def test_take_back_from_lower_ranked_orders(self):
        self._set_stock(self.lamp, 10)
        o1 = self._locked(6, date="2099-01-05")
        o2 = self._locked(4, date="2099-01-10")
        o3 = self._locked(5, self.rank_a, urgent=True)
        self.assertEqual([self._held(o) for o in (o1, o2, o3)], [6.0, 4.0, 0.0])
        # Without take-back the 10 held stay where they are.
        keep = self._run()
        self.assertEqual(self._results(keep), {o3: (0, 5)})
        keep.action_cancel()
        run = self._run(take_back=True)
        self.assertEqual(
            self._results(run, "qty_reserved", "qty_allocated", "qty_taken_back"),
            {o3: (0, 5, 0), o1: (6, 5, 1), o2: (4, 0, 4)},
        )
        self.assertIn("4.00 taken back", self._lines(run)[o2].note)
        run.action_apply()
        self.assertEqual([self._held(o) for o in (o1, o2, o3)], [5.0, 0.0, 5.0])
        quants = self.env["stock.quant"].search(
            [
                ("product_id", "=", self.lamp.id),
                ("location_id", "=", self.stock_location.id),
            ]
        )
        self.assertEqual(sum(quants.mapped("reserved_quantity")), 10.0)
        self.assertIn("taken back", o2.message_ids[0].body)

    def test_picked_goods_are_not_taken_back(self):
        self._set_stock(self.lamp, 4)
        o1 = self._locked(4)
        self._pick(self._deliveries(o1), {self.lamp: 3})
        o2 = self._locked(4, self.rank_a, urgent=True)
        run = self._run(take_back=True)
        self.assertEqual(self._results(run), {o2: (1, 3), o1: (3, 1)})
        run.action_apply()
        self.assertEqual([self._held(o) for o in (o1, o2)], [3.0, 1.0])

    def test_window_and_scope(self):
        soon = self._locked(2, date="2099-01-05")
        later = self._locked(2, date="2099-03-05")
        chair = self._locked(2, product=self.product)
        self._set_stock(self.lamp, 10)
        run = self._run(date_to="2099-01-31")
        self.assertEqual(run.line_ids.order_id, soon)
        run.action_draft()
        run.write({"date_to": "2099-12-31", "date_from": "2099-02-01"})
        run.action_propose()
        self.assertEqual(run.line_ids.order_id, later)
        # Every product with demand when none is chosen; the chair's order holds its stock.
        everything = self._run(product_ids=[Command.clear()])
        self.assertEqual(everything.line_ids.order_id, soon | later)
        self.assertFalse(chair & everything.line_ids.order_id)
        by_category = self._run(
            product_ids=[Command.clear()],
            categ_ids=[Command.set(self.lamp.categ_id.ids)],
        )
        self.assertEqual(by_category.line_ids.order_id, soon | later)


@tagged("post_install", "-at_install")
class TestAllocationReceipts(AllocationCase):
    """Incoming receipts: planned, dates promised, customers told; and the proposal
    prepared when a receipt is validated."""

    def _soon(self, days):
        return (fields.Date.today() + timedelta(days=days)).isoformat()

    def test_served_from_a_later_receipt(self):
        self.env.company.order_desk_notify_customer = True
        o1 = self._locked(4, date=self._soon(3))
        o2 = self._locked(3, date=self._soon(4), client_order_ref="PO-O2")
        self._set_stock(self.lamp, 2)
        receipt = self._receipt(5, days=10)
        receipt_date = receipt.move_ids.date
        run = self._run()
        self.assertEqual(
            self._results(run, "qty_allocated", "qty_incoming", "qty_short"),
            {o1: (2, 2, 0), o2: (0, 3, 0)},
        )
        lines = self._lines(run)
        self.assertEqual(lines[o1].receipt_id, receipt)
        self.assertEqual(lines[o1].receipt_date, receipt_date)
        self.assertTrue(lines[o1].date_moved)
        supply = run.supply_ids.filtered(lambda s: s.kind == "receipt")
        self.assertEqual((supply.picking_id, supply.qty_planned), (receipt, 5.0))
        run.action_apply()
        self.assertEqual(o1.order_line.desk_promised_date, receipt_date)
        self.assertEqual(
            o1.order_line.desk_previous_promised_date,
            datetime.combine(fields.Date.today() + timedelta(days=3), time(10, 0)),
        )
        self.assertEqual(o2.order_line.desk_promised_date, receipt_date)
        self.assertEqual(o1.order_line._desk_due_date(), receipt_date)
        self.assertEqual(self._deliveries(o1).desk_expected_date, receipt_date)
        mail = o2.message_ids.filtered(
            lambda m: m.subject and "new delivery date" in m.subject
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("PO-O2", mail.body)
        self.assertIn("previously", mail.body)
        self.assertEqual(mail.partner_ids, o2.partner_id)
        # A later run that serves o1 from stock brings its date back to the order's.
        self._set_stock(self.lamp, 2)
        again = self._run()
        self.assertEqual(self._results(again), {o1: (4, 0), o2: (0, 0)})
        again.action_apply()
        self.assertFalse(o1.order_line.desk_promised_date)
        self.assertEqual(o1.order_line.desk_previous_promised_date, receipt_date)

    def test_customer_told_in_their_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.rank_b.lang = "zh_CN"
        template = self.env.ref("order_desk.mail_template_desk_promise_moved")
        template.with_context(
            lang="zh_CN"
        ).subject = "{{ object.company_id.name }}: 订单 {{ object.name }} 交货日期变更"
        order = self._locked(3, self.rank_b, date=self._soon(2))
        self._receipt(3, days=10)
        self._run().action_apply()
        mail = order.message_ids.filtered(
            lambda m: m.subject and "交货日期变更" in m.subject
        )
        self.assertEqual(len(mail), 1)

    def test_proposal_prepared_after_a_receipt(self):
        self.env.company.order_desk_allocate_receipts = True
        self.env.company.order_desk_allocation_user_id = self.manager
        first = self._locked(3, date="2099-01-10")
        urgent = self._locked(4, self.rank_a, date="2099-01-20", urgent=True)
        receipt = self._receipt(5, days=2)
        self._validate(receipt)
        self.assertEqual(receipt.state, "done")
        # Not reserved first come, first served: a proposal waits for the manager.
        self.assertEqual([self._held(o) for o in (first, urgent)], [0.0, 0.0])
        run = self.env["order.desk.allocation"].search(
            [("receipt_ids", "in", receipt.ids)]
        )
        self.assertEqual(run.state, "proposed")
        self.assertEqual(self._results(run), {urgent: (4, 0), first: (1, 2)})
        self.assertEqual(run.activity_ids.user_id, self.manager)
        run.with_user(self.manager).action_apply()
        self.assertEqual([self._held(o) for o in (first, urgent)], [1.0, 4.0])
        # A second receipt replaces an open proposal with a new one.
        second = self._receipt(1, days=3)
        self._validate(second)
        newer = self.env["order.desk.allocation"].search(
            [("receipt_ids", "in", second.ids)]
        )
        self.assertEqual(self._results(newer), {first: (2, 1)})

    def test_receipts_reserve_as_usual_without_the_setting(self):
        order = self._locked(3)
        self._validate(self._receipt(5, days=1))
        self.assertEqual(self._held(order), 3.0)
        self.assertFalse(self.env["order.desk.allocation"].search([]))


@tagged("post_install", "-at_install")
class TestAllocationRefusals(AllocationCase):
    """Bad input is refused with a clear message and nothing changed."""

    def _state(self, orders):
        return (
            [self._held(o) for o in orders],
            orders.order_line.mapped("desk_promised_date"),
        )

    def test_stale_proposal_is_refused(self):
        o1 = self._locked(4)
        o2 = self._locked(4)
        self._set_stock(self.lamp, 6)
        run = self._run()
        # Stock moved since the proposal: a clerk reserves o2 by hand.
        o2.with_user(self.clerk).action_desk_reserve()
        before = self._state(o1 | o2)
        with self.assertRaisesRegex(UserError, "changed since .* nothing was applied"):
            run.action_apply()
        self.assertEqual(self._state(o1 | o2), before)
        self.assertEqual(run.state, "proposed")
        # A new receipt also makes it stale; a new proposal applies.
        run.action_propose()
        self._receipt(2, days=3)
        with self.assertRaisesRegex(UserError, "Desk Lamp"):
            run.action_apply()
        run.action_propose()
        run.action_apply()
        self.assertEqual(run.state, "applied")

    def test_manager_edits_within_bounds(self):
        o1 = self._locked(4)
        o2 = self._locked(4)
        self._set_stock(self.lamp, 5)
        run = self._run()
        lines = self._lines(run)
        self.assertEqual(self._results(run), {o1: (4, 0), o2: (1, 3)})
        with self.assertRaisesRegex(ValidationError, "only 5.00 is free"):
            lines[o2].with_user(self.manager).qty_allocated = 2
        with self.assertRaisesRegex(ValidationError, "only wants 4.00"):
            lines[o1].with_user(self.manager).qty_allocated = 5
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            lines[o1].with_user(self.manager).qty_allocated = -1
        with self.assertRaises(AccessError):
            lines[o1].with_user(self.clerk).qty_allocated = 2
        with self.assertRaisesRegex(UserError, "Only the allocated quantity"):
            lines[o1].with_user(self.manager).qty_wanted = 10
        with (
            Form(run.with_user(self.manager)) as form,
            form.line_ids.edit(0) as line,
        ):
            line.qty_allocated = 2
        lines[o2].with_user(self.manager).qty_allocated = 3
        self.assertEqual(self._results(run), {o1: (2, 2), o2: (3, 1)})
        run.action_apply()
        self.assertEqual([self._held(o) for o in (o1, o2)], [2.0, 3.0])
        with self.assertRaisesRegex(UserError, "not a proposal any more"):
            lines[o2].with_user(self.manager).qty_allocated = 2

    def test_without_take_back_a_line_keeps_what_it_holds(self):
        self._set_stock(self.lamp, 2)
        o1 = self._locked(4)
        self._set_stock(self.lamp, 2)
        run = self._run()
        self.assertEqual(
            self._results(run, "qty_reserved", "qty_allocated"), {o1: (2, 4)}
        )
        with self.assertRaisesRegex(ValidationError, "keeps at least 2.00"):
            self._lines(run)[o1].with_user(self.manager).qty_allocated = 1

    def test_other_company_refused(self):
        other = self.env["res.company"].create({"name": "OD Other Company"})
        foreign = self._create_product(
            "Foreign Lamp", "FLAMP", 10.0, storable=True, company_id=other.id
        )
        with self.assertRaises(UserError):
            self._run(product_ids=[Command.set([foreign.id])])
        other_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other.id)], limit=1
        )
        with self.assertRaises(UserError):
            self._run(warehouse_id=other_warehouse.id)
        self.assertFalse(self.env["order.desk.allocation"].search([]))

    def test_guards(self):
        Allocation = self.env["order.desk.allocation"]
        with self.assertRaises(AccessError):
            Allocation.with_user(self.clerk).create({"warehouse_id": self.warehouse.id})
        run = self._run(propose=False)
        with self.assertRaises(AccessError):
            run.with_user(self.clerk).action_propose()
        with self.assertRaisesRegex(UserError, "buttons only"):
            run.with_user(self.manager).write({"state": "applied"})
        with self.assertRaisesRegex(UserError, "buttons only"):
            run.with_user(self.manager).with_context(order_desk_state_write=True).write(
                {"state": "applied"}
            )
        with self.assertRaisesRegex(UserError, "buttons only"):
            Allocation.with_user(self.manager).with_context(
                order_desk_state_write=True
            ).create({"warehouse_id": self.warehouse.id, "state": "applied"})
        order = self._locked(1)
        with self.assertRaisesRegex(UserError, "come from its proposal"):
            self.env["order.desk.allocation.line"].with_user(self.manager).create(
                {
                    "allocation_id": run.id,
                    "sale_line_id": order.order_line.id,
                    "order_id": order.id,
                    "product_id": self.lamp.id,
                }
            )
        with self.assertRaisesRegex(UserError, "Only proposed allocations"):
            run.action_apply()
        run.action_propose()
        with self.assertRaisesRegex(UserError, "set it back to draft"):
            run.with_user(self.manager).date_to = "2099-06-30"
        with self.assertRaisesRegex(UserError, "set it back to draft"):
            run.criterion_ids[:1].with_user(self.manager).sequence = 50
        run.action_apply()
        with self.assertRaisesRegex(UserError, "Only draft or cancelled"):
            run.with_user(self.manager).unlink()
        # A customer's rank and the promise of a line are a manager's.
        contacts = new_test_user(
            self.env,
            login="od_contacts",
            groups="order_desk.group_order_desk_user,base.group_partner_manager",
        )
        with self.assertRaisesRegex(UserError, "Only an Order Desk manager"):
            self.customer.with_user(contacts).desk_rank = "a"
        self.customer.with_user(contacts).write({"desk_rank": "c", "phone": "1"})
        with self.assertRaisesRegex(UserError, "Only an Order Desk manager"):
            order.order_line.with_user(self.clerk).desk_promised_date = "2099-02-01"
        with self.assertRaisesRegex(UserError, "set by the Order Desk's own actions"):
            order.order_line.with_user(
                self.manager
            ).desk_previous_promised_date = "2099-02-01"


@tagged("post_install", "-at_install")
class TestAllocationQuota(AllocationCase):
    """Allocation runs serve no line beyond the customer's quota."""

    @freeze_time("2026-03-10 09:00:00")
    def test_quota_caps_what_a_line_gets(self):
        self.env["order.desk.quota"].create(
            {
                "partner_id": self.customer.id,
                "product_id": self.lamp.id,
                "period": "month",
                "date_start": "2026-03-01",
                "quantity": 5,
            }
        )
        o1 = self._locked(4, date="2026-03-20")
        o2 = self._locked(4, date="2026-03-21")
        o3 = self._locked(3, self.rank_b, date="2026-03-22")
        self._set_stock(self.lamp, 10)
        self._receipt(10, days=5)
        run = self._run(date_to="2026-04-30")
        # o2 may take 1 of its 4 (5 - 4 ordered before it); o3 has no quota.
        self.assertEqual(
            self._results(run, "qty_allocated", "qty_incoming", "qty_cap"),
            {o3: (3, 0, 0), o1: (4, 0, 4), o2: (1, 0, 1)},
        )
        self.assertIn("quota allows 1.00", self._lines(run)[o2].note)


@tagged("post_install", "-at_install")
class TestAllocationQueryCount(AllocationCase):
    """Proposing runs a number of queries that does not grow with the lines."""

    def _orders(self, count, products):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": (self.customer, self.rank_a, self.rank_b)[i % 3].id,
                    "payment_term_id": self.payment_term.id,
                    "commitment_date": f"2099-01-{1 + i % 28:02d} 10:00:00",
                    "priority": "1" if i % 5 == 0 else "0",
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": 1 + i % 3}
                        )
                        for product in products
                    ],
                }
                for i in range(count)
            ]
        )
        orders.action_desk_submit()
        orders.action_desk_approve()
        return orders

    def _propose_queries(self, count, method):
        products = self.env["product.product"].union(
            *(
                self._create_product(f"Lamp {count} {i}", False, 10.0, storable=True)
                for i in range(2)
            )
        )
        self._orders(count, products)
        for product in products:
            self._set_stock(product, count)
        run = self._run(
            propose=False,
            method=method,
            take_back=True,
            product_ids=[Command.set(products.ids)],
        )
        # Proposed once and back to draft, then counted: both sizes count the same path
        # (a run proposed before, its old proposal dropped).
        run.action_propose()
        run.action_draft()
        self.env.flush_all()
        self.env.invalidate_all()
        # Same starting point for both sizes: no leftover environments (their cached
        # companies depend on the garbage collector) and cold method caches.
        gc.collect()
        self.env.registry.clear_cache()
        before = self.cr.sql_log_count
        run.action_propose()
        self.env.flush_all()
        queries = self.cr.sql_log_count - before
        self.assertEqual(len(run.line_ids), count * len(products))
        return queries

    def test_propose_query_count_does_not_grow(self):
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            for method in ("sequential", "fair_share"):
                self._propose_queries(3, method)  # warm-up
                small = self._propose_queries(5, method)
                large = self._propose_queries(30, method)
                _logger.info(
                    "propose (%s): 10 lines %s queries, 60 lines %s queries",
                    method,
                    small,
                    large,
                )
                self.assertEqual(
                    large, small, f"{method}: 60 lines {large}, 10 lines {small}"
                )
