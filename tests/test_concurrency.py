import logging
import random
import threading
import time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import ConcurrencyError
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)
from odoo.tests import TransactionCase, new_test_user, tagged

_logger = logging.getLogger(__name__)


class ConcurrentCase(TransactionCase):
    """Real, separate transactions committed at the same time.

    The data is committed through cursors of their own (the test's cursor would hide it from
    the other transactions) and stays in the test database, under names of its own.
    """

    def _committed(self, func):
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))

    def _run_concurrently(self, user_id, calls):
        """Run ``calls`` ({key: func(env)}) each in its own thread and transaction, all
        started together, each retried as Odoo's RPC layer does. Returns {key: outcome}."""
        barrier = threading.Barrier(len(calls))
        outcomes = {}
        # Cursors and environments are made here: the first environment of a cursor looks
        # the registry up under a lock that this (the test runner's) thread holds.
        envs = {
            key: api.Environment(
                self.registry.cursor(), user_id, {"tracking_disable": True}
            )
            for key in calls
        }

        def run(key):
            env = envs[key]
            with env.cr:
                barrier.wait(timeout=30)
                try:
                    outcomes[key] = self._retrying(lambda: calls[key](env), env)
                except Exception as exc:
                    # Reported by the assertions; the rollback leaves nothing half-written.
                    env.cr.rollback()
                    outcomes[key] = f"refused: {exc}"

        threads = [threading.Thread(target=run, args=(key,)) for key in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return outcomes

    @staticmethod
    def _retrying(func, env):
        """What ``odoo.service.model.retrying`` does for every RPC call: roll back and call
        again on a serialization failure, up to the same number of tries. (Its own
        ``Transaction.reset`` looks the registry up under a lock the test runner holds, so
        the cache is cleared here instead; the registry does not change meanwhile.)
        Returns ``(result, try number)``."""
        for tryno in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            try:
                result = func()
                env.cr.flush()
                return result, tryno
            except (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError):
                env.cr.rollback()
                env.transaction.clear()
                if tryno == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    raise
                time.sleep(random.uniform(0.0, 0.2 * 2**tryno))
        return None, 0


@tagged("post_install", "-at_install")
class TestConcurrentApproval(ConcurrentCase):
    """Competing approvals in real, separate transactions committed at the same time."""

    def _setup(self, tag, stock, quantities):
        def build(env):
            company = env.ref("base.main_company")
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            product = env["product.product"].create(
                {
                    "name": f"Concurrency {tag}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0,
                }
            )
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, stock
            )
            partner = env["res.partner"].create(
                {
                    "name": f"Concurrency customer {tag}",
                    "email": "c@concurrency.test",
                    "phone": "1",
                    "street": "1 Road",
                    "city": "Shanghai",
                    "country_id": env.ref("base.cn").id,
                }
            )
            term = env["account.payment.term"].create({"name": f"Concurrency {tag}"})
            manager = new_test_user(
                env,
                login=f"od_conc_{tag}",
                groups="order_desk.group_order_desk_manager",
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "payment_term_id": term.id,
                        "commitment_date": "2099-01-01 10:00:00",
                        "client_order_ref": f"{tag}-{i}",
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "product_uom_qty": qty,
                                    "price_unit": 10.0,
                                }
                            )
                        ],
                    }
                    for i, qty in enumerate(quantities)
                ]
            )
            orders.action_desk_submit()
            return product.id, warehouse.lot_stock_id.id, manager.id, orders.ids

        return self._committed(build)

    def _approve_concurrently(self, manager_id, order_ids):
        """Each order approved by its own thread and transaction, all started together."""

        def approve(order_id):
            return lambda env: env["sale.order"].browse(order_id).action_desk_approve()

        outcomes = self._run_concurrently(
            manager_id, {order_id: approve(order_id) for order_id in order_ids}
        )
        return {
            order_id: (
                outcome
                if isinstance(outcome, str)
                else ("approved" if outcome[1] == 1 else "approved after retry")
            )
            for order_id, outcome in outcomes.items()
        }

    def _state(self, product_id, location_id, order_ids):
        def read(env):
            orders = env["sale.order"].browse(order_ids)
            quants = env["stock.quant"].search(
                [
                    ("product_id", "=", product_id),
                    ("location_id", "child_of", location_id),
                ]
            )
            return {
                "quants": [(q.quantity, q.reserved_quantity) for q in quants],
                "orders": {
                    o.id: (
                        o.desk_state,
                        o.locked,
                        o.state,
                        sum(o.picking_ids.move_ids.mapped("quantity")),
                        sum(o.order_line.mapped("product_uom_qty")),
                    )
                    for o in orders
                },
            }

        return self._committed(read)

    def _assert_consistent(self, state):
        for quantity, reserved in state["quants"]:
            self.assertGreaterEqual(quantity, 0)
            self.assertLessEqual(
                reserved, quantity, "a quant is reserved beyond its quantity"
            )
        for desk_state, locked, sale_state, _reserved, _qty in state["orders"].values():
            # Never half-locked: locked flag, desk state and confirmation go together.
            if desk_state == "locked":
                self.assertTrue(locked)
                self.assertEqual(sale_state, "sale")
            else:
                self.assertEqual(
                    (desk_state, locked, sale_state), ("to_review", False, "draft")
                )

    def test_two_orders_for_the_last_five_units(self):
        product_id, location_id, manager_id, order_ids = self._setup("two", 5, [5, 5])
        outcomes = self._approve_concurrently(manager_id, order_ids)
        # The second one queued behind the first (stock lock) and then saw its work: no
        # serialization error, no retry.
        self.assertEqual(sorted(outcomes.values()), ["approved", "approved"], outcomes)
        state = self._state(product_id, location_id, order_ids)
        self._assert_consistent(state)
        reserved = sorted(values[3] for values in state["orders"].values())
        self.assertEqual(reserved, [0, 5], "exactly one order holds the five units")
        self.assertEqual(sum(r for _q, r in state["quants"]), 5)

    def test_ten_approvals_for_five_units(self):
        product_id, location_id, manager_id, order_ids = self._setup("ten", 5, [1] * 10)
        outcomes = self._approve_concurrently(manager_id, order_ids)
        state = self._state(product_id, location_id, order_ids)
        self._assert_consistent(state)
        locked = [v for v in state["orders"].values() if v[0] == "locked"]
        # Ten racers queue on the product's lock: none fails, none is retried (Odoo's
        # five retries used to run out here).
        self.assertEqual(list(outcomes.values()), ["approved"] * 10, outcomes)
        self.assertEqual(len(locked), 10, outcomes)
        reserved = [v[3] for v in locked]
        self.assertEqual(sum(reserved), 5, "the five units went to five orders")
        self.assertEqual(sorted(reserved), [0] * 5 + [1] * 5)
        self.assertEqual(sum(r for _q, r in state["quants"]), 5)

    def test_stock_locks_end_with_the_transaction(self):
        # A job that commits chunk by chunk on one cursor locks again in the next chunk:
        # the locks, and the memory of them, end with the transaction.
        product_id = self._committed(
            lambda env: (
                env["product.product"]
                .create({"name": "Concurrency relock", "is_storable": True})
                .id
            )
        )

        def held(cr):
            cr.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND objid = %s",
                [product_id],
            )
            return cr.fetchone()[0]

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            product = env["product.product"].browse(product_id)
            product._desk_lock_stock()
            self.assertEqual(held(cr), 1)
            cr.commit()  # pylint: disable=invalid-commit
            self.assertEqual(held(cr), 0, "released by the commit")
            self.assertNotIn("order_desk_stock_locks", cr.cache)
            product._desk_lock_stock()
            self.assertEqual(held(cr), 1, "taken again in the next transaction")
            cr.rollback()
            self.assertEqual(held(cr), 0)


