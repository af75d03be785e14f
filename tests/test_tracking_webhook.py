import json
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestTrackingWebhook(HttpCase, OrderDeskCase):
    """Carriers post events over HTTP with their secret; nothing else is reachable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carrier = cls._carrier("OD Express", cls.company)
        cls.carrier.action_desk_generate_webhook_token()
        cls.token = cls.carrier.sudo().desk_webhook_token
        cls.other_company = cls.env["res.company"].create({"name": "OD Other Company"})
        cls.other_carrier = cls._carrier("OD Other Express", cls.other_company)
        cls.other_carrier.action_desk_generate_webhook_token()

    @classmethod
    def _carrier(cls, name, company):
        product = cls.env["product.product"].create(
            {"name": f"{name} shipping", "type": "service", "company_id": company.id}
        )
        return cls.env["delivery.carrier"].create(
            {"name": name, "product_id": product.id, "company_id": company.id}
        )

    def setUp(self):
        super().setUp()
        order = self._approved(qty=1)
        self.picking = self._deliveries(order)
        self.picking.write(
            {"carrier_id": self.carrier.id, "carrier_tracking_ref": "OD-1"}
        )
        self._validate(self.picking)
        # A delivery of the other company with the same number and its own carrier.
        out_type = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.other_company.id)], limit=1)
            .out_type_id
        )
        self.other_picking = self.env["stock.picking"].create(
            {
                "picking_type_id": out_type.id,
                "company_id": self.other_company.id,
                "partner_id": self.customer.id,
                "location_id": out_type.default_location_src_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "carrier_id": self.other_carrier.id,
                "carrier_tracking_ref": "OD-1, OTHER-9",
            }
        )

    def _post(self, body, token=None, carrier=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if token is not False:
            headers["Authorization"] = f"Bearer {token or self.token}"
        return self.url_open(
            f"/order_desk/tracking/{(carrier or self.carrier).id}",
            data=raw if raw is not None else json.dumps(body),
            headers=headers,
        )

    EVENTS = {
        "timezone": "Asia/Shanghai",
        "events": [
            {
                "tracking_ref": "OD-1",
                "time": "2026-11-19 08:00:00",
                "status": "in_transit",
                "location": "Shanghai hub",
            },
            {
                "tracking_ref": "OD-1",
                "time": "2026-11-19T17:30:00+08:00",
                "status": "已签收",
                "description": "Signed by reception",
            },
        ],
    }

    def test_good_token_records_events_once(self):
        response = self._post(self.EVENTS)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json(), {"received": 2, "new": 2, "duplicates": 0, "errors": []}
        )
        events = self.picking.desk_tracking_event_ids.sorted("event_date")
        self.assertEqual(events.mapped("status"), ["in_transit", "delivered"])
        self.assertEqual(set(events.mapped("source")), {"webhook"})
        self.assertEqual(
            events.mapped("event_date"),
            [datetime(2026, 11, 19, 0, 0), datetime(2026, 11, 19, 9, 30)],
        )
        self.assertEqual(self.picking.sale_id.desk_state, "delivered")
        self.assertFalse(self.other_picking.desk_tracking_event_ids)

        again = self._post(self.EVENTS)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["new"], 0)
        self.assertEqual(again.json()["duplicates"], 2)

    def test_bad_or_missing_token(self):
        for token in ("wrong-token", False, ""):
            with self.subTest(token=token):
                response = self._post(self.EVENTS, token=token if token else False)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json()["error"], "unauthorized")
        # Another carrier's valid token does not open this carrier's door.
        response = self._post(
            self.EVENTS, token=self.other_carrier.sudo().desk_webhook_token
        )
        self.assertEqual(response.status_code, 401)
        # Unknown carrier: the same answer, nothing about which carriers exist.
        response = self.url_open(
            "/order_desk/tracking/999999",
            data=json.dumps(self.EVENTS),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.picking.desk_tracking_event_ids)

    def test_malformed_bodies(self):
        cases = {
            "not json": (b"{events: nope", "invalid_json"),
            "no events": (json.dumps({"items": []}), "invalid_payload"),
            "empty events": (json.dumps({"events": []}), "invalid_payload"),
            "a list": (json.dumps([1, 2]), "invalid_payload"),
            "bad timezone": (
                json.dumps({"events": [{}], "timezone": "Mars/Olympus"}),
                "invalid_timezone",
            ),
        }
        for label, (raw, error) in cases.items():
            with self.subTest(case=label):
                response = self._post(None, raw=raw)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["error"], error)
        response = self._post({"events": [{"tracking_ref": "OD-1"}] * 1001})
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.picking.desk_tracking_event_ids)

    def test_invalid_events_are_reported_by_index(self):
        response = self._post(
            {
                "events": [
                    {
                        "tracking_ref": "OD-1",
                        "time": "2026-11-19 08:00",
                        "status": "bogus",
                    },
                    {
                        "tracking_ref": "OD-1",
                        "time": "yesterday",
                        "status": "in_transit",
                    },
                    {
                        "tracking_ref": "OD-1",
                        "time": "2026-11-19 09:00",
                        "status": "picked_up",
                    },
                    "not an object",
                ]
            }
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["received"], body["new"]), (4, 1))
        self.assertEqual(
            [(e["index"], e["error"]) for e in body["errors"]],
            [
                (0, "unknown status bogus."),
                (1, "yesterday is not a date and time."),
                (3, "not a set of values."),
            ],
        )

    def test_dates_floor_at_2000_and_delivered_is_set_once(self):
        """F13 over the webhook: no offset beyond a real time zone, no time before 2000
        once in UTC; a later "delivered" does not move the delivered date."""
        events = [
            ("2000-01-01 00:00+23:59", "in_transit"),
            ("2000-01-01 00:00+08:00", "in_transit"),
            ("2026-11-19 08:00", "delivered"),
            ("2026-11-20 08:00", "delivered"),
        ]
        response = self._post(
            {
                "timezone": "UTC",
                "events": [
                    {"tracking_ref": "OD-1", "time": time, "status": status}
                    for time, status in events
                ],
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["new"], 2)
        self.assertEqual([e["index"] for e in body["errors"]], [0, 1])
        self.assertEqual(self.picking.desk_delivered_date, datetime(2026, 11, 19, 8, 0))

    def test_other_company_delivery_is_unknown(self):
        response = self._post(
            {
                "events": [
                    {
                        "tracking_ref": "OTHER-9",
                        "time": "2026-11-19 08:00",
                        "status": "lost",
                    },
                    {
                        "tracking_ref": "OTHER-9",
                        "time": "2026-11-19 08:00",
                        "status": "in_transit",
                    },
                ]
            }
        )
        self.assertEqual(response.status_code, 422)
        body = response.json()
        self.assertEqual(body["new"], 0)
        self.assertEqual(body["errors"][1]["error"], "unknown tracking number OTHER-9.")
        self.assertNotIn(self.other_picking.name, response.text)
        self.assertFalse(self.other_picking.desk_tracking_event_ids)
        # The other company's carrier reaches its own delivery, and only it.
        response = self._post(
            self.EVENTS,
            token=self.other_carrier.sudo().desk_webhook_token,
            carrier=self.other_carrier,
        )
        # (That delivery has not left yet: the carrier's "delivered" is refused.)
        self.assertEqual(response.json()["new"], 1)
        self.assertIn("has not left yet", response.json()["errors"][0]["error"])
        self.assertEqual(len(self.other_picking.desk_tracking_event_ids), 1)
        self.assertFalse(self.picking.desk_tracking_event_ids)

    def test_shared_carrier_token_is_for_managers_of_every_company(self):
        """A carrier without company lets events in for every company: a manager of one
        company neither reads nor renews its secret (a way into the other's deliveries);
        a manager of them all does, and so does a manager of a carrier's own company."""
        product = self.env["product.product"].create(
            {
                "name": "OD Shared Express shipping",
                "type": "service",
                "company_id": False,
            }
        )
        shared = self.env["delivery.carrier"].create(
            {"name": "OD Shared Express", "product_id": product.id}
        )
        self.assertFalse(shared.company_id)
        shared.action_desk_generate_webhook_token()
        secret = shared.sudo().desk_webhook_token
        self.assertNotIn(self.other_company, self.manager.company_ids)
        with self.assertRaisesRegex(AccessError, "shared by all the companies"):
            shared.with_user(self.manager).action_desk_generate_webhook_token()
        self.assertEqual(shared.sudo().desk_webhook_token, secret)
        self.assertFalse(shared.with_user(self.manager).desk_webhook_token_shown)
        # The secret itself is an administrator's field.
        with self.assertRaises(AccessError):
            shared.with_user(self.manager).read(["desk_webhook_token"])
        # Of their own company's carrier, the manager sees and renews the secret.
        own = self.carrier.with_user(self.manager)
        self.assertEqual(own.desk_webhook_token_shown, self.token)
        own.action_desk_generate_webhook_token()
        self.assertNotEqual(self.carrier.sudo().desk_webhook_token, self.token)
        # A manager of every company manages the shared one.
        self.manager.company_ids = self.env["res.company"].search([])
        shared.with_user(self.manager).action_desk_generate_webhook_token()
        self.assertNotEqual(shared.sudo().desk_webhook_token, secret)
        self.assertEqual(
            shared.with_user(self.manager).desk_webhook_token_shown,
            shared.sudo().desk_webhook_token,
        )

    def test_token_is_for_managers_only(self):
        with self.assertRaises(AccessError):
            self.carrier.with_user(self.clerk).read(["desk_webhook_token"])
        with self.assertRaisesRegex(AccessError, "Order Desk manager"):
            self.carrier.with_user(self.clerk).action_desk_generate_webhook_token()
