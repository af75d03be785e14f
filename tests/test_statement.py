import io
from datetime import date

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import QueryCountMixin


class StatementCase(QueryCountMixin, TransactionCase):
    """Customers with invoices, credit notes and payments, all built here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.accountant = new_test_user(
            cls.env,
            login="od_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.clerk = new_test_user(
            cls.env,
            login="od_st_clerk",
            groups="order_desk.group_order_desk_user",
            company_id=cls.company.id,
        )
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.eur = cls.env.ref("base.EUR")
        if cls.eur == cls.currency:
            cls.eur = cls.env.ref("base.USD")
        cls.eur.active = True
        cls.env["res.currency.rate"].create(
            {
                "name": "2026-01-01",
                "rate": 1.1,
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _customer(cls, name):
        return cls.env["res.partner"].create({"name": name, "email": f"{name}@st.test"})

    @classmethod
    def _invoice(cls, partner, amount, on, move_type="out_invoice", ref=False):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": on,
                "invoice_date_due": on,
                "date": on,
                "payment_reference": ref,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Goods",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _payment(cls, partner, amount, on, memo=False, currency=None):
        payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "date": on,
                "memo": memo,
                "journal_id": cls.bank.id,
                "currency_id": (currency or cls.currency).id,
            }
        )
        payment.action_post()
        return payment

    @staticmethod
    def _receivable(record):
        moves = record.move_id if record._name == "account.payment" else record
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _generate(self, date_from, date_to, partners=None, user=None, **options):
        wizard = (
            self.env["order.desk.reconcile.wizard"]
            .with_user(user or self.accountant)
            .create(
                {
                    "period": "custom",
                    "date_from": date_from,
                    "date_to": date_to,
                    "partner_ids": [
                        Command.set((partners or self.env["res.partner"]).ids)
                    ],
                    "auto_match": options.get("auto_match", False),
                    "send_email": options.get("send_email", False),
                }
            )
        )
        action = wizard.action_generate()
        return self.env["order.desk.statement"].search(action["domain"])


@tagged("post_install", "-at_install")
class TestStatement(StatementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Jiangnan Retail")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Jiangnan buyer", "parent_id": cls.customer.id, "type": "contact"}
        )
        # Before October: invoice 1,000 paid 400.
        cls.inv_sept = cls._invoice(cls.customer, 1000.0, "2026-09-10")
        cls.pay_sept = cls._payment(cls.customer, 400.0, "2026-09-20")
        (cls._receivable(cls.inv_sept) | cls._receivable(cls.pay_sept)).reconcile()
        # October: invoice 500 (to the contact), credit note 100, payment of 330 EUR (300).
        cls.inv_oct = cls._invoice(cls.contact, 500.0, "2026-10-05")
        cls.refund_oct = cls._invoice(cls.customer, 100.0, "2026-10-12", "out_refund")
        cls.pay_oct = cls._payment(cls.customer, 330.0, "2026-10-20", currency=cls.eur)
        # After October.
        cls.inv_nov = cls._invoice(cls.customer, 700.0, "2026-11-05")

    def test_balances_against_hand_figures(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.partner_id, self.customer)
        self.assertEqual(statement.state, "draft")
        self.assertAlmostEqual(statement.opening_balance, 600.0)
        self.assertAlmostEqual(statement.total_debit, 500.0)
        self.assertAlmostEqual(statement.total_credit, 400.0)
        self.assertAlmostEqual(statement.closing_balance, 700.0)
        lines = statement.line_ids
        self.assertEqual(
            lines.mapped("move_id"),
            self.inv_oct | self.refund_oct | self.pay_oct.move_id,
        )
        self.assertEqual(lines.mapped("balance"), [1100.0, 1000.0, 700.0])
        self.assertEqual(
            lines.mapped("entry_type"), ["invoice", "credit_note", "payment"]
        )
        eur_line = lines.filtered(lambda ln: ln.entry_type == "payment")
        self.assertEqual(
            (eur_line.currency_id, eur_line.amount_currency), (self.eur, -330.0)
        )
        self.assertFalse(any(lines.mapped("reconciled")))
        # Overdue at the end of October: 600 left of September's invoice (51 days), the
        # October invoice (26 days); credits are not overdue.
        self.assertAlmostEqual(statement.overdue_0_30, 500.0)
        self.assertAlmostEqual(statement.overdue_31_60, 600.0)
        self.assertAlmostEqual(statement.overdue_61_90 + statement.overdue_90_plus, 0.0)
        self.assertAlmostEqual(statement.overdue_total, 1100.0)

    def test_all_customers_with_balance_or_movement(self):
        idle = self._customer("Idle Customer")
        settled = self._customer("Settled Customer")
        self._invoice(settled, 50.0, "2026-08-01")
        self._payment(settled, 50.0, "2026-08-02")
        statements = self._generate(date(2026, 10, 1), date(2026, 10, 31))
        self.assertIn(self.customer, statements.partner_id)
        self.assertNotIn(idle, statements.partner_id)
        self.assertNotIn(settled, statements.partner_id, "zero balance, no movement")
        again = self._generate(date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(again, statements, "drafts are computed again, not duplicated")

    def test_frozen_statement_and_late_entries(self):
        october = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        october.with_user(self.accountant).action_send()
        self.assertEqual(october.state, "sent")
        october.with_user(self.accountant).action_confirm(note="Confirmed by phone")
        self.assertEqual(october.state, "confirmed")
        late = self._invoice(self.customer, 50.0, "2026-10-25")
        self.assertAlmostEqual(october.closing_balance, 700.0)
        self.assertEqual(len(october.line_ids), 3)
        with self.assertRaisesRegex(UserError, "Only draft statements are computed"):
            october.with_user(self.accountant).action_recompute()
        with self.assertRaisesRegex(UserError, "no longer changes"):
            october.line_ids[0].sudo().write({"debit": 1.0})
        with self.assertRaisesRegex(UserError, "no longer changes"):
            october.with_user(self.accountant).confirmation_note = "Changed later"
        self.assertEqual(
            self._receivable(self.inv_sept).desk_statement_id,
            october,
            "the opening's items are agreed too",
        )
        november = self._generate(date(2026, 11, 1), date(2026, 11, 30), self.customer)
        self.assertEqual(november.previous_statement_id, october)
        self.assertAlmostEqual(november.opening_balance, 700.0)
        first = november.line_ids[0]
        self.assertEqual((first.move_id, first.is_late), (late, True))
        self.assertEqual(november.line_ids[1].move_id, self.inv_nov)
        self.assertAlmostEqual(november.closing_balance, 1450.0)

    def test_prepare_again_keeps_what_was_sent(self):
        """A statement sent (or agreed) stays as it is when the period is prepared again,
        and is returned; also when every chosen customer's statement is kept."""
        other = self._customer_with_invoice()
        first = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer | other
        )
        sent = first.filtered(lambda s: s.partner_id == self.customer)
        sent.with_user(self.accountant).action_send()
        again = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer | other
        )
        self.assertEqual(again, first)
        self.assertEqual(sent.state, "sent")
        only_kept = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        self.assertEqual(only_kept, sent)
        sent.with_user(self.accountant).action_confirm()
        self.assertEqual(
            self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer), sent
        )

    def test_line_status_tells_paid_from_credited(self):
        """Paid is money (a payment, a bank statement line); an invoice cleared by a credit
        note is credited, not paid."""
        buyer = self._customer("Xibei Trading")
        paid = self._invoice(buyer, 200.0, "2026-10-02")
        payment = self._payment(buyer, 200.0, "2026-10-03")
        (self._receivable(paid) | self._receivable(payment)).reconcile()
        credited = self._invoice(buyer, 150.0, "2026-10-04")
        note = self._invoice(buyer, 150.0, "2026-10-05", "out_refund")
        (self._receivable(credited) | self._receivable(note)).reconcile()
        partly = self._invoice(buyer, 100.0, "2026-10-06")
        deposit = self._payment(buyer, 40.0, "2026-10-07")
        (self._receivable(partly) | self._receivable(deposit)).reconcile()
        unpaid = self._invoice(buyer, 60.0, "2026-10-08")
        # A credit note naming a payment (an accountant can write that) is no money.
        named = self._invoice(buyer, 80.0, "2026-10-09")
        named_note = self._invoice(buyer, 80.0, "2026-10-10", "out_refund")
        named_note.button_draft()
        named_note.write({"origin_payment_id": payment.id})
        named_note.action_post()
        (self._receivable(named) | self._receivable(named_note)).reconcile()
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), buyer)
        status = {line.move_id: line.settlement for line in statement.line_ids}
        self.assertEqual(
            status,
            {
                paid: "paid",
                payment.move_id: "settled",
                credited: "credited",
                note: "settled",
                partly: "partial",
                deposit.move_id: "settled",
                unpaid: "open",
                named: "credited",
                named_note: "settled",
            },
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("order_desk.statement_of_account", statement.ids)[0]
            .decode()
        )
        self.assertIn("Credited", html)
        workbook = openpyxl.load_workbook(
            io.BytesIO(statement.with_user(self.accountant)._desk_xlsx())
        )
        sheet = workbook.worksheets[0]
        self.assertEqual(sheet["I5"].value, "Status")
        self.assertIn("Paid", [cell.value for cell in sheet["I"]])

    def test_dispute_life_cycle(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        statement = statement.with_user(self.accountant)
        statement.action_send()
        with self.assertRaisesRegex(UserError, "Record what the customer disputes"):
            statement.action_dispute()
        with self.assertRaisesRegex(UserError, "why"):
            statement.action_dispute(
                [{"line_id": statement.line_ids[0].id, "amount": 5}]
            )
        with self.assertRaisesRegex(UserError, "more than zero"):
            statement.action_dispute([{"amount": 0, "reason": "x"}])
        statement.action_dispute(
            [
                {
                    "line_id": statement.line_ids[1].id,
                    "amount": 100,
                    "reason": "Never got it",
                }
            ]
        )
        self.assertEqual(statement.state, "disputed")
        dispute = statement.dispute_ids
        with self.assertRaisesRegex(UserError, "Settle every dispute"):
            statement.action_close()
        with self.assertRaisesRegex(UserError, "how the dispute"):
            dispute.action_resolve()
        dispute.resolution_note = "Credit note sent by post; copy attached"
        dispute.action_resolve()
        self.assertEqual(dispute.state, "resolved")
        with self.assertRaisesRegex(UserError, "Only open disputes"):
            dispute.action_reject()
        statement.action_close()
        self.assertEqual(statement.state, "closed")
        with self.assertRaisesRegex(UserError, "no longer changes"):
            statement.write({"closing_balance": 1.0})
        with self.assertRaisesRegex(UserError, "Only draft statements can be deleted"):
            statement.sudo().unlink()
        with self.assertRaisesRegex(UserError, "settled dispute no longer changes"):
            dispute.amount = 1.0
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            dispute.write({"state": "open"})
        with self.assertRaisesRegex(UserError, "takes no more disputes"):
            self.env["order.desk.statement.dispute"].with_user(self.accountant).create(
                {"statement_id": statement.id, "amount": 5.0, "reason": "Late"}
            )

    def test_status_moves_through_the_buttons(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            statement.with_user(self.accountant).write({"state": "confirmed"})
        self.assertEqual(statement.state, "draft")
        self.assertFalse(self._receivable(self.inv_oct).desk_statement_id)

    def test_clerk_cannot_run_the_wizard(self):
        with self.assertRaises(AccessError):
            self._generate(date(2026, 10, 1), date(2026, 10, 31), user=self.clerk)
        with self.assertRaises(AccessError):
            self.env["order.desk.statement"].with_user(self.clerk).search([])

    def test_bad_period(self):
        with self.assertRaisesRegex(UserError, "end after it starts"):
            self._generate(date(2026, 10, 31), date(2026, 10, 1), self.customer)

    def test_documents_and_xlsx(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        Report = self.env["ir.actions.report"]
        html = Report._render_qweb_html(
            "order_desk.statement_of_account", statement.ids
        )[0].decode()
        self.assertIn("Jiangnan Retail", html)
        self.assertIn("700.00", html)
        self.assertIn(self.inv_oct.name, html)
        letter = Report._render_qweb_html(
            "order_desk.balance_confirmation", statement.ids
        )[0].decode()
        self.assertIn("700.00", letter)
        self.assertIn("Balance Confirmation", letter)
        other = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self._customer_with_invoice()
        )
        both = statement | other
        for layout in ("sheets", "summary"):
            workbook = openpyxl.load_workbook(
                io.BytesIO(both.with_user(self.accountant)._desk_xlsx(layout))
            )
            if layout == "summary":
                sheet = workbook.worksheets[0]
                self.assertEqual(sheet.freeze_panes, "B2")
                rows = {
                    row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)
                }
                self.assertEqual(rows["Jiangnan Retail"][7], 700.0)
                self.assertEqual(len(rows), 2)
            else:
                self.assertEqual(len(workbook.worksheets), 2)
                sheet = workbook["Jiangnan Retail"]
                self.assertEqual(sheet.freeze_panes, "A6")
                self.assertEqual(sheet["H6"].value, 600.0)
                self.assertEqual(sheet["H6"].number_format, "#,##0.00")
                closing_row = 6 + len(statement.line_ids)
                self.assertEqual(sheet[f"H{closing_row}"].value, 700.0)
        action = both.with_user(self.accountant).action_export_xlsx()
        self.assertIn(f"ids={statement.id},{other.id}", action["url"])
        with self.assertRaises(AccessError):
            both.with_user(self.clerk).action_export_xlsx()

    def _customer_with_invoice(self):
        partner = self._customer("Other Buyer")
        self._invoice(partner, 80.0, "2026-10-15")
        return partner


@tagged("post_install", "-at_install")
class TestStatementMatching(StatementCase):
    def test_matching_rules(self):
        by_reference = self._customer("Ref Customer")
        inv_a = self._invoice(by_reference, 100.0, "2026-10-01")
        inv_b = self._invoice(by_reference, 100.0, "2026-10-02")
        self._payment(by_reference, 100.0, "2026-10-20", memo=inv_b.name)

        by_amount = self._customer("Amount Customer")
        inv_c = self._invoice(by_amount, 250.0, "2026-10-01")
        inv_d = self._invoice(by_amount, 120.0, "2026-10-03")
        self._payment(by_amount, 120.0, "2026-10-20")

        by_age = self._customer("Age Customer")
        inv_e = self._invoice(by_age, 80.0, "2026-10-01")
        inv_f = self._invoice(by_age, 90.0, "2026-10-04")
        self._payment(by_age, 100.0, "2026-10-20")

        statements = self._generate(
            date(2026, 10, 1),
            date(2026, 10, 31),
            by_reference | by_amount | by_age,
            auto_match=True,
        )
        self.assertEqual(
            (inv_a.payment_state, inv_b.payment_state),
            ("not_paid", "paid"),
            "by reference",
        )
        self.assertEqual(
            (inv_c.payment_state, inv_d.payment_state),
            ("not_paid", "paid"),
            "by amount",
        )
        self.assertEqual(inv_e.payment_state, "paid", "oldest first")
        self.assertAlmostEqual(inv_f.amount_residual, 70.0)
        age_statement = statements.filtered(lambda s: s.partner_id == by_age)
        self.assertAlmostEqual(age_statement.closing_balance, 70.0)
        self.assertTrue(
            age_statement.line_ids.filtered(lambda ln: ln.move_id == inv_e).reconciled
        )
