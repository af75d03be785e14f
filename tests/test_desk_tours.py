import logging
import time

from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestDeskTours(HttpCase, OrderDeskCase):
    """The desk's day in a real browser, in 简体中文: the clerk takes a phone order from the
    Overview, the manager approves it from the Overview, the clerk answers "where is my
    order" from a tracking number, and the customer reads the timeline on the portal. A
    console error or warning fails the tour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = time.monotonic()
        cls.env["res.lang"]._activate_lang("zh_CN")
        installed = cls.env["ir.module.module"].search([("state", "=", "installed")])
        cls.env["ir.module.module"]._load_module_terms(
            installed.mapped("name"), ["zh_CN"]
        )
        _logger.info("tours: zh_CN loaded in %.1f s", time.monotonic() - start)
        (cls.clerk | cls.manager).write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
        cls.customer.lang = "zh_CN"
        cls.tour_customer = cls.env["res.partner"].create(
            {
                "name": "Tour Phone Customer",
                "is_company": True,
                "email": "buyer@tour.test",
                "phone": "+86 21 6666 0101",
                "street": "1 Tour Road",
                "city": "Shanghai",
                "country_id": cls.country.id,
                "property_payment_term_id": cls.payment_term.id,
            }
        )
        cls.tour_product = cls._create_product("Tour Chair", "TOURCHAIR", 120.0, True)
        cls._set_stock(cls.tour_product, 20)
        cls._set_stock(cls.product, 20)

    def test_phone_order_submitted_then_approved_from_the_overview(self):
        self.start_tour("/odoo", "order_desk_phone_order_tour", login="od_clerk")
        order = self.env["sale.order"].search(
            [("partner_id", "=", self.tour_customer.id)]
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.desk_state, "to_review")
        self.assertEqual(order.desk_channel, "phone")
        self.assertEqual(order.desk_submitted_user_id, self.clerk)
        self.assertEqual(order.order_line.product_id, self.tour_product)
        self.assertEqual(order.order_line.product_uom_qty, 3)

        self.start_tour("/odoo", "order_desk_approve_tour", login="od_manager")
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(order.desk_approved_user_id, self.manager)

    def test_where_is_my_order_from_a_tracking_number(self):
        self._shipped(qty=1, ref="SF-TOUR-777")
        self.start_tour("/odoo", "order_desk_where_is_my_order_tour", login="od_clerk")

    def test_customer_reads_the_timeline_on_the_portal(self):
        portal = new_test_user(
            self.env,
            login="od_tour_portal",
            password="od_tour_portal",
            groups="base.group_portal",
            lang="zh_CN",
        )
        portal.partner_id.write(
            {
                "email": "portal@tour.test",
                "phone": "+86 10 0000 0001",
                "street": "2 Portal Road",
                "city": "Beijing",
                "country_id": self.country.id,
            }
        )
        order, _picking = self._shipped(
            qty=1, ref="SF-TOUR-888", partner=portal.partner_id
        )
        self.start_tour(
            f"/my/orders/{order.id}",
            "order_desk_portal_status_tour",
            login="od_tour_portal",
        )
