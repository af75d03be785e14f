from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
@freeze_time("2026-03-10 09:00:00")
class TestQuota(OrderDeskCase):
    """Customer quotas (配额): the Within quota check and the usage view."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls._rule("quota", severity="warning")
        cls.lamp = cls._create_product("Desk Lamp", "LAMP", 50.0, storable=True)
        cls.lamps = cls.env["product.category"].create({"name": "Lamps"})
        cls.floor_lamps = cls.env["product.category"].create(
            {"name": "Floor Lamps", "parent_id": cls.lamps.id}
        )
        cls.floor = cls._create_product(
            "Floor Lamp", "FLOOR", 80.0, storable=True, categ_id=cls.floor_lamps.id
        )
        cls.lamp.categ_id = cls.lamps
        cls.dealers = cls.env["res.partner.category"].create({"name": "Dealer"})
        cls.other = cls.env["res.partner"].create(
            {
                "name": "Nanjing Dealer",
                "is_company": True,
                "category_id": [(4, cls.dealers.id)],
            }
        )
        cls.customer.category_id = [(4, cls.dealers.id)]
        cls.Quota = cls.env["order.desk.quota"]

    def _quota(self, quantity, **vals):
        return self.Quota.create(
            {
                "partner_id": self.customer.id,
                "product_id": self.lamp.id,
                "period": "month",
                "date_start": "2026-03-15",
                "quantity": quantity,
                **vals,
            }
        )

    def _confirmed(self, qty, partner=None, product=None):
        order = self._order(partner=partner, lines=[(product or self.lamp, qty, {})])
        order.sudo().action_confirm()
        return order

    def test_period_normalised(self):
        quota = self._quota(10)
        self.assertEqual(str(quota.date_start), "2026-03-01")
        self.assertEqual(str(quota.date_end), "2026-03-31")
        self.assertEqual(quota.period_label, "2026-03")
        quota.period = "quarter"
        self.assertEqual(
            (str(quota.date_start), str(quota.date_end), quota.period_label),
            ("2026-01-01", "2026-03-31", "2026 Q1"),
        )

    def test_bad_quotas_refused(self):
        with self.assertRaises(ValidationError):
            self._quota(-1)
        with self.assertRaises(ValidationError):
            self._quota(5, category_id=self.dealers.id)
        with self.assertRaises(ValidationError):
            self._quota(5, product_categ_id=self.lamps.id)
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customer.id}
        )
        with self.assertRaisesRegex(ValidationError, "not for its contact"):
            self._quota(5, partner_id=contact.id)
        with self.assertRaises(AccessError):
            self.Quota.with_user(self.clerk).create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.lamp.id,
                    "date_start": "2026-03-01",
                    "quantity": 1,
                }
            )

    def test_order_above_the_quota_gets_an_exception(self):
        self._quota(10)
        self._confirmed(6)
        order = self._order(lines=[(self.product, 1, {}), (self.lamp, 5, {})])
        order.with_user(self.clerk).action_desk_submit()
        exception = order.desk_exception_ids
        self.assertEqual(exception.rule_id, self.rule)
        self.assertEqual(exception.severity, "warning")
        self.assertEqual(exception.line_id, order.order_line[1])
        self.assertEqual(
            exception.message,
            "Line 2: Huadong Trading's quota for [LAMP] Desk Lamp in 2026-03 is 10.00: "
            "6.00 already ordered, this order brings it to 11.00.",
        )
        within = self._order(lines=[(self.lamp, 4, {})])
        within.with_user(self.clerk).action_desk_submit()
        self.assertFalse(within.desk_exception_ids)
        # Another month, another customer: not counted.
        self._confirmed(9, partner=self.other)
        self.assertFalse(within.desk_exception_ids)

    def test_batch_orders_count_each_other(self):
        self._quota(12)
        self._confirmed(6)
        first = self._order(lines=[(self.lamp, 4, {})])
        second = self._order(lines=[(self.lamp, 4, {})])
        (first | second).with_user(self.clerk).action_desk_submit()
        self.assertFalse(first.desk_exception_ids)
        self.assertIn(
            "this order brings it to 14.00", second.desk_exception_ids.message
        )

    def test_tag_and_category_quotas(self):
        # Each dealer may take 5 lamps of any kind this quarter.
        self._quota(
            5,
            partner_id=False,
            category_id=self.dealers.id,
            product_id=False,
            product_categ_id=self.lamps.id,
            period="quarter",
        )
        self._confirmed(3, product=self.floor)
        self._confirmed(4, partner=self.other)
        order = self._order(lines=[(self.lamp, 2, {}), (self.floor, 1, {})])
        order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(order.desk_exception_ids.line_id, order.order_line[1])
        self.assertIn(
            "quota for Lamps in 2026 Q1 is 5.00", order.desk_exception_ids.message
        )
        other = self._order(partner=self.other, lines=[(self.floor, 1, {})])
        other.with_user(self.clerk).action_desk_submit()
        self.assertFalse(other.desk_exception_ids)

    def test_usage_view(self):
        self._quota(10)
        self._quota(
            5, partner_id=False, category_id=self.dealers.id, date_start="2026-03-01"
        )
        self._confirmed(6)
        delivered = self._confirmed(2, partner=self.other)
        self._set_stock(self.lamp, 10)
        delivered.picking_ids.action_assign()
        self._validate(self._deliveries(delivered))
        self._confirmed(1)
        self.env.flush_all()
        rows = self.env["order.desk.quota.usage"].search(
            [("product_id", "=", self.lamp.id)]
        )
        figures = sorted(
            (
                row.partner_id.name,
                row.category_id.name or "",
                row.qty_quota,
                row.qty_ordered,
                row.qty_delivered,
                row.qty_remaining,
            )
            for row in rows
        )
        self.assertEqual(
            figures,
            [
                ("Huadong Trading", "", 10.0, 7.0, 0.0, 3.0),
                ("Huadong Trading", "Dealer", 5.0, 7.0, 0.0, -2.0),
                ("Nanjing Dealer", "Dealer", 5.0, 2.0, 2.0, 3.0),
            ],
        )
        self.assertTrue(
            self.env["order.desk.quota.usage"].with_user(self.clerk).search_count([])
        )
