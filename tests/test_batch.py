from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestBatch(OrderDeskCase):
    """Submitting many orders runs a number of queries that does not grow per order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for check_type in (
            "customer_data",
            "sellable",
            "stock",
            "price_floor",
            "payment_term",
            "credit_limit",
            "commitment_date",
            "duplicate",
        ):
            cls._rule(check_type, severity="warning")
        cls.customer.credit_limit = 1000.0
        cls.products = [
            cls._create_product(f"Batch Product {i}", f"B{i}", 10.0 + i, storable=True)
            for i in range(3)
        ]
        cls._set_stock(cls.products[0], 10)
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Batch Customer {i}",
                    "email": f"c{i}@batch.test",
                    "phone": "1",
                }
                for i in range(5)
            ]
        )

    def _orders(self, count):
        vals_list = [
            {
                "partner_id": self.partners[i % 5].id,
                "payment_term_id": self.payment_term.id if i % 2 else False,
                "client_order_ref": f"REF-{i % 7}",
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.products[j].id,
                            "product_uom_qty": 1 + (i + j) % 4,
                            "price_unit": 5.0,
                        }
                    )
                    for j in range(3)
                ],
            }
            for i in range(count)
        ]
        orders = self.env["sale.order"].create(vals_list)
        self.env.flush_all()
        self.env.invalidate_all()
        return orders.with_user(self.clerk)

    def _count_submit(self, count):
        orders = self._orders(count)
        before = self.cr.sql_log_count
        orders.action_desk_submit()
        self.env.flush_all()
        queries = self.cr.sql_log_count - before
        self.assertEqual(set(orders.mapped("desk_state")), {"to_review"})
        self.assertTrue(all(order.desk_exception_ids for order in orders))
        return queries

    def test_submit_query_count_does_not_grow(self):
        # The ORM itself splits INSERT and UPDATE statements into chunks of 100 rows; that
        # chunking is lifted here so that the count shows the desk's own queries only.
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._count_submit(5)  # warm-up: caches, prepared registries
            small = self._count_submit(20)
            large = self._count_submit(200)
        self.assertLessEqual(
            large,
            small,
            f"submitting 200 orders ran {large} queries, 20 orders ran {small}",
        )
