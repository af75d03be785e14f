from datetime import datetime

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestLock(OrderDeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.order_desk_reservation_days = 3
        cls.desk = cls._create_product("Standing Desk", "DESK", 500.0, storable=True)
        cls._set_stock(cls.desk, 5)
        cls.other_customer = cls.customer.copy({"name": "Xibei Supplies"})

    def _approved(self, qty=2, product=None, **vals):
        order = self._order(lines=[(product or self.desk, qty, {})], **vals)
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        return order

    def _reserved(self, order):
        moves = order.picking_ids.move_ids
        return sum(moves.mapped("quantity"))

    def test_approval_locks_and_reserves(self):
        with freeze_time("2026-05-04 08:00:00"):
            order = self._approved(qty=2)
        self.assertEqual(order.desk_state, "locked")
        self.assertTrue(order.locked)
        self.assertEqual(self._reserved(order), 2)
        self.assertEqual(order.desk_reservation_status, "reserved")
        self.assertEqual(order.desk_reservation_deadline, datetime(2026, 5, 7, 8, 0))

    def test_locked_order_refuses_changes_field_by_field(self):
        order = self._approved(qty=1)
        line = order.order_line
        other_term = self.env["account.payment.term"].create({"name": "OD 60 days"})
        pricelist = self.env["product.pricelist"].create({"name": "OD other"})
        warehouse_2 = self.env["stock.warehouse"].create(
            {"name": "WH 2", "code": "WH2"}
        )
        order_changes = {
            "Customer": {"partner_id": self.other_customer.id},
            "Invoice Address": {"partner_invoice_id": self.other_customer.id},
            "Delivery Address": {"partner_shipping_id": self.other_customer.id},
            "Pricelist": {"pricelist_id": pricelist.id},
            "Payment Terms": {"payment_term_id": other_term.id},
            "Warehouse": {"warehouse_id": warehouse_2.id},
            "Delivery Date": {"commitment_date": "2099-02-01 10:00:00"},
        }
        for label, vals in order_changes.items():
            with self.subTest(field=label), self.assertRaisesRegex(UserError, label):
                order.with_user(self.manager).write(vals)
        line_changes = {
            "Product": {"product_id": self.product.id},
            "Quantity": {"product_uom_qty": 3},
            "Unit Price": {"price_unit": 1.0},
            "Discount": {"discount": 50},
            "Taxes": {"tax_ids": [Command.clear()]},
        }
        for label, vals in line_changes.items():
            with self.subTest(field=label), self.assertRaisesRegex(UserError, label):
                line.with_user(self.clerk).write(vals)
        with self.assertRaisesRegex(UserError, "lines cannot be added"):
            order.with_user(self.clerk).write(
                {"order_line": [Command.create({"product_id": self.product.id})]}
            )
        # Removing a line: sale itself already refuses it on any confirmed order.
        with self.assertRaises(UserError):
            order.with_user(self.manager).write(
                {"order_line": [Command.unlink(line.id)]}
            )
        self.assertTrue(line.exists())
        # Notes, tags and internal fields stay editable.
        tag = self.env["crm.tag"].create({"name": "VIP"})
        order.with_user(self.clerk).write(
            {"note": "<p>Call before delivery</p>", "tag_ids": [Command.link(tag.id)]}
        )
        self.assertEqual(order.tag_ids, tag)
        self.assertEqual(line.product_uom_qty, 1)

    def test_lines_do_not_move_into_or_out_of_a_locked_order(self):
        locked = self._approved(qty=1)
        quotation = self._order(lines=[(self.desk, 2.0, {})])
        with self.assertRaisesRegex(UserError, "lines cannot be added"):
            quotation.order_line.with_user(self.clerk).write({"order_id": locked.id})
        with self.assertRaisesRegex(UserError, "cannot move to another order"):
            locked.order_line.with_user(self.clerk).write({"order_id": quotation.id})
        self.assertEqual(len(locked.order_line), 1)
        self.assertEqual(len(quotation.order_line), 1)

    def test_unlock_and_relock(self):
        order = self._approved(qty=2)
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).action_desk_unlock("change quantity")
        with self.assertRaisesRegex(UserError, "Give the reason for unlocking"):
            order.with_user(self.manager).action_desk_unlock("  ")
        self.assertEqual(order.desk_state, "locked")
        wizard = Form(
            self.env["order.desk.unlock.wizard"]
            .with_user(self.manager)
            .with_context(
                **order.with_user(self.manager).action_desk_open_unlock_wizard()[
                    "context"
                ]
            )
        )
        wizard.reason = "Customer adds one desk"
        wizard.save().action_confirm()
        self.assertEqual(order.desk_state, "approved")
        self.assertFalse(order.locked)
        self.assertIn(
            "Customer adds one desk", order.message_ids.sorted("id")[-1:].body
        )
        order.order_line.product_uom_qty = 3
        order.with_user(self.manager).action_desk_lock()
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(self._reserved(order), 3)
        with self.assertRaisesRegex(UserError, "Only approved orders can be locked"):
            order.with_user(self.manager).action_desk_lock()

    def test_relock_refused_when_a_blocking_rule_breaks(self):
        self._rule("payment_term")
        order = self._approved(qty=1)
        order.with_user(self.manager).action_desk_unlock("payment terms renegotiated")
        order.payment_term_id = False
        with self.assertRaisesRegex(UserError, "No payment term is set"):
            order.with_user(self.manager).action_desk_lock()
        self.assertEqual(order.desk_state, "approved")
        self.assertFalse(order.locked)

    def test_relock_counts_own_reservation(self):
        self._rule("stock")
        order = self._approved(qty=5)
        self.assertEqual(self._reserved(order), 5)
        order.with_user(self.manager).action_desk_unlock("check")
        order.with_user(self.manager).action_desk_lock()
        self.assertEqual(order.desk_state, "locked")

    def test_release_and_reserve_by_hand(self):
        order = self._approved(qty=2)
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).action_desk_release_reservation()
        order.with_user(self.manager).action_desk_release_reservation()
        self.assertEqual(self._reserved(order), 0)
        self.assertTrue(order.desk_reservation_released)
        self.assertEqual(order.state, "sale", "releasing never cancels the order")
        self.assertEqual(order.desk_state, "locked")
        order.with_user(self.clerk).action_desk_reserve()
        self.assertEqual(self._reserved(order), 2)
        self.assertFalse(order.desk_reservation_released)
        draft = self._order()
        with self.assertRaisesRegex(UserError, "Only locked orders reserve stock"):
            draft.with_user(self.clerk).action_desk_reserve()

    def test_expiry_cron(self):
        with freeze_time("2026-05-04 08:00:00"):
            expired = self._approved(qty=2)
            kept = self._approved(qty=1, commitment_date="2099-01-02 10:00:00")
        kept.desk_reservation_deadline = "2026-05-20 00:00:00"
        with freeze_time("2026-05-06 08:00:00"):
            self.env["sale.order"]._cron_desk_release_expired()
            self.assertEqual(self._reserved(expired), 2, "deadline not reached yet")
        with freeze_time("2026-05-08 08:00:00"):
            self.env["sale.order"]._cron_desk_release_expired()
        self.assertEqual(self._reserved(expired), 0)
        self.assertTrue(expired.desk_reservation_released)
        self.assertEqual(expired.state, "sale")
        self.assertEqual(self._reserved(kept), 1)
        activity = expired.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, expired.user_id)
        self.assertFalse(kept.activity_ids)

    def test_expiry_cron_skips_shipped_orders(self):
        with freeze_time("2026-05-04 08:00:00"):
            order = self._approved(qty=2)
        picking = order.picking_ids
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        with freeze_time("2026-05-10 08:00:00"):
            self.env["sale.order"]._cron_desk_release_expired()
        self.assertFalse(order.desk_reservation_released)

    def test_priority_under_shortage(self):
        # 5 desks for 3 orders of 3: the urgent one, then the earliest promised date.
        later = self._order(
            lines=[(self.desk, 3, {})], commitment_date="2099-03-01 10:00:00"
        )
        earlier = self._order(
            lines=[(self.desk, 3, {})], commitment_date="2099-02-01 10:00:00"
        )
        urgent = self._order(
            lines=[(self.desk, 3, {})],
            commitment_date="2099-04-01 10:00:00",
            priority="1",
        )
        orders = later | earlier | urgent
        orders.with_user(self.clerk).action_desk_submit()
        orders.with_user(self.manager).action_desk_approve()
        self.assertEqual(self._reserved(urgent), 3)
        self.assertEqual(self._reserved(earlier), 2)
        self.assertEqual(self._reserved(later), 0)
        self.assertEqual(urgent.picking_ids.priority, "1")
        self.assertEqual(
            [o.desk_reservation_status for o in (urgent, earlier, later)],
            ["reserved", "partial", "waiting"],
        )

    def test_two_step_delivery_reserves_the_pick(self):
        # Pick + ship: the goods leave the stock with the pick; the approval reserves it,
        # one order alone or in a batch, most urgent first.
        self.warehouse.delivery_steps = "pick_ship"
        alone = self._approved(qty=2)
        picks = alone.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        self.assertEqual(picks.move_ids.mapped("state"), ["assigned"])
        self.assertEqual(sum(picks.move_ids.mapped("quantity")), 2)
        self.assertEqual(alone.desk_reservation_status, "reserved")
        later = self._order(lines=[(self.desk, 2, {})])
        urgent = self._order(lines=[(self.desk, 2, {})], priority="1")
        (later | urgent).with_user(self.clerk).action_desk_submit()
        (later | urgent).with_user(self.manager).action_desk_approve()
        self.assertEqual(self._reserved_pick(urgent), 2)
        self.assertEqual(self._reserved_pick(later), 1)
        self.assertEqual(
            [o.desk_reservation_status for o in (urgent, later)],
            ["reserved", "partial"],
        )
        # Released (by hand, or when the hold expires): the pick gives the goods back.
        alone.with_user(self.manager).action_desk_release_reservation()
        self.assertEqual(picks.move_ids.quantity, 0)
        self.assertEqual(alone.desk_reservation_status, "waiting")

    def _reserved_pick(self, order):
        picks = order.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        return sum(picks.move_ids.mapped("quantity"))

    def _receipt(self, product, qty, date):
        picking_type = self.warehouse.in_type_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
                "scheduled_date": date,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                            "date": date,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    @freeze_time("2026-05-04 08:00:00")
    def test_availability_numbers(self):
        # On hand 5; another order reserves 2; 4 arrive on 05/10 and 6 on 05/20.
        self._approved(qty=2)
        self._receipt(self.desk, 4, "2026-05-10 10:00:00")
        self._receipt(self.desk, 6, "2026-05-20 10:00:00")
        Wizard = self.env["order.desk.availability.wizard"].with_user(self.clerk)
        wizard = Wizard.create(
            {
                "product_id": self.desk.id,
                "quantity": 3,
                "warehouse_id": self.warehouse.id,
                "date_wanted": "2026-05-05",
            }
        )
        self.assertEqual(
            (
                wizard.qty_on_hand,
                wizard.qty_reserved,
                wizard.qty_free,
                wizard.qty_incoming,
            ),
            (5, 2, 3, 10),
        )
        self.assertTrue(wizard.can_promise)
        self.assertEqual(wizard.answer, "Yes: 3.00 can be promised for 05/05/2026.")
        wizard.quantity = 7
        self.assertFalse(wizard.can_promise)
        self.assertEqual(wizard.promise_date, fields.Date.to_date("2026-05-10"))
        self.assertEqual(
            wizard.answer,
            "Not by 05/05/2026: the earliest date is 05/10/2026, with the expected receipts.",
        )
        wizard.quantity = 20
        self.assertFalse(wizard.promise_date)
        self.assertEqual(wizard.qty_shortage, 7)
        self.assertEqual(
            wizard.answer, "No: 7.00 are missing even with every expected receipt."
        )
        # One click puts the shortage on the replenishment list.
        wizard.action_request_replenishment()
        orderpoint = self.env["stock.warehouse.orderpoint"].search(
            [
                ("product_id", "=", self.desk.id),
                ("warehouse_id", "=", self.warehouse.id),
            ]
        )
        self.assertEqual(orderpoint.trigger, "manual")
        self.assertEqual(orderpoint.qty_to_order_manual, 17)

    @freeze_time("2026-05-04 08:00:00")
    def test_order_line_availability_and_replenishment(self):
        self._approved(qty=4)
        self._receipt(self.desk, 2, "2026-05-12 10:00:00")
        order = self._order(lines=[(self.desk, 3, {})])
        line = order.order_line
        self.assertEqual(
            (
                line.desk_qty_on_hand,
                line.desk_qty_reserved_other,
                line.desk_qty_free,
                line.desk_qty_incoming,
                line.desk_qty_shortage,
            ),
            (5, 4, 1, 2, 2),
        )
        self.assertEqual(line.desk_incoming_date, fields.Date.to_date("2026-05-12"))
        line.with_user(self.clerk).action_desk_replenish()
        orderpoint = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "=", self.desk.id)]
        )
        self.assertEqual(orderpoint.qty_to_order_manual, 2)
        self.assertIn(
            "Replenishment requested", order.message_ids.sorted("id")[-1:].body
        )
        with self.assertRaisesRegex(UserError, "no shortage"):
            self._order().order_line.with_user(self.clerk).action_desk_replenish()

    def test_availability_wizard_refuses_bad_quantity(self):
        with self.assertRaisesRegex(UserError, "must be positive"):
            self.env["order.desk.availability.wizard"].with_user(self.clerk).create(
                {
                    "product_id": self.desk.id,
                    "quantity": 0,
                    "warehouse_id": self.warehouse.id,
                }
            )

    def test_deadline_setting(self):
        self.company.order_desk_reservation_days = 0
        order = self._approved(qty=1)
        self.assertFalse(order.desk_reservation_deadline)
        self.env["sale.order"]._cron_desk_release_expired()
        self.assertFalse(order.desk_reservation_released, "no deadline, never released")
