import logging
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)

CLERK_TILES = [
    "my_blocked_drafts",
    "to_review",
    "approved_short",
    "locked_not_picked",
    "late_shipments",
    "open_incidents",
    "returns_to_handle",
]
MANAGER_TILES = [
    "review_queue",
    "review_blocked",
    "returns_to_approve",
    "incidents_to_decide",
    "prepaid_held",
    "reservations_expiring",
]
ACCOUNTANT_TILES = [
    "statements_to_send",
    "statements_disputed",
    "statements_unanswered",
    "amounts_disagree",
]


@tagged("post_install", "-at_install")
class TestOverview(OrderDeskCase):
    """Order Desk > Overview: per role, what needs someone now, counted for the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="od_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        # The counts are the whole company's, and other test classes commit orders to this
        # database (see test_concurrency): these tests count in a company of their own.
        company = cls.env["res.company"].create({"name": "OD Overview Company"})
        (cls.clerk | cls.manager | cls.accountant | cls.salesman).write(
            {"company_ids": [Command.link(company.id)], "company_id": company.id}
        )
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[company.id])
        )
        cls.company = company.with_env(cls.env)
        cls.company.write(
            {"order_desk_require_approval": True, "order_desk_auto_approve": False}
        )
        cls.env["order.desk.rule"].search([("active", "=", True)]).action_archive()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        cls._set_stock(cls.product, 50)
        cls.Tile = cls.env["order.desk.overview.tile"]

    def _tiles(self, user):
        # Counts are computed per request: drop what an earlier read computed.
        self.env.invalidate_all()
        tiles = self.Tile.with_user(user).search([("is_mine", "=", True)])
        return {tile.kind: tile for tile in tiles}

    def _count(self, user, kind):
        return self._tiles(user)[kind].count if kind in self._tiles(user) else None

    def _tile(self, kind):
        return self.Tile.search([("kind", "=", kind)])

    def _opened(self, user, kind):
        """The records the tile's list shows to ``user``."""
        action = self._tile(kind).with_user(user).action_open()
        return self.env[action["res_model"]].with_user(user).search(action["domain"])

    def test_each_role_has_its_tiles(self):
        self.assertEqual(list(self._tiles(self.clerk)), CLERK_TILES)
        self.assertEqual(list(self._tiles(self.manager)), MANAGER_TILES)
        self.assertEqual(list(self._tiles(self.accountant)), ACCOUNTANT_TILES)
        self.manager.group_ids = [Command.link(self.env.ref(ACCOUNTING).id)]
        self.assertEqual(
            list(self._tiles(self.manager)), MANAGER_TILES + ACCOUNTANT_TILES
        )
        self.assertFalse(self.Tile.with_user(self.salesman).has_access("read"))

    def test_review_tiles_count_and_open_the_same_orders(self):
        self._rule("payment_term")
        blocked_draft = self._order(payment_term_id=False)
        blocked_draft.with_user(self.clerk).action_desk_check()
        blocked_draft.user_id = self.clerk
        others_draft = self._order(payment_term_id=False)
        others_draft.action_desk_check()
        others_draft.user_id = self.manager
        with freeze_time(fields.Datetime.now() - timedelta(days=3)):
            old_review = self._order()
            old_review.with_user(self.clerk).action_desk_submit()
        blocked_review = self._order(payment_term_id=False)
        blocked_review.with_user(self.clerk).action_desk_submit()

        self.assertEqual(self._count(self.clerk, "my_blocked_drafts"), 1)
        self.assertEqual(self._opened(self.clerk, "my_blocked_drafts"), blocked_draft)
        review = self._tiles(self.manager)["review_queue"]
        self.assertEqual(review.count, 2)
        self.assertEqual(review.note, "Oldest: 3 days")
        self.assertEqual(
            self._opened(self.manager, "review_queue"), old_review | blocked_review
        )
        self.assertEqual(self._count(self.manager, "review_blocked"), 1)
        self.assertEqual(self._opened(self.manager, "review_blocked"), blocked_review)
        self.assertTrue(self._tiles(self.manager)["review_blocked"].alert)
        self.assertEqual(self._count(self.clerk, "to_review"), 2)

    def test_stock_and_shipping_tiles(self):
        short_product = self._create_product("Standing Desk", "DESK", 900.0, True)
        self._set_stock(short_product, 1)
        reserved = self._approved(qty=2)
        short = self._approved(qty=5, product=short_product)
        self.assertEqual(
            self._opened(self.clerk, "locked_not_picked"), reserved | short
        )
        self.assertEqual(self._count(self.clerk, "approved_short"), 1)
        self.assertEqual(self._opened(self.clerk, "approved_short"), short)

        # Reservations that end today (in the user's time zone) and not later.
        self.manager.tz = "Asia/Shanghai"
        with freeze_time("2026-11-20 02:00:00"):  # 10:00 in Shanghai
            reserved.desk_reservation_deadline = "2026-11-20 12:00:00"  # 20:00
            short.desk_reservation_deadline = "2026-11-20 17:00:00"  # 01:00 next day
            self.assertEqual(self._count(self.manager, "reservations_expiring"), 1)
            self.assertEqual(
                self._opened(self.manager, "reservations_expiring"), reserved
            )

        late_order, late = self._shipped(qty=1, ref="LATE-1")
        _on_time_order, on_time = self._shipped(qty=1, ref="ONTIME-1")
        late.desk_expected_date = fields.Datetime.now() - timedelta(days=1)
        on_time.desk_expected_date = fields.Datetime.now() + timedelta(days=2)
        self.company.order_desk_tracking_silence_days = 0
        self.assertEqual(self._opened(self.clerk, "late_shipments"), late)
        # Silent: no carrier news for the company's silence days.
        self.company.order_desk_tracking_silence_days = 2
        on_time.date_done = fields.Datetime.now() - timedelta(days=3)
        self.assertEqual(self._opened(self.clerk, "late_shipments"), late | on_time)
        self.assertEqual(self._count(self.clerk, "late_shipments"), 2)
        self.assertTrue(late_order)

    def test_incident_return_and_prepayment_tiles(self):
        order, picking = self._shipped(qty=2, ref="INC-1")
        Incident = self.env["order.desk.incident"]
        handled = Incident.create(
            {"incident_type": "delay", "order_id": order.id, "picking_id": picking.id}
        )
        refund = Incident.create(
            {
                "incident_type": "damage",
                "order_id": order.id,
                "picking_id": picking.id,
                "resolution": "refund",
            }
        )
        self.assertEqual(self._opened(self.clerk, "open_incidents"), handled | refund)
        self.assertEqual(self._opened(self.manager, "incidents_to_decide"), refund)
        handled.date_deadline = fields.Date.today() - timedelta(days=1)
        self.assertEqual(self._count(self.manager, "incidents_to_decide"), 2)

        prepaid = self._approved(qty=1, desk_settlement_method="prepayment")
        self.assertEqual(self._opened(self.manager, "prepaid_held"), prepaid)
        # Nothing invoiced yet on either confirmed order.
        self.assertEqual(self._count(self.accountant, "amounts_disagree"), 2)

    def test_statement_tiles(self):
        Statement = self.env["order.desk.statement"]
        values = {
            "partner_id": self.customer.id,
            "company_id": self.company.id,
            "date_from": "2026-10-01",
            "date_to": "2026-10-31",
        }
        draft = Statement.create(values)
        sent = Statement.create(
            dict(values, date_from="2026-09-01", date_to="2026-09-30")
        )
        sent.sudo().write(
            {"state": "sent", "sent_date": fields.Datetime.now() - timedelta(days=9)}
        )
        recent = Statement.create(
            dict(values, date_from="2026-08-01", date_to="2026-08-31")
        )
        recent.sudo().write(
            {"state": "sent", "sent_date": fields.Datetime.now() - timedelta(days=2)}
        )
        self.assertEqual(self._opened(self.accountant, "statements_to_send"), draft)
        self.assertEqual(self._opened(self.accountant, "statements_unanswered"), sent)
        self._tile("statements_unanswered").threshold_days = 1
        self.assertEqual(self._count(self.accountant, "statements_unanswered"), 2)
        self.assertEqual(
            self._tiles(self.accountant)["statements_unanswered"].note,
            "No answer after 1 day(s)",
        )

    def test_counts_stay_in_the_users_companies(self):
        company_b = self.env["res.company"].create({"name": "OD Overview B"})
        clerk_b = new_test_user(
            self.env,
            login="od_overview_clerk_b",
            groups="order_desk.group_order_desk_user",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        order = self._order()
        order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(self._count(self.clerk, "to_review"), 1)
        tile_b = (
            self._tile("to_review")
            .with_user(clerk_b)
            .with_context(allowed_company_ids=[company_b.id])
        )
        self.assertEqual(tile_b.count, 0)
        action = tile_b.action_open()
        self.assertFalse(
            self.env["sale.order"]
            .with_user(clerk_b)
            .with_context(allowed_company_ids=[company_b.id])
            .search(action["domain"])
        )
        # Both companies selected in the switcher: both counted.
        self.clerk.company_ids = [Command.link(company_b.id)]
        order_b = self._order(company_id=company_b.id)
        order_b.with_user(self.clerk).with_context(
            allowed_company_ids=[company_b.id]
        ).action_desk_submit()
        self.env.invalidate_all()
        tile = self._tile("to_review").with_user(self.clerk)
        self.assertEqual(tile.count, 1)
        both = [self.company.id, company_b.id]
        self.assertEqual(tile.with_context(allowed_company_ids=both).count, 2)

    def test_new_order_opens_the_desk_form(self):
        action = self.Tile.with_user(self.clerk).action_new_order()
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual([mode for _id, mode in action["views"]], ["form"])
        self.assertEqual(action["context"].get("default_desk_channel"), "phone")

    # Query counts ---------------------------------------------------------------------------
    def _bulk_orders(self, count):
        """``count`` bare orders spread over the states the tiles count."""
        states = ["draft", "to_review", "approved", "locked", "cancel"]
        orders = (
            self.env["sale.order"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": self.customer.id,
                        "user_id": self.clerk.id,
                        "client_order_ref": f"BULK-{index}",
                    }
                    for index in range(count)
                ]
            )
        )
        for index, state in enumerate(states):
            orders[index :: len(states)].write(
                {
                    "desk_state": state,
                    "desk_submitted_date": fields.Datetime.now(),
                    "desk_reservation_deadline": fields.Datetime.now(),
                }
            )
        self.env.flush_all()
        return orders

    def _overview_queries(self, user):
        tiles = self.Tile.with_user(user).search([("is_mine", "=", True)])
        tiles.mapped("count")  # warm-up: caches of access rights and rules
        tiles.invalidate_recordset()
        before = self.cr.sql_log_count
        tiles.mapped("note")
        return self.cr.sql_log_count - before, tiles

    def test_query_count_does_not_grow(self):
        with patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000):
            self._bulk_orders(100)
            small, tiles = self._overview_queries(self.manager)
            small_clerk, _tiles = self._overview_queries(self.clerk)
            self._bulk_orders(1900)
            large, tiles = self._overview_queries(self.manager)
            large_clerk, _tiles = self._overview_queries(self.clerk)
        _logger.info(
            "overview: manager %s queries (100 and 2,000 orders: %s, %s), clerk %s, %s",
            len(tiles),
            small,
            large,
            small_clerk,
            large_clerk,
        )
        self.assertEqual(large, small)
        self.assertEqual(large_clerk, small_clerk)
        # One query reads the tiles, then one grouped read per tile.
        self.assertEqual(small, len(tiles) + 1)
        self.assertEqual(tiles.filtered(lambda t: t.kind == "review_queue").count, 400)


