from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..hooks import index_tracking_numbers, sync_shipping_states
from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestShippingState(OrderDeskCase):
    """The desk state follows the deliveries: ready, shipped, delivered, with partial
    deliveries, backorders and multi-step routes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lamp = cls._create_product("Desk Lamp", "LAMP", 40.0, storable=True)
        cls._set_stock(cls.lamp, 100)

    def test_one_step_ready_shipped_delivered(self):
        order = self._approved(qty=4)
        picking = self._deliveries(order)
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(order.desk_shipping_state, "waiting")
        self.assertFalse(picking.desk_prepared, "reserved is not yet picked")

        self._pick(picking)
        self.assertTrue(picking.desk_prepared)
        self.assertEqual(order.desk_shipping_state, "ready")
        self.assertEqual(order.desk_state, "ready")

        self._validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(order.desk_state, "shipped")
        self.assertEqual(order.desk_shipped_percent, 100.0)

        picking.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertTrue(picking.desk_delivered_date)
        self.assertEqual(picking.desk_tracking_status, "delivered")
        self.assertEqual(order.desk_state, "delivered")

    def test_partial_delivery_with_backorder(self):
        order = self._order(lines=[(self.product, 4, {}), (self.lamp, 10, {})])
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        first = self._deliveries(order)
        self._validate(first, {self.product: 4, self.lamp: 5}, backorder=True)

        backorder = self._deliveries(order) - first
        self.assertEqual(len(backorder), 1, "the rest waits in a backorder")
        self.assertEqual(order.desk_shipping_state, "partial")
        self.assertEqual(order.desk_state, "locked", "not shipped while goods remain")
        # Value-weighted: chairs worth 400 all shipped, lamps worth 400 half shipped.
        self.assertAlmostEqual(order.desk_shipped_percent, 75.0, places=2)

        first.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertEqual(order.desk_state, "locked", "the backorder has not left")

        self._validate(backorder)
        self.assertEqual(order.desk_state, "shipped")
        backorder.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertEqual(order.desk_state, "delivered")

    def test_partial_delivery_without_backorder_is_shipped(self):
        order = self._approved(qty=4)
        picking = self._deliveries(order)
        self._validate(picking, {self.product: 3}, backorder=False)
        self.assertEqual(self._deliveries(order), picking)
        self.assertEqual(order.desk_state, "shipped", "every delivery with goods left")
        self.assertAlmostEqual(order.desk_shipped_percent, 75.0, places=2)

    def test_two_step_route(self):
        self.warehouse.delivery_steps = "pick_ship"
        order = self._approved(qty=3)
        pick = order.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        self.assertTrue(pick, "the pick step comes first")
        self.assertEqual(order.desk_shipping_state, "waiting")

        self._validate(pick)
        out = self._deliveries(order)
        self.assertTrue(out)
        self.assertTrue(out.desk_prepared, "the goods wait in the output area")
        self.assertEqual(order.desk_state, "ready")

        self._validate(out)
        self.assertEqual(order.desk_state, "shipped")

    def test_unlocked_order_follows_only_goods_that_left(self):
        order = self._approved(qty=2)
        order.with_user(self.manager).action_desk_unlock("Customer changes the date")
        picking = self._deliveries(order)
        self._pick(picking)
        self.assertEqual(
            order.desk_state, "approved", "unlocked orders are not 'ready'"
        )
        self._validate(picking)
        self.assertEqual(order.desk_state, "shipped")

    def test_relock_of_a_prepared_order_is_ready(self):
        order = self._approved(qty=2)
        order.with_user(self.manager).action_desk_unlock("Wrong address")
        self._pick(self._deliveries(order))
        order.with_user(self.manager).action_desk_lock()
        self.assertEqual(order.desk_state, "ready")

    def test_shipped_order_stays_protected_and_cannot_be_unlocked(self):
        order, _picking = self._shipped(qty=1)
        self.assertEqual(order.desk_state, "shipped")
        with self.assertRaisesRegex(UserError, "Payment Terms"):
            order.with_user(self.manager).write({"payment_term_id": False})
        with self.assertRaisesRegex(UserError, "not yet shipped"):
            order.with_user(self.manager).action_desk_unlock("Too late")

    def test_confirm_delivered_refusals(self):
        order = self._approved(qty=1)
        picking = self._deliveries(order)
        with self.assertRaisesRegex(UserError, "have left"):
            picking.with_user(self.clerk).action_desk_confirm_delivered()
        self._validate(picking)
        with self.assertRaises(AccessError):
            picking.with_user(self.salesman).action_desk_confirm_delivered()
        picking.with_user(self.clerk).action_desk_confirm_delivered()
        first = picking.desk_delivered_date
        picking.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertEqual(
            picking.desk_delivered_date, first, "confirming twice is a no-op"
        )
        self.assertEqual(len(picking.desk_tracking_event_ids), 1)

    def test_shipping_notice_sent_once_with_tracking_numbers(self):
        order = self._approved(qty=1)
        picking = self._deliveries(order)
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "OD Express",
                "product_id": self._create_product("OD Shipping", "SHIP", 0.0).id,
            }
        )
        picking.carrier_id = carrier
        self._validate(picking)
        notices = picking.message_ids.filtered(
            lambda m: "has shipped" in (m.subject or "")
        )
        self.assertFalse(notices, "a carrier shipment waits for its tracking number")
        picking.carrier_tracking_ref = "SF1001, SF1002"
        self.assertEqual(
            picking.desk_tracking_number_ids.mapped("name"), ["SF1001", "SF1002"]
        )
        notices = picking.message_ids.filtered(
            lambda m: "has shipped" in (m.subject or "")
        )
        self.assertEqual(len(notices), 1)
        self.assertIn("SF1002", notices.body)
        self.assertIn(self.customer, notices.partner_ids)
        picking.carrier_tracking_ref = "SF1001"
        self.assertEqual(picking.desk_tracking_number_ids.mapped("name"), ["SF1001"])
        notices = picking.message_ids.filtered(
            lambda m: "has shipped" in (m.subject or "")
        )
        self.assertEqual(len(notices), 1, "the notice goes once")

    def test_install_and_upgrade_helpers(self):
        """What the install hook and the 19.0.1.1.0 migration do for existing data."""
        order, picking = self._shipped(qty=1, ref="OLD-1; OLD-2")
        # As a database from before shipping was tracked: approved, nothing indexed.
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE sale_order SET desk_state = 'approved' WHERE id = %s", order.id)
        )
        self.env.cr.execute(
            SQL(
                "DELETE FROM order_desk_tracking_number WHERE picking_id = %s",
                picking.id,
            )
        )
        self.env.invalidate_all()
        self.assertEqual(order.desk_state, "approved")
        self.assertFalse(picking.desk_tracking_number_ids)
        sync_shipping_states(self.env)
        index_tracking_numbers(self.env)
        index_tracking_numbers(self.env)  # running twice adds nothing
        self.assertEqual(order.desk_state, "shipped")
        self.assertEqual(
            sorted(picking.desk_tracking_number_ids.mapped("name")), ["OLD-1", "OLD-2"]
        )
        self.assertEqual(
            picking.desk_tracking_number_ids.company_id, picking.company_id
        )

    def test_delivery_flags_are_the_desks(self):
        _order, picking = self._shipped(qty=1)
        for vals in (
            {"desk_delivered_date": "2026-11-20 10:00:00"},
            {"desk_superseded": True},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(UserError, "set by the Order Desk"),
            ):
                picking.with_user(self.clerk).write(vals)
        self.assertFalse(picking.desk_delivered_date)
        picking.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertTrue(picking.desk_delivered_date)
