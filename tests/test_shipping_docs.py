from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestShippingDocs(OrderDeskCase):
    """Packing list, commercial invoice / customs data, and the shipping plan's batch
    notification of the warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.country_id = cls.env.ref("base.cn")
        cls.product.write(
            {
                "weight": 12.5,
                "hs_code": "9401.30",
                "country_of_origin": cls.env.ref("base.cn").id,
            }
        )
        cls.export_customer = cls.customer.copy(
            {"name": "Hamburg Imports", "country_id": cls.env.ref("base.de").id}
        )
        cls.warehouse_user = cls.env["res.users"].create(
            {
                "name": "OD Warehouse",
                "login": "od_warehouse",
                "group_ids": [Command.set([cls.env.ref("stock.group_stock_user").id])],
            }
        )

    def _render(self, report, records):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            report, records.ids
        )
        return html.decode()

    def test_packing_list_by_package(self):
        order = self._approved(qty=3)
        picking = self._deliveries(order)
        self._pick(picking)
        package = self.env["stock.package"].create({"name": "BOX-OD-1"})
        picking.move_line_ids.result_package_id = package
        html = self._render("order_desk.packing_list", picking)
        self.assertIn("BOX-OD-1", html)
        self.assertIn("Office Chair", html)
        self.assertIn("37.50", html, "3 chairs of 12.5 kg")

    def test_commercial_invoice_for_export(self):
        order = self._approved(
            qty=2,
            partner_id=self.export_customer.id,
        )
        order_line = order.order_line
        picking = self._deliveries(order)
        self.assertTrue(picking.desk_is_export)
        lines = picking._desk_customs_lines()
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["hs_code"], "9401.30")
        self.assertEqual(lines[0]["quantity"], 2.0)
        self.assertAlmostEqual(lines[0]["value"], order_line.price_subtotal)
        self.assertAlmostEqual(lines[0]["weight"], 25.0)
        html = self._render("order_desk.commercial_invoice", picking)
        for text in ("9401.30", "China", "Hamburg Imports", "25.00"):
            self.assertIn(text, html)
        domestic = self._deliveries(self._approved(qty=1))
        self.assertFalse(domestic.desk_is_export)

    def test_notify_warehouse(self):
        orders = self._approved(qty=1) | self._approved(qty=1)
        pickings = self._deliveries(orders)
        wizard = Form(
            self.env["order.desk.dispatch.wizard"]
            .with_user(self.clerk)
            .with_context(active_model="stock.picking", active_ids=pickings.ids)
        )
        wizard.user_id = self.warehouse_user
        wizard.note = "Use the reinforced boxes"
        wizard.save().action_apply()
        self.assertEqual(pickings.user_id, self.warehouse_user)
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "in", pickings.ids)]
        )
        self.assertEqual(len(activities), 2)
        self.assertEqual(activities.user_id, self.warehouse_user)

    def test_notify_warehouse_refusals(self):
        _order, picking = self._shipped(qty=1)
        wizard = (
            self.env["order.desk.dispatch.wizard"]
            .with_user(self.clerk)
            .create(
                {
                    "picking_ids": [Command.set(picking.ids)],
                    "user_id": self.warehouse_user.id,
                }
            )
        )
        with self.assertRaisesRegex(UserError, "already done"):
            wizard.action_apply()
        open_picking = self._deliveries(self._approved(qty=1))
        wizard = (
            self.env["order.desk.dispatch.wizard"]
            .with_user(self.clerk)
            .create({"picking_ids": [Command.set(open_picking.ids)]})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.salesman).action_apply()
        with self.assertRaisesRegex(UserError, "Choose a responsible"):
            wizard.with_user(self.clerk).action_apply()


@tagged("post_install", "-at_install")
class TestShippingDocsPdf(HttpCase, OrderDeskCase):
    """The documents render to PDF with wkhtmltopdf (which loads the report styles from
    the test server, hence an HTTP case)."""

    def test_pdfs_render(self):
        self._set_stock(self.product, 10)
        _order, picking = self._shipped(qty=2)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for report in ("order_desk.packing_list", "order_desk.commercial_invoice"):
            with self.subTest(report=report):
                pdf, kind = Report._render_qweb_pdf(report, picking.ids)
                self.assertEqual(kind, "pdf")
                self.assertTrue(pdf.startswith(b"%PDF"))
