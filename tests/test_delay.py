import logging
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestDelay(OrderDeskCase):
    """The scheduler finds late and silent deliveries and opens one incident for each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "order_desk_transit_days": 2,
                "order_desk_tracking_silence_days": 3,
                "order_desk_notify_customer": True,
            }
        )
        cls._set_stock(cls.product, 1000)

    def _delay_incidents(self, pickings):
        return self.env["order.desk.incident"].search(
            [("picking_id", "in", pickings.ids), ("incident_type", "=", "delay")]
        )

    def test_late_delivery_opens_one_incident_and_tells_the_customer(self):
        with freeze_time("2026-03-02 09:00:00"):
            _order, picking = self._shipped(
                qty=1, commitment_date="2026-03-05 10:00:00"
            )
            picking.with_user(self.clerk).desk_add_tracking_events(
                [{"event_date": "2026-03-02 09:00", "status": "picked_up"}]
            )
        self.assertEqual(picking.desk_expected_date, datetime(2026, 3, 5, 10, 0))
        Picking = self.env["stock.picking"]
        with freeze_time("2026-03-05 09:00:00"):
            Picking._cron_desk_detect_delays()
        self.assertFalse(self._delay_incidents(picking), "not late yet")

        with freeze_time("2026-03-05 11:00:00"):
            Picking._cron_desk_detect_delays()
            Picking._cron_desk_detect_delays()
        incident = self._delay_incidents(picking)
        self.assertEqual(len(incident), 1, "one incident however often the check runs")
        self.assertEqual(incident.origin, "delay_check")
        self.assertIn("2026-03-05 10:00:00", incident.description)
        notices = picking.message_ids.filtered(
            lambda m: "is delayed" in (m.subject or "")
        )
        self.assertEqual(len(notices), 1)
        self.assertTrue(picking.desk_delay_notified)

    def test_expected_date_without_promise_uses_transit_days(self):
        with freeze_time("2026-03-02 09:00:00"):
            _order, picking = self._shipped(qty=1, commitment_date=False)
        self.assertEqual(picking.desk_expected_date, datetime(2026, 3, 4, 9, 0))

    def test_silent_delivery(self):
        with freeze_time("2026-04-01 08:00:00"):
            _order, picking = self._shipped(
                qty=1, commitment_date="2026-05-30 10:00:00"
            )
            picking.with_user(self.clerk).desk_add_tracking_events(
                [{"event_date": "2026-04-01 08:00", "status": "in_transit"}]
            )
        Picking = self.env["stock.picking"]
        with freeze_time("2026-04-03 08:00:00"):
            Picking._cron_desk_detect_delays()
        self.assertFalse(self._delay_incidents(picking))
        with freeze_time("2026-04-04 09:00:00"):
            Picking._cron_desk_detect_delays()
        incident = self._delay_incidents(picking)
        self.assertEqual(len(incident), 1)
        self.assertIn(
            "No tracking news since 2026-04-01 08:00:00", incident.description
        )
        notices = picking.message_ids.filtered(
            lambda m: "is delayed" in (m.subject or "")
        )
        self.assertFalse(notices, "a silent carrier is followed up internally")

    def test_delivered_or_switched_off_is_left_alone(self):
        with freeze_time("2026-03-02 09:00:00"):
            _order, delivered = self._shipped(
                qty=1, commitment_date="2026-03-03 10:00:00"
            )
            delivered.with_user(self.clerk).action_desk_confirm_delivered()
            _order2, quiet = self._shipped(
                qty=1, ref="SF0002", commitment_date="2026-09-03 10:00:00"
            )
        self.company.order_desk_tracking_silence_days = 0
        with freeze_time("2026-04-01 09:00:00"):
            self.env["stock.picking"]._cron_desk_detect_delays()
        self.assertFalse(self._delay_incidents(delivered | quiet))

    def _count_cron(self, count, shipped_at, check_at):
        with freeze_time(shipped_at):
            pickings = self.env["stock.picking"]
            for index in range(count):
                _order, picking = self._shipped(
                    qty=1, ref=f"Q{shipped_at[:10]}-{index}", commitment_date=shipped_at
                )
                pickings |= picking
        self.env.flush_all()
        with freeze_time(check_at):
            queries = self._desk_queries(
                self.env["stock.picking"]._cron_desk_detect_delays
            )
        self.assertEqual(len(self._delay_incidents(pickings)), count)
        return queries

    def test_cron_query_count_does_not_grow(self):
        # Customer e-mails are rendered one by one by design; the detection itself is not.
        self.company.order_desk_notify_customer = False
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._count_cron(2, "2026-01-05 10:00:00", "2026-01-10 10:00:00")  # warm-up
            small = self._count_cron(3, "2026-02-05 10:00:00", "2026-02-10 10:00:00")
            large = self._count_cron(12, "2026-03-05 10:00:00", "2026-03-10 10:00:00")
        _logger.info(
            "delay check: 3 late deliveries %s queries, 12: %s", len(small), len(large)
        )
        self.assertSameQueries(small, large, "delay check of 3, then 12 deliveries")
