from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestCronRunManually(OrderDeskCase):
    """*Run Manually* of each desk scheduled action does its job.

    ``ir.cron.method_direct_trigger`` runs the job as the scheduler does: in a cursor of its
    own, committed apart from the caller's. A test's records are not committed, so a job
    started from a plain test finds nothing to do (what looked like "Run Manually does
    nothing"); in a running server the records are committed and the job sees them. Here
    the registry's test mode gives the job's cursor the test's transaction.
    """

    def _run_manually(self, xmlid):
        cron = self.env.ref(xmlid)
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()

    def test_release_expired_reservations(self):
        order = self._approved(qty=2)
        order.sudo().desk_reservation_deadline = fields.Datetime.now() - timedelta(
            hours=1
        )
        self._run_manually("order_desk.ir_cron_release_expired_reservations")
        self.assertTrue(order.desk_reservation_released)
        self.assertFalse(order.picking_ids.move_ids.filtered("quantity"))

    def test_detect_late_deliveries(self):
        yesterday = fields.Datetime.now() - timedelta(days=1)
        _order, picking = self._shipped(qty=1, commitment_date=yesterday)
        self._run_manually("order_desk.ir_cron_detect_delivery_delays")
        self.assertEqual(
            picking.desk_incident_ids.mapped("incident_type"), ["delay"], "late"
        )

    def test_prepare_last_months_statements(self):
        self.company.order_desk_statement_auto = True
        today = fields.Date.context_today(self.env["res.company"])
        last_month_end = today.replace(day=1) - timedelta(days=1)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": last_month_end,
                "date": last_month_end,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Chairs", "quantity": 1, "price_unit": 100.0}
                    )
                ],
            }
        )
        invoice.action_post()
        self._run_manually("order_desk.ir_cron_prepare_statements")
        statement = self.env["order.desk.statement"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(
            (statement.date_from, statement.date_to),
            (last_month_end.replace(day=1), last_month_end),
        )
        self.assertEqual(statement.line_ids.move_id, invoice)