@tagged("post_install", "-at_install")
class TestConcurrentTracking(ConcurrentCase):
    """The same carrier events brought twice at the same moment are recorded once."""

    def test_same_events_twice_at_once(self):
        def build(env):
            company = env.ref("base.main_company")
            picking_type = (
                env["stock.warehouse"]
                .search([("company_id", "=", company.id)], limit=1)
                .out_type_id
            )
            picking = env["stock.picking"].create(
                {
                    "picking_type_id": picking_type.id,
                    "location_id": picking_type.default_location_src_id.id,
                    "location_dest_id": env.ref("stock.stock_location_customers").id,
                    "carrier_tracking_ref": "CONCURRENCY-TRK-1",
                    "origin": "Concurrency tracking",
                }
            )
            clerk = new_test_user(
                env, login="od_conc_tracking", groups="order_desk.group_order_desk_user"
            )
            return picking.id, clerk.id

        picking_id, clerk_id = self._committed(build)
        events = [
            {
                "tracking_ref": "CONCURRENCY-TRK-1",
                "event_date": f"2026-11-19 0{hour}:00",
                "status": "in_transit",
            }
            for hour in range(1, 6)
        ]

        def add(env):
            return env["stock.picking"].desk_add_tracking_events(events)

        outcomes = self._run_concurrently(clerk_id, {"first": add, "second": add})
        self.assertFalse(
            [outcome for outcome in outcomes.values() if isinstance(outcome, str)],
            outcomes,
        )
        results = sorted(outcome for outcome in outcomes.values())
        self.assertEqual(
            [new for new, _tryno in results], [0, 5], f"one call records, {outcomes}"
        )
        self.assertTrue(
            any(tryno > 1 for _new, tryno in results), "the later call was retried"
        )
        count = self._committed(
            lambda env: env["order.desk.tracking.event"].search_count(
                [("picking_id", "=", picking_id)]
            )
        )
        self.assertEqual(count, 5)


