import logging
import re
from unittest.mock import patch

import polib
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import file_path

from .common import OrderDeskCase

_logger = logging.getLogger(__name__)


class OrderStatusCase(OrderDeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Xibei Supplies",
                "is_company": True,
                "email": "buy@xibei.test",
                "phone": "+86 29 8888 0202",
                "street": "9 Yanta Road",
                "city": "Xi'an",
                "country_id": cls.country.id,
            }
        )
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "SF Express",
                "product_id": cls._create_product("SF shipping", "SHIPSF", 0.0).id,
            }
        )

    def _receipt(self, product, qty, date):
        suppliers = self.env.ref("stock.stock_location_suppliers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": suppliers.id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
                "scheduled_date": date,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": suppliers.id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                            "date": date,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _shipped_with_news(self, ref="SF1300428851", **vals):
        order = self._approved(qty=2, client_order_ref="HD-PO-0980", **vals)
        picking = self._deliveries(order)
        picking.write({"carrier_id": self.carrier.id, "carrier_tracking_ref": ref})
        self._validate(picking)
        self.env["stock.picking"].desk_add_tracking_events(
            [
                {
                    "tracking_ref": ref,
                    "event_date": "2026-11-19 08:00",
                    "status": "in_transit",
                    "location": "Hangzhou hub",
                    "description": "Arrived at the hub",
                }
            ]
        )
        return order, picking

    @staticmethod
    def _steps(data):
        return {step["key"]: step for step in data["steps"]}


@tagged("post_install", "-at_install")
class TestOrderLookup(OrderStatusCase):
    """Where is my order: any reference the customer quotes finds the order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SaleOrder = cls.env["sale.order"]

    def _references(self):
        order, picking = self._shipped_with_news()
        invoice = order._create_invoices()
        invoice.action_post()
        request = self.env["order.desk.return"].create(
            {
                "order_id": order.id,
                "picking_id": picking.id,
                "line_ids": [
                    Command.create(
                        {
                            "sale_line_id": order.order_line[0].id,
                            "quantity": 1,
                            "reason_id": self.env.ref(
                                "order_desk.return_reason_defect"
                            ).id,
                        }
                    )
                ],
            }
        )
        self.env["res.partner"].create(
            {
                "name": "Chen Jing 陈静",
                "parent_id": order.partner_id.commercial_partner_id.id,
                "email": "chen.jing@huadong.test",
            }
        )
        return order, {
            "the buyer, a contact of the customer": "chen jing",
            "the buyer's e-mail": "chen.jing@huadong",
            "two Chinese characters": "陈静",
            "order number": order.name,
            "customer reference (PO)": "hd-po-0980",
            "delivery": picking.name,
            "tracking number": "SF1300428851",
            "part of the tracking number": "1300428851",
            "invoice number": invoice.name,
            "RMA number": request.name,
            "phone, written another way": "021-5555-0101",
            "e-mail": "ORDERS@huadong.test",
            "customer name": "huadong trad",
        }

    def test_any_reference_finds_the_order(self):
        order, references = self._references()
        noise = self._approved(qty=1, partner=self.other_customer)
        for label, reference in references.items():
            with self.subTest(reference=label):
                found = self.SaleOrder.with_user(self.clerk).search(
                    [("desk_reference", "ilike", reference)]
                )
                self.assertIn(order, found)
                self.assertNotIn(noise, found)

    def test_lookup_opens_the_page_the_list_or_says_nothing_matches(self):
        order, _references = self._references()
        Lookup = self.SaleOrder.with_user(self.clerk)
        action = Lookup.action_desk_lookup("  SF1300428851 ")
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(action["res_id"], order.id)
        status_view = self.env.ref("order_desk.sale_order_view_form_status")
        self.assertEqual(action["views"], [(status_view.id, "form")])

        self._approved(qty=1)  # the same customer again: two orders match the name
        action = Lookup.action_desk_lookup("Huadong")
        self.assertEqual(
            action["context"], {"search_default_desk_reference": "Huadong"}
        )
        self.assertEqual(
            action["id"], self.env.ref("order_desk.sale_order_action_lookup").id
        )

        action = Lookup.action_desk_lookup("NO-SUCH-REF")
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("NO-SUCH-REF", action["params"]["message"])

        for bad in ("ab", "陈", "   ", None, 42, ["S0"]):
            with self.subTest(query=bad), self.assertRaises(UserError):
                Lookup.action_desk_lookup(bad)

    def test_entry_points_are_read_only(self):
        SaleOrder = type(self.SaleOrder)
        for method in (
            SaleOrder.action_desk_lookup,
            SaleOrder.action_desk_order_status,
            SaleOrder.action_desk_open_order,
            type(self.env["order.desk.overview.tile"]).action_open,
        ):
            self.assertTrue(getattr(method, "_readonly", False), method.__name__)

    def test_other_company_finds_nothing(self):
        company_b = self.env["res.company"].create({"name": "OD Lookup B"})
        clerk_b = new_test_user(
            self.env,
            login="od_lookup_clerk_b",
            groups="order_desk.group_order_desk_user,stock.group_stock_user,"
            "account.group_account_invoice",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        order, references = self._references()
        for label, reference in references.items():
            with self.subTest(reference=label):
                self.assertFalse(
                    self.SaleOrder.with_user(clerk_b).search(
                        [("desk_reference", "ilike", reference)]
                    )
                )
                action = self.SaleOrder.with_user(clerk_b).action_desk_lookup(reference)
                self.assertEqual(action.get("tag"), "display_notification")
        with self.assertRaises(UserError):
            order.with_user(clerk_b).action_desk_order_status()

    def _lookup_queries(self, count):
        self.env["sale.order"].create(
            [
                {
                    "partner_id": self.other_customer.id,
                    "client_order_ref": f"VOL-{index}",
                }
                for index in range(count)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        Lookup = self.SaleOrder.with_user(self.clerk)
        Lookup.action_desk_lookup("SF1300428851")  # warm-up
        before = self.cr.sql_log_count
        action = Lookup.action_desk_lookup("SF1300428851")
        queries = self.cr.sql_log_count - before
        self.assertIn("res_id", action)
        before = self.cr.sql_log_count
        found = Lookup.search([("desk_reference", "ilike", "xibei")])
        search_queries = self.cr.sql_log_count - before
        return queries, search_queries, len(found)

    def test_query_count_does_not_grow(self):
        self._references()
        with patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000):
            small = self._lookup_queries(50)
            large = self._lookup_queries(450)
        _logger.info("lookup: 50 orders %s queries, 500 orders %s", small, large)
        self.assertEqual(large[:2], small[:2])
        self.assertEqual((small[2], large[2]), (50, 500))
        self.assertEqual(small[1], 1, "the search is one query")


@tagged("post_install", "-at_install")
class TestOrderStatus(OrderStatusCase):
    """The order's status page: timeline, what blocks it, the next date, the customer's
    text."""

    def test_draft_with_blocking_exception(self):
        self._rule("payment_term")
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_check()
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual(data["level"], "blocked")
        self.assertIn("1 blocking exception", data["blocker"])
        steps = self._steps(data)
        self.assertEqual(steps["received"]["state"], "done")
        self.assertEqual(steps["checks"]["state"], "blocked")
        self.assertEqual(steps["submitted"]["state"], "todo")
        self.assertIn("Channel: Phone", steps["received"]["details"])

    def test_waiting_for_review(self):
        order = self._order()
        order.with_user(self.clerk).action_desk_submit()
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual(data["level"], "waiting")
        self.assertIn("review", data["blocker"])
        steps = self._steps(data)
        self.assertEqual(steps["submitted"]["state"], "done")
        self.assertEqual(steps["approved"]["state"], "current")
        self.assertEqual(data["next"], "Promised delivery: 01/01/2099 (Thu)")

    @freeze_time("2026-05-01 09:00:00")
    def test_short_order_says_what_is_missing_and_when_it_comes(self):
        desk = self._create_product("Standing Desk", "DESK", 900.0, storable=True)
        self._set_stock(desk, 1)
        self._receipt(desk, 10, "2026-05-12 10:00:00")
        order = self._approved(qty=5, product=desk)
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual(data["level"], "blocked")
        self.assertIn("Standing Desk", data["blocker"])
        self.assertIn("4 Units missing", data["blocker"])
        self.assertIn("05/12/2026", data["blocker"])
        steps = self._steps(data)
        self.assertEqual(steps["approved"]["state"], "done")
        self.assertEqual(steps["reserved"]["state"], "blocked")
        self.assertEqual(
            data["next"], "Next receipt of the missing goods: 05/12/2026 (Tue)"
        )
        text = order.with_user(self.clerk).desk_status_customer_text
        self.assertIn(
            "Not in stock yet: Standing Desk (4 Units), expected in stock on "
            "05/12/2026 (Tue).",
            text,
        )
        self.assertNotIn("[DESK]", text)

    @freeze_time("2026-11-19 10:00:00")
    def test_shipped_order_tells_carrier_tracking_and_expected_date(self):
        order, picking = self._shipped_with_news(commitment_date="2026-11-21 10:00:00")
        order = order.with_user(self.clerk)
        data = order._desk_status_data()
        steps = self._steps(data)
        self.assertEqual(data["level"], "ok")
        self.assertEqual(steps["shipped"]["state"], "done")
        self.assertEqual(steps["delivered"]["state"], "current")
        shipped = "\n".join(steps["shipped"]["details"])
        self.assertIn("SF Express", shipped)
        self.assertIn("SF1300428851", shipped)
        self.assertIn("In Transit, Hangzhou hub", shipped)
        self.assertEqual(data["next"], "Expected delivery: 11/21/2026 (Sat)")
        self.assertIn("o_order_desk_timeline", order.desk_status_timeline)
        self.assertIn('data-step="shipped"', order.desk_status_timeline)
        text = order.desk_status_customer_text
        self.assertIn(f"Order {order.name} (your reference HD-PO-0980):", text)
        self.assertIn("with SF Express, tracking number SF1300428851", text)
        self.assertIn("Expected delivery: 11/21/2026 (Sat).", text)

        # The carrier fails to deliver: that blocks the order now.
        self.env["stock.picking"].desk_add_tracking_events(
            [
                {
                    "tracking_ref": "SF1300428851",
                    "event_date": "2026-11-19 09:00",
                    "status": "failed_attempt",
                }
            ]
        )
        self.env.invalidate_all()
        data = order._desk_status_data()
        self.assertEqual(data["level"], "blocked")
        self.assertTrue(
            "Failed Attempt" in data["blocker"] or "Incident" in data["blocker"],
            data["blocker"],
        )
        self.assertTrue(picking)

    def test_delivered_invoiced_and_paid(self):
        order, picking = self._shipped_with_news()
        picking.action_desk_confirm_delivered()
        invoice = order._create_invoices()
        invoice.action_post()
        data = order.with_user(self.clerk)._desk_status_data()
        steps = self._steps(data)
        self.assertEqual(steps["delivered"]["state"], "done")
        self.assertEqual(steps["invoiced"]["state"], "done")
        self.assertEqual(steps["paid"]["state"], "current")
        self.assertIn(invoice.name, steps["invoiced"]["details"][0])
        self.assertEqual(order._desk_payment_status()["state"], "unpaid")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({}).action_create_payments()
        self.env.invalidate_all()
        self.assertEqual(order._desk_payment_status()["state"], "paid")
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual(self._steps(data)["paid"]["state"], "done")
        self.assertIn("is paid", order.with_user(self.clerk).desk_status_customer_text)

    def test_prepayment_blocks_the_goods(self):
        order = self._approved(qty=1, desk_settlement_method="prepayment")
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual(data["level"], "blocked")
        self.assertIn("prepayment", data["blocker"])
        self.assertEqual(self._steps(data)["shipped"]["state"], "blocked")

    def test_incidents_and_returns_are_listed(self):
        order, picking = self._shipped_with_news()
        incident = self.env["order.desk.incident"].create(
            {"incident_type": "damage", "order_id": order.id, "picking_id": picking.id}
        )
        data = order.with_user(self.clerk)._desk_status_data()
        self.assertEqual([i["name"] for i in data["incidents"]], [incident.name])
        self.assertIn(incident.name, data["blocker"])

    def test_customer_portal_view_leaves_out_the_desk(self):
        self._rule("payment_term", severity="warning")
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        data = order.sudo()._desk_status_data(for_customer=True)
        self.assertNotIn("checks", self._steps(data))
        self.assertNotIn("submitted", self._steps(data))
        self.assertNotIn(self.clerk.name, str(data))

    def test_customer_text_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["res.lang"]._activate_lang("zh_TW")
        self.env["ir.module.module"]._load_module_terms(
            ["order_desk"], ["zh_CN", "zh_TW"], overwrite=True
        )
        order, _picking = self._shipped_with_news(commitment_date="2026-12-03 10:00:00")
        clerk = order.with_user(self.clerk)
        texts = {}
        for lang in ("zh_CN", "zh_TW", "en_US"):
            self.customer.lang = lang
            self.env.invalidate_all()
            texts[lang] = clerk.desk_status_customer_text
        # The carrier's status and the weekday are in the customer's language, whatever the
        # clerk's.
        self.assertIn("运输中", texts["zh_CN"])
        self.assertIn("周四", texts["zh_CN"])
        self.assertIn("運輸中", texts["zh_TW"])
        self.assertIn("In Transit", texts["en_US"])
        self.assertIn("(Thu)", texts["en_US"])
        self.assertIn("tracking number SF1300428851", texts["en_US"])
        # The clerk reads the page in their own language (the web client's context).
        clerk = clerk.with_context(lang="zh_CN")
        self.assertIn("运输中", clerk.desk_status_timeline)
        self.assertIn("周四", clerk.desk_status_next)
        self.assertIn(
            "In Transit", clerk.with_context(lang="en_US").desk_status_timeline
        )

    def test_customer_sentences_have_chinese_translations(self):
        # What the customer reads is shipped in both Chinese variants (i18n/*.po).
        sentences = [
            "Order %(order)s (your reference %(ref)s):",
            "Order %(order)s:",
            "We received it on %(date)s and are checking it.",
            "It is confirmed and we are preparing the goods.",
            "The goods are packed and ready to leave.",
            "Not in stock yet: %(goods)s.",
            "We ship as soon as we receive your payment of %(amount)s.",
            "%(delivery)s left on %(date)s with %(carrier)s, tracking number "
            "%(numbers)s.",
            "Latest carrier news: %(status)s, %(location)s (%(time)s).",
            "Expected delivery: %(date)s",
            "Delivered on %(date)s.",
            "We are handling a problem with this order (%(issues)s) and will come back "
            "to you.",
            "%(sentence)s.",
            "Invoice %(invoices)s is paid. Thank you.",
            "Invoice %(invoices)s: %(due)s due by %(date)s.",
            "This order is cancelled.",
        ]
        for lang in ("zh_CN", "zh_TW"):
            path = file_path(f"order_desk/i18n/{lang}.po")
            translated = {
                entry.msgid: entry.msgstr
                for entry in polib.pofile(path)
                if entry.msgstr and "odoo-python" in entry.comment
            }
            for sentence in sentences:
                with self.subTest(lang=lang, sentence=sentence):
                    self.assertIn(sentence, translated)
                    self.assertEqual(
                        sorted(re.findall(r"%\(\w+\)s", translated[sentence])),
                        sorted(re.findall(r"%\(\w+\)s", sentence)),
                    )


@tagged("post_install", "-at_install")
class TestOrderStatusPortal(HttpCase, OrderStatusCase):
    """Customers read the same timeline on their order page, for their own orders only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_a = new_test_user(
            cls.env,
            login="od_status_a",
            password="od_status_a",
            groups="base.group_portal",
        )
        cls.portal_b = new_test_user(
            cls.env,
            login="od_status_b",
            password="od_status_b",
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
        self.order_a, _picking = self._shipped_with_news(
            ref="PA-STATUS-1", partner=self.portal_a.partner_id
        )
        self.order_b, _picking = self._shipped_with_news(
            ref="PB-SECRET-9", partner=self.portal_b.partner_id
        )

    def test_own_order_shows_the_timeline(self):
        self.authenticate("od_status_a", "od_status_a")
        response = self.url_open(f"/my/orders/{self.order_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_order_desk_portal_status", response.text)
        self.assertIn('data-step="shipped"', response.text)
        self.assertIn("tracking number PA-STATUS-1", response.text)
        self.assertNotIn('data-step="checks"', response.text)
        self.assertNotIn("PB-SECRET-9", response.text)

    def test_other_customers_order_is_refused(self):
        self.authenticate("od_status_a", "od_status_a")
        response = self.url_open(f"/my/orders/{self.order_b.id}")
        self.assertNotIn("PB-SECRET-9", response.text)
        self.assertNotIn("o_order_desk_portal_status", response.text)

    def test_access_token_opens_only_its_order(self):
        response = self.url_open(self.order_a._get_share_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("tracking number PA-STATUS-1", response.text)
        response = self.url_open(
            f"/my/orders/{self.order_b.id}?access_token={self.order_a.access_token}"
        )
        self.assertNotIn("PB-SECRET-9", response.text)
