import re

from freezegun import freeze_time

from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestReturnPortal(HttpCase, OrderDeskCase):
    """Customers request returns of their own delivered orders on the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.portal_a = new_test_user(
            cls.env, login="od_rma_a", password="od_rma_a", groups="base.group_portal"
        )
        cls.portal_b = new_test_user(
            cls.env, login="od_rma_b", password="od_rma_b", groups="base.group_portal"
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
        cls.reason = cls.env.ref("order_desk.return_reason_changed_mind")

    def setUp(self):
        super().setUp()
        self.order_a, self.picking_a = self._shipped(
            qty=3, ref="RA-1", partner=self.portal_a.partner_id
        )
        self.order_b, self.picking_b = self._shipped(
            qty=3, ref="RB-1", partner=self.portal_b.partner_id
        )

    def _form(self, order):
        response = self.url_open(f"/my/orders/{order.id}/return")
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        return response, token and token.group(1)

    def _post(self, order, token, quantity):
        line = order.order_line
        return self.url_open(
            f"/my/orders/{order.id}/return",
            data={
                "csrf_token": token,
                "picking_id": self._deliveries(order).id,
                f"qty_{line.id}": str(quantity),
                f"reason_{line.id}": str(self.reason.id),
                f"condition_{line.id}": "sealed",
                f"outcome_{line.id}": "refund",
                "note": "Too many chairs",
            },
        )

    def test_request_for_own_order(self):
        self.authenticate("od_rma_a", "od_rma_a")
        order_page = self.url_open(f"/my/orders/{self.order_a.id}")
        self.assertIn("Request a Return", order_page.text)
        response, token = self._form(self.order_a)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(token)
        response = self._post(self.order_a, token, 2)
        self.assertEqual(response.status_code, 200)
        ret = self.env["order.desk.return"].search([("order_id", "=", self.order_a.id)])
        self.assertEqual(len(ret), 1)
        self.assertEqual(
            (ret.state, ret.source, ret.requested_by_id, ret.line_ids.quantity),
            ("to_approve", "portal", self.portal_a, 2.0),
        )
        self.assertIn(ret.name, response.text)
        self.assertIn("/my/returns/", response.url)
        # Their list and the PDF of the authorization.
        listing = self.url_open("/my/returns")
        self.assertIn(ret.name, listing.text)
        report = self.url_open(f"/my/returns/{ret.id}?report_type=html")
        self.assertIn(ret.name, report.text)

    def test_too_much_is_refused_and_nothing_kept(self):
        self.authenticate("od_rma_a", "od_rma_a")
        _response, token = self._form(self.order_a)
        response = self._post(self.order_a, token, 5)
        self.assertIn("can still come back", response.text)
        self.assertFalse(
            self.env["order.desk.return"].search([("order_id", "=", self.order_a.id)])
        )

    def test_page_shows_what_can_still_come_back_and_keeps_the_input(self):
        """3 delivered, 1 already asked back: the page offers 2 (not 3.0); asking 3 is
        refused with the typed quantity kept, no RMA number shown and none drawn."""
        line = self.order_a.order_line
        pending = self.env["order.desk.return"].create(
            {
                "order_id": self.order_a.id,
                "picking_id": self.picking_a.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": line.id,
                            "quantity": 1.0,
                            "reason_id": self.reason.id,
                        },
                    )
                ],
            }
        )
        pending.action_submit()
        sequence = self.env.ref("order_desk.seq_order_desk_return")
        next_number = sequence.number_next_actual
        next_name = sequence.get_next_char(next_number)
        self.authenticate("od_rma_a", "od_rma_a")
        response, token = self._form(self.order_a)
        self.assertRegex(response.text, r">\s*2\s*<small[^>]*>Units</small>")
        self.assertNotIn("3.0", response.text)
        response = self._post(self.order_a, token, 3)
        self.assertIn("only 2 Units can still come back", response.text)
        self.assertRegex(response.text, rf'name="qty_{line.id}"\s+value="3"')
        self.assertIn("Too many chairs", response.text, "the comment is kept too")
        self.assertNotIn(next_name, response.text)
        self.assertNotIn("Return /", response.text)
        self.assertEqual(
            self.env["order.desk.return"].search([("order_id", "=", self.order_a.id)]),
            pending,
        )
        self.assertEqual(sequence.number_next_actual, next_number, "no number drawn")
        # Asking what is left works, and only then takes the next number.
        response = self._post(self.order_a, token, 2)
        created = self.env["order.desk.return"].search(
            [("order_id", "=", self.order_a.id), ("id", "!=", pending.id)]
        )
        self.assertEqual(created.name, next_name)
        self.assertEqual(created.state, "to_approve")

    def test_nothing_left_to_return(self):
        line = self.order_a.order_line
        self.env["order.desk.return"].create(
            {
                "order_id": self.order_a.id,
                "picking_id": self.picking_a.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": line.id,
                            "quantity": 3.0,
                            "reason_id": self.reason.id,
                        },
                    )
                ],
            }
        ).action_submit()
        self.authenticate("od_rma_a", "od_rma_a")
        response, _token = self._form(self.order_a)
        self.assertIn("is already asked back", response.text)
        self.assertNotIn(f"qty_{line.id}", response.text)

    def _pending(self, quantity):
        ret = self.env["order.desk.return"].create(
            {
                "order_id": self.order_a.id,
                "picking_id": self.picking_a.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": self.order_a.order_line.id,
                            "quantity": quantity,
                            "reason_id": self.reason.id,
                        },
                    )
                ],
            }
        )
        ret.action_submit()
        return ret

    def test_form_opened_before_the_rest_was_asked_back(self):
        """The customer's form offered 3; meanwhile all 3 were asked back: the page says
        one thing (nothing more can come back), not "only 0" next to "everything is
        back", and shows no empty table."""
        self.authenticate("od_rma_a", "od_rma_a")
        _response, token = self._form(self.order_a)
        self._pending(3.0)
        response = self._post(self.order_a, token, 1)
        text = response.text
        self.assertIn("Nothing more of", text)
        self.assertIn("has come back or is already asked back.", text)
        self.assertNotIn("can still come back", text)
        self.assertNotIn("Everything delivered on", text)
        self.assertNotIn("Can Return", text, "no table without lines")
        self.assertNotIn("Send the Request", text)

    def test_refusal_names_the_quantity_as_the_unit_rounds_it(self):
        """2 of 3 came back: asking 2 more is refused with "1 Units", not "1.0"."""
        back = self._pending(2.0)
        back.with_user(self.manager).action_approve()
        for receipt in back.return_picking_ids:
            self._validate(receipt)
        self.authenticate("od_rma_a", "od_rma_a")
        _response, token = self._form(self.order_a)
        response = self._post(self.order_a, token, 2)
        self.assertIn("only 1 Units can still come back", response.text)
        self.assertNotIn("1.0", response.text)

    def test_return_page_reads_one_sentence_in_the_customers_time(self):
        """Requested at 20:00 UTC on 30 November: 1 December in Shanghai, in one
        sentence (no stray spaces before its commas and full stop), on the page opened
        from the e-mailed link and in its PDF's HTML."""
        self.portal_a.partner_id.tz = "Asia/Shanghai"
        with freeze_time("2026-11-30 20:00:00"):
            ret = self._pending(1.0)
        ret._portal_ensure_token()
        sentence = (
            f"Order {self.order_a.name}, delivery {self.picking_a.name}, requested on "
            "12/01/2026."
        )
        page = self.url_open(ret.get_portal_url())
        self.assertIn(sentence, page.text)
        report = self.url_open(ret.get_portal_url(report_type="html"))
        self.assertRegex(
            report.text, r"Requested on:</strong>\s*<span[^>]*>12/01/2026</span>"
        )
        self.assertIn("1 Units", report.text)

    def test_order_page_with_two_returns_received(self):
        """Two return receipts of the order's delivery: the page lists both under its own
        heading beside the requests, and offers no return label of Odoo's."""
        for _i in range(2):
            ret = self._pending(1.0)
            ret.with_user(self.manager).action_approve()
            for receipt in ret.return_picking_ids:
                self._validate(receipt)
        self.authenticate("od_rma_a", "od_rma_a")
        response = self.url_open(f"/my/orders/{self.order_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Goods You Sent Back", response.text)
        self.assertIn("Return Requests", response.text)
        self.assertNotIn("/my/picking/return/pdf/", response.text)
        for receipt in self.picking_a.return_ids:
            self.assertIn(receipt.name, response.text)

    def test_other_customer_is_refused(self):
        self.authenticate("od_rma_a", "od_rma_a")
        response, token = self._form(self.order_b)
        self.assertNotIn(f"qty_{self.order_b.order_line.id}", response.text)
        _own, token = self._form(self.order_a)
        self._post(self.order_b, token, 1)
        self.assertFalse(
            self.env["order.desk.return"].search([("order_id", "=", self.order_b.id)])
        )
        # And another customer's return stays closed.
        ret_b = self.env["order.desk.return"].create(
            {
                "order_id": self.order_b.id,
                "picking_id": self.picking_b.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": self.order_b.order_line.id,
                            "quantity": 1.0,
                            "reason_id": self.reason.id,
                        },
                    )
                ],
            }
        )
        page = self.url_open(f"/my/returns/{ret_b.id}")
        self.assertNotIn(ret_b.name, page.text)
        self.assertNotIn(ret_b.name, self.url_open("/my/returns").text)
