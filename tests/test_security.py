from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestSecurity(OrderDeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "OD Company B"})
        cls.rule_a = cls._rule("payment_term")
        cls.rule_b = cls._rule("payment_term", company=cls.company_b)
        cls.clerk_b = new_test_user(
            cls.env,
            login="od_clerk_b",
            groups="order_desk.group_order_desk_user",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.order_a = cls._order(payment_term_id=False)
        cls.order_a.action_desk_check()
        cls.order_b = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company_b.id,
                "order_line": [(0, 0, {"product_id": cls.product.id})],
            }
        )
        cls.order_b.action_desk_check()

    def test_new_company_gets_the_shipped_rules(self):
        shipped = self.env.ref("order_desk.order_desk_rule_price_floor")
        copies = (
            self.env["order.desk.rule"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", self.company_b.id),
                    ("check_type", "=", "price_floor"),
                ]
            )
        )
        self.assertEqual(len(copies), 1)
        self.assertEqual(copies.tolerance_percent, shipped.tolerance_percent)

    def test_rules_and_exceptions_are_company_bound(self):
        self.assertEqual(
            self.order_a.desk_exception_ids.rule_id,
            self.rule_a,
            "only company A's rule ran",
        )
        self.assertEqual(self.order_b.desk_exception_ids.rule_id, self.rule_b)
        Rule = self.env["order.desk.rule"].with_user(self.clerk_b)
        self.assertEqual(
            Rule.search([("check_type", "=", "payment_term")]), self.rule_b
        )
        Exception_ = self.env["order.desk.exception"].with_user(self.clerk_b)
        self.assertEqual(Exception_.search([]), self.order_b.desk_exception_ids)
        with self.assertRaises(AccessError):
            self.order_a.desk_exception_ids.with_user(self.clerk_b).read(["message"])
        with self.assertRaises(AccessError):
            self.rule_a.with_user(self.clerk_b).read(["name"])

    def test_clerk_cannot_submit_other_company_order(self):
        with self.assertRaises(AccessError):
            self.order_a.with_user(self.clerk_b).action_desk_submit()
        self.assertEqual(self.order_a.desk_state, "draft")

    def test_clerk_cannot_edit_rules_or_exceptions(self):
        with self.assertRaises(AccessError):
            self.rule_a.with_user(self.clerk).write({"severity": "warning"})
        with self.assertRaises(AccessError):
            self.env["order.desk.rule"].with_user(self.clerk).create(
                {"name": "x", "check_type": "stock"}
            )
        with self.assertRaises(AccessError):
            self.order_a.desk_exception_ids.with_user(self.clerk).write(
                {"state": "overridden"}
            )
        self.assertEqual(self.order_a.desk_exception_ids.state, "open")
        self.rule_a.with_user(self.manager).write({"severity": "warning"})
        self.assertEqual(self.rule_a.severity, "warning")
