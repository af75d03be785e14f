import base64
import json
import re
from datetime import date

from odoo.tests import HttpCase, tagged

from .common import OrderDeskCase
from .rpc import RpcCaseMixin
from .test_statement import StatementCase

# Times carriers really sent: offsets no clock has, years the time zone arithmetic cannot
# reach.
BAD_TIMES = [
    "2026-01-02 10:00+24:00",
    "2026-01-02 10:00+99:99",
    "2026-01-02 10:00-25:30",
    "2026-01-02 10:00+05:75",
    "0001-01-01 00:00",
    "0001-01-01 00:00+01:00",
    "9999-12-31 23:59-05:00",
    "9999-12-31 23:59",
]


@tagged("post_install", "-at_install")
class TestOutsideInput(RpcCaseMixin, HttpCase, OrderDeskCase):
    """Carrier events, files and portal forms with the mistakes real senders make: each is
    refused with a reason, the valid rest is kept, nothing answers HTTP 500."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 1000)
        cls.carrier, cls.token = cls._webhook_carrier("OD Input Express")
        cls.portal = cls._portal_user("od_input_portal")
        cls.reason = cls.env.ref("order_desk.return_reason_changed_mind")

    def setUp(self):
        super().setUp()
        order = self._approved(qty=1)
        self.picking = self._deliveries(order)
        self.picking.write(
            {"carrier_id": self.carrier.id, "carrier_tracking_ref": "IN-1"}
        )
        self._validate(self.picking)

    def _webhook(self, events, timezone="Asia/Shanghai"):
        return self.url_open(
            f"/order_desk/tracking/{self.carrier.id}",
            data=json.dumps({"timezone": timezone, "events": events}),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )

    @staticmethod
    def _event(time="2026-01-02 10:00", **values):
        return {"tracking_ref": "IN-1", "time": time, "status": "in_transit", **values}

    # Webhook ----------------------------------------------------------------------------------
    def test_webhook_keeps_the_good_events(self):
        bad = [self._event(time) for time in BAD_TIMES] + [
            self._event(location="Shang\x00hai"),
            self._event(description="Left\x00hub"),
            self._event(tracking_ref="IN\x00-1"),
            self._event(status="in\x00transit"),
        ]
        response = self._webhook([self._event("2026-01-02 09:00"), *bad])
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual((body["received"], body["new"]), (len(bad) + 1, 1))
        self.assertEqual(
            [error["index"] for error in body["errors"]],
            list(range(1, len(bad) + 1)),
        )
        self.assertEqual(len(self.picking.desk_tracking_event_ids), 1)
        only_bad = self._webhook(bad)
        self.env.invalidate_all()
        self.assertEqual(only_bad.status_code, 422, only_bad.text)
        self.assertEqual(len(only_bad.json()["errors"]), len(bad))
        self.assertEqual(len(self.picking.desk_tracking_event_ids), 1)

    # RPC ----------------------------------------------------------------------------------------
    def test_rpc_events_are_refused_with_a_reason(self):
        cases = [{"event_date": time, "status": "in_transit"} for time in BAD_TIMES]
        cases += [
            {
                "event_date": "2026-01-02 10:00",
                "status": "in_transit",
                "location": "\x00",
            },
            {
                "event_date": "2026-01-02 10:00",
                "status": "in_transit",
                "description": "a\x00b",
            },
            {"event_date": "2026-01-02\x00 10:00", "status": "in_transit"},
            {
                "event_date": "2026-01-02 10:00",
                "status": "in_transit",
                "picking_id": 2**70,
            },
        ]
        for event in cases:
            with self.subTest(event=event):
                self._rpc_refused(
                    self.clerk,
                    "stock.picking",
                    "desk_add_tracking_events",
                    self.picking.ids,
                    [event],
                    expected=("ValidationError",),
                )
        self.assertFalse(self.picking.desk_tracking_event_ids)

    def test_rpc_reasons_with_nul_are_refused(self):
        order = self._order()
        order.with_user(self.clerk).action_desk_submit()
        for method in ("action_desk_reject",):
            with self.subTest(method=method):
                message = self._rpc_refused(
                    self.manager,
                    "sale.order",
                    method,
                    [order.id],
                    "Wrong\x00price",
                    expected=("UserError",),
                )
                self.assertIn("NUL", message)
        self.assertEqual(order.desk_state, "to_review")
        _result, error, message = self._rpc(
            self.clerk,
            "sale.order",
            "write",
            [order.id],
            {"note": "Call\x00back", "client_order_ref": "PO\x00"},
        )
        self.assertEqual(error, "ValidationError", message)

    def test_rpc_unknown_source_is_named(self):
        message = self._rpc_refused(
            self.clerk,
            "stock.picking",
            "desk_add_tracking_events",
            [],
            [
                {
                    "event_date": "2025-01-02 10:00",
                    "status": "in_transit",
                    "source": "carrier",
                    "tracking_ref": "IN-1",
                }
            ],
            expected=("ValidationError",),
        )
        self.assertIn("Event 1: unknown source carrier", message)

    # Import ------------------------------------------------------------------------------------
    def test_import_reports_the_bad_rows_and_keeps_the_good(self):
        rows = ["tracking number,time,status,location,description"]
        rows.append("IN-1,2026-01-02 09:00,in_transit,Shanghai,ok")
        rows += [f"IN-1,{time},in_transit,Shanghai," for time in BAD_TIMES]
        rows.append("IN-1,2026-01-02 11:00,in_transit,Shang\x00hai,")
        rows.append("IN\x00-1,2026-01-02 12:00,in_transit,,")
        wizard = (
            self.env["order.desk.tracking.import.wizard"]
            .with_user(self.clerk)
            .create(
                {
                    "file": base64.b64encode("\n".join(rows).encode()),
                    "filename": "carrier.csv",
                    "tz": "Asia/Shanghai",
                }
            )
        )
        wizard.action_import()
        self.assertEqual((wizard.new_count, wizard.error_count), (1, len(rows) - 2))
        refused = [
            int(re.match(r"Row (\d+):", line).group(1))
            for line in (wizard.error_text.splitlines())
        ]
        self.assertEqual(refused, list(range(3, len(rows) + 1)))
        self.assertNotIn("\x00", wizard.error_text)
        self.assertEqual(len(self.picking.desk_tracking_event_ids), 1)

    # Portal return form ------------------------------------------------------------------------
    def test_portal_return_bad_numbers_and_text(self):
        order, picking = self._shipped(
            qty=3, ref="IN-R1", partner=self.portal.partner_id
        )
        line = order.order_line
        self.authenticate("od_input_portal", "od_input_portal")
        page = self.url_open(f"/my/orders/{order.id}/return")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        cases = {
            "nan": ("nan", "Too many"),
            "inf": ("inf", "Too many"),
            "-inf": ("-inf", "Too many"),
            "1e400": ("1e400", "Too many"),
            "1e308": ("1e308", "Too many"),
            "NUL in the quantity": ("1\x00", "Too many"),
            "NUL in the note": ("1", "Too\x00many"),
        }
        for label, (quantity, note) in cases.items():
            with self.subTest(case=label):
                response = self.url_open(
                    f"/my/orders/{order.id}/return",
                    data={
                        "csrf_token": csrf,
                        "picking_id": picking.id,
                        f"qty_{line.id}": quantity,
                        f"reason_{line.id}": str(self.reason.id),
                        f"condition_{line.id}": "sealed",
                        f"outcome_{line.id}": "refund",
                        "note": note,
                    },
                )
                self.env.invalidate_all()
                self.assertEqual(response.status_code, 200)
                self.assertIn("alert-danger", response.text)
                self.assertFalse(
                    self.env["order.desk.return"].search([("order_id", "=", order.id)])
                )


@tagged("post_install", "-at_install")
class TestStatementInput(HttpCase, StatementCase):
    """The customer's dispute form refuses what is no amount, or more than the statement
    shows, and keeps nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Input Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")

    def setUp(self):
        super().setUp()
        self.statement = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer
        )
        self.statement.with_user(self.accountant).action_send()

    def test_portal_dispute_bad_amounts_and_text(self):
        url = self.statement.get_portal_url()
        page = self.url_open(url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        line = self.statement.line_ids[0]
        cases = {
            "nan": ({"amount": "nan"}, "Give the disputed amount"),
            "inf": ({"amount": "inf"}, "Give the disputed amount"),
            "1e400": ({"amount": "1e400"}, "Give the disputed amount"),
            "1e308": ({"amount": "1e308"}, "larger than"),
            "more than the balance": ({"amount": "300.01"}, "larger than"),
            "more than the line": (
                {"amount": "300.01", "line_id": str(line.id)},
                "larger than",
            ),
            "NUL in the comment": (
                {"amount": "10", "comment": "We\x00paid"},
                "Give the disputed amount",
            ),
            "NUL in the line": (
                {"amount": "10", "line_id": "1\x00"},
                "Give the disputed amount",
            ),
        }
        for label, (values, message) in cases.items():
            with self.subTest(case=label):
                response = self.url_open(
                    f"/my/statements/{self.statement.id}/dispute",
                    data={
                        "csrf_token": csrf,
                        "access_token": self.statement.access_token,
                        "comment": "We paid",
                        **values,
                    },
                )
                self.env.invalidate_all()
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                self.assertFalse(self.statement.dispute_ids)
                self.assertEqual(self.statement.state, "sent")
        # The statement's own figures are fine.
        response = self.url_open(
            f"/my/statements/{self.statement.id}/dispute",
            data={
                "csrf_token": csrf,
                "access_token": self.statement.access_token,
                "amount": "300",
                "comment": "Never received",
            },
        )
        self.env.invalidate_all()
        self.assertIn("we will look into", response.text)
        self.assertEqual(self.statement.dispute_ids.amount, 300.0)

    def test_portal_confirmation_comment_with_nul(self):
        url = self.statement.get_portal_url()
        page = self.url_open(url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            f"/my/statements/{self.statement.id}/confirm",
            data={
                "csrf_token": csrf,
                "access_token": self.statement.access_token,
                "comment": "Agreed\x00",
            },
        )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.statement.state, "sent")
