import re
from datetime import date

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase
from .test_statement import StatementCase

# The exceptions; then, for the records named: existence of partners, products, units and
# warehouses (4) and their names (product, its variant combination and template, partner,
# unit, warehouse: 6).
QUERIES = 11


def load_chinese(env, lang="zh_CN"):
    env["res.lang"]._activate_lang(lang)
    env["ir.module.module"]._load_module_terms(["order_desk"], [lang], overwrite=True)


@tagged("post_install", "-at_install")
class TestReaderLanguage(OrderDeskCase):
    """What the checks found is stored as values and read in the reader's language; the
    desk's chatter notes are written in the company's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_chinese(cls.env)
        cls.rule_term = cls._rule("payment_term")
        cls.rule_stock = cls._rule("stock", severity="warning")
        cls.rule_customer = cls._rule("customer_data")
        cls.manager_zh = new_test_user(
            cls.env,
            login="od_manager_zh",
            groups="order_desk.group_order_desk_manager",
            company_id=cls.company.id,
            lang="zh_CN",
        )
        cls.incomplete = cls.env["res.partner"].create(
            {"name": "Nanfang Retail", "email": "buyer@nanfang.test"}
        )

    def _checked_by_english_clerk(self, **vals):
        order = self._order(lines=[(self.product, 80, {})], **vals)
        order.with_user(self.clerk).with_context(lang="en_US").action_desk_check()
        return order

    def _messages(self, order, user, lang):
        exceptions = order.with_user(user).with_context(lang=lang).desk_exception_ids
        return sorted(
            exceptions.filtered(lambda e: e.state == "open").mapped("message")
        )

    def test_english_clerk_chinese_manager(self):
        order = self._checked_by_english_clerk(
            partner_id=self.incomplete.id, payment_term_id=False
        )
        self.assertEqual(
            self._messages(order, self.clerk, "en_US"),
            [
                "Customer Nanfang Retail is missing: phone, delivery street, delivery "
                "city, and delivery country.",
                "Line 1: [CHAIR] Office Chair needs 80.00 Units, only 50.00 free in "
                f"warehouse {self.warehouse.name}.",
                "No payment term is set on the order.",
            ],
        )
        chinese = self._messages(order, self.manager_zh, "zh_CN")
        self.assertIn("订单未设置付款条款。", chinese)
        self.assertIn(
            "客户 Nanfang Retail 缺少：电话、送货街道、送货城市和送货国家。",  # noqa: RUF001
            chinese,
        )
        stock = next(text for text in chinese if text.startswith("第 1 行"))
        self.assertIn("[CHAIR] Office Chair 需要 80.00", stock)
        self.assertIn(f"仓库 {self.warehouse.name} 仅有 50.00", stock)
        # The same records, read again in English, are English: nothing was stored in the
        # language of the last reader.
        self.assertIn(
            "No payment term is set on the order.",
            self._messages(order, self.clerk, "en_US"),
        )
        exception = order.desk_exception_ids.filtered(
            lambda e: e.rule_id == self.rule_term
        )
        self.assertEqual(exception.message_code, "no_payment_term")
        self.assertEqual(
            exception.with_context(lang="zh_CN").display_name,
            f"{order.name}: 订单未设置付款条款。",
        )

    def test_values_not_text_are_stored(self):
        order = self._checked_by_english_clerk()
        exception = order.desk_exception_ids
        self.assertEqual(exception.message_code, "stock_short")
        self.assertEqual(
            exception.message_args,
            {
                "line": "1",
                "product_id": self.product.id,
                "needed": 80.0,
                "uom_id": self.product.uom_id.id,
                "free": 50.0,
                "warehouse_id": self.warehouse.id,
            },
        )

    def test_override_stays_whatever_the_language(self):
        order = self._checked_by_english_clerk(payment_term_id=False)
        order.with_user(self.clerk).with_context(lang="en_US").action_desk_submit()
        stock = order.desk_exception_ids.filtered(
            lambda e: e.rule_id == self.rule_stock
        )
        stock.with_user(self.manager).action_override("Supplier delivers tomorrow")
        # A Chinese-speaking clerk runs the checks again: the failure is the same, so the
        # override stands and nothing new opens.
        order.with_user(self.clerk).with_context(lang="zh_CN").action_desk_check()
        order.with_user(self.manager_zh).with_context(lang="zh_CN").action_desk_check()
        exceptions = order.desk_exception_ids.filtered(
            lambda e: e.rule_id == self.rule_stock
        )
        self.assertEqual(exceptions, stock)
        self.assertEqual(stock.state, "overridden")
        # A different failure (more goods asked) is a new exception.
        order.order_line.product_uom_qty = 90
        order.with_user(self.clerk).with_context(lang="zh_CN").action_desk_check()
        new = order.desk_exception_ids.filtered(
            lambda e: e.rule_id == self.rule_stock and e.state == "open"
        )
        self.assertEqual(len(new), 1)
        self.assertEqual(new.message_args["needed"], 90.0)

    def test_open_exception_kept_whatever_the_language(self):
        order = self._checked_by_english_clerk(payment_term_id=False)
        before = order.desk_exception_ids
        order.with_user(self.clerk).with_context(lang="zh_CN").action_desk_check()
        self.assertEqual(order.desk_exception_ids, before)
        self.assertEqual(set(before.mapped("state")), {"open"})

    def test_refusal_in_the_language_of_who_is_refused(self):
        order = self._checked_by_english_clerk(payment_term_id=False)
        order.with_user(self.clerk).with_context(lang="en_US").action_desk_submit()
        with self.assertRaisesRegex(UserError, "订单未设置付款条款"):
            order.with_user(self.manager_zh).with_context(
                lang="zh_CN"
            ).action_desk_approve()

    def test_chatter_notes_in_the_company_language(self):
        self.company.partner_id.lang = "zh_CN"
        order = self._checked_by_english_clerk(payment_term_id=False)
        order.with_user(self.clerk).with_context(lang="en_US").action_desk_submit()
        note = order.message_ids[:1].body
        self.assertIn("已提交审核：1 个阻断异常，1 个警告。", note)  # noqa: RUF001
        exception = order.desk_exception_ids.filtered(
            lambda e: e.rule_id == self.rule_term
        )
        exception.with_user(self.manager).with_context(lang="en_US").action_override(
            "Paid in cash"
        )
        note = order.message_ids[:1].body
        self.assertIn("放行了异常：订单未设置付款条款。", note)  # noqa: RUF001
        self.assertIn("Paid in cash", note)

    def test_chatter_notes_in_english_company(self):
        self.assertIn(self.company.partner_id.lang, (False, "en_US"))
        order = self._checked_by_english_clerk(payment_term_id=False)
        order.with_user(self.clerk).with_context(lang="zh_CN").action_desk_submit()
        self.assertIn(
            "Submitted for review: 1 blocking exception(s), 1 warning(s).",
            order.message_ids[:1].body,
        )

    def _legacy(self, order, rule, text, state="open"):
        """An exception as 19.0.1.1.0 stored it, its text kept by the migration."""
        # Raised by the checks, which date each run (an order never checked has none).
        order.sudo().desk_checked_date = fields.Datetime.now()
        return (
            self.env["order.desk.exception"]
            .sudo()
            .create(
                {
                    "order_id": order.id,
                    "rule_id": rule.id,
                    "severity": rule.severity,
                    "message_args": {"text": text},
                    "state": state,
                }
            )
        )

    def test_exception_raised_before_values_keeps_its_text(self):
        order = self._order()
        legacy = self._legacy(order, self.rule_term, "Checked before the upgrade.")
        self.assertEqual(legacy.message_code, "legacy")
        self.assertEqual(
            legacy.with_context(lang="zh_CN").message, "Checked before the upgrade."
        )

    def test_exception_raised_before_values_takes_them_on_the_next_check(self):
        order = self._order(payment_term_id=False, commitment_date=False)
        rule_date = self._rule("commitment_date", severity="warning")
        # Written by a Chinese clerk, open; and by an English one, overridden.
        still_open = self._legacy(order, self.rule_term, "订单未设置付款条款。")
        accepted = self._legacy(
            order,
            rule_date,
            "No delivery date is promised to the customer.",
            state="overridden",
        )
        order.with_user(self.clerk).with_context(lang="en_US").action_desk_check()
        self.assertEqual(order.desk_exception_ids, still_open | accepted)
        self.assertEqual(still_open.state, "open")
        self.assertEqual(accepted.state, "overridden")
        self.assertEqual(still_open.message_code, "no_payment_term")
        self.assertEqual(accepted.message_code, "no_commitment_date")
        self.assertEqual(
            still_open.with_context(lang="en_US").message,
            "No payment term is set on the order.",
        )

    def test_rendering_many_messages_reads_each_kind_once(self):
        """A list of exceptions (as the web client reads it) renders its messages with one
        read of the exceptions and one per kind of record they name, at any size."""
        orders = self.env["sale.order"]
        for size, queries in ((2, QUERIES), (6, QUERIES)):
            while len(orders) < size:
                orders |= self._checked_by_english_clerk(
                    partner_id=self.incomplete.id, payment_term_id=False
                )
            ids = orders.desk_exception_ids.ids
            self.assertEqual(len(ids), 3 * size)
            Exception_ = self.env["order.desk.exception"].with_context(lang="zh_CN")
            Exception_.browse(ids).mapped("message")  # warm up the caches of metadata
            self.env.invalidate_all()
            with self.assertQueryCount(queries):
                Exception_.browse(ids).mapped("message")


@tagged("post_install", "-at_install")
class TestStatementDates(HttpCase, StatementCase):
    """Statement names and portal pages in the reader's date format and language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_chinese(cls.env)
        cls.customer = cls._customer("Zhongshan Buyer")
        cls.customer.lang = "zh_CN"
        cls._invoice(cls.customer, 300.0, "2026-10-05")

    def test_statement_name_in_the_readers_date_format(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        self.assertEqual(
            statement.with_context(lang="en_US").display_name,
            "Zhongshan Buyer 10/01/2026 - 10/31/2026",
        )
        self.assertEqual(
            statement.with_context(lang="zh_CN").display_name,
            "Zhongshan Buyer 2026/10/01 - 2026/10/31",
        )

    def test_emailed_link_opens_in_the_customers_language(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        statement.with_user(self.accountant).action_send()
        mail = statement.message_ids.filtered(lambda m: "对账单" in (m.subject or ""))
        self.assertEqual(len(mail), 1, "the e-mail is in the customer's language")
        self.assertIn("2026/10/31", mail.body)
        page = self.url_open(statement.get_portal_url())
        self.assertEqual(page.status_code, 200)
        text = re.sub(r"\s+", " ", page.text)
        self.assertIn("期初余额", text)
        self.assertIn("2026/10/05", text)
