from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged

from .common import OrderDeskCase

NBSP = "\N{NO-BREAK SPACE}"


def usd(amount):
    return f"${NBSP}{amount}"


@tagged("post_install", "-at_install")
class TestChecks(OrderDeskCase):
    """Each check type on a passing and a failing order, with the exact message."""

    def _check(self, order):
        order.with_user(self.clerk).action_desk_check()
        return self._open_messages(order)

    def test_customer_data(self):
        self._rule("customer_data")
        self.assertEqual(self._check(self._order()), [])
        partner = self.env["res.partner"].create(
            {"name": "Nanfang Retail", "email": "buyer@nanfang.test"}
        )
        self.assertEqual(
            self._check(self._order(partner=partner)),
            [
                "Customer Nanfang Retail is missing: phone, delivery street, delivery city, "
                "and delivery country."
            ],
        )
        # A delivery address with its own phone completes the data.
        shipping = self.env["res.partner"].create(
            {
                "name": "Warehouse",
                "type": "delivery",
                "parent_id": partner.id,
                "phone": "123",
                "street": "1 Road",
                "city": "Guangzhou",
                "country_id": self.country.id,
            }
        )
        self.assertEqual(
            self._check(self._order(partner=partner, partner_shipping_id=shipping.id)),
            [],
        )

    def test_sellable(self):
        self._rule("sellable")
        self.assertEqual(self._check(self._order()), [])
        part = self._create_product("Spare Part", "PART", 5.0, sale_ok=False)
        old = self._create_product("Old Lamp", "LAMP", 5.0)
        order = self._order(lines=[(self.product, 1, {}), (part, 1, {}), (old, 1, {})])
        old.action_archive()
        self.assertEqual(
            self._check(order),
            [
                "Line 2: product [PART] Spare Part cannot be sold.",
                "Line 3: product [LAMP] Old Lamp is archived.",
            ],
        )
        self.assertEqual(
            order.desk_exception_ids.line_id,
            order.order_line[1:],
            "per-line exceptions",
        )

    def test_stock(self):
        self._rule("stock")
        self.assertEqual(self._check(self._order(lines=[(self.product, 50, {})])), [])
        service = self._create_product("Installation", "SRV", 30.0, type="service")
        order = self._order(
            lines=[(self.product, 30, {}), (service, 1, {}), (self.product, 25, {})]
        )
        # Two lines of the same product add up: 55 needed for 50 free.
        self.assertEqual(
            self._check(order),
            [
                f"Line 3: [CHAIR] Office Chair needs 55.00 Units, only 50.00 free in warehouse "
                f"{self.warehouse.display_name}."
            ],
        )

    def test_stock_counts_reserved_quantities(self):
        self._rule("stock")
        other = self._order(lines=[(self.product, 45, {})])
        other.sudo().write({"desk_state": "approved"})
        other.action_confirm()
        self.assertEqual(
            self.product.with_context(warehouse_id=self.warehouse.id).free_qty, 5
        )
        self.assertEqual(
            len(self._check(self._order(lines=[(self.product, 6, {})]))), 1
        )
        self.assertEqual(self._check(self._order(lines=[(self.product, 5, {})])), [])

    def test_price_floor(self):
        self._rule("price_floor", tolerance_percent=10)
        self.assertEqual(
            self._check(self._order(lines=[(self.product, 1, {"price_unit": 90})])), []
        )
        order = self._order(
            lines=[(self.product, 1, {"price_unit": 100, "discount": 15})]
        )
        self.assertEqual(
            self._check(order),
            [
                f"Line 1: [CHAIR] Office Chair at {usd('85.00')} after discount is below the "
                f"floor {usd('90.00')} (pricelist price {usd('100.00')} less 10.00%)."
            ],
        )

    def test_price_floor_follows_pricelist(self):
        self._rule("price_floor")
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Wholesale",
                "currency_id": self.currency.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.product.id,
                            "compute_price": "fixed",
                            "fixed_price": 80.0,
                            "min_quantity": 10,
                        }
                    )
                ],
            }
        )
        # 10 units get the wholesale price of 80, fewer units the list price of 100.
        ok = self._order(
            lines=[(self.product, 10, {"price_unit": 80})], pricelist_id=pricelist.id
        )
        self.assertEqual(self._check(ok), [])
        low = self._order(
            lines=[(self.product, 2, {"price_unit": 80})], pricelist_id=pricelist.id
        )
        self.assertEqual(len(self._check(low)), 1)
        self.assertIn(f"floor {usd('100.00')}", self._check(low)[0])

    def test_payment_term(self):
        self._rule("payment_term")
        self.assertEqual(self._check(self._order()), [])
        order = self._order()
        order.payment_term_id = False
        self.assertEqual(self._check(order), ["No payment term is set on the order."])

    @freeze_time("2026-03-10 09:00:00")
    def test_commitment_date(self):
        self._rule("commitment_date")
        self.assertEqual(
            self._check(self._order(commitment_date="2026-03-12 10:00:00")), []
        )
        self.assertEqual(
            self._check(self._order(commitment_date=False)),
            ["No delivery date is promised to the customer."],
        )
        self.assertEqual(
            self._check(self._order(commitment_date="2026-03-09 10:00:00")),
            ["The promised delivery date 03/09/2026 is already past."],
        )

    def test_credit_limit(self):
        self._rule("credit_limit")
        partner = self.customer.copy({"name": "Beifang Wholesale"})
        partner.credit_limit = 1000.0
        # Receivable: a posted invoice of 300 (no tax).
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Old sale",
                            "quantity": 1,
                            "price_unit": 300,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        no_tax = {"tax_ids": [Command.clear()]}
        self.assertEqual(
            self._check(
                self._order(partner=partner, lines=[(self.product, 7, no_tax)])
            ),
            [],
        )
        # Open orders: a confirmed, uninvoiced order of 200.
        confirmed = self._order(partner=partner, lines=[(self.product, 2, no_tax)])
        confirmed.action_confirm()
        order = self._order(partner=partner, lines=[(self.product, 6, no_tax)])
        self.assertEqual(
            self._check(order),
            [
                f"Customer Beifang Wholesale would owe {usd('1,100.00')} (receivable "
                f"{usd('300.00')} + open orders {usd('200.00')} + this order {usd('600.00')}), "
                f"above the credit limit {usd('1,000.00')}."
            ],
        )
        # No limit, no check.
        partner.credit_limit = 0.0
        self.assertEqual(self._check(order), [])

    def test_duplicate(self):
        self._rule("duplicate", severity="warning", duplicate_days=7)
        now = fields.Datetime.now()
        first = self._order(client_order_ref="PO-1", date_order=now - timedelta(days=2))
        self.assertEqual(
            self._check(
                self._order(client_order_ref="PO-2", lines=[(self.product, 2, {})])
            ),
            [],
        )
        self.assertEqual(
            self._check(self._order(client_order_ref="PO-1")),
            [f"Possible duplicate of {first.name}: same customer reference PO-1."],
        )
        other_lines = self._order(lines=[(self.product, 3, {})], date_order=now)
        same_lines = self._order(lines=[(self.product, 3, {})], date_order=now)
        self.assertEqual(
            self._check(same_lines),
            [
                f"Possible duplicate of {other_lines.name}: same customer and same lines "
                f"within 7 days."
            ],
        )
        # Outside the window, or cancelled, it is not a duplicate.
        late = self._order(
            lines=[(self.product, 4, {})], date_order=now - timedelta(days=10)
        )
        self.assertEqual(
            self._check(self._order(lines=[(self.product, 4, {})], date_order=now)), []
        )
        self.assertTrue(late)

    def test_rules_of_other_companies_do_not_apply(self):
        other_company = self.env["res.company"].create({"name": "OD Other Co"})
        self._rule("payment_term", company=other_company)
        order = self._order(payment_term_id=False)
        self.assertEqual(self._check(order), [])

    def test_archived_rule_does_not_run(self):
        rule = self._rule("payment_term")
        rule.action_archive()
        self.assertEqual(self._check(self._order(payment_term_id=False)), [])
