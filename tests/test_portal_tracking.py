import re

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestPortalTracking(HttpCase, OrderDeskCase):
    """Customers see the tracking of their own orders on the portal, and nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.portal_a = new_test_user(
            cls.env,
            login="od_portal_a",
            password="od_portal_a",
            groups="base.group_portal",
        )
        cls.portal_b = new_test_user(
            cls.env,
            login="od_portal_b",
            password="od_portal_b",
            groups="base.group_portal",
        )
        for user in (cls.portal_a, cls.portal_b):
            user.partner_id.write(
                {
                    "email": f"{user.login}@portal.test",
                    "phone": "+86 10 0000",
                    "street": "1 Portal Road",
                    "city": "Beijing",
                    "country_id": cls.country.id,
                }
            )

    def setUp(self):
        super().setUp()
        self.order_a, self.picking_a = self._shipped(
            qty=1, ref="PA-1", partner=self.portal_a.partner_id
        )
        self.order_b, self.picking_b = self._shipped(
            qty=1, ref="PB-1", partner=self.portal_b.partner_id
        )
        Picking = self.env["stock.picking"]
        Picking.desk_add_tracking_events(
            [
                {
                    "tracking_ref": "PA-1",
                    "event_date": "2026-11-19 08:00",
                    "status": "out_for_delivery",
                    "location": "Chaoyang",
                    "description": "Courier Wang is on the way",
                },
                {
                    "tracking_ref": "PB-1",
                    "event_date": "2026-11-19 08:00",
                    "status": "in_transit",
                    "description": "SECRET-B parcel scanned",
                },
            ]
        )

    def test_own_order_shows_tracking(self):
        self.authenticate("od_portal_a", "od_portal_a")
        response = self.url_open(f"/my/orders/{self.order_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Courier Wang is on the way", response.text)
        self.assertIn("Out for Delivery", response.text)
        self.assertNotIn("SECRET-B", response.text)

    def test_other_customers_order_is_refused(self):
        self.authenticate("od_portal_a", "od_portal_a")
        response = self.url_open(f"/my/orders/{self.order_b.id}")
        self.assertNotIn("SECRET-B", response.text)
        self.assertNotEqual(
            response.url.split("?")[0].rstrip("/"), f"/my/orders/{self.order_b.id}"
        )

    def test_portal_user_cannot_read_events_directly(self):
        Event = self.env["order.desk.tracking.event"].with_user(self.portal_a)
        with self.assertRaises(AccessError):
            Event.search([])
        with self.assertRaises(AccessError):
            self.picking_a.desk_tracking_event_ids.with_user(self.portal_a).read(
                ["status"]
            )

    def test_access_token_link_shows_only_that_order(self):
        # The link e-mailed to the customer works without logging in, for that order only.
        url = self.order_a._get_share_url()
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Courier Wang is on the way", response.text)
        response = self.url_open(
            f"/my/orders/{self.order_b.id}?access_token={self.order_a.access_token}"
        )
        self.assertNotIn("SECRET-B", response.text)

    def test_times_in_the_customers_time_zone(self):
        """The carrier's 08:00 UTC is 16:00 in Shanghai: the buyer (no time zone of her
        own) reads her company's time, without seconds, and so does a visitor of the
        e-mailed link; the page offers no return label of Odoo's (the desk's request is
        the way to return goods)."""
        company = self.env["res.partner"].create(
            {"name": "Huadong Trading (TZ)", "is_company": True, "tz": "Asia/Shanghai"}
        )
        self.portal_a.partner_id.write({"parent_id": company.id, "tz": False})
        self.authenticate("od_portal_a", "od_portal_a")
        for url in (f"/my/orders/{self.order_a.id}", self.order_a._get_share_url()):
            if "access_token" in url:
                self.authenticate(None, None)
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            events = re.search(
                r'o_order_desk_tracking_events">(.*?)</ul>', response.text, re.S
            ).group(1)
            self.assertIn("<span>11/19/2026 04:00 PM</span>", events, url)
            self.assertNotIn("08:00", events, url)
            self.assertNotIn("/my/picking/return/pdf/", response.text, url)
