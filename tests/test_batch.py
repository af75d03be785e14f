import logging
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from ..models.stock_move import DEFER_RESERVATION
from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


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
            "quota",
        ):
            cls._rule(check_type, severity="warning")
        cls.customer.credit_limit = 1000.0
        cls.products = [
            cls._create_product(f"Batch Product {i}", f"B{i}", 10.0 + i, storable=True)
            for i in range(3)
        ]
        cls._set_stock(cls.products[0], 10)
        # A quota per product for every customer with the tag: the quota check has work.
        dealers = cls.env["res.partner.category"].create({"name": "Batch Dealers"})
        cls.env["order.desk.quota"].create(
            [
                {
                    "category_id": dealers.id,
                    "product_id": product.id,
                    "date_start": fields.Date.today(),
                    "quantity": 5,
                }
                for product in cls.products
            ]
        )
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Batch Customer {i}",
                    "email": f"c{i}@batch.test",
                    "phone": "1",
                    "category_id": [Command.link(dealers.id)],
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

    def _count(self, func):
        self.env.flush_all()
        before = self.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def _approve_overhead(self, count):
        """Queries of a desk approval of ``count`` orders beyond what the same orders cost
        when Odoo itself confirms them and reserves their moves in one call: Odoo's
        confirmation (procurements, pickings, sequences) costs queries per order by design;
        the desk's part (checks, lock, deadline, quant lock, notes) must not."""
        self.company.order_desk_auto_approve = False
        desk = self._orders(count)
        desk.action_desk_submit()
        plain = self._orders(count)
        desk_queries = self._count(desk.with_user(self.manager).action_desk_approve)
        plain_queries = self._count(
            lambda: (
                plain.sudo()
                .with_context(order_desk_defer_reservation=DEFER_RESERVATION)
                .action_confirm(),
                plain.picking_ids.move_ids._action_assign(),
            )
        )
        self.assertEqual(set(desk.mapped("desk_state")), {"locked"})
        return desk_queries - plain_queries, desk_queries, plain_queries

    def test_approve_query_count_does_not_grow(self):
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._approve_overhead(3)  # warm-up
            small = self._approve_overhead(10)
            large = self._approve_overhead(100)
        _logger.info(
            "approve: 10 orders %s queries (Odoo alone %s), 100 orders %s (Odoo alone %s)",
            small[1],
            small[2],
            large[1],
            large[2],
        )
        self.assertLessEqual(
            large[0],
            small[0],
            f"desk overhead: 100 orders {large[0]}, 10 orders {small[0]}",
        )

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
        _logger.info(
            "submit: 20 orders %s queries, 200 orders %s queries", small, large
        )
        self.assertLessEqual(
            large,
            small,
            f"submitting 200 orders ran {large} queries, 20 orders ran {small}",
        )