ACCOUNTING = "account.group_account_invoice"


@tagged("post_install", "-at_install")
class TestHomeAction(OrderDeskCase):
    """Desk users land on the Overview after login."""

    def setUp(self):
        super().setUp()
        self.overview = self.env.ref("order_desk.order_desk_overview_tile_action")
        self.desk_group = self.env.ref("order_desk.group_order_desk_user")

    def test_new_desk_user_lands_on_the_overview(self):
        self.assertEqual(self.clerk.action_id.id, self.overview.id)
        self.assertEqual(self.manager.action_id.id, self.overview.id)
        self.assertFalse(self.salesman.action_id)

    def test_joining_and_leaving_the_desk(self):
        self.salesman.group_ids = [Command.link(self.desk_group.id)]
        self.assertEqual(self.salesman.action_id.id, self.overview.id)
        self.salesman.group_ids = [Command.unlink(self.desk_group.id)]
        self.assertFalse(self.salesman.action_id)
        # Through the group's own users.
        self.desk_group.user_ids = [Command.link(self.salesman.id)]
        self.assertEqual(self.salesman.action_id.id, self.overview.id)
        self.desk_group.user_ids = [Command.unlink(self.salesman.id)]
        self.assertFalse(self.salesman.action_id)

    def test_a_chosen_home_is_kept(self):
        orders = self.env.ref("sale.action_orders")
        self.salesman.action_id = orders.id
        self.salesman.group_ids = [Command.link(self.desk_group.id)]
        self.assertEqual(self.salesman.action_id.id, orders.id)
        self.salesman.group_ids = [Command.unlink(self.desk_group.id)]
        self.assertEqual(self.salesman.action_id.id, orders.id)
