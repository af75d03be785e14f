from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestIncident(OrderDeskCase):
    """Delivery incidents from opening to resolution, and what each resolution does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax = cls.env["account.tax"].create(
            {"name": "OD VAT 10%", "amount": 10.0, "type_tax_use": "sale"}
        )

    def _incident(self, user=None, **vals):
        values = {"incident_type": "lost", **vals}
        return (
            self.env["order.desk.incident"].with_user(user or self.clerk).create(values)
        )

    def _invoiced_shipped(self, qty=2):
        order = self._order(
            lines=[
                (
                    self.product,
                    qty,
                    {"discount": 10.0, "tax_ids": [Command.set(self.tax.ids)]},
                )
            ]
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        picking = self._deliveries(order)
        picking.carrier_tracking_ref = "LOST-1"
        self._validate(picking)
        invoice = order._create_invoices()
        invoice.action_post()
        return order, picking, invoice

    def test_open_defaults_and_notice(self):
        order, picking = self._shipped(qty=2)
        incident = self._incident(picking_id=picking.id, description="Parcel missing")
        self.assertTrue(incident.name.startswith("INC/"))
        self.assertEqual(incident.order_id, order, "the order comes from the delivery")
        self.assertEqual(incident.partner_id, self.customer)
        self.assertEqual(incident.state, "open")
        self.assertEqual(incident.line_ids.sale_line_id, order.order_line)
        self.assertEqual(incident.line_ids.quantity, 2.0)
        self.assertEqual(order.desk_open_incident_count, 1)
        self.assertEqual(picking.desk_open_incident_count, 1)
        notice = incident.message_ids.filtered(
            lambda m: "looking into" in (m.subject or "")
        )
        self.assertEqual(len(notice), 1)
        self.assertIn(self.customer, notice.partner_ids)

    def test_form_fills_order_from_delivery(self):
        _order, picking = self._shipped(qty=1)
        with Form(self.env["order.desk.incident"].with_user(self.clerk)) as form:
            form.incident_type = "damage"
            form.picking_id = picking
            self.assertEqual(form.order_id, picking.sale_id)
            self.assertEqual(form.partner_id, self.customer)

    def test_reship_through_procurement(self):
        order, picking = self._shipped(qty=2)
        incident = self._incident(picking_id=picking.id)
        incident.line_ids.quantity = 1.0
        incident.action_start()
        self.assertEqual(incident.state, "in_progress")
        incident.write({"resolution": "reship", "resolution_note": "Shipped again"})
        incident.action_resolve()
        self.assertEqual(incident.state, "resolved")
        self.assertEqual(incident.resolved_user_id, self.clerk)
        reship = incident.new_picking_ids
        self.assertEqual(len(reship), 1)
        self.assertEqual(reship.sale_id, order, "the new delivery belongs to the order")
        self.assertEqual(reship.move_ids.product_uom_qty, 1.0)
        self.assertEqual(reship.move_ids.desk_incident_id, incident)
        self.assertTrue(picking.desk_superseded)
        self.assertEqual(order.desk_shipping_state, "partial")

        self._validate(reship)
        line = order.order_line
        self.assertEqual(line.qty_delivered, 2.0, "a reshipment is not delivered twice")
        self.assertEqual(order.desk_state, "shipped")
        reship.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertEqual(
            order.desk_state, "delivered", "the lost delivery no longer holds the order"
        )
        resolved = incident.message_ids.filtered(
            lambda m: "is resolved" in (m.subject or "")
        )
        self.assertEqual(len(resolved), 1)

    def test_refund_at_invoiced_price(self):
        order, picking, invoice = self._invoiced_shipped(qty=2)
        incident = self._incident(picking_id=picking.id, incident_type="damage")
        incident.line_ids.quantity = 1.0
        incident.write({"resolution": "refund", "resolution_note": "One chair broken"})
        with self.assertRaisesRegex(AccessError, "refund or a compensation"):
            incident.with_user(self.clerk).action_resolve()
        self.assertEqual(incident.state, "open", "nothing half-written")
        incident.with_user(self.manager).action_resolve()
        refund = incident.refund_move_ids
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.invoice_line_ids.quantity, 1.0)
        self.assertEqual(refund.invoice_line_ids.discount, 10.0)
        self.assertAlmostEqual(refund.amount_untaxed, 90.0)
        self.assertAlmostEqual(refund.amount_total, 99.0)
        self.assertEqual(refund.invoice_line_ids.sale_line_ids, order.order_line)

    def test_refund_refused_beyond_invoiced(self):
        _order, picking = self._shipped(qty=2)
        incident = self._incident(
            picking_id=picking.id,
            resolution="refund",
            resolution_note="Not invoiced yet",
        )
        with self.assertRaisesRegex(UserError, "only 0.0 invoiced"):
            incident.with_user(self.manager).action_resolve()
        self.assertEqual(incident.state, "open")

    def test_compensation(self):
        _order, picking = self._shipped(qty=1)
        incident = self._incident(
            picking_id=picking.id,
            incident_type="delay",
            resolution="compensate",
            resolution_note="Voucher for the delay",
            compensation_amount=30.0,
        )
        incident.with_user(self.manager).action_resolve()
        credit = incident.refund_move_ids
        self.assertEqual(credit.move_type, "out_refund")
        self.assertAlmostEqual(credit.amount_total, 30.0)
        self.assertEqual(credit.partner_id, self.customer)

    def test_refusals(self):
        _order, picking = self._shipped(qty=1)
        incident = self._incident(picking_id=picking.id)
        with self.assertRaisesRegex(UserError, "Choose how"):
            incident.action_resolve()
        incident.resolution = "none"
        with self.assertRaisesRegex(UserError, "resolution note"):
            incident.action_resolve()
        incident.resolution_note = "   "
        with self.assertRaisesRegex(UserError, "resolution note"):
            incident.action_resolve()
        with self.assertRaises(AccessError):
            incident.with_user(self.salesman).action_start()
        incident.resolution_note = "Found at the neighbour's"
        incident.action_resolve()
        with self.assertRaisesRegex(UserError, "Only open incidents can be resolved"):
            incident.action_resolve()
        with self.assertRaisesRegex(UserError, "Only open incidents can be started"):
            incident.action_start()
        with self.assertRaisesRegex(
            UserError, "Only cancelled incidents can be deleted"
        ):
            incident.with_user(self.manager).unlink()

    def test_reship_needs_goods(self):
        incident = self._incident(incident_type="complaint", description="Rude courier")
        incident.write({"resolution": "reship", "resolution_note": "?"})
        with self.assertRaisesRegex(UserError, "list the goods affected"):
            incident.action_resolve()

    def test_line_must_belong_to_the_order(self):
        _order, picking = self._shipped(qty=1)
        other, _other_picking = self._shipped(qty=1, ref="SF0002")
        incident = self._incident(picking_id=picking.id)
        with self.assertRaisesRegex(ValidationError, "not a line of its order"):
            incident.line_ids.sale_line_id = other.order_line

    def test_delivery_is_one_of_the_orders(self):
        order, picking = self._shipped(qty=1)
        other, other_picking = self._shipped(qty=1, ref="SF0002")
        # The tester's call: another order's delivery, to be reshipped by a manager.
        with self.assertRaisesRegex(ValidationError, "is not a delivery of order"):
            self._incident(
                order_id=order.id,
                picking_id=other_picking.id,
                resolution="reship",
                line_ids=[
                    Command.create({"sale_line_id": order.order_line.id, "quantity": 1})
                ],
            )
        incident = self._incident(picking_id=picking.id)
        refused = {
            "is not a delivery of order": {"picking_id": other_picking.id},
            # The lines are the first order's: the order does not change under them.
            "not a line of its order": {
                "order_id": other.id,
                "picking_id": other_picking.id,
            },
        }
        self._assert_writes_refused(incident, refused)
        incident.line_ids.unlink()
        with (
            self.assertRaisesRegex(ValidationError, "the incident is about that order"),
            self.env.cr.savepoint(),
        ):
            incident.write({"order_id": False})
        self.assertEqual((incident.order_id, incident.picking_id), (order, picking))
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
            }
        )
        with self.assertRaisesRegex(ValidationError, "not a delivery to a customer"):
            self._incident(picking_id=receipt.id)

    def test_customer_is_the_orders(self):
        order, picking = self._shipped(qty=1)
        stranger = self.env["res.partner"].create(
            {"name": "Xibei Supplies", "is_company": True, "email": "x@xibei.test"}
        )
        with self.assertRaisesRegex(ValidationError, "is not the customer of"):
            self._incident(
                order_id=order.id, partner_id=stranger.id, notify_customer=True
            )
        self.assertFalse(
            self.env["mail.message"].search([("partner_ids", "in", stranger.ids)])
        )
        incident = self._incident(picking_id=picking.id)
        with (
            self.assertRaisesRegex(ValidationError, "is not the customer of"),
            self.env.cr.savepoint(),
        ):
            incident.write({"partner_id": stranger.id})
        self.assertEqual(incident.partner_id, self.customer)
        buyer = self.env["res.partner"].create(
            {
                "name": "Li Wei",
                "parent_id": self.customer.id,
                "email": "li@huadong.test",
            }
        )
        incident.write({"partner_id": buyer.id})  # a contact of the same customer
        self.assertEqual(incident.partner_id, buyer)
        # Without order nor delivery, the incident is about whoever the clerk names.
        self.assertEqual(
            self._incident(
                incident_type="complaint", partner_id=stranger.id
            ).partner_id,
            stranger,
        )

    def test_line_does_not_join_a_closed_incident(self):
        _order, picking = self._shipped(qty=1)
        closed = self._incident(picking_id=picking.id)
        closed.write({"resolution": "none", "resolution_note": "Found"})
        closed.action_resolve()
        incident = self._incident(picking_id=picking.id)
        with self.assertRaisesRegex(UserError, "is closed"):
            incident.line_ids.write({"incident_id": closed.id})
        self.assertEqual(len(closed.line_ids), 1)

    def test_cancel_rights(self):
        _order, picking = self._shipped(qty=1)
        by_manager = self._incident(user=self.manager, picking_id=picking.id)
        self.assertFalse(by_manager.with_user(self.clerk).can_cancel)
        with self.assertRaisesRegex(AccessError, "somebody else opened"):
            by_manager.with_user(self.clerk).action_cancel()
        self.assertEqual(by_manager.state, "open")
        by_clerk = self._incident(picking_id=picking.id)
        self.assertTrue(by_clerk.can_cancel)
        by_clerk.action_cancel()
        self.assertEqual(by_clerk.state, "cancelled")
        by_manager.with_user(self.manager).action_cancel()
        self.assertEqual(by_manager.state, "cancelled")
        with self.assertRaises(AccessError):
            by_manager.with_user(self.clerk).action_reopen()
        by_manager.with_user(self.manager).action_reopen()
        self.assertEqual(by_manager.state, "open")
        by_clerk.with_user(self.manager).unlink()
        self.assertFalse(by_clerk.exists())

    def test_closed_incident_no_longer_changes(self):
        _order, picking = self._shipped(qty=1)
        incident = self._incident(picking_id=picking.id)
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            incident.write({"state": "resolved"})
        incident.write({"resolution": "none", "resolution_note": "Found"})
        incident.action_resolve()
        with self.assertRaisesRegex(UserError, "is closed"):
            incident.write({"resolution": "refund"})
        with self.assertRaisesRegex(UserError, "is closed"):
            incident.line_ids.quantity = 5.0
        incident.user_id = self.manager  # who follows it up may still change
        self.assertEqual(incident.resolution, "none")
