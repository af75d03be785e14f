import re

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
        self.assertIn("only 2 can still come back", response.text)
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