@tagged("post_install", "-at_install")
class TestConcurrentAllocation(ConcurrentCase):
    """An allocation run applied while an approval takes the same stock, at the same
    second, in real separate transactions: never more reserved than there is."""

    def _setup(self, tag):
        def build(env):
            company = env.ref("base.main_company")
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            product = env["product.product"].create(
                {
                    "name": f"Concurrency allocation {tag}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0,
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": f"Concurrency allocation customer {tag}",
                    "email": "a@concurrency.test",
                    "phone": "1",
                    "street": "1 Road",
                    "city": "Shanghai",
                    "country_id": env.ref("base.cn").id,
                }
            )
            term = env["account.payment.term"].create(
                {"name": f"Concurrency allocation {tag}"}
            )
            manager = new_test_user(
                env,
                login=f"od_conc_alloc_{tag}",
                groups="order_desk.group_order_desk_manager",
            )
            waiting, racer = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "payment_term_id": term.id,
                        "commitment_date": "2099-01-01 10:00:00",
                        "client_order_ref": f"alloc-{tag}-{i}",
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "product_uom_qty": 5,
                                    "price_unit": 10.0,
                                }
                            )
                        ],
                    }
                    for i in range(2)
                ]
            )
            (waiting | racer).action_desk_submit()
            # Approved while nothing was in stock: locked, nothing reserved.
            waiting.action_desk_approve()
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 5
            )
            allocation = env["order.desk.allocation"].create(
                {
                    "warehouse_id": warehouse.id,
                    "product_ids": [Command.set(product.ids)],
                    "date_to": "2099-12-31",
                }
            )
            allocation.action_propose()
            assert allocation.line_ids.qty_allocated == 5
            return (
                product.id,
                warehouse.lot_stock_id.id,
                manager.id,
                allocation.id,
                waiting.id,
                racer.id,
            )

        return self._committed(build)

    def _read(self, product_id, location_id, allocation_id, order_ids):
        def read(env):
            quants = env["stock.quant"].search(
                [
                    ("product_id", "=", product_id),
                    ("location_id", "child_of", location_id),
                ]
            )
            orders = env["sale.order"].browse(order_ids)
            return {
                "quants": [(q.quantity, q.reserved_quantity) for q in quants],
                "allocation": env["order.desk.allocation"].browse(allocation_id).state,
                "held": [
                    sum(o.order_line.move_ids.move_line_ids.mapped("quantity"))
                    for o in orders
                ],
                "desk_states": orders.mapped("desk_state"),
            }

        return self._committed(read)

    def test_apply_and_approve_at_the_same_second(self):
        seen = set()
        for round_ in range(3):
            product_id, location_id, manager_id, allocation_id, waiting_id, racer_id = (
                self._setup(f"r{round_}")
            )
            outcomes = self._run_concurrently(
                manager_id,
                {
                    "apply": lambda env, a=allocation_id: (
                        env["order.desk.allocation"].browse(a).action_apply()
                    ),
                    "approve": lambda env, r=racer_id: (
                        env["sale.order"].browse(r).action_desk_approve()
                    ),
                },
            )
            state = self._read(
                product_id, location_id, allocation_id, [waiting_id, racer_id]
            )
            for quantity, reserved in state["quants"]:
                self.assertLessEqual(reserved, quantity, "over-reserved")
            self.assertEqual(sum(r for _q, r in state["quants"]), 5, outcomes)
            self.assertNotIsInstance(outcomes["approve"], str, outcomes)
            self.assertEqual(state["desk_states"], ["locked", "locked"])
            if state["allocation"] == "applied":
                self.assertEqual(state["held"], [5, 0], outcomes)
                seen.add("run first")
            else:
                # The approval took the stock first: the run saw it and changed nothing.
                self.assertEqual(state["allocation"], "proposed")
                self.assertIn("changed since", outcomes["apply"])
                self.assertEqual(state["held"], [0, 5], outcomes)
                seen.add("approval first")
        _logger.info("allocation against approval: %s", ", ".join(sorted(seen)))
        self.assertTrue(seen)
