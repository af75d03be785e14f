from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestSettlement(OrderDeskCase):
    """Settlement method per order, prepayment before shipping, cash on delivery, and the
    check of ordered, delivered, invoiced and paid amounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax = cls.env["account.tax"].create(
            {"name": "OD VAT 10%", "amount": 10.0, "type_tax_use": "sale"}
        )
        cls._set_stock(cls.product, 100)

    def _approved_with_tax(self, qty=2, **vals):
        order = self._order(
            lines=[(self.product, qty, {"tax_ids": [Command.set(self.tax.ids)]})],
            **vals,
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        return order

    def _pay(self, invoices):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({})
        )
        wizard.action_create_payments()

    def test_method_follows_the_customer(self):
        self.assertEqual(self._order().desk_settlement_method, "on_account")
        self.customer.desk_settlement_method = "cod"
        order = self._order()
        self.assertEqual(order.desk_settlement_method, "cod")
        order.desk_settlement_method = "prepayment"
        self.assertEqual(order.desk_settlement_method, "prepayment")

    def test_installments_need_several_due_dates(self):
        with self.assertRaisesRegex(ValidationError, "several due dates"):
            self._order(desk_settlement_method="installments")
        split = self.env["account.payment.term"].create(
            {
                "name": "OD 50/50",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": 30}
                    ),
                ],
            }
        )
        order = self._order(
            desk_settlement_method="installments", payment_term_id=split.id
        )
        self.assertEqual(order.desk_settlement_method, "installments")

    def test_prepayment_blocks_shipping_until_paid(self):
        order = self._approved_with_tax(qty=2, desk_settlement_method="prepayment")
        picking = self._deliveries(order)
        with self.assertRaisesRegex(UserError, "paid in advance"):
            self._validate(picking)
        self.assertNotEqual(picking.state, "done")
        invoice = order._create_invoices()
        invoice.action_post()
        with self.assertRaisesRegex(UserError, "paid in advance"):
            self._validate(picking)
        self._pay(invoice)
        self.assertTrue(order.desk_prepaid)
        self._validate(picking)
        self.assertEqual(picking.state, "done")

    def test_manager_releases_shipping_before_payment(self):
        order = self._approved_with_tax(qty=1, desk_settlement_method="prepayment")
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).action_desk_release_prepayment("Good customer")
        with self.assertRaisesRegex(UserError, "reason"):
            order.with_user(self.manager).action_desk_release_prepayment(" ")
        wizard = (
            self.env["order.desk.prepayment.release.wizard"]
            .with_user(self.manager)
            .with_context(active_model="sale.order", active_ids=order.ids)
            .create({"reason": "Paid by bank transfer, not yet on the statement"})
        )
        wizard.action_confirm()
        self.assertTrue(order.desk_prepayment_released)
        picking = self._validate(self._deliveries(order))
        self.assertEqual(picking.state, "done")
        on_account = self._approved_with_tax(qty=1)
        with self.assertRaisesRegex(UserError, "paid in advance wait"):
            on_account.with_user(self.manager).action_desk_release_prepayment("x")

    def test_cash_on_delivery_amount_on_the_slip(self):
        order = self._approved_with_tax(qty=3, desk_settlement_method="cod")
        picking = self._deliveries(order)
        self.assertAlmostEqual(picking.desk_cod_amount, 330.0)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "stock.report_deliveryslip", picking.ids
        )
        self.assertIn("amount to collect", html.decode())
        self.assertIn("330.00", html.decode())
        self._validate(picking, {self.product: 2}, backorder=True)
        self.assertAlmostEqual(picking.desk_cod_amount, 220.0, msg="what left")
        plain = self._deliveries(self._approved_with_tax(qty=1))
        self.assertEqual(plain.desk_cod_amount, 0.0)

    def test_amounts_check(self):
        self.product.invoice_policy = "delivery"
        order = self._approved_with_tax(qty=2)
        self.assertEqual(order.desk_amount_expected, 0.0, "nothing delivered yet")
        self.assertTrue(order.desk_amounts_agree)
        self._validate(self._deliveries(order), {self.product: 1}, backorder=True)
        self.assertAlmostEqual(order.desk_amount_delivered, 110.0)
        self.assertAlmostEqual(order.desk_amount_to_invoice, 110.0)
        self.assertFalse(order.desk_amounts_agree)
        Order = self.env["sale.order"]
        disagreeing = [("state", "=", "sale"), ("desk_amounts_agree", "=", False)]
        self.assertIn(order, Order.search(disagreeing))
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertAlmostEqual(order.desk_amount_invoiced, 110.0)
        self.assertTrue(order.desk_amounts_agree)
        self.assertNotIn(order, Order.search(disagreeing))
        self.assertAlmostEqual(order.desk_amount_unpaid, 110.0)
        self._pay(invoice)
        self.assertAlmostEqual(order.desk_amount_paid, 110.0)
        self.assertAlmostEqual(order.desk_amount_unpaid, 0.0)
        self.assertAlmostEqual(order.amount_total, 220.0)

    def test_only_a_manager_releases_prepayment(self):
        order = self._approved_with_tax(qty=1, desk_settlement_method="prepayment")
        for user in (self.clerk, self.salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                order.with_user(user).write({"desk_prepayment_released": True})
        self.assertFalse(order.desk_prepayment_released)
        with self.assertRaisesRegex(UserError, "paid in advance"):
            self._validate(self._deliveries(order))
