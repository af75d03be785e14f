from odoo.exceptions import AccessError, UserError, ValidationError
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
        # No write right, and the status is the system's anyway (UserError covers both).
        with self.assertRaises(UserError):
            self.order_a.desk_exception_ids.with_user(self.clerk).write(
                {"state": "overridden"}
            )
        self.assertEqual(self.order_a.desk_exception_ids.state, "open")
        self.rule_a.with_user(self.manager).write({"severity": "warning"})
        self.assertEqual(self.rule_a.severity, "warning")

    def test_shipping_records_are_company_bound(self):
        self._set_stock(self.product, 10)
        _order, picking = self._shipped(qty=1, ref="SEC-A")
        picking.desk_add_tracking_events(
            [
                {
                    "tracking_ref": "SEC-A",
                    "event_date": "2026-11-19 08:00",
                    "status": "in_transit",
                }
            ]
        )
        incident = self.env["order.desk.incident"].create(
            {"incident_type": "damage", "picking_id": picking.id}
        )
        for model, records in (
            ("order.desk.tracking.event", picking.desk_tracking_event_ids),
            ("order.desk.tracking.number", picking.desk_tracking_number_ids),
            ("order.desk.incident", incident),
            ("order.desk.incident.line", incident.line_ids),
        ):
            with self.subTest(model=model):
                self.assertTrue(records)
                self.assertFalse(self.env[model].with_user(self.clerk_b).search([]))
                with self.assertRaises(AccessError):
                    records.with_user(self.clerk_b).read(["company_id"])
                self.assertEqual(
                    self.env[model]
                    .with_user(self.clerk)
                    .search([("id", "in", records.ids)]),
                    records,
                )
        # Company B's clerk cannot add events to company A's delivery by its number either.
        with self.assertRaisesRegex(ValidationError, "unknown tracking number SEC-A"):
            self.env["stock.picking"].with_user(self.clerk_b).desk_add_tracking_events(
                [
                    {
                        "tracking_ref": "SEC-A",
                        "event_date": "2026-11-19 09:00",
                        "status": "delivered",
                    }
                ]
            )
        with self.assertRaises(AccessError):
            incident.with_user(self.clerk_b).action_start()

    def test_desk_state_cannot_be_written_around_the_review(self):
        order = self._order().with_user(self.clerk)
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            order.write({"desk_state": "approved"})
        with self.assertRaisesRegex(UserError, "changes through its buttons only"):
            self.env["sale.order"].with_user(self.clerk).create(
                {"partner_id": self.customer.id, "desk_state": "approved"}
            )
        with self.assertRaisesRegex(UserError, "must be approved on the Order Desk"):
            order.action_confirm()
        self.assertEqual((order.desk_state, order.state), ("draft", "draft"))

    def test_returns_are_company_bound(self):
        self._set_stock(self.product, 10)
        order, picking = self._shipped(qty=2, ref="SEC-R")
        reason = self.env.ref("order_desk.return_reason_defect")
        ret = self.env["order.desk.return"].create(
            {
                "order_id": order.id,
                "picking_id": picking.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": order.order_line.id,
                            "quantity": 1.0,
                            "reason_id": reason.id,
                        },
                    )
                ],
            }
        )
        for records in (ret, ret.line_ids):
            with self.subTest(model=records._name):
                self.assertFalse(
                    self.env[records._name].with_user(self.clerk_b).search([])
                )
                with self.assertRaises(AccessError):
                    records.with_user(self.clerk_b).read(["company_id"])
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk_b).action_submit()
        self.assertIn(
            reason,
            self.env["order.desk.return.reason"].with_user(self.clerk_b).search([]),
        )
        own_reason = self.env["order.desk.return.reason"].create(
            {"name": "Company A only", "company_id": self.company.id}
        )
        self.assertNotIn(
            own_reason,
            self.env["order.desk.return.reason"].with_user(self.clerk_b).search([]),
        )
