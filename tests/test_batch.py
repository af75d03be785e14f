import logging
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

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

    def _approve_overhead(self, count):
        """Queries of a desk approval of ``count`` orders beyond what the same orders cost
        when Odoo itself confirms them and reserves their moves in one call: Odoo's
        confirmation (procurements, pickings, sequences) costs queries per order by design;
        the desk's part (checks, lock, deadline, quant lock, notes) must not."""
        self.company.order_desk_auto_approve = False
        # Every order reserves in full, at both sizes: how many UPDATE statements a flush
        # takes depends on which fields changed on which rows, so a mix of reserved and
        # waiting deliveries would vary with the stock left by the earlier runs.
        for product in self.products:
            self._set_stock(product, 2 * 4 * count)
        # Both batches exist before the checks run, so that the approval's checks find
        # what the submission's found (duplicates among them): every order's exceptions
        # stay as they are, at both sizes.
        desk = self._orders(count)
        plain = self._orders(count)
        now = fields.Datetime.now()
        with freeze_time(now):
            desk.action_desk_submit()
        # Approved later than submitted: the checks' date changes on every order, at both
        # sizes (within the same second it would not be written at all).
        with freeze_time(now + timedelta(hours=1)):
            desk_queries = self._desk_queries(
                desk.with_user(self.manager).action_desk_approve
            )
        plain_queries = self._desk_queries(
            lambda: (
                plain.sudo()
                .with_context(order_desk_defer_reservation=DEFER_RESERVATION)
                .action_confirm(),
                plain.picking_ids.move_ids._action_assign(),
            )
        )
        self.assertEqual(set(desk.mapped("desk_state")), {"locked"})
        return len(desk_queries), len(plain_queries), desk_queries, plain_queries

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
            *small[:2],
            *large[:2],
        )
        # Odoo's own part grows by design; the desk's part is the same at both sizes.
        self.assertEqual(
            small[0] - small[1],
            large[0] - large[1],
            "desk overhead, 10 then 100 orders, by query (desk less Odoo alone):\n"
            + self._overhead_diff(small, large),
        )

    def _overhead_diff(self, small, large):
        """The queries whose count beyond Odoo's own differs between the two sizes."""
        overheads = []
        for _desk, _plain, desk, plain in (small, large):
            overhead = Counter(self._desk_query_shapes(desk))
            overhead.subtract(Counter(self._desk_query_shapes(plain)))
            overheads.append(overhead)
        return "\n".join(
            f"{overheads[0][shape]:+d} then {overheads[1][shape]:+d}: {shape}"
            for shape in sorted(set(overheads[0]) | set(overheads[1]))
            if overheads[0][shape] != overheads[1][shape]
        )

    def _count_submit(self, count):
        orders = self._orders(count)
        queries = self._desk_queries(orders.action_desk_submit)
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
            "submit: 20 orders %s queries, 200 orders %s queries",
            len(small),
            len(large),
        )
        self.assertSameQueries(small, large, "submit 20, then 200 orders")
