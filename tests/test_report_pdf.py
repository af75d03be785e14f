import re
import shutil
import subprocess
import unittest
from datetime import date

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase
from .test_reader_language import load_chinese

# Each PDF report of the addon, and words its Chinese version must carry as real text:
# Chinese ones (with characters that fonts share with radicals: 户, 日, 方, 金) and the
# names and numbers around them.
REPORTS = {
    "order_desk.order_review_sheet_report": [
        "订单审核单",
        "订单日期",
        "Huadong Trading",
    ],
    "order_desk.packing_list_report": ["装箱单", "Office Chair"],
    "order_desk.commercial_invoice_report": ["商业发票", "Office Chair"],
    "order_desk.return_authorization_report": ["退货授权单", "Office Chair"],
    "order_desk.statement_of_account_report": ["客户对账单", "借方", "INV/"],
    "order_desk.balance_confirmation_report": ["余额询证函", "Huadong Trading"],
    "order_desk.kpi_monthly_report": ["订单台月度报告", "KPI"],
    # Odoo's delivery slip with the desk's cash-on-delivery box.
    "stock.action_report_delivery": ["货到付款", "应收金额"],
}


@tagged("post_install", "-at_install")
class TestChinesePdf(HttpCase, OrderDeskCase):
    """The PDFs of a zh_CN customer hold selectable Chinese text: wkhtmltopdf finds a CJK
    font (Debian's fonts-noto-cjk) and the text layer (pdftotext) has the words. An
    HttpCase, so that wkhtmltopdf loads the report styles from the running test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_chinese(cls.env)
        cls.customer.write({"lang": "zh_CN", "country_id": cls.env.ref("base.de").id})
        cls.company.partner_id.country_id = cls.env.ref("base.cn")
        cls.manager.lang = "zh_CN"
        cls.accountant = new_test_user(
            cls.env,
            login="od_pdf_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls._rule("payment_term")

    def _records(self):
        """A record for each report: a delivered, invoiced cash-on-delivery order to an
        export customer, its return request and the customer's statement."""
        order = self._order(desk_settlement_method="cod")
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        picking = self._deliveries(order)
        self._validate(picking)
        invoice = order._create_invoices()
        invoice.invoice_date = date.today().replace(day=1)
        invoice.action_post()
        ret = self._desk_return(order, picking, 1.0)
        wizard = (
            self.env["order.desk.reconcile.wizard"]
            .with_user(self.accountant)
            .create(
                {
                    "period": "custom",
                    "date_from": invoice.invoice_date,
                    "date_to": invoice.invoice_date,
                    "partner_ids": [Command.set(self.customer.ids)],
                }
            )
        )
        statement = self.env["order.desk.statement"].search(
            wizard.action_generate()["domain"]
        )
        return {
            "order_desk.order_review_sheet_report": order.with_user(self.manager),
            "order_desk.packing_list_report": picking,
            "order_desk.commercial_invoice_report": picking,
            "order_desk.return_authorization_report": ret,
            "order_desk.statement_of_account_report": statement,
            "order_desk.balance_confirmation_report": statement,
            "stock.action_report_delivery": picking,
            "order_desk.kpi_monthly_report": self.env["order.desk.kpi.report.wizard"]
            .with_user(self.manager)
            .create({"company_id": self.company.id}),
        }

    def test_each_pdf_report_in_chinese(self):
        if not shutil.which("wkhtmltopdf") or not shutil.which("pdftotext"):
            raise unittest.SkipTest(
                "wkhtmltopdf and pdftotext (poppler-utils) are needed to check the PDFs; "
                ".ci/run installs them."
            )
        xmlids = (
            self.env["ir.actions.report"]
            .search([("report_type", "=", "qweb-pdf")])
            .get_external_id()
        )
        self.assertEqual(
            {xmlid for xmlid in xmlids.values() if xmlid.startswith("order_desk.")},
            {xmlid for xmlid in REPORTS if xmlid.startswith("order_desk.")},
            "every PDF report of the addon is checked",
        )
        records = self._records()
        for xmlid, words in REPORTS.items():
            with self.subTest(report=xmlid):
                text = self._pdf_text(xmlid, records[xmlid], "zh_CN")
                for word in words:
                    self.assertIn(word, text)
                # Characters, not the look-alike radicals the fonts draw the same.
                self.assertFalse(re.search("[\u2e80-\u2fdf]", text), text)
        # Traditional Chinese for a zh_TW customer.
        load_chinese(self.env, "zh_TW")
        self.customer.lang = "zh_TW"
        for xmlid, word in (
            ("order_desk.statement_of_account_report", "客戶對賬單"),
            ("order_desk.packing_list_report", "裝箱單"),
        ):
            with self.subTest(report=xmlid, lang="zh_TW"):
                text = self._pdf_text(xmlid, records[xmlid], "zh_TW")
                self.assertIn(word, text)
                self.assertFalse(re.search("[\u2e80-\u2fdf]", text), text)

    def _pdf_text(self, xmlid, record, lang):
        """The text layer of the PDF of ``record``, as the reader (in ``lang``) prints it
        from the web client."""
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_user(record.env.user)
            .with_context(force_report_rendering=True, lang=lang)
            ._render_qweb_pdf(xmlid, res_ids=record.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
