from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestPaid(OrderDeskCase):
    """Paid means money received: payments and bank statement lines matched with the
    order's invoices. Credit notes, reversals and write-off entries lower what is due; they
    pay nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.tax = cls.env["account.tax"].create(
            {"name": "OD VAT 10%", "amount": 10.0, "type_tax_use": "sale"}
        )
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.misc = cls.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.expense = cls.env["account.account"].search(
            [
                ("account_type", "=", "expense"),
                ("company_ids", "in", cls.company.ids),
            ],
            limit=1,
        )

    def _approved_order(self, qty=1, **vals):
        order = self._order(
            lines=[(self.product, qty, {"tax_ids": [Command.set(self.tax.ids)]})],
            **vals,
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        return order

    def _invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def _pay(self, invoice, amount=None, **vals):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount or invoice.amount_residual, **vals})
        )
        wizard.action_create_payments()

    @staticmethod
    def _receivable(moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _write_off(self, invoice, **vals):
        """A journal entry (no payment) clearing the invoice against an expense; ``vals``:
        more values of the entry."""
        entry = self.env["account.move"].create(
            {
                **vals,
                "move_type": "entry",
                "journal_id": self.misc.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self._receivable(invoice).account_id.id,
                            "partner_id": invoice.partner_id.id,
                            "credit": invoice.amount_total,
                        }
                    ),
                    Command.create(
                        {"account_id": self.expense.id, "debit": invoice.amount_total}
                    ),
                ],
            }
        )
        entry.action_post()
        (self._receivable(invoice) | self._receivable(entry)).reconcile()
        return entry

    def test_reversed_invoice_does_not_release_prepaid_goods(self):
        """The issue's case: 1 x 100 paid in advance, invoice posted, then fully reversed
        with Odoo's credit note. Nothing was paid: the goods stay."""
        order = self._approved_order(qty=1, desk_settlement_method="prepayment")
        picking = self._deliveries(order)
        invoice = self._invoice(order)
        with self.assertRaisesRegex(UserError, "paid in advance"):
            self._validate(picking)
        invoice._reverse_moves(
            [{"date": invoice.date, "invoice_date": invoice.invoice_date}], cancel=True
        )
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertFalse(order.desk_prepaid)
        self.assertEqual(order.desk_amount_paid, 0.0)
        self.assertEqual(order.desk_amount_invoiced, 0.0)
        with self.assertRaisesRegex(UserError, "paid in advance"):
            self._validate(picking)
        self.assertNotEqual(picking.state, "done")
        # Invoiced again and paid: the goods leave.
        self._pay(self._invoice(order))
        self.assertTrue(order.desk_prepaid)
        self._validate(picking)
        self.assertEqual(picking.state, "done")

    def test_credit_note_of_another_document_is_not_money(self):
        order = self._approved_order(qty=1)
        invoice = self._invoice(order)
        credit = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Goodwill",
                            "quantity": 1,
                            "price_unit": invoice.amount_total,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        credit.action_post()
        (self._receivable(invoice) | self._receivable(credit)).reconcile()
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(order.desk_amount_paid, 0.0)
        self.assertAlmostEqual(order.desk_amount_unpaid, invoice.amount_total)

    def test_credit_note_naming_a_payment_is_no_money(self):
        """An accountant can make a credit note name a payment (``origin_payment_id``):
        it is still a credit note, and what it settles is credited, not paid."""
        order = self._approved_order(qty=1, desk_settlement_method="prepayment")
        invoice = self._invoice(order)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 1.0,
                "journal_id": self.bank.id,
            }
        )
        credit = invoice._reverse_moves(
            [{"date": invoice.date, "invoice_date": invoice.invoice_date}]
        )
        credit.write({"origin_payment_id": payment.id})
        credit.action_post()
        (self._receivable(invoice) | self._receivable(credit)).filtered(
            lambda line: not line.reconciled
        ).reconcile()
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(order.desk_amount_paid, 0.0)
        self.assertFalse(order.desk_prepaid)
        self.assertFalse(order.desk_paid_date)

    def test_entry_naming_another_payment_is_no_money(self):
        """A hand-made entry naming an unrelated payment (or bank line) as its origin is
        not that payment's entry: it pays nothing."""
        order = self._approved_order(qty=1, desk_settlement_method="prepayment")
        invoice = self._invoice(order)
        other = self._invoice(self._approved_order(qty=1))
        self._pay(other, amount=1.0)
        payment = self.env["account.payment"].search(
            [("partner_id", "=", self.customer.id)], order="id desc", limit=1
        )
        self.assertTrue(payment.move_id)
        entry = self._write_off(invoice, origin_payment_id=payment.id)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(order.desk_amount_paid, 0.0)
        self.assertFalse(order.desk_prepaid)
        self.assertFalse(order.desk_paid_date)
        # Nor does a draft payment made to own it: no money was received.
        draft = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": invoice.amount_total,
                "journal_id": self.bank.id,
            }
        )
        draft.move_id = entry
        entry.origin_payment_id = draft
        self.assertEqual(draft.state, "draft")
        order._compute_desk_settlement_amounts()
        self.assertEqual(order.desk_amount_paid, 0.0)
        self.assertFalse(order.desk_prepaid)

    def test_payments_and_money_paid_back(self):
        order = self._approved_order(qty=2)
        invoice = self._invoice(order)
        self._pay(invoice, amount=50.0)
        self.assertAlmostEqual(order.desk_amount_paid, 50.0)
        self._pay(invoice)
        self.assertAlmostEqual(order.desk_amount_paid, 220.0)
        self.assertTrue(order.desk_prepaid)
        # 1 of 2 credited and paid back to the customer.
        refund = invoice._reverse_moves(
            [{"date": invoice.date, "invoice_date": invoice.invoice_date}]
        )
        refund.write(
            {
                "invoice_line_ids": [
                    Command.update(line.id, {"quantity": 1})
                    for line in refund.invoice_line_ids
                ]
            }
        )
        refund.action_post()
        self.assertAlmostEqual(order.desk_amount_invoiced, 110.0)
        self.assertAlmostEqual(
            order.desk_amount_paid, 220.0, msg="nothing paid back yet"
        )
        self._pay(refund)
        self.assertAlmostEqual(order.desk_amount_paid, 110.0)
        self.assertAlmostEqual(order.desk_amount_unpaid, 0.0)

    def test_write_offs(self):
        """A write-off booked with the payment counts with it; a write-off entry on its own
        is not money received."""
        with_payment = self._approved_order(qty=1)
        invoice = self._invoice(with_payment)
        self._pay(
            invoice,
            amount=invoice.amount_total - 5.0,
            payment_difference_handling="reconcile",
            writeoff_account_id=self.expense.id,
            writeoff_label="Bank fee",
        )
        self.assertAlmostEqual(with_payment.desk_amount_paid, invoice.amount_total)
        alone = self._approved_order(qty=1)
        invoice = self._invoice(alone)
        self._write_off(invoice)
        self.assertEqual(invoice.payment_state, "paid", "Odoo's own status says paid")
        self.assertEqual(alone.desk_amount_paid, 0.0)
        self.assertFalse(alone.desk_prepaid)

    def test_expiry_cron_releases_orders_without_money(self):
        with freeze_time("2026-05-04 08:00:00"):
            written_off = self._approved_order(qty=1)
            deposit = self._approved_order(qty=2)
        self._write_off(self._invoice(written_off))
        self._pay(self._invoice(deposit), amount=30.0)
        with freeze_time("2026-05-20 08:00:00"):
            self.env["sale.order"]._cron_desk_release_expired()
        self.assertTrue(
            written_off.desk_reservation_released, "a write-off pays nothing"
        )
        self.assertFalse(deposit.desk_reservation_released, "money was received")

    def test_cash_on_delivery_less_what_is_paid(self):
        order = self._approved_order(qty=3, desk_settlement_method="cod")
        picking = self._deliveries(order)
        self.assertAlmostEqual(picking.desk_cod_amount, 330.0)
        invoice = self._invoice(order)
        self.assertAlmostEqual(
            picking.desk_cod_amount, 330.0, "an invoice is not money"
        )
        self._pay(invoice, amount=100.0)
        self.assertAlmostEqual(picking.desk_cod_amount, 230.0)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "stock.report_deliveryslip", picking.ids
        )
        self.assertIn("230.00", html.decode())
        # 2 of 3 leave: the deposit was spent on them; the rest collects in full.
        self._validate(picking, {self.product: 2}, backorder=True)
        backorder = self._deliveries(order) - picking
        self.assertAlmostEqual(picking.desk_cod_amount, 120.0)
        self.assertAlmostEqual(backorder.desk_cod_amount, 110.0)
        self._pay(invoice)
        self.assertEqual(backorder.desk_cod_amount, 0.0, "paid in full")

    def test_settlement_check_batch_query_count(self):
        """The paid amounts of many orders are read in one query, not one per order."""

        def recompute(orders):
            orders.invalidate_recordset(["desk_amount_paid"])
            self.env.add_to_compute(orders._fields["desk_amount_paid"], orders)
            orders._recompute_recordset(["desk_amount_paid"])

        counts = []
        for size in (2, 2, 6):
            orders = self.env["sale.order"]
            for _index in range(size):
                order = self._approved_order(qty=1)
                self._pay(self._invoice(order))
                orders |= order
            self.env.flush_all()
            self.env.invalidate_all()
            counts.append(self._desk_queries(lambda o=orders: recompute(o)))
            self.assertTrue(all(orders.mapped("desk_prepaid")))
        self.assertSameQueries(counts[1], counts[2], "settlement of 2, then 6 orders")
