import io
from datetime import date, datetime
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..models import sale_order_timeline as timeline
from .common import OrderDeskCase


def dt(value):
    return fields.Datetime.to_datetime(value)


def deliveries(order):
    return order.picking_ids.filtered(
        lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
    )


def pick(picking, quantities=None):
    for move in picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
        move.quantity = (quantities or {}).get(move.product_id, move.product_uom_qty)
        move.picked = True


def validate(env, picking, quantities=None):
    """Validate ``picking`` as the warehouse does, keeping a backorder for the rest."""
    pick(picking, quantities)
    result = picking.button_validate()
    if isinstance(result, dict) and result.get("res_model") == (
        "stock.backorder.confirmation"
    ):
        env["stock.backorder.confirmation"].with_context(**result["context"]).create(
            {}
        ).process()


class KpiCase(OrderDeskCase):
    """Five orders of the week of 4 March 2024 with known timestamps:

    - A: 2 units promised 8 March 12:00; approved after 6 h, unlocked and locked again,
      picked on the 5th 10:00, shipped 16:00, delivered on the 7th 10:00; invoiced on the 5th
      and paid on the 20th; a delay incident; on the March statement, confirmed after 3 days.
    - B: 4 units promised 8 March 12:00, without payment terms: a blocking exception, rejected
      once, overridden, approved after 4 h; shipped in two parts (6th and 9th: late, not in
      full).
    - C: 1 unit promised 6 March 10:00, approved after 3 h, never shipped (late now).
    - D: 2 units promised 5 March 10:00, approved after 2 h, shipped on the 4th 17:00,
      delivered late on the 6th 09:00; invoiced and credited in full (never paid); a damage
      incident; one unit returned for a defect (approved on the 10th).
    - E: 1 unit, cancelled before submission.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "UTC"
        cls.env.user.tz = "UTC"
        cls._rule("payment_term")
        cls.accountant = new_test_user(
            cls.env,
            login="od_kpi_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.defect = cls.env.ref("order_desk.return_reason_defect")
        cls._build()

    # Scenario ---------------------------------------------------------------------------------
    @classmethod
    def _at(cls, moment):
        return freeze_time(moment)

    @classmethod
    def _flush(cls):
        cls.env.flush_all()

    @classmethod
    def _build(cls):
        env = cls.env
        with cls._at("2024-03-04 09:00:00"):
            cls.order_a = cls._order(
                lines=[(cls.product, 2.0, {})], commitment_date="2024-03-08 12:00:00"
            )
            cls.order_b = cls._order(
                lines=[(cls.product, 4.0, {})],
                commitment_date="2024-03-08 12:00:00",
                payment_term_id=False,
            )
            cls.order_c = cls._order(
                lines=[(cls.product, 1.0, {})], commitment_date="2024-03-06 10:00:00"
            )
            cls.order_d = cls._order(
                lines=[(cls.product, 2.0, {})], commitment_date="2024-03-05 10:00:00"
            )
            cls.order_e = cls._order(lines=[(cls.product, 1.0, {})])
            cls._flush()
        clerk, manager = cls.clerk, cls.manager
        with cls._at("2024-03-04 09:15:00"):
            cls.order_c.with_user(clerk).action_desk_submit()
        with cls._at("2024-03-04 09:30:00"):
            (cls.order_a | cls.order_d).with_user(clerk).action_desk_submit()
        with cls._at("2024-03-04 10:00:00"):
            cls.order_b.with_user(clerk).action_desk_submit()
            cls.order_e.action_cancel()
            cls._flush()
        with cls._at("2024-03-04 11:00:00"):
            cls.order_b.with_user(manager).action_desk_reject("Payment terms missing")
            cls.order_d.with_user(manager).action_desk_approve()
            cls._flush()
        with cls._at("2024-03-04 11:30:00"):
            cls.order_b.with_user(clerk).action_desk_submit()
        with cls._at("2024-03-04 12:00:00"):
            cls.order_b.desk_exception_ids.with_user(manager).action_override(
                "Agreed by phone"
            )
            cls.order_c.with_user(manager).action_desk_approve()
            cls._flush()
        with cls._at("2024-03-04 13:00:00"):
            cls.order_b.with_user(manager).action_desk_approve()
            cls._flush()
        with cls._at("2024-03-04 15:00:00"):
            cls.order_a.with_user(manager).action_desk_approve()
            cls._flush()
        with cls._at("2024-03-04 15:30:00"):
            cls.order_a.with_user(manager).action_desk_unlock("Second address")
        with cls._at("2024-03-04 16:00:00"):
            cls.order_a.with_user(manager).action_desk_lock()
            cls._flush()
        with cls._at("2024-03-04 17:00:00"):
            validate(env, deliveries(cls.order_d))
            invoice_d = cls.order_d._create_invoices()
            invoice_d.invoice_date = "2024-03-04"
            invoice_d.action_post()
            cls._flush()
        with cls._at("2024-03-05 10:00:00"):
            pick(deliveries(cls.order_a))
            cls._flush()
        with cls._at("2024-03-05 16:00:00"):
            validate(env, deliveries(cls.order_a))
            cls.invoice_a = cls.order_a._create_invoices()
            cls.invoice_a.invoice_date = "2024-03-05"
            cls.invoice_a.action_post()
            cls._flush()
        with cls._at("2024-03-06 09:00:00"):
            deliveries(cls.order_d).with_user(clerk).action_desk_confirm_delivered()
            cls._flush()
        with cls._at("2024-03-06 10:00:00"):
            validate(env, deliveries(cls.order_b), {cls.product: 2.0})
            cls.env["order.desk.incident"].with_user(clerk).create(
                {
                    "incident_type": "damage",
                    "picking_id": deliveries(cls.order_d).id,
                }
            )
            cls.env["order.desk.incident"].with_user(clerk).create(
                {"incident_type": "delay", "picking_id": deliveries(cls.order_a).id}
            )
            cls._flush()
        with cls._at("2024-03-07 10:00:00"):
            deliveries(cls.order_a).with_user(clerk).action_desk_confirm_delivered()
            cls._flush()
        with cls._at("2024-03-09 10:00:00"):
            backorder = deliveries(cls.order_b).filtered(lambda p: p.state != "done")
            validate(env, backorder)
            cls._flush()
        with cls._at("2024-03-10 10:00:00"):
            request = (
                cls.env["order.desk.return"]
                .with_user(clerk)
                .create(
                    {
                        "order_id": cls.order_d.id,
                        "picking_id": deliveries(cls.order_d).id,
                        "line_ids": [
                            Command.create(
                                {
                                    "sale_line_id": cls.order_d.order_line[0].id,
                                    "quantity": 1.0,
                                    "reason_id": cls.defect.id,
                                }
                            )
                        ],
                    }
                )
            )
            request.action_submit()
            invoice_d._reverse_moves(
                [{"ref": "Credit", "invoice_date": "2024-03-10"}], cancel=True
            )
            cls._flush()
        with cls._at("2024-03-10 11:00:00"):
            request.with_user(manager).action_approve()
            cls._flush()
        with cls._at("2024-03-20 10:00:00"):
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=cls.invoice_a.ids
            ).create({"payment_date": "2024-03-20"}).action_create_payments()
            cls._flush()
        with cls._at("2024-04-02 10:00:00"):
            wizard = (
                cls.env["order.desk.reconcile.wizard"]
                .with_user(cls.accountant)
                .create(
                    {
                        "period": "custom",
                        "date_from": "2024-03-01",
                        "date_to": "2024-03-31",
                        "partner_ids": [Command.set(cls.customer.ids)],
                        "auto_match": False,
                    }
                )
            )
            cls.statement = cls.env["order.desk.statement"].search(
                wizard.action_generate()["domain"]
            )
            cls.statement.with_user(cls.accountant).action_send()
            cls._flush()
        with cls._at("2024-04-05 10:00:00"):
            cls.statement.with_user(cls.accountant).action_confirm()
            cls._flush()
        cls.orders = cls.order_a | cls.order_b | cls.order_c | cls.order_d | cls.order_e

    def _row(self, order):
        return self.env["order.desk.kpi.report"].search([("order_id", "=", order.id)])


@tagged("post_install", "-at_install")
class TestKpiTimeline(KpiCase):
    """The order's timeline and counters, written by the desk's actions and computes."""

    def test_timeline_of_each_order(self):
        a, b, c, d, e = (
            self.order_a,
            self.order_b,
            self.order_c,
            self.order_d,
            self.order_e,
        )
        for order in self.orders:
            self.assertEqual(order.desk_received_date, dt("2024-03-04 09:00:00"))
        self.assertEqual(a.desk_approved_date, dt("2024-03-04 15:00:00"))
        self.assertEqual(a.desk_ready_date, dt("2024-03-05 10:00:00"))
        self.assertEqual(a.desk_first_shipped_date, dt("2024-03-05 16:00:00"))
        self.assertEqual(a.desk_last_shipped_date, dt("2024-03-05 16:00:00"))
        self.assertEqual(a.desk_delivered_date, dt("2024-03-07 10:00:00"))
        self.assertEqual(a.desk_ship_due_date, dt("2024-03-08 12:00:00"))
        self.assertTrue(a.desk_shipped_in_full)
        self.assertEqual((a.desk_reject_count, a.desk_unlock_count), (0, 1))
        # Shipped in two parts: first and last goods out, not in full, ready when it left.
        self.assertEqual(b.desk_first_shipped_date, dt("2024-03-06 10:00:00"))
        self.assertEqual(b.desk_ready_date, dt("2024-03-06 10:00:00"))
        self.assertEqual(b.desk_last_shipped_date, dt("2024-03-09 10:00:00"))
        self.assertFalse(b.desk_shipped_in_full)
        self.assertFalse(b.desk_delivered_date)
        self.assertEqual((b.desk_reject_count, b.desk_unlock_count), (1, 0))
        # Never shipped.
        self.assertFalse(c.desk_first_shipped_date or c.desk_last_shipped_date)
        self.assertFalse(c.desk_ready_date)
        self.assertEqual(c.desk_ship_due_date, dt("2024-03-06 10:00:00"))
        # Delivered late.
        self.assertEqual(d.desk_last_shipped_date, dt("2024-03-04 17:00:00"))
        self.assertEqual(d.desk_delivered_date, dt("2024-03-06 09:00:00"))
        self.assertTrue(d.desk_shipped_in_full)
        # Cancelled.
        self.assertEqual(e.desk_state, "cancel")
        self.assertFalse(e.desk_approved_date or e.desk_first_shipped_date)

    def test_due_date_without_promise_is_the_scheduled_date(self):
        self.company.order_desk_transit_days = 2
        with freeze_time("2024-05-06 09:00:00"):
            order = self._approved(qty=1, commitment_date=False)
            picking = self._deliveries(order)
            picking.scheduled_date = "2024-05-08 08:00:00"
            self.env.flush_all()
        self.assertEqual(order.desk_ship_due_date, dt("2024-05-08 08:00:00"))
        self.assertEqual(order.desk_delivery_due_date, dt("2024-05-10 08:00:00"))
        with freeze_time("2024-05-07 09:00:00"):
            self._validate(picking)
            self.env.flush_all()
        # Frozen once the goods left: the warehouse rescheduling later changes nothing.
        picking.scheduled_date = "2024-06-01 08:00:00"
        self.assertEqual(order.desk_ship_due_date, dt("2024-05-08 08:00:00"))

    def test_reshipment_moves_the_delivered_date(self):
        with freeze_time("2024-05-06 09:00:00"):
            order, picking = self._shipped(qty=1)
        with freeze_time("2024-05-07 09:00:00"):
            picking.with_user(self.clerk).action_desk_confirm_delivered()
            self.env.flush_all()
        self.assertEqual(order.desk_delivered_date, dt("2024-05-07 09:00:00"))
        self.assertEqual(order.desk_last_shipped_date, dt("2024-05-06 09:00:00"))

    def test_audit_fields_are_the_systems(self):
        order = self._order()
        for user in (self.clerk, self.manager):
            with self.assertRaisesRegex(
                UserError, "set by the Order Desk's own actions"
            ):
                order.with_user(user).write({"desk_received_date": "2020-01-01"})
            with self.assertRaisesRegex(
                UserError, "set by the Order Desk's own actions"
            ):
                order.with_user(user).write({"desk_shipped_in_full": True})
            with self.assertRaisesRegex(
                UserError, "set by the Order Desk's own actions"
            ):
                order.with_user(user).write({"desk_unlock_count": 0})
            with self.assertRaisesRegex(
                UserError, "set by the Order Desk's own actions"
            ):
                self.env["sale.order"].with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "desk_delivered_date": "2020-01-01",
                    }
                )
        with self.assertRaisesRegex(UserError, "set by the Order Desk's own actions"):
            self.env["sale.order"].with_user(self.clerk).create(
                {"partner_id": self.customer.id, "desk_reject_count": 5}
            )
        # A default in the context does not reach it (RPC callers choose their context).
        created = (
            self.env["sale.order"]
            .with_user(self.clerk)
            .with_context(default_desk_received_date="2020-01-01")
            .create({"partner_id": self.customer.id})
        )
        self.assertNotEqual(created.desk_received_date, dt("2020-01-01 00:00:00"))
        self.assertTrue(created.desk_received_date)
        # The system may (migrations, the install hook).
        order.sudo().write({"desk_received_date": "2020-01-01 00:00:00"})
        self.assertEqual(order.desk_received_date, dt("2020-01-01 00:00:00"))
        copy = order.copy()
        self.assertNotEqual(copy.desk_received_date, dt("2020-01-01 00:00:00"))
        self.assertEqual(copy.desk_unlock_count, 0)

    def test_fill_existing_orders_in_sql(self):
        """The install hook and the migration rebuild the timeline the computes wrote."""
        orders = self.orders
        names = [
            "desk_received_date",
            "desk_first_shipped_date",
            "desk_last_shipped_date",
            "desk_delivered_date",
            "desk_ship_due_date",
            "desk_delivery_due_date",
            "desk_shipped_in_full",
            "desk_line_count",
            "desk_invoiced_date",
            "desk_paid_date",
        ]
        before = {order: [order[name] for name in names] for order in orders}
        self.assertEqual(self.order_a.desk_paid_date, date(2024, 3, 20))
        self.assertFalse(self.order_d.desk_paid_date, "credited, never paid")
        self.assertEqual(self.order_d.desk_invoiced_date, date(2024, 3, 4))
        self.env.cr.execute(
            "UPDATE sale_order SET desk_received_date = NULL, desk_ready_date = NULL,"
            " desk_first_shipped_date = NULL, desk_last_shipped_date = NULL,"
            " desk_delivered_date = NULL, desk_ship_due_date = NULL,"
            " desk_delivery_due_date = NULL, desk_shipped_in_full = NULL,"
            " desk_line_count = NULL, desk_invoiced_date = NULL, desk_paid_date = NULL,"
            " desk_reject_count = NULL, desk_unlock_count = NULL WHERE id IN %s",
            [tuple(orders.ids)],
        )
        self.env.cr.execute(
            "UPDATE sale_order SET create_date = '2024-03-04 09:00:00' WHERE id IN %s",
            [tuple(orders.ids)],
        )
        self.env.invalidate_all()
        with patch.object(timeline._logger, "info") as log:
            self.env["sale.order"]._desk_init_timeline()
        self.assertIn("Left empty", log.call_args.args[0])
        self.assertEqual(log.call_args.args[1:], (0, 0, 0, 0))
        for order in orders:
            self.assertEqual([order[name] for name in names], before[order], order.name)
        # Without the tracked changes, the ready moment is the first goods out.
        self.assertEqual(self.order_a.desk_ready_date, dt("2024-03-05 16:00:00"))
        self.assertEqual(self.order_a.desk_unlock_count, 0)

    def test_fill_from_tracked_changes(self):
        order = self._order(lines=[(self.product, 1.0, {})]).with_context(
            tracking_disable=False
        )

        def tracked(moment, action):
            with freeze_time(moment):
                action()
                order.env.flush_all()
                self.env.cr.precommit.run()

        tracked("2024-05-06 09:00:00", order.with_user(self.clerk).action_desk_submit)
        tracked(
            "2024-05-06 10:00:00",
            lambda: order.with_user(self.manager).action_desk_reject("No"),
        )
        tracked("2024-05-06 11:00:00", order.with_user(self.clerk).action_desk_submit)
        tracked(
            "2024-05-06 12:00:00", order.with_user(self.manager).action_desk_approve
        )
        tracked(
            "2024-05-06 13:00:00",
            lambda: order.with_user(self.manager).action_desk_unlock("Change"),
        )
        tracked("2024-05-06 14:00:00", order.with_user(self.manager).action_desk_lock)
        tracked("2024-05-07 08:00:00", lambda: pick(deliveries(order)))
        self.assertEqual(order.desk_state, "ready")
        self.env.cr.execute(
            "UPDATE sale_order SET desk_ready_date = NULL, desk_reject_count = 0,"
            " desk_unlock_count = 0 WHERE id = %s",
            [order.id],
        )
        self.env.invalidate_all()
        # The 19.0.1.2.0 migration script itself, as Odoo runs it on upgrade.
        self._migrate("post-13_kpi_dates")
        self.env.invalidate_all()
        self.assertEqual(order.desk_ready_date, dt("2024-05-07 08:00:00"))
        self.assertEqual((order.desk_reject_count, order.desk_unlock_count), (1, 1))


@tagged("post_install", "-at_install")
class TestKpiReport(KpiCase):
    """Every measure of order.desk.kpi.report, exactly, on the five orders."""

    def test_rows(self):
        a, b, c, d, e = (self._row(o) for o in self.orders)
        self.assertEqual(
            [a.order_count, a.line_count, a.amount, a.clerk_id, a.approver_id],
            [1, 1, 200.0, self.clerk, self.manager],
        )
        self.assertAlmostEqual(a.approval_hours, 6.0)
        self.assertAlmostEqual(a.ship_hours, 25.0)
        self.assertAlmostEqual(a.transit_days, 1.75)
        self.assertAlmostEqual(a.lead_days, 73 / 24)
        self.assertEqual(
            [
                a.shipped_on_time_count,
                a.shipped_on_time_rate,
                a.delivered_on_time_count,
                a.in_full_count,
                a.otif_count,
                a.otif_rate,
                a.first_pass_count,
                a.unlock_count,
                a.incident_count,
                a.incident_delay_count,
                a.paid_count,
                a.statement_sent_count,
                a.statement_confirmed_count,
                a.statement_disputed_count,
            ],
            [1, 100.0, 1, 1, 1, 100.0, 1, 1, 1, 1, 1, 1, 1, 0],
        )
        self.assertEqual(a.date_invoiced, date(2024, 3, 5))
        self.assertEqual(a.date_paid, date(2024, 3, 20))
        self.assertAlmostEqual(a.payment_days, 15.0)
        self.assertAlmostEqual(a.answer_days, 3.0)
        # Shipped in two parts, late, after a rejection and an override.
        self.assertAlmostEqual(b.approval_hours, 4.0)
        self.assertAlmostEqual(b.ship_hours, 117.0)
        self.assertEqual(
            [
                b.shipped_count,
                b.shipped_on_time_count,
                b.shipped_on_time_rate,
                b.first_shipped_count,
                b.in_full_count,
                b.in_full_rate,
                b.delivered_count,
                b.exception_count,
                b.blocking_count,
                b.override_count,
                b.reject_count,
                b.first_pass_count,
                b.first_pass_rate,
                b.late_now,
            ],
            [1, 0, 0.0, 1, 0, 0.0, 0, 1, 1, 1, 1, 0, 0.0, False],
        )
        # Never shipped: late now.
        self.assertTrue(c.late_now)
        self.assertGreater(c.days_late, 0)
        self.assertEqual([c.shipped_count, c.first_shipped_count], [0, 0])
        # Delivered late, returned, credited in full (not paid).
        self.assertAlmostEqual(d.transit_days, 40 / 24)
        self.assertAlmostEqual(d.lead_days, 2.0)
        self.assertEqual(
            [
                d.shipped_on_time_count,
                d.delivered_on_time_count,
                d.delivered_on_time_rate,
                d.in_full_count,
                d.otif_count,
                d.otif_rate,
                d.incident_damage_count,
                d.return_count,
                d.return_qty,
                d.return_value,
                d.returned_order_count,
                d.return_rate,
                d.against_us_count,
                d.against_us_value,
                d.paid_count,
                d.statement_confirmed_count,
            ],
            [1, 0, 0.0, 1, 0, 0.0, 1, 1, 1.0, 100.0, 1, 100.0, 1, 100.0, 0, 1],
        )
        self.assertEqual(d.date_returned, dt("2024-03-10 11:00:00"))
        # Cancelled before submission.
        self.assertEqual(e.desk_state, "cancel")
        self.assertEqual(
            [e.submitted_count, e.approved_count, e.exception_count, e.late_now],
            [0, 0, 0, False],
        )

    def test_totals_and_averages(self):
        Report = self.env["order.desk.kpi.report"]
        measures = [
            "order_count:sum",
            "amount:sum",
            "approved_count:sum",
            "approval_hours_total:sum",
            "approval_hours:avg",
            "shipped_count:sum",
            "ship_hours_total:sum",
            "ship_hours:avg",
            "delivered_count:sum",
            "transit_days_total:sum",
            "lead_days_total:sum",
            "shipped_on_time_count:sum",
            "shipped_on_time_rate:avg",
            "delivered_on_time_rate:avg",
            "in_full_rate:avg",
            "otif_rate:avg",
            "submitted_count:sum",
            "exception_count:sum",
            "exceptions_per_order:avg",
            "first_pass_rate:avg",
            "override_count:sum",
            "reject_count:sum",
            "unlock_count:sum",
            "incident_count:sum",
            "return_qty:sum",
            "return_rate:avg",
            "paid_count:sum",
            "payment_days:avg",
            "statement_sent_count:sum",
            "answer_days:avg",
        ]
        [row] = Report._read_group(
            [("order_id", "in", self.orders.ids)], aggregates=measures
        )
        values = dict(zip(measures, row, strict=True))
        expected = {
            "order_count:sum": 5,
            "amount:sum": 1000.0,
            "approved_count:sum": 4,
            "approval_hours_total:sum": 15.0,
            "approval_hours:avg": 3.75,
            "shipped_count:sum": 3,
            "ship_hours_total:sum": 148.0,
            "ship_hours:avg": 148.0 / 3,
            "delivered_count:sum": 2,
            "transit_days_total:sum": 1.75 + 40 / 24,
            "lead_days_total:sum": 73 / 24 + 2.0,
            "shipped_on_time_count:sum": 2,
            "shipped_on_time_rate:avg": 200.0 / 3,
            "delivered_on_time_rate:avg": 50.0,
            "in_full_rate:avg": 200.0 / 3,
            "otif_rate:avg": 50.0,
            "submitted_count:sum": 4,
            "exception_count:sum": 1,
            "exceptions_per_order:avg": 0.25,
            "first_pass_rate:avg": 75.0,
            "override_count:sum": 1,
            "reject_count:sum": 1,
            "unlock_count:sum": 1,
            "incident_count:sum": 2,
            "return_qty:sum": 1.0,
            "return_rate:avg": 100.0 / 3,
            "paid_count:sum": 1,
            "payment_days:avg": 15.0,
            "statement_sent_count:sum": 2,
            "answer_days:avg": 3.0,
        }
        for measure, value in expected.items():
            self.assertAlmostEqual(values[measure], value, msg=measure)

    def test_pivot_by_clerk_and_week(self):
        groups = self.env["order.desk.kpi.report"]._read_group(
            [("order_id", "in", self.orders.ids)],
            ["date_shipped:week", "clerk_id"],
            ["order_count:sum", "shipped_on_time_rate:avg", "approval_hours:avg"],
        )
        by_key = {(week, clerk): rest for week, clerk, *rest in groups}
        shipped_week = next(week for week, _clerk in by_key if week)
        self.assertEqual(shipped_week.date(), date(2024, 3, 3))  # weeks start on Sunday
        # A, B and D shipped that week; C (the clerk's) and E (never submitted) did not.
        self.assertEqual(
            by_key[shipped_week, self.clerk], [3, 200.0 / 3, (6.0 + 4.0 + 2.0) / 3]
        )
        self.assertEqual(by_key[False, self.clerk], [1, False, 3.0])
        self.assertEqual(len(groups), 3)

    def test_kpis_of_a_period_against_targets(self):
        kpis = {
            kpi["key"]: kpi
            for kpi in self.env["order.desk.kpi.report"]._desk_kpis(
                self.company, datetime(2024, 3, 1), datetime(2024, 4, 1)
            )
        }
        expected = {
            "orders": (5, None, None),
            "approval_hours": (3.75, 24.0, True),
            "on_time": (200 / 3, 95.0, False),
            "otif": (50.0, 90.0, False),
            "first_pass": (75.0, 80.0, False),
            "return_rate": (100 / 3, 2.0, False),
            "in_full": (200 / 3, None, None),
            "delivered_on_time": (50.0, None, None),
            "payment_days": (15.0, None, None),
            "exceptions_per_order": (0.25, None, None),
            "incidents": (2 / 3, None, None),
            "rejections": (1, None, None),
            "unlocks": (1, None, None),
        }
        for key, (value, target, met) in expected.items():
            self.assertAlmostEqual(kpis[key]["value"], value, msg=key)
            self.assertEqual(
                (kpis[key]["target"], kpis[key]["met"]), (target, met), key
            )
        # Nothing happened in February: no value, no verdict.
        empty = {
            kpi["key"]: kpi
            for kpi in self.env["order.desk.kpi.report"]._desk_kpis(
                self.company, datetime(2024, 2, 1), datetime(2024, 3, 1)
            )
        }
        self.assertIsNone(empty["on_time"]["value"])
        self.assertIsNone(empty["on_time"]["met"])
        # The statement listing A's and D's invoices was sent and confirmed in April.
        april = {
            kpi["key"]: kpi
            for kpi in self.env["order.desk.kpi.report"]._desk_kpis(
                self.company, datetime(2024, 4, 1), datetime(2024, 5, 1)
            )
        }
        self.assertEqual(april["statement_confirmed"]["value"], 100.0)
        self.assertEqual(april["statement_disputed"]["value"], 0.0)
        self.assertAlmostEqual(april["answer_days"]["value"], 3.0)
        self.assertIsNone(april["on_time"]["value"])

    def test_kpis_take_a_fixed_number_of_queries(self):
        # One grouped read per event date (9), each after switching JIT off (see _search).
        Report = self.env["order.desk.kpi.report"]
        period = (self.company, datetime(2024, 3, 1), datetime(2024, 4, 1))
        Report._desk_kpis(*period)  # warm-up
        with self.assertQueryCount(18):
            Report._desk_kpis(*period)
        for _index in range(20):
            self._order(lines=[(self.product, 1.0, {})])
        self.env.flush_all()
        with self.assertQueryCount(18):
            Report._desk_kpis(*period)

    def test_drill_down_to_the_order(self):
        action = self._row(self.order_b).action_open_order()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("sale.order", self.order_b.id)
        )

    def test_access(self):
        Report = self.env["order.desk.kpi.report"]
        with self.assertRaises(AccessError):
            Report.with_user(self.clerk).search([])
        with self.assertRaises(AccessError):
            Report.with_user(self.salesman).search([])
        self.assertEqual(
            Report.with_user(self.manager).search(
                [("order_id", "in", self.orders.ids)]
            ),
            Report.search([("order_id", "in", self.orders.ids)]),
        )
        other = self.env["res.company"].create({"name": "OD Other Company"})
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "company_id": other.id}
        )
        self.assertTrue(Report.search([("order_id", "=", order.id)]))
        self.assertFalse(
            Report.with_user(self.manager).search([("order_id", "=", order.id)])
        )


@tagged("post_install", "-at_install")
class TestKpiTargets(KpiCase):
    """The weekly check of the targets and the monthly report."""

    def test_weekly_check_gives_managers_an_activity_per_miss(self):
        Alert = self.env["order.desk.kpi.alert"]
        with freeze_time("2024-03-13 06:00:00"):
            alerts = Alert._cron_desk_check_targets()
        self.assertEqual(
            sorted(alerts.mapped("kpi")),
            ["first_pass", "on_time", "otif", "return_rate"],
        )
        self.assertEqual(alerts.mapped("date_from"), [date(2024, 3, 4)] * 4)
        on_time = alerts.filtered(lambda a: a.kpi == "on_time")
        self.assertEqual(on_time.value, 66.67)
        self.assertEqual(on_time.target, 95.0)
        mine = alerts.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(mine), 4)
        self.assertEqual(
            on_time.activity_ids.filtered(lambda a: a.user_id == self.manager).summary,
            "Shipped On Time: 66.7 % (target 95.0 %)",
        )
        self.assertNotIn(
            self.env.ref("base.user_root"), alerts.activity_ids.mapped("user_id")
        )
        self.assertNotIn(self.clerk, alerts.activity_ids.mapped("user_id"))
        # The alert leads to its orders.
        domain = on_time.action_view_report()["domain"]
        self.assertIn(("date_shipped", ">=", "2024-03-04 00:00:00"), domain)
        activities = len(alerts.activity_ids)
        # Running it again in the same week repeats nothing.
        with freeze_time("2024-03-14 06:00:00"):
            self.assertFalse(Alert._cron_desk_check_targets())
        self.assertEqual(Alert.search_count([]), 4)
        self.assertEqual(len(alerts.activity_ids), activities)
        # Targets met: no alert.
        self.company.write(
            {
                "order_desk_target_on_time": 50.0,
                "order_desk_target_otif": 50.0,
                "order_desk_target_first_pass": 75.0,
                "order_desk_target_return_rate": 40.0,
            }
        )
        Alert.search([]).unlink()
        with freeze_time("2024-03-13 06:00:00"):
            self.assertFalse(Alert._cron_desk_check_targets())

    def test_alerts_are_the_systems(self):
        with self.assertRaisesRegex(UserError, "weekly check"):
            self.env["order.desk.kpi.alert"].with_user(self.manager).create(
                {
                    "company_id": self.company.id,
                    "kpi": "otif",
                    "date_from": "2024-03-04",
                    "date_to": "2024-03-11",
                }
            )

    def test_target_settings(self):
        settings = self.env["res.config.settings"].create(
            {"order_desk_target_otif": 97.5}
        )
        settings.execute()
        self.assertEqual(self.company.order_desk_target_otif, 97.5)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.company.order_desk_target_first_pass = 120.0
            self.env.flush_all()

    def _wizard(self, user=None):
        return (
            self.env["order.desk.kpi.report.wizard"]
            .with_user(user or self.manager)
            .create({"year": 2024, "month": "3", "company_id": self.company.id})
        )

    def test_monthly_workbook(self):
        # Incidents are counted by the month they were opened in.
        self.env.cr.execute(
            "UPDATE order_desk_incident SET create_date = '2024-03-06 10:00:00'"
            " WHERE order_id IN %s",
            [tuple(self.orders.ids)],
        )
        wizard = self._wizard()
        action = wizard.action_export_xlsx()
        self.assertIn("field=xlsx_file", action["url"])
        self.assertEqual(wizard.xlsx_filename, "Order Desk 2024-03.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(wizard._desk_xlsx()))
        self.assertEqual(
            book.sheetnames,
            [
                "KPIs",
                "Orders",
                "Late Now",
                "Exceptions",
                "Incidents",
                "Returns",
                "Statements",
            ],
        )
        rows = {
            row[0]: row
            for row in book["KPIs"].iter_rows(min_row=4, values_only=True)
            if row[0]
        }
        on_time = rows["Shipped on time"]
        self.assertAlmostEqual(on_time[1], 200 / 3)
        self.assertEqual(on_time[2:6], (95.0, "Missed", 2, 3))
        self.assertEqual(rows["Approval lead time (received to approved)"][3], "Met")
        self.assertEqual(book["Orders"].max_row, 6)  # header + 5 orders
        late = [
            row[0] for row in book["Late Now"].iter_rows(min_row=2, values_only=True)
        ]
        self.assertIn(self.order_c.name, late)
        exceptions = list(book["Exceptions"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(exceptions, [("payment_term", 1, 1, 0, 0, 1, 0)])
        incidents = sorted(book["Incidents"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(incidents, [("Damage", 1, 1, 0, 0), ("Delay", 1, 1, 0, 0)])
        returns = list(book["Returns"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(returns, [(self.defect.name, "Yes", 1, 1.0, 100.0, 1.0)])
        self.assertEqual(book["Statements"].max_row, 1)  # sent in April

    def test_monthly_pdf_and_access(self):
        wizard = self._wizard()
        action = wizard.action_print_pdf()
        self.assertEqual(
            action["report_name"], "order_desk.kpi_monthly_report_template"
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("order_desk.kpi_monthly_report", wizard.ids)[0]
            .decode()
        )
        self.assertIn("Shipped on time", html)
        self.assertIn("Missed", html)
        self.assertIn("66.7 %", html)
        with self.assertRaises(AccessError):
            self.env["order.desk.kpi.report.wizard"].with_user(self.clerk).create(
                {"year": 2024, "month": "3"}
            )
        with self.assertRaisesRegex(UserError, "between 2000 and 2100"):
            self.env["order.desk.kpi.report.wizard"].with_user(self.manager).create(
                {"year": 24, "month": "3"}
            )
