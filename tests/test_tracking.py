import base64
import io
import logging
import time
from datetime import datetime
from unittest.mock import patch

import openpyxl
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestTracking(OrderDeskCase):
    """Tracking events from carrier files and from RPC: matching, errors per row, time
    zones, duplicates, and what the events change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = "UTC"
        cls._set_stock(cls.product, 1000)

    def setUp(self):
        super().setUp()
        self.order, self.picking = self._shipped(qty=1, ref="SF100")
        self.order_2, self.picking_2 = self._shipped(qty=1, ref="YT200, YT201")

    def _import(self, content, filename="carrier.csv", tz="UTC", lang=None):
        wizard = (
            self.env["order.desk.tracking.import.wizard"]
            .with_user(self.clerk)
            .with_context(lang=lang or self.env.lang)
            .create(
                {
                    "file": base64.b64encode(content),
                    "filename": filename,
                    "tz": tz,
                }
            )
        )
        wizard.action_import()
        return wizard

    CSV = (
        "运单号,时间,状态,地点,描述\n"
        "SF100,2026-11-18 09:00,已揽收,深圳,快件已揽收\n"
        "SF100,2026-11-18T20:30:00+08:00,in transit,Guangzhou,Departed hub\n"
        "XX999,2026-11-18 10:00,运输中,Shanghai,Unknown parcel\n"
        "YT201,not a date,运输中,Hangzhou,\n"
        "YT200,2026-11-19 08:00,teleported,Hangzhou,\n"
        "\n"
        "YT200,2026/11/19 9:15,Out for Delivery,Hangzhou,Courier Wang\n"
        "YT201,2099-12-30 10:00,已签收,Hangzhou,\n"
    )

    def test_csv_import_reports_rows_and_is_idempotent(self):
        wizard = self._import(self.CSV.encode("utf-8"))
        self.assertEqual(wizard.row_count, 7, "the blank line is not a row")
        self.assertEqual(wizard.new_count, 3)
        self.assertEqual(wizard.known_count, 0)
        self.assertEqual(wizard.error_count, 4)
        self.assertEqual(
            wizard.error_text.splitlines(),
            [
                "Row 4: unknown tracking number XX999.",
                "Row 5: not a date is not a date and time.",
                "Row 6: unknown status teleported.",
                "Row 9: the time 2099-12-30 10:00 is in the future.",
            ],
        )
        events = self.picking.desk_tracking_event_ids.sorted("event_date")
        self.assertEqual(events.mapped("status"), ["picked_up", "in_transit"])
        self.assertEqual(
            events.mapped("event_date"),
            [datetime(2026, 11, 18, 9, 0), datetime(2026, 11, 18, 12, 30)],
            "the +08:00 offset is converted to UTC",
        )
        self.assertEqual(set(events.mapped("source")), {"import"})
        self.assertEqual(self.picking.desk_tracking_status, "in_transit")
        self.assertEqual(self.picking.desk_last_event_location, "Guangzhou")
        self.assertEqual(self.picking_2.desk_tracking_status, "out_for_delivery")
        self.assertEqual(self.picking_2.desk_tracking_event_ids.tracking_ref, "YT200")

        again = self._import(self.CSV.encode("utf-8"))
        self.assertEqual((again.new_count, again.known_count), (0, 3))
        self.assertEqual(again.error_text, wizard.error_text)
        self.assertEqual(len(self.picking.desk_tracking_event_ids), 2)

    def test_csv_in_gb18030_with_semicolons(self):
        content = "运单号;时间;状态\nSF100;2026-11-19 10:00;派送中\n".encode("gb18030")
        wizard = self._import(content)
        self.assertEqual((wizard.new_count, wizard.error_count), (1, 0))
        self.assertEqual(self.picking.desk_tracking_status, "out_for_delivery")

    def test_naive_times_follow_the_chosen_time_zone(self):
        wizard = self._import(
            b"tracking number,time,status\nSF100,2026-11-19 10:00,in_transit\n",
            tz="Asia/Shanghai",
        )
        self.assertEqual(wizard.new_count, 1)
        self.assertEqual(
            self.picking.desk_tracking_event_ids.event_date,
            datetime(2026, 11, 19, 2, 0),
        )

    def test_xlsx_import(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["Tracking Number", "Time", "Status", "Location", "Description"])
        sheet.append(["SF100", datetime(2026, 11, 18, 9, 0), "已揽收", "深圳", "揽收"])
        sheet.append(
            ["SF100", datetime(2026, 11, 19, 16, 0), "已签收", "上海", "本人签收"]
        )
        sheet.append(["ZZ1", datetime(2026, 11, 19, 16, 0), "已签收", "上海", ""])
        sheet.append(["YT200", "2026-11-19", "妥投", "", ""])
        sheet.append(["YT201", 12345, "已签收", "", ""])
        stream = io.BytesIO()
        workbook.save(stream)
        wizard = self._import(stream.getvalue(), filename="carrier.xlsx")
        self.assertEqual((wizard.row_count, wizard.new_count), (5, 3))
        self.assertEqual(
            wizard.error_text.splitlines(),
            [
                "Row 4: unknown tracking number ZZ1.",
                "Row 6: 12345 is not a date and time.",
            ],
        )
        self.assertEqual(
            self.picking.desk_delivered_date, datetime(2026, 11, 19, 16, 0)
        )
        self.assertEqual(self.order.desk_state, "delivered")
        self.assertEqual(self.picking_2.desk_delivered_date, datetime(2026, 11, 19))
        again = self._import(stream.getvalue(), filename="carrier.xlsx")
        self.assertEqual((again.new_count, again.known_count), (0, 3))

    def test_missing_columns_are_refused(self):
        with self.assertRaisesRegex(Exception, "Missing: status"):
            self._import(b"tracking number,time,place\nSF100,2026-11-19,x\n")

    def test_rpc_add_events(self):
        events = [
            {
                "tracking_ref": "SF100",
                "event_date": "2026-11-19 08:00:00",
                "status": "out_for_delivery",
                "location": "Shenzhen",
            },
            {
                "tracking_ref": "SF100",
                "event_date": "2026-11-19 11:00",
                "status": "delivered",
            },
        ]
        Picking = self.env["stock.picking"].with_user(self.clerk)
        self.assertEqual(Picking.desk_add_tracking_events(events), 2)
        self.assertEqual(Picking.desk_add_tracking_events(events), 0, "no duplicates")
        self.assertEqual(self.order.desk_state, "delivered")
        # On one delivery, the events need no tracking number.
        count = self.picking_2.with_user(self.clerk).desk_add_tracking_events(
            [{"event_date": "2026-11-19 08:00", "status": "picked_up"}]
        )
        self.assertEqual(count, 1)
        # Restricted to the deliveries it is called on.
        with self.assertRaisesRegex(
            ValidationError, "Event 1: unknown tracking number SF100"
        ):
            self.picking_2.with_user(self.clerk).desk_add_tracking_events(
                [
                    {
                        "tracking_ref": "SF100",
                        "event_date": "2026-11-19",
                        "status": "delivered",
                    }
                ]
            )
        with self.assertRaisesRegex(
            ValidationError, "Event 2: unknown status lost in space"
        ):
            Picking.desk_add_tracking_events(
                [events[0], {**events[0], "status": "lost in space"}]
            )
        with self.assertRaisesRegex(ValidationError, "as a list"):
            Picking.desk_add_tracking_events("SF100")
        with self.assertRaises(AccessError):
            self.env["stock.picking"].with_user(self.salesman).desk_add_tracking_events(
                events
            )

    def test_manual_event_from_the_delivery(self):
        action = self.picking.with_user(self.clerk).action_desk_new_tracking_event()
        Event = self.env[action["res_model"]].with_user(self.clerk)
        with Form(Event.with_context(**action["context"])) as form:
            form.event_date = datetime(2026, 11, 19, 10, 0)
            form.status = "out_for_delivery"
            form.location = "Shenzhen"
        event = form.record
        self.assertEqual(
            (event.picking_id, event.tracking_ref, event.source),
            (self.picking, "SF100", "manual"),
        )
        self.assertEqual(self.picking.desk_tracking_status, "out_for_delivery")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            Event.create(
                {
                    "picking_id": self.picking.id,
                    "event_date": datetime(2026, 11, 19, 10, 0),
                    "status": "out_for_delivery",
                }
            )
            self.env.flush_all()

    def test_event_only_on_deliveries(self):
        receipt_type = self.warehouse.in_type_id
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": receipt_type.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": receipt_type.default_location_dest_id.id,
            }
        )
        with self.assertRaisesRegex(ValidationError, "belong to deliveries"):
            self.env["order.desk.tracking.event"].create(
                {
                    "picking_id": receipt.id,
                    "event_date": datetime(2026, 11, 19),
                    "status": "delivered",
                }
            )

    def test_buttons_open_the_right_screens(self):
        action = self.picking.with_user(self.clerk).action_desk_send_shipping_notice()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("order_desk.mail_template_desk_shipped").id,
        )
        incident = self.env["order.desk.incident"].create(
            {"incident_type": "complaint", "picking_id": self.picking.id}
        )
        for record in (self.order, self.picking):
            action = record.with_user(self.clerk).action_view_desk_incidents()
            self.assertEqual(
                self.env["order.desk.incident"].search(action["domain"]), incident
            )

    def test_trouble_opens_one_incident(self):
        Picking = self.env["stock.picking"].with_user(self.clerk)
        Picking.desk_add_tracking_events(
            [
                {
                    "tracking_ref": "SF100",
                    "event_date": "2026-11-19 08:00",
                    "status": "failed_attempt",
                    "description": "Nobody home",
                },
                {
                    "tracking_ref": "SF100",
                    "event_date": "2026-11-19 18:00",
                    "status": "failed_attempt",
                },
            ]
        )
        incident = self.picking.desk_incident_ids
        self.assertEqual(len(incident), 1, "one open incident per delivery")
        self.assertEqual(
            (incident.incident_type, incident.origin, incident.order_id),
            ("address", "tracking", self.order),
        )
        self.assertIn("Nobody home", incident.description)
        self.assertTrue(incident.name.startswith("INC/"))

    def test_import_refused_for_non_desk_users(self):
        with self.assertRaises(AccessError):
            self.env["order.desk.tracking.import.wizard"].with_user(
                self.salesman
            ).create({"file": base64.b64encode(b"x"), "filename": "x.csv"})

    # Volume ------------------------------------------------------------------------------------
    def _many_pickings(self, count):
        """Deliveries with a tracking number each, made in one call (no goods needed)."""
        picking_type = self.warehouse.out_type_id
        return self.env["stock.picking"].create(
            [
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": self.customer.id,
                    "location_id": picking_type.default_location_src_id.id,
                    "location_dest_id": self.env.ref(
                        "stock.stock_location_customers"
                    ).id,
                    "carrier_tracking_ref": f"VOL{count}-{index}",
                }
                for index in range(count)
            ]
        )

    def _volume_csv(self, pickings, rows):
        statuses = ["picked_up", "in_transit", "out_for_delivery"]
        lines = ["tracking number,time,status,location,description"]
        for index in range(rows):
            picking = pickings[index % len(pickings)]
            minute = index // len(pickings)
            lines.append(
                f"{picking.carrier_tracking_ref},2026-11-{1 + minute // 1440:02d} "
                f"{(minute // 60) % 24:02d}:{minute % 60:02d},"
                f"{statuses[index % 3]},Hub {index % 7},Scan {index}"
            )
        return "\n".join(lines).encode()

    def _count_import(self, rows):
        pickings = self._many_pickings(rows // 20)
        content = self._volume_csv(pickings, rows)
        wizards = []
        queries = self._desk_queries(lambda: wizards.append(self._import(content)))
        self.assertEqual((wizards[0].new_count, wizards[0].error_count), (rows, 0))
        return queries

    def test_import_query_count_does_not_grow(self):
        # The ORM's own chunking of INSERT/UPDATE statements by 100 rows is lifted so that
        # the count shows the import's own queries.
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._count_import(40)  # warm-up
            small = self._count_import(100)
            large = self._count_import(1000)
        _logger.info(
            "tracking import: 100 rows %s queries, 1000 rows %s", len(small), len(large)
        )
        self.assertSameQueries(small, large, "import of 100, then 1000 rows")

    def test_import_ten_thousand_events(self):
        pickings = self._many_pickings(500)
        content = self._volume_csv(pickings, 10_000)
        self.env.flush_all()
        before = self.cr.sql_log_count
        started = time.perf_counter()
        wizard = self._import(content)
        self.env.flush_all()
        elapsed = time.perf_counter() - started
        queries = self.cr.sql_log_count - before
        _logger.info(
            "tracking import: 10,000 rows over 500 deliveries in %.1f s, %s queries",
            elapsed,
            queries,
        )
        self.assertEqual((wizard.new_count, wizard.error_count), (10_000, 0))
        self.assertEqual(
            self.env["order.desk.tracking.event"].search_count(
                [("picking_id", "in", pickings.ids)]
            ),
            10_000,
        )
        again = self._import(content)
        self.assertEqual((again.new_count, again.known_count), (0, 10_000))

    def test_chinese_carrier_file_and_messages(self):
        """A clerk working in Chinese gets the row errors in Chinese, and the translated
        status labels of both Chinese languages are understood in files."""
        for lang in ("zh_CN", "zh_TW"):
            self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"]._load_module_terms(
            ["order_desk"], ["zh_CN", "zh_TW"], overwrite=True
        )
        content = (
            "運單號,時間,狀態,地點\n"
            "SF100,2026-11-18 09:00,派送失敗,台北\n"
            "SF100,2026-11-18 10:00,已接收信息,\n"
            "ZZ1,2026-11-18 10:00,运输中,\n"
        ).encode()
        wizard = self._import(content, lang="zh_CN")
        self.assertEqual(wizard.new_count, 2)
        # Chinese punctuation is meant here.
        self.assertEqual(wizard.error_text, "第 4 行：未知运单号 ZZ1。")  # noqa: RUF001
        self.assertEqual(
            set(self.picking.desk_tracking_event_ids.mapped("status")),
            {"failed_attempt", "info_received"},
        )
        incident = self.picking.desk_incident_ids
        self.assertEqual(
            incident.with_context(lang="zh_CN").display_name, incident.name
        )
        label = dict(
            self.env["order.desk.incident"]
            .with_context(lang="zh_TW")
            ._fields["incident_type"]
            ._description_selection(self.env(context={"lang": "zh_TW"}))
        )["address"]
        self.assertEqual(label, "地址問題")
