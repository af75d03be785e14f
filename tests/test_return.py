import logging
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestReturn(OrderDeskCase):
    """Return requests from the request to the refund or the exchange."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.order_desk_return_days = 30
        cls.tax = cls.env["account.tax"].create(
            {"name": "OD VAT 10%", "amount": 10.0, "type_tax_use": "sale"}
        )
        cls.defect = cls.env.ref("order_desk.return_reason_defect")
        cls.wrong_item = cls.env.ref("order_desk.return_reason_wrong_item")
        cls.stock_location = cls.warehouse.lot_stock_id

    def _delivered_order(self, qty=3, invoice=True, product=None):
        product = product or self.product
        order = self._order(
            lines=[
                (
                    product,
                    qty,
                    {"discount": 10.0, "tax_ids": [Command.set(self.tax.ids)]},
                )
            ]
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        picking = self._deliveries(order)
        self._validate(picking)
        if invoice:
            order._create_invoices().action_post()
        return order, picking

    def _on_hand(self, product, lot=None):
        return self.env["stock.quant"]._get_available_quantity(
            product, self.stock_location, lot_id=lot, strict=bool(lot)
        ) + sum(
            self.env["stock.quant"]
            ._gather(product, self.stock_location, lot_id=lot, strict=bool(lot))
            .mapped("reserved_quantity")
        )

    def _receive(self, ret):
        for receipt in ret.return_picking_ids:
            self._validate(receipt)

    def test_refund_life_cycle(self):
        order, picking = self._delivered_order(qty=3)
        on_hand = self._on_hand(self.product)
        action = picking.with_user(self.clerk).action_desk_new_return()
        with Form(
            self.env["order.desk.return"]
            .with_user(self.clerk)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(len(form.line_ids), 1, "the delivery's lines are proposed")
            with form.line_ids.edit(0) as line:
                self.assertEqual(line.quantity, 3.0)
                line.quantity = 2.0
                line.reason_id = self.defect
        ret = form.record
        self.assertTrue(ret.name.startswith("RMA/"))
        self.assertEqual(ret.partner_id, self.customer)
        self.assertEqual(ret.line_ids.outcome, "refund", "the reason's default outcome")

        ret.action_submit()
        self.assertEqual(ret.state, "to_approve")
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")
        receipt = ret.return_picking_ids
        self.assertEqual(receipt.picking_type_code, "incoming")
        self.assertEqual(
            receipt.return_id, picking, "Odoo's own return of the delivery"
        )
        self.assertEqual(receipt.move_ids.product_uom_qty, 2.0)
        self.assertEqual(receipt.move_ids.sale_line_id, order.order_line)

        self._receive(ret)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.line_ids.qty_received, 2.0)
        self.assertEqual(self._on_hand(self.product), on_hand + 2, "back in stock")
        self.assertEqual(order.order_line.qty_delivered, 1.0)

        ret.with_user(self.clerk).action_create_refund()
        refund = ret.refund_move_ids
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.invoice_line_ids.quantity, 2.0)
        self.assertEqual(refund.invoice_line_ids.discount, 10.0)
        self.assertAlmostEqual(refund.amount_untaxed, 180.0)
        self.assertAlmostEqual(refund.amount_total, 198.0)
        self.assertEqual(ret.state, "done")

    def test_exchange_life_cycle(self):
        order, picking = self._delivered_order(qty=2)
        ret = self._desk_return(order, picking, 1.0, reason=self.wrong_item)
        self.assertEqual(ret.line_ids.outcome, "exchange")
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        self.assertEqual(order.order_line.qty_delivered, 1.0)
        with self.assertRaisesRegex(UserError, "Exchanges are shipped for received"):
            self._desk_return(order, picking, 1.0).action_create_exchange()
        ret.action_create_exchange()
        exchange = ret.exchange_picking_ids
        self.assertEqual(len(exchange), 1)
        self.assertEqual(exchange.sale_id, order)
        self.assertEqual(exchange.move_ids.product_uom_qty, 1.0)
        self.assertEqual(ret.state, "done")
        self.assertFalse(ret.refund_move_ids)
        self._validate(exchange)
        self.assertEqual(order.order_line.qty_delivered, 2.0, "the customer keeps two")

    def test_customer_status_after_exchange(self):
        """Returned goods replaced by an exchange: the order was shipped in full and is
        delivered again once the replacement is; never "partially shipped", never "the
        rest follows"."""
        order, picking = self._delivered_order(qty=2, invoice=False)
        picking.with_user(self.clerk).action_desk_confirm_delivered()
        ret = self._desk_return(order, picking, 1.0, reason=self.wrong_item)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        ret.action_create_exchange()
        exchange = ret.exchange_picking_ids
        data = order._desk_status_data(for_customer=True)
        steps = {step["key"]: step for step in data["steps"]}
        text = order._desk_customer_lines()
        self.assertEqual(steps["shipped"]["state"], "done", steps["shipped"])
        self.assertNotEqual(steps["delivered"]["state"], "done")
        details = "\n".join(steps["shipped"]["details"])
        self.assertNotIn("Partially shipped", details)
        self.assertIn(f"{exchange.name} is being prepared", details)
        self.assertIn(f"return {ret.name}", details)
        self.assertNotIn("The rest of the order follows", text)
        self.assertIn(f"{exchange.name} is being prepared", text)

        self._validate(exchange)
        exchange.with_user(self.clerk).action_desk_confirm_delivered()
        self.assertEqual(order.desk_shipping_state, "delivered")
        self.assertEqual(order.desk_shipped_percent, 100.0)
        steps = self._customer_steps(order)
        self.assertEqual(steps["delivered"]["state"], "done")
        self.assertIn(
            f"Replacement for the goods of return {ret.name}.",
            order._desk_customer_lines(),
        )

    def test_refunded_goods_are_not_to_ship(self):
        """Goods returned and refunded are no longer due: the order stays delivered and
        shipped in full (100 %, not 50 %)."""
        order, picking = self._delivered_order(qty=2, invoice=False)
        picking.with_user(self.clerk).action_desk_confirm_delivered()
        ret = self._desk_return(order, picking, 1.0)
        self.assertEqual(ret.line_ids.outcome, "refund")
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        self.assertEqual(order.order_line.qty_delivered, 1.0)
        self.assertEqual(order.desk_shipping_state, "delivered")
        self.assertEqual(order.desk_shipped_percent, 100.0)
        steps = self._customer_steps(order)
        self.assertEqual(steps["delivered"]["state"], "done")
        self.assertNotIn("follows", order._desk_customer_lines())

    def test_partial_returns_over_two_requests(self):
        order, picking = self._delivered_order(qty=3)
        first = self._desk_return(order, picking, 2.0)
        first.action_submit()
        second = self._desk_return(order, picking, 2.0)
        with self.assertRaisesRegex(UserError, "only 1 Units can still come back"):
            second.action_submit()
        second.line_ids.quantity = 1.0
        second.action_submit()
        first.with_user(self.manager).action_approve()
        self._receive(first)
        second.with_user(self.manager).action_approve()
        self._receive(second)
        self.assertEqual(order.order_line.qty_delivered, 0.0)
        third = self._desk_return(order, picking, 1.0)
        # One true sentence: not "only 0 can still come back".
        with self.assertRaisesRegex(
            UserError,
            r"Nothing more of .* can come back from .*: what it delivered has come back "
            r"or is already asked back\.$",
        ):
            third.action_submit()

    def test_refusals(self):
        order, picking = self._delivered_order(qty=2)
        too_many = self._desk_return(order, picking, 3.0)
        with self.assertRaisesRegex(UserError, "only 2 Units can still come back"):
            too_many.action_submit()
        self.assertEqual(too_many.state, "draft")

        other_order, _other_picking = self._delivered_order(qty=1)
        with self.assertRaisesRegex(ValidationError, "is not a product of order"):
            self.env["order.desk.return"].with_user(self.clerk).create(
                {
                    "order_id": order.id,
                    "picking_id": picking.id,
                    "line_ids": [
                        Command.create(
                            {
                                "sale_line_id": other_order.order_line.id,
                                "quantity": 1.0,
                                "reason_id": self.defect.id,
                            }
                        )
                    ],
                }
            )

        ret = self._desk_return(order, picking, 1.0)
        with self.assertRaisesRegex(
            UserError, "Only returns to approve can be approved"
        ):
            ret.with_user(self.manager).action_approve()
        ret.action_submit()
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).action_approve()
        with self.assertRaisesRegex(UserError, "reason for rejecting"):
            ret.with_user(self.manager).action_reject("  ")
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).action_reject("No")
        ret.with_user(self.manager).action_approve()
        with self.assertRaisesRegex(
            UserError, "Only returns to approve can be approved"
        ):
            ret.with_user(self.manager).action_approve()
        self.assertEqual(len(ret.return_picking_ids), 1, "one receipt, not two")
        with self.assertRaisesRegex(UserError, "submitted"):
            ret.write({"picking_id": False})
        with self.assertRaisesRegex(UserError, "Only draft or cancelled returns"):
            ret.with_user(self.manager).unlink()

    def test_delivery_and_customer_are_the_orders(self):
        order, picking = self._delivered_order(qty=2)
        stranger = self.env["res.partner"].create(
            {"name": "Xibei Supplies", "is_company": True}
        )
        other, other_picking = self._delivered_order(qty=1)
        Return = self.env["order.desk.return"].with_user(self.clerk)
        with self.assertRaisesRegex(ValidationError, "is not a delivery of order"):
            Return.create({"order_id": other.id, "picking_id": picking.id})
        with self.assertRaisesRegex(ValidationError, "is not the customer of order"):
            Return.create(
                {
                    "order_id": order.id,
                    "picking_id": picking.id,
                    "partner_id": stranger.id,
                }
            )
        ret = self._desk_return(order, picking, 1.0)
        refused = {
            "is not the customer of order": {"partner_id": stranger.id},
            "is not a delivery of order": {"picking_id": other_picking.id},
            # The lines are the first order's: the order does not change under them.
            "is not a product of order": {
                "order_id": other.id,
                "picking_id": other_picking.id,
            },
        }
        self._assert_writes_refused(ret, refused)
        buyer = self.env["res.partner"].create(
            {"name": "Li Wei", "parent_id": self.customer.id}
        )
        ret.write({"partner_id": buyer.id})  # a contact of the same customer
        ret.action_submit()
        self.assertEqual((ret.partner_id, ret.state), (buyer, "to_approve"))

    def test_line_does_not_join_a_submitted_return(self):
        order, picking = self._delivered_order(qty=3)
        submitted = self._desk_return(order, picking, 1.0, submit=True)
        draft = self._desk_return(order, picking, 1.0)
        with self.assertRaisesRegex(UserError, "is submitted"):
            draft.line_ids.write({"return_id": submitted.id})
        self.assertEqual(len(submitted.line_ids), 1)

    def test_access_token_is_the_systems(self):
        order, picking = self._delivered_order(qty=1)
        ret = self._desk_return(order, picking, 1.0)
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            ret.write({"access_token": "HACK"})
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            self.env["order.desk.return"].with_user(self.clerk).create(
                {"order_id": order.id, "picking_id": picking.id, "access_token": "X"}
            )
        token = ret._portal_ensure_token()  # the e-mailed link: drawn by the system
        self.assertTrue(token)
        self.assertNotEqual(token, "HACK")

    def test_reject_and_cancel(self):
        order, picking = self._delivered_order(qty=2)
        ret = self._desk_return(order, picking, 1.0)
        ret.action_submit()
        wizard = (
            self.env["order.desk.return.reject.wizard"]
            .with_user(self.manager)
            .with_context(active_model="order.desk.return", active_ids=ret.ids)
            .create({"reason": "Used goods are not taken back"})
        )
        wizard.action_confirm()
        self.assertEqual(ret.state, "rejected")
        self.assertEqual(ret.reject_reason, "Used goods are not taken back")
        ret.action_draft()
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        receipt = ret.return_picking_ids
        ret.action_cancel()
        self.assertEqual((ret.state, receipt.state), ("cancelled", "cancel"))
        # The quantities are free again.
        again = self._desk_return(order, picking, 2.0)
        again.action_submit()
        self.assertEqual(again.state, "to_approve")

    def test_return_window(self):
        with freeze_time(fields.Datetime.now() - timedelta(days=45)):
            order, picking = self._delivered_order(qty=2)
        ret = self._desk_return(order, picking, 1.0)
        self.assertTrue(ret.is_outside_window)
        with self.assertRaisesRegex(UserError, "return window closed"):
            ret.action_submit()
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).window_exception = True
        ret.with_user(self.manager).window_exception = True
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")
        self.company.order_desk_return_days = 0
        self.assertFalse(self._desk_return(order, picking, 1.0).is_outside_window)

    def test_window_runs_from_the_customers_receipt(self):
        """Goods left on 1 March and reached the customer on 25 March: with a 30-day
        window they may come back on 10 April. Without a known receipt the window runs from
        the shipping date."""
        with freeze_time("2026-03-01 10:00:00"):
            received, received_picking = self._delivered_order(qty=1, invoice=False)
            unknown, unknown_picking = self._delivered_order(qty=1, invoice=False)
        with freeze_time("2026-03-25 15:00:00"):
            received_picking.with_user(self.clerk).action_desk_confirm_delivered()
        with freeze_time("2026-04-10 09:00:00"):
            ret = self._desk_return(received, received_picking, 1.0)
            self.assertEqual(ret.return_deadline, fields.Date.to_date("2026-04-24"))
            ret.action_submit()
            self.assertEqual(ret.state, "to_approve")
            late = self._desk_return(unknown, unknown_picking, 1.0)
            self.assertEqual(late.return_deadline, fields.Date.to_date("2026-03-31"))
            with self.assertRaisesRegex(UserError, "return window closed"):
                late.action_submit()

    def test_refunded_return_agrees_with_the_invoices(self):
        """5 x 100 invoiced on ordered quantities; 2 come back and are refunded: what the
        customer returned and was refunded for is no longer due. Received and not refunded
        yet, the amounts do not agree."""
        self.product.invoice_policy = "order"
        order, picking = self._delivered_order(qty=5)
        self.assertTrue(order.desk_amounts_agree)
        ret = self._desk_return(order, picking, 2.0)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        self.assertFalse(order.desk_amounts_agree, "received, not refunded")
        self.assertAlmostEqual(order.desk_amount_expected, 3 * 99.0)
        ret.action_create_refund()
        self.env["account.move"].browse(ret.refund_move_ids.ids).action_post()
        self.assertAlmostEqual(order.desk_amount_invoiced, 3 * 99.0)
        self.assertAlmostEqual(order.desk_amount_expected, 3 * 99.0)
        self.assertTrue(order.desk_amounts_agree)
        disagreeing = self.env["sale.order"].search(
            [("state", "=", "sale"), ("desk_amounts_agree", "=", False)]
        )
        self.assertNotIn(order, disagreeing)

    def test_exchanged_goods_stay_due(self):
        self.product.invoice_policy = "order"
        order, picking = self._delivered_order(qty=2)
        ret = self._desk_return(order, picking, 1.0, reason=self.wrong_item)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        ret.action_create_exchange()
        self.assertAlmostEqual(order.desk_amount_expected, 2 * 99.0)
        self.assertTrue(order.desk_amounts_agree, "the customer keeps two")

    def test_serial_numbers(self):
        camera = self._create_product(
            "Camera", "CAM", 300.0, storable=True, tracking="serial"
        )
        lots = self.env["stock.lot"].create(
            [{"name": f"SN-{i}", "product_id": camera.id} for i in range(1, 4)]
        )
        for lot in lots:
            self.env["stock.quant"]._update_available_quantity(
                camera, self.stock_location, 1, lot_id=lot
            )
        order, picking = self._delivered_order(qty=2, product=camera)
        delivered = picking.move_line_ids.lot_id
        self.assertEqual(len(delivered), 2)
        kept = lots - delivered

        no_lot = self._desk_return(order, picking, 1.0)
        with self.assertRaisesRegex(UserError, "name the lot or serial"):
            no_lot.action_submit()
        wrong = self._desk_return(order, picking, 1.0, lot_id=kept.id)
        with self.assertRaisesRegex(UserError, "was not delivered"):
            wrong.action_submit()
        two = self._desk_return(order, picking, 2.0, lot_id=delivered[0].id)
        with self.assertRaisesRegex(UserError, "One line per serial number"):
            two.action_submit()

        ret = self._desk_return(order, picking, 1.0, lot_id=delivered[0].id)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.return_picking_ids.move_line_ids.lot_id, delivered[0])
        self._receive(ret)
        self.assertEqual(ret.state, "received")
        self.assertEqual(self._on_hand(camera, delivered[0]), 1.0)
        self.assertEqual(self._on_hand(camera, delivered[1]), 0.0)
        again = self._desk_return(order, picking, 1.0, lot_id=delivered[0].id)
        with self.assertRaisesRegex(UserError, "already come back"):
            again.action_submit()

    def test_damaged_goods_are_scrapped(self):
        self.product.invoice_policy = "delivery"
        order, picking = self._delivered_order(qty=2, invoice=False)
        on_hand = self._on_hand(self.product)
        ret = self._desk_return(order, picking, 2.0, condition="damaged")
        self.assertEqual(ret.line_ids.disposition, "scrap")
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.scrap_ids.state, "done")
        self.assertEqual(ret.scrap_ids.scrap_qty, 2.0)
        self.assertEqual(
            self._on_hand(self.product), on_hand, "received, then scrapped"
        )
        # Invoiced on delivered quantities and not invoiced yet: no credit note needed,
        # the invoice will count what the customer keeps (nothing).
        ret.action_create_refund()
        self.assertFalse(ret.refund_move_ids)
        self.assertEqual(ret.state, "done")
        self.assertEqual(order.order_line.qty_to_invoice, 0.0)

    def test_refund_waits_for_the_invoice_of_ordered_quantities(self):
        self.product.invoice_policy = "order"
        order, picking = self._delivered_order(qty=2, invoice=False)
        ret = self._desk_return(order, picking, 1.0)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        ret.action_create_refund()
        self.assertFalse(ret.refund_move_ids)
        self.assertEqual(ret.state, "received", "the ordered quantity will be invoiced")
        self.assertTrue(ret.has_refund_todo)
        order._create_invoices().action_post()
        ret.action_create_refund()
        self.assertEqual(ret.refund_move_ids.invoice_line_ids.quantity, 1.0)
        self.assertEqual(ret.state, "done")

    def test_analysis_and_documents(self):
        order, picking = self._delivered_order(qty=4)
        ret = self._desk_return(order, picking, 1.0)
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self._receive(ret)
        self.env.flush_all()
        rates = self.env["order.desk.return.rate"].search(
            [("product_id", "=", self.product.id)]
        )
        self.assertEqual(sum(rates.mapped("qty_delivered")), 4.0)
        self.assertEqual(sum(rates.mapped("qty_returned")), 1.0)
        self.assertAlmostEqual(rates.return_rate, 25.0)
        groups = self.env["order.desk.return.line"]._read_group(
            [("return_id", "=", ret.id)], ["reason_id"], ["quantity:sum"]
        )
        self.assertEqual(groups, [(self.defect, 1.0)])
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "order_desk.return_authorization", ret.ids
        )
        self.assertIn(ret.name, html.decode())
        self.assertIn("Quality defect", html.decode())

    def _count_submit(self, count):
        returns = self.env["order.desk.return"]
        for _index in range(count):
            order, picking = self._delivered_order(qty=2, invoice=False)
            returns |= self._desk_return(order, picking, 1.0)
        returns = returns.with_user(self.clerk)
        self.env.flush_all()
        self.env.invalidate_all()
        # Submitted an hour later: every request gets the same new date in one statement.
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            queries = self._desk_queries(returns.action_submit)
        self.assertEqual(set(returns.mapped("state")), {"to_approve"})
        return queries

    def test_submit_query_count_does_not_grow(self):
        self._set_stock(self.product, 500)
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._count_submit(2)  # warm-up
            small = self._count_submit(3)
            large = self._count_submit(12)
        _logger.info(
            "return submit: 3 returns %s queries, 12: %s", len(small), len(large)
        )
        self.assertSameQueries(small, large, "submit 3, then 12 returns")

    def test_submitted_return_no_longer_changes(self):
        order, picking = self._delivered_order(qty=3, invoice=False)
        ret = self._desk_return(order, picking, 1.0)
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            ret.write({"state": "approved"})
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            self.env["order.desk.return"].with_user(self.clerk).create(
                {"order_id": order.id, "picking_id": picking.id, "state": "received"}
            )
        ret.action_submit()
        line = ret.line_ids
        with self.assertRaisesRegex(UserError, "no longer change"):
            line.quantity = 3.0
        with self.assertRaisesRegex(UserError, "no longer change"):
            line.unlink()
        line.outcome = "exchange"  # still open until approval
        ret.with_user(self.manager).action_approve()
        with self.assertRaisesRegex(UserError, "no longer change"):
            line.outcome = "refund"
        line.disposition = "scrap"  # the inspection until receipt
        self.assertEqual((line.quantity, line.outcome), (1.0, "exchange"))
