from datetime import date, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import OrderDeskCase
from .rpc import RpcCaseMixin
from .test_statement import StatementCase


@tagged("post_install", "-at_install")
class TestAuthorization(RpcCaseMixin, HttpCase, OrderDeskCase):
    """What the caller sends over RPC (context keys, field values) never decides what they
    may do: actions check who calls, guarded fields refuse everybody else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 1000)

    def _incident(self, picking, quantity=None, user=None):
        incident = (
            self.env["order.desk.incident"]
            .with_user(user or self.clerk)
            .create({"incident_type": "lost", "picking_id": picking.id})
        )
        if quantity is not None:
            incident.line_ids.quantity = quantity
        incident.write({"resolution": "reship", "resolution_note": "Parcel lost"})
        return incident

    # 1. Context keys ---------------------------------------------------------------------
    def test_approving_key_does_not_confirm(self):
        order = self._order()
        message = self._rpc_refused(
            self.salesman,
            "sale.order",
            "action_confirm",
            [order.id],
            context={"order_desk_approving": True},
        )
        self.assertIn("must be approved on the Order Desk", message)
        self.assertEqual((order.state, order.desk_state), ("draft", "draft"))
        self.assertFalse(order.desk_approved_user_id)

    def test_state_write_key_does_not_approve(self):
        order = self._order()
        for user in (self.clerk, self.salesman):
            with self.subTest(user=user.login):
                self._rpc_refused(
                    user,
                    "sale.order",
                    "write",
                    [order.id],
                    {"desk_state": "approved"},
                    context={"order_desk_state_write": True},
                )
                message = self._rpc_refused(
                    user, "sale.order", "action_confirm", [order.id]
                )
                self.assertIn("must be approved on the Order Desk", message)
        self.assertEqual((order.state, order.desk_state), ("draft", "draft"))

    def test_defer_reservation_key_does_not_skip_the_reservation(self):
        """Not an authorization, but nothing a caller sends may change what the
        confirmation does: a plain confirmation still reserves."""
        self.company.order_desk_require_approval = False
        order = self._order()
        _result, error, message = self._rpc(
            self.salesman,
            "sale.order",
            "action_confirm",
            [order.id],
            context={"order_desk_defer_reservation": True},
        )
        self.assertFalse(error, message)
        self.assertEqual(order.state, "sale")
        self.assertEqual(self._deliveries(order).state, "assigned")

    def test_state_key_does_not_move_returns(self):
        order, picking = self._shipped(qty=3, ref="AUTH-R1")
        ret = self._desk_return(order, picking, 1.0, submit=True)
        key = {"order_desk_state_write": True}
        self._rpc_refused(
            self.clerk,
            "order.desk.return",
            "write",
            [ret.id],
            {"state": "approved"},
            context=key,
        )
        self._rpc_refused(
            self.clerk,
            "order.desk.return.line",
            "write",
            ret.line_ids.ids,
            {"quantity": 3.0},
            context=key,
        )
        self.assertEqual((ret.state, ret.line_ids.quantity), ("to_approve", 1.0))
        other_company = self.env["res.company"].create({"name": "OD Auth Other"})
        self._rpc_refused(
            self.manager,
            "order.desk.return",
            "write",
            [ret.id],
            {"company_id": other_company.id},
        )
        self.assertEqual(ret.company_id, self.company)

    def test_dialogs_take_only_record_ids(self):
        """The records a dialog starts with are a proposal its action checks; what is no
        record id is dropped."""
        self._rule("payment_term")
        order = self._order(payment_term_id=False)
        order.action_desk_check()
        Wizard = (
            self.env["order.desk.override.wizard"]
            .with_user(self.manager)
            .with_context(
                active_model="order.desk.exception",
                active_ids=["1 OR 1=1", True, -4, 2**40, *order.desk_exception_ids.ids],
            )
        )
        values = Wizard.default_get(["exception_ids"])
        self.assertEqual(
            values["exception_ids"], [(6, 0, order.desk_exception_ids.ids)]
        )
        wizard = Wizard.create({"reason": "Known customer"})
        with self.assertRaises(AccessError):
            wizard.with_user(self.clerk).action_confirm()
        wizard.action_confirm()
        self.assertEqual(order.desk_exception_ids.state, "overridden")

    def test_state_key_does_not_resolve_incidents(self):
        _order, picking = self._shipped(qty=3, ref="AUTH-I1")
        incident = self._incident(picking)
        self._rpc_refused(
            self.clerk,
            "order.desk.incident",
            "write",
            [incident.id],
            {"state": "resolved"},
            context={"order_desk_state_write": True},
        )
        self.assertEqual(incident.state, "open")
        incident.with_user(self.clerk).action_resolve()
        # A resolved incident stays as it was, whatever the context.
        self._rpc_refused(
            self.clerk,
            "order.desk.incident",
            "write",
            [incident.id],
            {"resolution": "refund"},
            context={"order_desk_state_write": True},
        )
        self.assertEqual(incident.resolution, "reship")

    # 2. Decision and audit fields -------------------------------------------------------------
    def test_prepayment_release_needs_a_manager_on_create_too(self):
        values = {
            "partner_id": self.customer.id,
            "desk_settlement_method": "prepayment",
            "order_line": [Command.create({"product_id": self.product.id})],
        }
        for user in (self.clerk, self.salesman):
            with self.subTest(user=user.login):
                message = self._rpc_refused(
                    user,
                    "sale.order",
                    "create",
                    {**values, "desk_prepayment_released": True},
                    expected=("AccessError",),
                )
                self.assertIn("manager", message)
                # Nor through a default the caller puts in the context.
                order_id, error, message = self._rpc(
                    user,
                    "sale.order",
                    "create",
                    values,
                    context={"default_desk_prepayment_released": True},
                )
                self.assertFalse(error, message)
                order = self.env["sale.order"].browse(order_id)
                self.assertFalse(order.desk_prepayment_released)
        self.assertFalse(
            self.env["sale.order"].search_count(
                [("desk_prepayment_released", "=", True)]
            )
        )

    def test_order_audit_fields_are_the_systems(self):
        order = self._order()
        audit = {
            "desk_submitted_user_id": self.clerk.id,
            "desk_submitted_date": "2026-01-01 10:00:00",
            "desk_approved_user_id": self.manager.id,
            "desk_approved_date": "2026-01-01 10:00:00",
            "desk_locked_date": "2026-01-01 10:00:00",
            "desk_checked_date": "2026-01-01 10:00:00",
            "desk_reservation_released": True,
        }
        for name, value in audit.items():
            with self.subTest(field=name):
                self._rpc_refused(
                    self.clerk, "sale.order", "write", [order.id], {name: value}
                )
                self._rpc_refused(
                    self.manager,
                    "sale.order",
                    "create",
                    {"partner_id": self.customer.id, name: value},
                )
                _result, error, _message = self._rpc(
                    self.clerk,
                    "sale.order",
                    "create",
                    {"partner_id": self.customer.id},
                    context={f"default_{name}": value},
                )
                self.assertFalse(error)
        self.assertFalse(
            self.env["sale.order"].search_count(
                [
                    "|",
                    ("desk_approved_user_id", "!=", False),
                    ("desk_submitted_user_id", "!=", False),
                ]
            )
        )

    def test_exception_state_only_through_override(self):
        self._rule("payment_term")
        order = self._order(payment_term_id=False)
        order.action_desk_check()
        exception = order.desk_exception_ids
        self.assertEqual(exception.state, "open")
        for vals in (
            {"state": "overridden"},
            {"override_reason": "Fine", "override_user_id": self.manager.id},
            {"severity": "warning"},
            {"message": "Nothing wrong"},
        ):
            with self.subTest(vals=vals):
                self._rpc_refused(
                    self.manager,
                    "order.desk.exception",
                    "write",
                    exception.ids,
                    vals,
                )
        self.assertEqual(
            (exception.state, exception.severity, exception.override_reason),
            ("open", "blocking", False),
        )
        _result, error, message = self._rpc(
            self.manager,
            "order.desk.exception",
            "action_override",
            exception.ids,
            "The customer pays cash",
        )
        self.assertFalse(error, message)
        self.assertEqual(exception.state, "overridden")
        self.assertEqual(exception.override_user_id, self.manager)
        self.assertTrue(exception.override_date)

    def test_incident_and_return_audit_fields(self):
        order, picking = self._shipped(qty=3, ref="AUTH-A1")
        incident = self._incident(picking)
        ret = self._desk_return(order, picking, 1.0)
        cases = [
            ("order.desk.incident", incident, {"resolved_user_id": self.clerk.id}),
            ("order.desk.incident", incident, {"resolved_date": "2026-01-01"}),
            ("order.desk.incident", incident, {"origin": "tracking"}),
            ("order.desk.return", ret, {"approved_user_id": self.manager.id}),
            ("order.desk.return", ret, {"approved_date": "2026-01-01"}),
            ("order.desk.return", ret, {"requested_by_id": self.manager.id}),
            ("order.desk.return", ret, {"source": "portal"}),
            ("order.desk.return", ret, {"reject_reason": "No"}),
            ("order.desk.return.line", ret.line_ids, {"qty_received": 1.0}),
            ("order.desk.return.line", ret.line_ids, {"qty_exchanged": 1.0}),
        ]
        for model, record, vals in cases:
            with self.subTest(model=model, vals=vals):
                self._rpc_refused(self.clerk, model, "write", record.ids, vals)
        self._rpc_refused(
            self.clerk,
            "order.desk.incident",
            "create",
            {
                "incident_type": "lost",
                "picking_id": picking.id,
                "state": "resolved",
                "resolved_user_id": self.manager.id,
            },
        )
        self._rpc_refused(
            self.clerk,
            "order.desk.return",
            "create",
            {
                "order_id": order.id,
                "picking_id": picking.id,
                "approved_user_id": self.manager.id,
            },
        )
        self.assertFalse(incident.resolved_user_id)
        self.assertFalse(ret.approved_user_id)
        self.assertEqual(ret.requested_by_id, self.clerk)

    def test_future_tracking_event_is_refused_on_every_path(self):
        _order, picking = self._shipped(qty=1, ref="AUTH-T1")
        message = self._rpc_refused(
            self.clerk,
            "order.desk.tracking.event",
            "create",
            {
                "picking_id": picking.id,
                "event_date": "2099-01-01 10:00:00",
                "status": "delivered",
            },
        )
        self.assertIn("future", message)
        message = self._rpc_refused(
            self.clerk,
            "stock.picking",
            "desk_add_tracking_events",
            picking.ids,
            [{"event_date": "2099-01-01 10:00", "status": "delivered"}],
        )
        self.assertIn("future", message)
        self.assertFalse(picking.desk_delivered_date)
        self.assertFalse(picking.desk_tracking_event_ids)
        # A manager correcting an event cannot move it to the future either.
        picking.with_user(self.clerk).desk_add_tracking_events(
            [{"event_date": "2026-01-02 10:00", "status": "in_transit"}]
        )
        self._rpc_refused(
            self.manager,
            "order.desk.tracking.event",
            "write",
            picking.desk_tracking_event_ids.ids,
            {"event_date": "2099-01-01 10:00:00", "status": "delivered"},
        )
        self.assertFalse(picking.desk_delivered_date)

    def test_future_tolerance_is_a_few_minutes(self):
        _order, picking = self._shipped(qty=1, ref="AUTH-T2")
        now = fields.Datetime.now()
        soon = fields.Datetime.to_string(now + timedelta(minutes=4))
        later = fields.Datetime.to_string(now + timedelta(minutes=6))
        picking.with_user(self.clerk).desk_add_tracking_events(
            [{"event_date": soon, "status": "in_transit"}]
        )
        with self.assertRaisesRegex(ValidationError, "in the future"):
            picking.with_user(self.clerk).desk_add_tracking_events(
                [{"event_date": later, "status": "delivered"}]
            )
        # assertRaises (not assertRaisesRegex) rolls the refused insert back.
        with self.assertRaises(ValidationError) as refused:
            self.env["order.desk.tracking.event"].with_user(self.clerk).create(
                {"picking_id": picking.id, "event_date": later, "status": "delivered"}
            )
        self.assertIn("in the future", str(refused.exception))
        events = self.env["order.desk.tracking.event"].search(
            [("picking_id", "=", picking.id)]
        )
        self.assertEqual(
            events.mapped("status"), ["in_transit"], events.mapped("event_date")
        )

    def test_tracking_source_is_the_paths(self):
        _order, picking = self._shipped(qty=1, ref="AUTH-T3")
        self._rpc_refused(
            self.clerk,
            "order.desk.tracking.event",
            "create",
            {
                "picking_id": picking.id,
                "event_date": "2026-01-02 10:00:00",
                "status": "in_transit",
                "source": "webhook",
            },
        )
        message = self._rpc_refused(
            self.clerk,
            "stock.picking",
            "desk_add_tracking_events",
            picking.ids,
            [
                {
                    "event_date": "2026-01-02 10:00",
                    "status": "in_transit",
                    "source": "webhook",
                }
            ],
        )
        self.assertIn("webhook", message)
        self.assertFalse(picking.desk_tracking_event_ids)

    # 3. Reship without limit ----------------------------------------------------------------
    def test_reship_is_capped_at_what_the_delivery_brought(self):
        order, picking = self._shipped(qty=3, ref="AUTH-S1")
        incident = self._incident(picking, quantity=500.0)
        message = self._rpc_refused(
            self.clerk,
            "order.desk.incident",
            "action_resolve",
            incident.ids,
            expected=("AccessError",),
        )
        self.assertIn("500", message)
        self.assertIn("manager", message)
        self.assertEqual(incident.state, "open")
        self.assertFalse(incident.new_picking_ids)
        self.assertEqual(
            len(order.picking_ids), 1, "no delivery of 500 was created, nor any other"
        )
        # What the delivery brought is fine for a clerk.
        incident.with_user(self.clerk).line_ids.quantity = 3.0
        _result, error, message = self._rpc(
            self.clerk, "order.desk.incident", "action_resolve", incident.ids
        )
        self.assertFalse(error, message)
        self.assertEqual(incident.state, "resolved")
        self.assertEqual(incident.new_picking_ids.move_ids.product_uom_qty, 3.0)
        # Once reshipped, shipping the same goods again needs a manager.
        again = self._incident(picking, quantity=1.0)
        with self.assertRaisesRegex(AccessError, "already reshipped"):
            again.with_user(self.clerk).action_resolve()
        again.with_user(self.manager).action_resolve()
        self.assertEqual(again.state, "resolved")

    def test_reship_cap_counts_returns(self):
        order, picking = self._shipped(qty=3, ref="AUTH-S2")
        ret = self._desk_return(order, picking, 2.0, submit=True)
        ret.with_user(self.manager).action_approve()
        incident = self._incident(picking, quantity=2.0)
        with self.assertRaisesRegex(AccessError, "returned"):
            incident.with_user(self.clerk).action_resolve()
        incident.with_user(self.clerk).line_ids.quantity = 1.0
        incident.with_user(self.clerk).action_resolve()
        self.assertEqual(incident.new_picking_ids.move_ids.product_uom_qty, 1.0)

    def test_reship_without_delivery_needs_a_manager(self):
        order = self._approved(qty=2)
        incident = (
            self.env["order.desk.incident"]
            .with_user(self.clerk)
            .create(
                {
                    "incident_type": "stock_out",
                    "order_id": order.id,
                    "resolution": "replace",
                    "resolution_note": "Send another",
                    "line_ids": [
                        Command.create(
                            {"sale_line_id": order.order_line.id, "quantity": 2.0}
                        )
                    ],
                }
            )
        )
        with self.assertRaises(AccessError):
            incident.with_user(self.clerk).action_resolve()
        self.assertEqual(incident.state, "open")


@tagged("post_install", "-at_install")
class TestStatementAuthorization(RpcCaseMixin, HttpCase, StatementCase):
    """Accountants move statements and disputes through their buttons only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Guarded Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")

    def setUp(self):
        super().setUp()
        self.statement = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer
        ).with_user(self.accountant)
        self.statement.action_send()

    def test_state_key_does_not_confirm_a_statement(self):
        key = {"order_desk_state_write": True}
        for vals in (
            {"state": "confirmed"},
            {"confirmed_by": "The customer", "confirmed_date": "2026-11-01"},
            {"closing_balance": 0.0},
        ):
            with self.subTest(vals=vals):
                self._rpc_refused(
                    self.accountant,
                    "order.desk.statement",
                    "write",
                    self.statement.ids,
                    vals,
                    context=key,
                )
        self.assertEqual(self.statement.state, "sent")
        self.assertFalse(self.statement.confirmed_by)
        self.assertAlmostEqual(self.statement.closing_balance, 300.0)

    def test_confirmed_by_is_not_the_callers_to_say(self):
        _result, error, message = self._rpc(
            self.accountant,
            "order.desk.statement",
            "action_confirm",
            self.statement.ids,
            context={"order_desk_confirmed_by": "Guarded Buyer (customer portal)"},
        )
        self.assertFalse(error, message)
        self.assertEqual(self.statement.state, "confirmed")
        self.assertEqual(self.statement.confirmed_by, self.accountant.name)

    def test_settled_dispute_stays_settled_and_is_kept(self):
        self.statement.action_dispute([{"amount": 50.0, "reason": "Paid in cash"}])
        dispute = self.statement.dispute_ids
        dispute.resolution_note = "Receipt found"
        dispute.action_resolve()
        self._rpc_refused(
            self.accountant,
            "order.desk.statement.dispute",
            "write",
            dispute.ids,
            {"state": "open"},
            context={"order_desk_state_write": True},
        )
        self.assertEqual(dispute.state, "resolved")
        self.statement.action_close()
        self.assertEqual(self.statement.state, "closed")
        message = self._rpc_refused(
            self.accountant, "order.desk.statement.dispute", "unlink", dispute.ids
        )
        self.assertIn("cannot be deleted", message)
        self.assertTrue(dispute.exists())

    def test_open_dispute_of_a_disputed_statement_is_kept(self):
        """Deleting the customer's dispute would let the statement close unsettled."""
        self.statement.action_dispute([{"amount": 50.0, "reason": "Paid in cash"}])
        dispute = self.statement.dispute_ids
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            dispute.with_user(self.accountant).unlink()
        with self.assertRaisesRegex(UserError, "Settle every dispute"):
            self.statement.action_close()
