from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestShortage(OrderDeskCase):
    """Shortage warnings (库存预警) and the buyer's activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lamp = cls._create_product("Desk Lamp", "LAMP", 50.0, storable=True)
        cls.buyer = new_test_user(
            cls.env,
            login="od_buyer",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
        )
        cls.lamp.with_company(cls.company).responsible_id = cls.buyer
        cls.Shortage = cls.env["order.desk.shortage"]

    def _due(self, days):
        return datetime.combine(fields.Date.today() + timedelta(days=days), time(10, 0))

    def _locked(self, qty, days):
        order = self._order(
            lines=[(self.lamp, qty, {})], commitment_date=self._due(days)
        )
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        return order

    def _receipt(self, quantity, days):
        supplier = self.env.ref("stock.stock_location_suppliers")
        date = self._due(days)
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": supplier.id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
                "scheduled_date": date,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.lamp.id,
                            "product_uom_qty": quantity,
                            "location_id": supplier.id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                            "date": date,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _detect(self):
        self.Shortage._desk_detect(self.company)
        return self.Shortage.search([("product_id", "=", self.lamp.id)])

    def _activities(self, shortage):
        return self.env["mail.activity"].search(
            [("res_model", "=", "order.desk.shortage"), ("res_id", "=", shortage.id)]
        )

    def test_runs_short_on_the_day_the_stock_is_gone(self):
        o1 = self._locked(2, 1)
        o2 = self._locked(3, 3)
        self._locked(2, 6)
        self._set_stock(self.lamp, 3)
        self._receipt(4, 5)
        shortage = self._detect()
        # 3 free: o1 takes 2 on day 1, o2 misses 2 on day 3; the receipt of day 5 serves o3.
        self.assertEqual(
            (
                shortage.date_short,
                shortage.qty_free,
                shortage.qty_incoming,
                shortage.qty_demand,
                shortage.qty_short,
                shortage.order_ids,
                shortage.user_id,
            ),
            (
                fields.Date.today() + timedelta(days=3),
                3.0,
                4.0,
                7.0,
                2.0,
                o2,
                self.buyer,
            ),
        )
        self.assertNotIn(o1, shortage.order_ids)
        activity = self._activities(shortage)
        self.assertEqual(activity.user_id, self.buyer)
        self.assertIn("Replenish [LAMP] Desk Lamp", activity.summary)
        self.assertIn("action_orderpoint_replenish", activity.note)
        # Checked again: no second activity, also when it gets worse while one is open.
        self._detect()
        self._locked(1, 2)
        shortage = self._detect()
        self.assertEqual(shortage.qty_short, 3.0)
        self.assertEqual(len(self._activities(shortage)), 1)
        # Done by the buyer: a new one only when it gets worse again.
        self._activities(shortage).action_feedback("Ordered 10 more")
        self._detect()
        self.assertFalse(self._activities(shortage))
        self._locked(1, 2)
        self._detect()
        self.assertEqual(len(self._activities(shortage)), 1)
        # Replenishment from the warning, then solved by stock: the warning goes.
        action = shortage.with_user(self.clerk).action_replenish()
        orderpoint = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "=", self.lamp.id)]
        )
        self.assertEqual(orderpoint.qty_to_order_manual, shortage.qty_short)
        self.assertTrue(action)
        self._set_stock(self.lamp, 20)
        self.assertFalse(self._detect())

    def test_nothing_short_and_the_buyer_fallback(self):
        self._set_stock(self.lamp, 2)
        self._locked(2, 1)
        self.assertFalse(self._detect())
        self._locked(5, 20)  # beyond the 14 days looked at
        self.assertFalse(self._detect())
        self.company.order_desk_shortage_days = 30
        self.lamp.with_company(self.company).responsible_id = False
        self.company.order_desk_allocation_user_id = self.manager
        shortage = self._detect()
        self.assertEqual((shortage.qty_short, shortage.user_id), (5.0, self.manager))

    def test_refresh_from_the_list(self):
        self._locked(2, 1)
        self.Shortage.with_user(self.clerk).action_refresh()
        self.assertTrue(self.Shortage.search([("product_id", "=", self.lamp.id)]))
        self.assertEqual(
            self.Shortage.with_user(self.clerk).search_count(
                [("product_id", "=", self.lamp.id)]
            ),
            1,
        )


@tagged("post_install", "-at_install")
class TestDemandForecast(OrderDeskCase):
    """Open demand by month beside the last three months and the 3+2 forecast."""

    def _confirmed(self, qty, ordered_on, commitment=None, promised=None):
        order = self._order(
            lines=[(self.product, qty, {})],
            commitment_date=commitment or "2099-01-01 10:00:00",
        )
        order.sudo().action_confirm()
        order.date_order = ordered_on
        if promised:
            order.order_line.sudo().desk_promised_date = promised
        return order

    def test_demand_and_forecast(self):
        product = self._create_product("Demand Lamp", "DLAMP", 10.0, storable=True)
        self.product = product
        month0 = fields.Date.today().replace(day=1)
        month = {k: month0 + relativedelta(months=k) for k in range(-3, 3)}
        self._confirmed(30, datetime.combine(month[-3], time(12)))
        self._confirmed(60, datetime.combine(month[-2], time(12)))
        self._confirmed(90, datetime.combine(month[-1], time(12)))
        now = fields.Datetime.now()
        self._confirmed(5, now, commitment=datetime.combine(month0, time(12)))
        self._confirmed(4, now, commitment=datetime.combine(month[-1], time(12)))
        self._confirmed(
            7,
            now,
            commitment=datetime.combine(month0, time(12)),
            promised=datetime.combine(month[1] + timedelta(days=3), time(12)),
        )
        self.env.flush_all()
        rows = self.env["order.desk.demand"].search([("product_id", "=", product.id)])
        figures = {
            row.date: (row.qty_sold, row.qty_open, row.qty_forecast) for row in rows
        }
        self.assertEqual(
            figures,
            {
                month[-3]: (30.0, 0.0, 0.0),
                month[-2]: (60.0, 0.0, 0.0),
                month[-1]: (90.0, 0.0, 0.0),
                month[0]: (0.0, 9.0, 0.0),
                month[1]: (0.0, 7.0, 60.0),
                month[2]: (0.0, 0.0, 70.0),
            },
        )
        groups = self.env["order.desk.demand"]._read_group(
            [("product_id", "=", product.id)],
            groupby=["date:month"],
            aggregates=["qty_forecast:sum"],
        )
        self.assertEqual(sum(total for _month, total in groups), 130.0)
