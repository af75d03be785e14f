import re
from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .rpc import RpcCaseMixin
from .test_statement import StatementCase


@tagged("post_install", "-at_install")
class TestStatementGuard(RpcCaseMixin, HttpCase, StatementCase):
    """What a statement is about (customer, company, period, opening items) and what the
    customer answered (disputes) stay as they were, whatever an accountant sends over RPC
    (issue 10, findings 3 and 18)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Frozen Buyer")
        cls.other = cls._customer("Other Buyer")
        cls.inv_before = cls._invoice(cls.customer, 100.0, "2026-09-10")
        cls.inv = cls._invoice(cls.customer, 300.0, "2026-10-05")
        cls.other_inv = cls._invoice(cls.other, 900.0, "2026-10-06")
        cls.company2 = cls.env["res.company"].create({"name": "Guard Co 2"})
        # A statement of the second company, made as the system would make it.
        cls.statement2 = (
            cls.env["order.desk.statement"]
            .sudo()
            .create(
                {
                    "partner_id": cls.other.id,
                    "company_id": cls.company2.id,
                    "date_from": "2026-10-01",
                    "date_to": "2026-10-31",
                }
            )
        )
        cls.statement2.sudo().write({"state": "sent"})
        cls.portal_user = new_test_user(
            cls.env,
            login="od_guard_portal",
            password="od_guard_portal",
            name="Frozen Buyer",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )

    def setUp(self):
        super().setUp()
        statements = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer | self.other
        )
        self.statement = statements.filtered(lambda s: s.partner_id == self.customer)
        self.other_statement = statements - self.statement
        self.statement.with_user(self.accountant).action_send()

    def _write(self, model, records, vals):
        return self._rpc_refused(self.accountant, model, "write", records.ids, vals)

    # 1. The statement --------------------------------------------------------------------
    def test_customer_company_period_and_opening_items_stay(self):
        before = self.statement.read(
            ["partner_id", "company_id", "date_from", "date_to", "opening_item_ids"]
        )[0]
        self.assertTrue(before["opening_item_ids"])
        for statement in (self.statement, self.other_statement):
            for vals in (
                {"partner_id": self.other.id},
                {"company_id": self.company2.id},
                {"date_from": "2026-10-02"},
                {"date_to": "2026-11-30"},
                {"opening_item_ids": self._receivable(self.other_inv).ids},
                {"line_ids": [Command.clear()]},
            ):
                with self.subTest(state=statement.state, vals=vals):
                    self._write("order.desk.statement", statement, vals)
        self.assertEqual(self.statement.read(list(before))[0], before)
        self.assertEqual(self.statement.line_ids.move_id, self.inv)

    def test_statements_are_prepared_not_made_by_hand(self):
        message = self._rpc_refused(
            self.accountant,
            "order.desk.statement",
            "create",
            [
                {
                    "partner_id": self.other.id,
                    "date_from": "2026-12-01",
                    "date_to": "2026-12-31",
                    "opening_item_ids": self._receivable(self.other_inv).ids,
                }
            ],
        )
        self.assertIn("Prepare Statements", message)
        self._rpc_refused(
            self.accountant,
            "order.desk.statement",
            "copy",
            self.other_statement.ids,
            default={"date_from": "2026-12-01", "date_to": "2026-12-31"},
        )
        self.assertEqual(
            self.env["order.desk.statement"].search_count(
                [("date_from", "=", "2026-12-01")]
            ),
            0,
        )

    def test_confirming_marks_only_the_customers_own_items(self):
        """Even with opening items naming another customer's invoice (data written by
        hand in the database), agreeing marks the statement's own customer's items."""
        other_item = self._receivable(self.other_inv)
        own_opening = self._receivable(self.inv_before)
        # The preparation writes opening items on drafts only; forge them as the system.
        self.statement.sudo().write(
            {"opening_item_ids": (own_opening | other_item).ids}
        )
        self.statement.with_user(self.accountant).action_confirm()
        self.assertEqual(own_opening.desk_statement_id, self.statement)
        self.assertEqual(self._receivable(self.inv).desk_statement_id, self.statement)
        self.assertFalse(other_item.desk_statement_id)

    def test_lines_of_a_sent_statement_stay(self):
        line = self.statement.line_ids[0]
        # No access right to write lines (UserError also catches AccessError).
        with self.assertRaises(UserError):
            line.with_user(self.accountant).write({"debit": 1.0})
        with self.assertRaisesRegex(UserError, "no longer changes"):
            line.sudo().write({"debit": 1.0})
        with self.assertRaisesRegex(UserError, "no longer changes"):
            line.sudo().write({"statement_id": self.other_statement.id})
        with self.assertRaisesRegex(UserError, "no longer changes"):
            line.sudo().unlink()
        # A draft's lines are the preparation's to change.
        self.other_statement.line_ids[:1].sudo().write({"ref": "recomputed"})

    # 2. Disputes ----------------------------------------------------------------------------
    def _dispute(self, statement=None, amount=50.0, line=None):
        statement = (statement or self.statement).with_user(self.accountant)
        values = {"amount": amount, "reason": "Paid in cash"}
        if line:
            values["line_id"] = line.id
        statement.action_dispute([values])
        return statement.dispute_ids.filtered(lambda d: d.state == "open")[-1:]

    def test_dispute_stays_on_its_statement_and_company(self):
        dispute = self._dispute()
        closed = self._generate(date(2026, 8, 1), date(2026, 8, 31), self.customer)
        closed.with_user(self.accountant).action_confirm()
        closed.with_user(self.accountant).action_close()
        for target in (self.other_statement, closed, self.statement2):
            with self.subTest(target=target.display_name):
                self._write(
                    "order.desk.statement.dispute",
                    dispute,
                    {"statement_id": target.id},
                )
        self._write(
            "order.desk.statement.dispute", dispute, {"company_id": self.company2.id}
        )
        self._write(
            "order.desk.statement.dispute", dispute, {"partner_id": self.other.id}
        )
        self.assertEqual(dispute.statement_id, self.statement)
        self.assertEqual(dispute.company_id, self.company)
        self.assertEqual(self.statement2.sudo().dispute_ids.ids, [])
        # Moved away, the disputes would have let the statement close unsettled.
        with self.assertRaisesRegex(UserError, "Settle every dispute"):
            self.statement.with_user(self.accountant).action_close()
        # Nor is a dispute raised on another company's statement.
        self._rpc_refused(
            self.accountant,
            "order.desk.statement.dispute",
            "create",
            [{"statement_id": self.statement2.id, "amount": 1.0, "reason": "x"}],
            expected=("AccessError", "UserError", "ValidationError"),
        )
        self.assertFalse(self.statement2.sudo().dispute_ids)
        # Through the statement's own list of disputes neither.
        self._write(
            "order.desk.statement",
            self.other_statement,
            {"dispute_ids": [Command.link(dispute.id)]},
        )
        self.assertEqual(dispute.statement_id, self.statement)

    def test_customers_answer_and_settled_note_stay(self):
        # Recorded by the accountant on a sent statement, before Mark Disputed: fixable.
        line = self.statement.line_ids[0]
        draft_dispute = (
            self.env["order.desk.statement.dispute"]
            .with_user(self.accountant)
            .create({"statement_id": self.statement.id, "amount": 20.0, "reason": "x"})
        )
        draft_dispute.write({"amount": 25.0, "reason": "Two chairs short"})
        self.statement.with_user(self.accountant).action_dispute()
        self.assertEqual(self.statement.state, "disputed")
        for vals in (
            {"amount": 1.0},
            {"reason": "The customer agreed after all"},
            {"line_id": line.id},
        ):
            with self.subTest(vals=vals):
                self._write("order.desk.statement.dispute", draft_dispute, vals)
        self.assertEqual(draft_dispute.amount, 25.0)
        draft_dispute.with_user(self.accountant).resolution_note = "Credit note sent"
        draft_dispute.with_user(self.accountant).action_resolve()
        message = self._write(
            "order.desk.statement.dispute",
            draft_dispute,
            {"resolution_note": "Nothing was ever sent"},
        )
        self.assertIn("resolution note", message)
        self.assertEqual(draft_dispute.resolution_note, "Credit note sent")

    def test_open_disputes_add_up_to_the_statement_at_most(self):
        """The statement shows 400 at most (opening 100, invoice 300): three disputes of
        300 make 900; the second is refused on every path."""
        line = self.statement.line_ids
        self._dispute(amount=300.0)
        with self.assertRaisesRegex(UserError, "left to dispute"):
            self._dispute(amount=300.0)
        self._rpc_refused(
            self.accountant,
            "order.desk.statement.dispute",
            "create",
            [{"statement_id": self.statement.id, "amount": 300.0, "reason": "x"}],
        )
        first = self.statement.dispute_ids
        self._write("order.desk.statement.dispute", first, {"amount": 999.0})
        self.assertEqual(first.amount, 300.0)
        # Per line: at most the line's 300.
        self._dispute(amount=100.0, line=line)
        self.assertEqual(len(self.statement.dispute_ids), 2)
        with self.assertRaisesRegex(UserError, "left to dispute"):
            self._dispute(amount=1.0, line=line)
        # A rejected dispute no longer counts.
        first.with_user(self.accountant).resolution_note = "Paid, receipt attached"
        first.with_user(self.accountant).action_reject()
        self._dispute(amount=200.0, line=line)
        self.assertEqual(
            sum(
                self.statement.dispute_ids.filtered(lambda d: d.state == "open").mapped(
                    "amount"
                )
            ),
            300.0,
        )

    def test_portal_disputes_add_up_to_the_statement_at_most(self):
        url = self.statement.get_portal_url()
        page = self.url_open(url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

        def post(amount):
            response = self.url_open(
                f"/my/statements/{self.statement.id}/dispute",
                data={
                    "csrf_token": csrf,
                    "access_token": self.statement.access_token,
                    "amount": amount,
                    "comment": "All wrong",
                },
            )
            self.env.invalidate_all()
            self.assertEqual(response.status_code, 200)
            return response.text

        self.assertIn("we will look into", post("400"))
        text = post("400")
        self.assertIn("Together with your open disputes", text)
        self.assertIn("Together with your open disputes", post("0.01"))
        self.assertEqual(self.statement.dispute_ids.mapped("amount"), [400.0])
        with self.assertRaises(ValidationError):
            self.env["order.desk.statement.dispute"].sudo().create(
                {"statement_id": self.statement.id, "amount": 0.01, "reason": "x"}
            )
