import re
from datetime import date

from freezegun import freeze_time

from odoo.tests import HttpCase, new_test_user, tagged

from .test_statement import StatementCase


@tagged("post_install", "-at_install")
class TestStatementPortal(HttpCase, StatementCase):
    """Customers confirm or dispute their statements through the e-mailed link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Portal Buyer")
        cls.other = cls._customer("Other Portal Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")
        cls._invoice(cls.other, 900.0, "2026-10-06")
        cls.portal_user = new_test_user(
            cls.env,
            login="od_st_portal",
            password="od_st_portal",
            name="Portal Buyer",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )

    def setUp(self):
        super().setUp()
        statements = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer | self.other
        )
        statements.with_user(self.accountant).action_send()
        self.statement = statements.filtered(lambda s: s.partner_id == self.customer)
        self.other_statement = statements - self.statement

    def _csrf(self, url):
        page = self.url_open(url)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        return page, token and token.group(1)

    def test_sent_by_email_with_the_link(self):
        message = self.statement.message_ids.filtered(
            lambda m: "statement of account" in (m.subject or "")
        )
        self.assertEqual(len(message), 1)
        self.assertIn(self.customer, message.partner_ids)
        self.assertIn(f"/my/statements/{self.statement.id}", message.body)
        self.assertIn(self.statement.access_token, message.body)
        self.assertEqual(self.statement.state, "sent")

    def test_confirm_with_valid_token(self):
        url = self.statement.get_portal_url()
        page, csrf = self._csrf(url)
        self.assertIn("300.00", page.text)
        response = self.url_open(
            f"/my/statements/{self.statement.id}/confirm",
            data={"csrf_token": csrf, "access_token": self.statement.access_token},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.statement.state, "confirmed")
        self.assertIn("Portal Buyer", self.statement.confirmed_by)
        self.assertIn("the balance is confirmed", response.text)

    def test_wrong_token_is_refused(self):
        _page, csrf = self._csrf(self.statement.get_portal_url())
        response = self.url_open(
            f"/my/statements/{self.statement.id}/confirm",
            data={"csrf_token": csrf, "access_token": "not-the-token"},
        )
        self.assertEqual(self.statement.state, "sent")
        self.assertNotIn("300.00", response.text)
        page = self.url_open(f"/my/statements/{self.statement.id}?access_token=wrong")
        self.assertNotIn("Portal Buyer", page.text)

    def test_other_customers_statement_is_refused(self):
        # The customer's own token does not open another customer's statement.
        _page, csrf = self._csrf(self.statement.get_portal_url())
        self.url_open(
            f"/my/statements/{self.other_statement.id}/confirm",
            data={"csrf_token": csrf, "access_token": self.statement.access_token},
        )
        self.assertEqual(self.other_statement.state, "sent")
        # Logged in, the customer sees their own statement only.
        self.authenticate("od_st_portal", "od_st_portal")
        own = self.url_open(f"/my/statements/{self.statement.id}")
        self.assertIn("300.00", own.text)
        other = self.url_open(f"/my/statements/{self.other_statement.id}")
        self.assertNotIn("900.00", other.text)
        listing = self.url_open("/my/statements")
        self.assertIn("300.00", listing.text)
        self.assertNotIn("900.00", listing.text)

    def test_dispute_through_the_portal(self):
        _page, csrf = self._csrf(self.statement.get_portal_url())
        line = self.statement.line_ids[0]
        response = self.url_open(
            f"/my/statements/{self.statement.id}/dispute",
            data={
                "csrf_token": csrf,
                "access_token": self.statement.access_token,
                "line_id": str(line.id),
                "amount": "120",
                "comment": "We returned two chairs",
            },
        )
        self.assertIn("we will look into", response.text)
        self.assertEqual(self.statement.state, "disputed")
        self.assertEqual(self.statement.dispute_ids.line_id, line)
        self.assertEqual(self.statement.dispute_ids.amount, 120.0)
        bad = self.url_open(
            f"/my/statements/{self.statement.id}/dispute",
            data={
                "csrf_token": csrf,
                "access_token": self.statement.access_token,
                "amount": "oops",
                "comment": "",
            },
        )
        self.assertIn("Give the disputed amount", bad.text)
        self.assertEqual(len(self.statement.dispute_ids), 1, "nothing kept")

    def test_pdfs_render(self):
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for report in (
            "order_desk.statement_of_account",
            "order_desk.balance_confirmation",
        ):
            with self.subTest(report=report):
                pdf, kind = Report._render_qweb_pdf(report, self.statement.ids)
                self.assertEqual(kind, "pdf")
                self.assertTrue(pdf.startswith(b"%PDF"))

    def test_monthly_scheduled_statements(self):
        Statement = self.env["order.desk.statement"]
        self.company.order_desk_statement_auto = False
        with freeze_time("2026-12-01 02:00:00"):
            Statement._cron_prepare_statements()
        self.assertFalse(Statement.search([("date_from", "=", "2026-11-01")]))
        self.company.order_desk_statement_auto = True
        with freeze_time("2026-12-01 02:00:00"):
            Statement._cron_prepare_statements()
        prepared = Statement.search([("date_from", "=", "2026-11-01")])
        self.assertEqual(set(prepared.mapped("date_to")), {date(2026, 11, 30)})
        self.assertIn(self.customer, prepared.partner_id)
        self.assertEqual(set(prepared.mapped("state")), {"draft"})
