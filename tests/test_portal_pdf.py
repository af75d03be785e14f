from datetime import date

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase
from .test_statement import StatementCase


class PortalPdfMixin:
    def _assert_pdf(self, url, filename=None, download=False):
        """``url`` answers the document as a PDF download (the test server renders the
        report's HTML under the PDF headers), never an error page."""
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 200, f"{url}: {response.text[:300]}")
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        disposition = response.headers.get("Content-Disposition", "")
        if filename:
            self.assertIn(filename, disposition)
            self.assertTrue(
                disposition.startswith("attachment" if download else "inline"),
                disposition,
            )
        return response

    def _assert_refused(self, url):
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (303, 302, 404), url)
        self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")


@tagged("post_install", "-at_install")
class TestStatementPortalPdf(PortalPdfMixin, HttpCase, StatementCase):
    """The customer downloads the statement and the balance confirmation letter from the
    portal, logged in or through the e-mailed link (issue 10, finding 11)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Pdf Buyer")
        cls.other = cls._customer("Other Pdf Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")
        cls._invoice(cls.other, 900.0, "2026-10-06")
        new_test_user(
            cls.env,
            login="od_pdf_portal",
            password="od_pdf_portal",
            name="Pdf Buyer",
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

    def _urls(self, token=None):
        base = f"/my/statements/{self.statement.id}?report_type=pdf"
        if token:
            base += f"&access_token={token}"
        return {
            "statement": (base, "Statement_of_Account", False),
            "statement download": (base + "&download=1", "Statement_of_Account", True),
            "letter": (base + "&letter=1", "Balance_Confirmation", False),
            "letter download": (
                base + "&letter=1&download=1",
                "Balance_Confirmation",
                True,
            ),
        }

    def test_with_the_emailed_token(self):
        for label, (url, filename, download) in self._urls(
            self.statement.access_token
        ).items():
            with self.subTest(case=label):
                self._assert_pdf(url, filename, download)
        html = self.url_open(
            f"/my/statements/{self.statement.id}?report_type=html"
            f"&access_token={self.statement.access_token}"
        )
        self.assertIn("300.00", html.text)
        # Another statement's token opens nothing.
        self._assert_refused(
            f"/my/statements/{self.other_statement.id}?report_type=pdf"
            f"&access_token={self.statement.access_token}"
        )

    def test_logged_in(self):
        self.authenticate("od_pdf_portal", "od_pdf_portal")
        for label, (url, filename, download) in self._urls().items():
            with self.subTest(case=label):
                self._assert_pdf(url, filename, download)
        self._assert_refused(
            f"/my/statements/{self.other_statement.id}?report_type=pdf"
        )

    def test_the_page_links_the_documents(self):
        self.authenticate("od_pdf_portal", "od_pdf_portal")
        page = self.url_open(f"/my/statements/{self.statement.id}")
        self.assertIn("report_type=pdf", page.text)
        self.assertIn("letter=1", page.text)


@tagged("post_install", "-at_install")
class TestDeskPortalPdf(PortalPdfMixin, HttpCase, OrderDeskCase):
    """Every other PDF the portal offers around the desk's documents: the return
    authorization, the order, the delivery slip (with the desk's cash on delivery)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.portal_user = cls._portal_user("od_pdf_rma")
        cls.reason = cls.env.ref("order_desk.return_reason_changed_mind")

    def setUp(self):
        super().setUp()
        self.order, self.picking = self._shipped(
            qty=3,
            ref="PDF-1",
            partner=self.portal_user.partner_id,
            desk_settlement_method="cod",
        )
        self.ret = self.env["order.desk.return"].create(
            {
                "order_id": self.order.id,
                "picking_id": self.picking.id,
                "line_ids": [
                    Command.create(
                        {
                            "sale_line_id": self.order.order_line.id,
                            "quantity": 1.0,
                            "reason_id": self.reason.id,
                        }
                    )
                ],
            }
        )
        self.ret.action_submit()
        self.ret._portal_ensure_token()
        self.order._portal_ensure_token()

    def _cases(self, logged_in):
        ret_token = "" if logged_in else f"&access_token={self.ret.access_token}"
        order_token = "" if logged_in else f"&access_token={self.order.access_token}"
        picking_token = "" if logged_in else f"?access_token={self.order.access_token}"
        return {
            "return": (
                f"/my/returns/{self.ret.id}?report_type=pdf{ret_token}",
                "Return_Authorization",
            ),
            "return download": (
                f"/my/returns/{self.ret.id}?report_type=pdf&download=1{ret_token}",
                "Return_Authorization",
            ),
            "order": (f"/my/orders/{self.order.id}?report_type=pdf{order_token}", None),
            "delivery slip": (
                f"/my/picking/pdf/{self.picking.id}{picking_token}",
                None,
            ),
        }

    def test_with_the_tokens(self):
        for label, (url, filename) in self._cases(logged_in=False).items():
            with self.subTest(case=label):
                self._assert_pdf(url, filename, download="download=1" in url)

    def test_logged_in(self):
        self.authenticate("od_pdf_rma", "od_pdf_rma")
        for label, (url, filename) in self._cases(logged_in=True).items():
            with self.subTest(case=label):
                self._assert_pdf(url, filename, download="download=1" in url)
