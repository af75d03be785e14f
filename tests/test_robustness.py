import base64
import json
import re
from datetime import date

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import OrderDeskCase
from .test_statement import StatementCase

# Numbers Python's float() and int() read that nobody types in a form: digit separators,
# digits of other scripts, full-width digits.
ODD_NUMBERS = ("1_0", "\u0663", "\u06f3", "\uff13", "1\u00a00")

# Digits 0-9 of other scripts, by the code of their zero.
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


@tagged("post_install", "-at_install")
class TestRobustness(HttpCase, OrderDeskCase):
    """Inputs that crashed instead of being refused (issue 10, finding 17): a webhook body
    nested a hundred thousand deep, NaN in a quota or a desk setting, odd digits in the
    portal's numbers, an unknown time zone in a carrier file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.carrier, cls.token = cls._webhook_carrier("OD Robust Express")
        cls.portal = cls._portal_user(
            "od_robust_portal", phone="+86 10 0004", street="5 Portal Road"
        )
        cls.reason = cls.env.ref("order_desk.return_reason_changed_mind")

    def setUp(self):
        super().setUp()
        self.order, self.picking = self._shipped(
            qty=3, ref="RB-1", partner=self.portal.partner_id
        )
        self.picking.carrier_id = self.carrier

    # Webhook ----------------------------------------------------------------------------------
    def _webhook(self, raw):
        return self.url_open(
            f"/order_desk/tracking/{self.carrier.id}",
            data=raw,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )

    def test_webhook_deep_nesting_is_a_bad_request(self):
        deep_value = "[" * 500 + "]" * 500
        for label, raw in (
            ("a hundred thousand lists", "[" * 100000 + "]" * 100000),
            ("a hundred thousand objects", '{"a":' * 100000 + "1" + "}" * 100000),
            (
                "a deep status",
                '{"events": [{"tracking_ref": "RB-1", "time": "2026-01-02 10:00", '
                f'"status": {deep_value}}}]}}',
            ),
        ):
            with self.subTest(case=label):
                response = self._webhook(raw)
                self.assertEqual(response.status_code, 400, response.text[:300])
                self.assertEqual(response.json()["error"], "too_deep")
        self.assertFalse(self.picking.desk_tracking_event_ids)
        good = json.dumps(
            {
                "events": [
                    {
                        "tracking_ref": "RB-1",
                        "time": "2026-01-02 10:00",
                        "status": "in_transit",
                    }
                ]
            }
        )
        self.assertEqual(self._webhook(good).status_code, 200)

    # Numbers of every desk record ----------------------------------------------------------
    def _raw_rpc(self, login, model, method, args_json, kwargs_json="{}"):
        """A JSON-RPC call with a body written by hand (``NaN``, ``Infinity`` are what
        JavaScript and Python clients send for those floats)."""
        self.authenticate(login, login)
        body = (
            '{"jsonrpc": "2.0", "method": "call", "id": 1, "params": '
            f'{{"model": "{model}", "method": "{method}", "args": {args_json}, '
            f'"kwargs": {kwargs_json}}}}}'
        )
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=body,
                headers={"Content-Type": "application/json"},
            )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text[:300])
        error = response.json().get("error")
        return error and error["data"]["name"].rsplit(".", 1)[-1]

    def test_every_desk_model_checks_its_input(self):
        """Quotas were not among the records that refuse impossible numbers: every model
        of the desk (but the reports, read from SQL views) is now."""
        for name, model in self.env.registry.items():
            if (
                model._original_module == "order_desk"
                and not model._abstract
                and model._auto
            ):
                with self.subTest(model=name):
                    self.assertTrue(hasattr(model, "_desk_check_input"), name)

    def test_impossible_numbers_are_refused_over_rpc(self):
        Quota = self.env["order.desk.quota"]
        quota = Quota.create(
            {
                "partner_id": self.customer.id,
                "product_id": self.product.id,
                "quantity": 5,
            }
        )
        rule = self._rule("price_floor")
        manager = self.manager.login
        for value in (
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "1e300",
            '"1_0"',
            '"\\u0663"',
        ):
            with self.subTest(value=value):
                vals = (
                    f'{{"partner_id": {self.customer.id}, '
                    f'"product_id": {self.product.id}, "quantity": {value}}}'
                )
                self.assertEqual(
                    self._raw_rpc(manager, "order.desk.quota", "create", f"[{vals}]"),
                    "ValidationError",
                )
                self.assertEqual(
                    self._raw_rpc(
                        manager,
                        "order.desk.quota",
                        "write",
                        f'[[{quota.id}], {{"quantity": {value}}}]',
                    ),
                    "ValidationError",
                )
                self.assertEqual(
                    self._raw_rpc(
                        manager,
                        "order.desk.rule",
                        "write",
                        f'[[{rule.id}], {{"tolerance_percent": {value}}}]',
                    ),
                    "ValidationError",
                )
                self.assertEqual(
                    self._raw_rpc(
                        "admin",
                        "res.company",
                        "write",
                        f'[[{self.company.id}], {{"order_desk_target_otif": {value}}}]',
                    ),
                    "ValidationError",
                )
        self.assertEqual(Quota.search_count([]), 1)
        self.assertEqual(quota.quantity, 5.0)
        self.assertEqual(
            self._raw_rpc(
                "admin",
                "res.company",
                "write",
                f'[[{self.company.id}], {{"order_desk_reservation_days": {2**40}}}]',
            ),
            "ValidationError",
        )
        self.assertEqual(self.company.order_desk_reservation_days, 7)

    # Portal numbers ----------------------------------------------------------------------
    def test_portal_return_quantities_in_odd_digits(self):
        line = self.order.order_line
        self.authenticate("od_robust_portal", "od_robust_portal")
        page = self.url_open(f"/my/orders/{self.order.id}/return")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        for quantity in ODD_NUMBERS:
            with self.subTest(quantity=quantity):
                response = self.url_open(
                    f"/my/orders/{self.order.id}/return",
                    data={
                        "csrf_token": csrf,
                        "picking_id": self.picking.id,
                        f"qty_{line.id}": quantity,
                        f"reason_{line.id}": str(self.reason.id),
                        f"condition_{line.id}": "sealed",
                        f"outcome_{line.id}": "refund",
                        "note": "odd digits",
                    },
                )
                self.env.invalidate_all()
                self.assertEqual(response.status_code, 200)
                self.assertIn("alert-danger", response.text)
                self.assertFalse(
                    self.env["order.desk.return"].search(
                        [("order_id", "=", self.order.id)]
                    )
                )

    # Carrier files -----------------------------------------------------------------------
    def test_import_unknown_time_zone_is_refused_per_row(self):
        content = (
            "tracking number,time,status\n"
            "RB-1,2026-01-02 10:00,in_transit\n"
            "RB-1,2026-01-02 12:00+08:00,out_for_delivery\n"
        )
        wizard = (
            self.env["order.desk.tracking.import.wizard"]
            .with_user(self.clerk)
            .create(
                {
                    "file": base64.b64encode(content.encode()),
                    "filename": "carrier.csv",
                    "tz": "Mars/Olympus",
                }
            )
        )
        wizard.action_import()
        self.assertEqual((wizard.new_count, wizard.error_count), (1, 1))
        self.assertEqual(
            wizard.error_text,
            "Row 2: 2026-01-02 10:00 has no offset and the time zone Mars/Olympus "
            "is unknown.",
        )
        self.assertEqual(
            self.picking.desk_tracking_event_ids.status, "out_for_delivery"
        )


@tagged("post_install", "-at_install")
class TestStatementNumbers(HttpCase, StatementCase):
    """The customer's disputed amount and line are plain decimal numbers and ids."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Digits Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")

    def test_odd_digits_are_refused(self):
        statement = self._generate(date(2026, 10, 1), date(2026, 10, 31), self.customer)
        statement.with_user(self.accountant).action_send()
        page = self.url_open(statement.get_portal_url())
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        line = statement.line_ids
        cases = [({"amount": value}, value) for value in ODD_NUMBERS]
        cases += [
            ({"amount": "3", "line_id": str(line.id).translate(table)}, label)
            for table, label in (
                (ARABIC_INDIC, "Arabic-Indic line"),
                (FULL_WIDTH, "full-width line"),
            )
        ]
        cases.append(({"amount": "3", "line_id": f"0_{line.id}"}, "line with _"))
        for values, label in cases:
            with self.subTest(case=label):
                response = self.url_open(
                    f"/my/statements/{statement.id}/dispute",
                    data={
                        "csrf_token": csrf,
                        "access_token": statement.access_token,
                        "comment": "Odd digits",
                        **values,
                    },
                )
                self.env.invalidate_all()
                self.assertEqual(response.status_code, 200)
                self.assertIn("Give the disputed amount", response.text)
                self.assertFalse(statement.dispute_ids)
        self.authenticate(self.accountant.login, self.accountant.login)
        for ids in (f"0_{statement.id}", str(statement.id).translate(FULL_WIDTH)):
            with self.subTest(ids=ids), mute_logger("odoo.http"):
                response = self.url_open(f"/order_desk/statements/xlsx?ids={ids}")
                self.assertNotEqual(response.status_code, 200)
                self.assertLess(response.status_code, 500)
