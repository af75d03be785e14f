from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.models import MAGIC_COLUMNS
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.order_desk_field_guard import ADDON
from .rpc import RpcCaseMixin
from .test_allocation import AllocationCase

SYSTEM_MESSAGE = "set by the Order Desk's own actions"

# What the attackers wrote (security findings, F1 and F9): each is refused to every caller
# but the system, on create and on write.
FINDINGS_FIELDS = {
    "sale.order": {
        "desk_prepaid",
        "desk_amount_expected",
        "desk_amount_delivered",
        "desk_amount_invoiced",
        "desk_amount_paid",
        "desk_amount_to_invoice",
        "desk_amount_unpaid",
        "desk_amounts_agree",
        "desk_shipping_state",
        "desk_shipped_percent",
        "desk_open_exception_count",
        "desk_has_blocking_exception",
        "desk_has_warning_exception",
        "desk_reservation_deadline",
    },
    "stock.picking": {
        "desk_prepared",
        "desk_tracking_status",
        "desk_last_event_date",
        "desk_last_event_location",
        "desk_tracking_event_count",
    },
    "order.desk.exception": {"message_code", "message_args", "check_type"},
    "order.desk.overview.tile": {"kind", "role"},
    "order.desk.tracking.event": {"company_id", "sale_id", "partner_id", "carrier_id"},
    "order.desk.allocation": {"applied_user_id", "applied_date", "receipt_ids"},
    "sale.order.line": {"desk_previous_promised_date"},
    "stock.move": {"desk_incident_id", "desk_return_id"},
}


def read_only_fields(model):
    """The stored fields the addon declares on ``model`` that no view lets anybody edit."""
    return {
        name
        for name, field in model._fields.items()
        if ADDON in field._modules
        and name not in MAGIC_COLUMNS
        and field.store
        and not field.inherited
        and field.readonly
    }


class GuardCase(AllocationCase):
    """An order of every kind of record the desk keeps, and a user of each group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 1000)
        cls.stocker = new_test_user(
            cls.env,
            login="od_guard_stocker",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
        )
        cls.accountant = new_test_user(
            cls.env,
            login="od_guard_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.own_salesman = new_test_user(
            cls.env,
            login="od_guard_own",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )

    def _users_of(self, model):
        """The users allowed to write ``model`` (by their access rights) who try."""
        if model in ("sale.order", "sale.order.line"):
            return self.clerk, self.salesman
        if model in ("stock.picking", "stock.move"):
            return self.stocker, self.clerk
        if model == "account.move.line":
            return (self.accountant,)
        return self.manager, self.clerk

    def _scenario(self):
        """One record of each guarded model at least."""
        self._rule("payment_term", severity="warning")
        order, picking = self._shipped(qty=3, ref="GUARD-1")
        picking.with_user(self.clerk).desk_add_tracking_events(
            [{"event_date": "2026-01-02 10:00", "status": "in_transit"}]
        )
        incident = (
            self.env["order.desk.incident"]
            .with_user(self.clerk)
            .create({"incident_type": "lost", "picking_id": picking.id})
        )
        incident.write({"resolution": "reship", "resolution_note": "Lost"})
        incident.line_ids.quantity = 1.0
        incident.with_user(self.clerk).action_resolve()
        self._desk_return(order, picking, 1.0, submit=True)
        order._create_invoices().action_post()
        self.env["order.desk.quota"].create(
            {
                "partner_id": self.customer.id,
                "product_id": self.product.id,
                "period": "month",
                "quantity": 100,
            }
        )
        self._locked(2)
        self._receipt(5, days=3)
        self._run()
        self._order(payment_term_id=False).with_user(self.clerk).action_desk_check()
        return order


@tagged("post_install", "-at_install")
class TestDerivedGuard(GuardCase):
    """Every stored computed, related or read-only field the addon declares is the
    system's: refused on create and write to anybody else, whatever their group."""

    def test_every_model_with_read_only_fields_is_guarded(self):
        for name in self.env.registry:
            model = self.env[name]
            declared = read_only_fields(model)
            if not declared or model._transient or model._abstract or not model._auto:
                # Wizards are their creator's own; SQL views are read-only.
                continue
            with self.subTest(model=name):
                self.assertTrue(
                    hasattr(model, "_desk_guarded_system_fields"),
                    f"{name} declares read-only fields and inherits no guard",
                )
                guarded = (
                    model._desk_guarded_system_fields()
                    | model._desk_manager_fields
                    | model._desk_writable_fields
                )
                self.assertFalse(declared - guarded)

    def test_the_findings_fields_are_guarded(self):
        for name, expected in FINDINGS_FIELDS.items():
            with self.subTest(model=name):
                self.assertFalse(
                    expected - self.env[name]._desk_guarded_system_fields()
                )
        self.assertEqual(
            self.env["order.desk.allocation"]._desk_writable_fields, {"line_ids"}
        )

    def test_nobody_but_the_system_writes_them(self):
        self._scenario()
        tried = set()
        for name in self.env.registry:
            model = self.env[name]
            if model._abstract or not hasattr(model, "_desk_derived_system_fields"):
                continue
            derived = model._desk_derived_system_fields()
            record = model.sudo().search([], limit=1, order="id desc")
            if not derived or not record:
                continue
            tried.add(name)
            for user in self._users_of(name):
                for field_name in sorted(derived):
                    value = self._forged(record, field_name)
                    if value is None:
                        continue
                    with self.subTest(model=name, field=field_name, user=user.login):
                        before = record[field_name]
                        # Refused by the guard, or first by the record's own freeze (a
                        # closed incident, a submitted return's lines, a proposal's line).
                        with self.assertRaises(UserError):
                            record.with_user(user).write({field_name: value})
                        self.assertEqual(record[field_name], before)
        self.assertGreaterEqual(
            tried,
            {
                "sale.order",
                "sale.order.line",
                "stock.picking",
                "stock.move",
                "account.move.line",
                "order.desk.exception",
                "order.desk.incident",
                "order.desk.incident.line",
                "order.desk.return",
                "order.desk.return.line",
                "order.desk.tracking.event",
                "order.desk.tracking.number",
                "order.desk.allocation",
                "order.desk.allocation.line",
                "order.desk.allocation.supply",
                "order.desk.allocation.criterion",
                "order.desk.quota",
                "order.desk.overview.tile",
            },
        )

    def _forged(self, record, name):
        """A value of field ``name`` other than ``record``'s (None: none exists)."""
        field = record._fields[name]
        current = record[name]
        if field.type == "boolean":
            return not current
        if field.type == "integer":
            return (current or 0) + 7
        if field.type in ("float", "monetary"):
            return (current or 0.0) + 7.5
        if field.type in ("char", "text", "html"):
            return f"{current or ''} forged"
        if field.type == "selection":
            keys = [key for key, _label in field._description_selection(self.env)]
            return next((key for key in keys if key != current), None)
        if field.type == "date":
            return "2001-02-03"
        if field.type == "datetime":
            return "2001-02-03 04:05:06"
        if field.type == "json":
            return {"forged": True}
        if field.type == "many2one":
            other = (
                self.env[field.comodel_name]
                .sudo()
                .search([("id", "not in", current.ids)], limit=1)
            )
            return other.id or None
        if field.type in ("one2many", "many2many"):
            return [Command.clear()]
        return None

    def test_create_refuses_them_and_computes_them(self):
        for user in (self.clerk, self.own_salesman):
            with self.subTest(user=user.login):
                for vals in (
                    {"desk_prepaid": True},
                    {"desk_amount_paid": 99999.0},
                    {"desk_shipping_state": "delivered"},
                    {"desk_has_blocking_exception": True},
                    {"desk_reservation_deadline": "2099-01-01 00:00:00"},
                ):
                    with self.assertRaisesRegex(UserError, SYSTEM_MESSAGE):
                        self.env["sale.order"].with_user(user).create(
                            {"partner_id": self.customer.id, **vals}
                        )
        # Given empty, a computed field is computed as for any order.
        order = (
            self.env["sale.order"]
            .with_user(self.clerk)
            .create(
                {
                    "partner_id": self.customer.id,
                    "desk_prepaid": False,
                    "desk_shipping_state": False,
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
            )
        )
        self.assertEqual(order.desk_shipping_state, "none")
        free = (
            self.env["sale.order"]
            .with_user(self.clerk)
            .create({"partner_id": self.customer.id, "desk_prepaid": False})
        )
        self.assertTrue(free.desk_prepaid, "an empty order is covered by nothing paid")

    def test_context_defaults_reach_no_guarded_field(self):
        """F8: ``default_<field>`` in the caller's context sets nothing guarded, on any
        model (the guard's ``default_get``)."""
        contacts = new_test_user(
            self.env,
            login="od_guard_contacts",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        partner = (
            self.env["res.partner"]
            .with_user(contacts)
            .with_context(default_desk_rank="a")
            .create({"name": "Rank Forger Co", "is_company": True})
        )
        self.assertEqual(partner.desk_rank, "c")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(contacts).create(
                {"name": "Rank Forger Co", "is_company": True, "desk_rank": "a"}
            )
        # A manager's default still works for a manager.
        desk_manager = new_test_user(
            self.env,
            login="od_guard_desk_manager",
            groups="order_desk.group_order_desk_manager,base.group_partner_manager",
        )
        ranked = (
            self.env["res.partner"]
            .with_user(desk_manager)
            .with_context(default_desk_rank="a")
            .create({"name": "Key Account", "is_company": True})
        )
        self.assertEqual(ranked.desk_rank, "a")
        order = self._approved(qty=1)
        order.with_user(self.manager).action_desk_unlock("Add a line")
        line = (
            self.env["sale.order.line"]
            .with_user(self.clerk)
            .with_context(
                default_desk_promised_date="2026-12-31 00:00:00",
                default_desk_previous_promised_date="2020-01-01 00:00:00",
            )
            .create(
                {
                    "order_id": order.id,
                    "product_id": self.product.id,
                    "product_uom_qty": 1,
                }
            )
        )
        self.assertFalse(line.desk_promised_date)
        self.assertFalse(line.desk_previous_promised_date)
        allocation = (
            self.env["order.desk.allocation"]
            .with_user(self.manager)
            .with_context(
                default_applied_user_id=self.env.ref("base.user_admin").id,
                default_applied_date="2020-01-01 00:00:00",
                default_proposed_user_id=self.env.ref("base.user_admin").id,
                default_receipt_ids=[Command.set(self._receipt(1, days=1).ids)],
                default_state="applied",
            )
            .create({"warehouse_id": self.warehouse.id})
        )
        self.assertEqual(allocation.state, "draft")
        self.assertFalse(allocation.applied_user_id)
        self.assertFalse(allocation.applied_date)
        self.assertFalse(allocation.proposed_user_id)
        self.assertFalse(allocation.receipt_ids)
        event = (
            self.env["order.desk.tracking.event"]
            .with_user(self.clerk)
            .with_context(
                default_source="webhook",
                default_company_id=self.env.ref("base.main_company").id,
            )
            .create(
                {
                    "picking_id": self._shipped(qty=1, ref="GUARD-D")[1].id,
                    "event_date": "2026-01-02 10:00:00",
                    "status": "in_transit",
                }
            )
        )
        self.assertEqual(event.source, "manual")
        self.assertEqual(event.company_id, event.picking_id.company_id)

    def test_stored_related_fields_follow_their_source(self):
        """F18: a stored related field (an exception's check) is not written apart from
        what it follows."""
        rule = self._rule("payment_term")
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_check()
        exception = order.desk_exception_ids
        for vals in (
            {"check_type": "customer_data"},
            {"company_id": self.env.ref("base.main_company").id},
        ):
            with self.assertRaisesRegex(UserError, SYSTEM_MESSAGE):
                exception.with_user(self.manager).write(vals)
        self.assertEqual(exception.check_type, rule.check_type)


@tagged("post_install", "-at_install")
class TestDerivedGuardOverRpc(RpcCaseMixin, HttpCase, GuardCase):
    """F1 over JSON-RPC, as the attackers did it."""

    def test_forged_prepaid_flag_does_not_ship_unpaid_goods(self):
        order = self._approved(qty=2, desk_settlement_method="prepayment")
        picking = self._deliveries(order)
        self.assertFalse(order.desk_prepaid)
        message = self._rpc_refused(
            self.clerk, "sale.order", "write", order.ids, {"desk_prepaid": True}
        )
        self.assertIn("Paid in Advance", message)
        self.assertFalse(order.desk_prepaid)
        self._pick(picking)
        message = self._rpc_refused(
            self.stocker,
            "stock.picking",
            "button_validate",
            picking.ids,
            context={"skip_sms": True},
        )
        self.assertIn("paid in advance", message)
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(order.desk_state, "ready", "prepared, not shipped")

    def test_salesman_cannot_forge_their_own_order(self):
        order = self._order(user_id=self.own_salesman.id)
        for vals in (
            {"desk_prepaid": True},
            {"desk_amount_paid": 99999},
            {"desk_shipping_state": "delivered"},
        ):
            with self.subTest(vals=vals):
                self._rpc_refused(
                    self.own_salesman, "sale.order", "write", order.ids, vals
                )
        self.assertEqual(order.desk_amount_paid, 0.0)

    def test_forged_status_amounts_and_alerts_are_refused(self):
        order = self._approved(qty=2)
        picking = self._deliveries(order)
        cases = [
            ("sale.order", order, {"desk_shipping_state": "delivered"}),
            ("sale.order", order, {"desk_amount_paid": 99999}),
            ("sale.order", order, {"desk_has_blocking_exception": False}),
            ("sale.order", order, {"desk_open_exception_count": 0}),
            ("sale.order", order, {"desk_reservation_deadline": "2026-01-01"}),
            ("stock.picking", picking, {"desk_prepared": True}),
            ("stock.picking", picking, {"desk_tracking_status": "delivered"}),
        ]
        for model, record, vals in cases:
            for user in (self.clerk, self.stocker):
                with self.subTest(model=model, vals=vals, user=user.login):
                    self._rpc_refused(user, model, "write", record.ids, vals)
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(order.desk_shipping_state, "waiting")
        self.assertFalse(picking.desk_prepared)
        self.assertFalse(order.desk_ready_date)
        # Created with them: refused too.
        self._rpc_refused(
            self.clerk,
            "sale.order",
            "create",
            {"partner_id": self.customer.id, "desk_prepaid": True},
        )

    def test_context_defaults_over_rpc(self):
        """F8 as sent by the attackers."""
        contacts = new_test_user(
            self.env,
            login="od_rpc_contacts",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        partner_id, error, message = self._rpc(
            contacts,
            "res.partner",
            "create",
            [{"name": "Rank Forger Co", "is_company": True}],
            context={"default_desk_rank": "a"},
        )
        self.assertFalse(error, message)
        self.assertEqual(self.env["res.partner"].browse(partner_id).desk_rank, "c")
        _ids, error, message = self._rpc(
            self.manager,
            "order.desk.allocation",
            "create",
            [{"warehouse_id": self.warehouse.id}],
            context={
                "default_applied_user_id": self.manager.id,
                "default_applied_date": "2020-01-01 00:00:00",
            },
        )
        self.assertFalse(error, message)
        self.assertFalse(
            self.env["order.desk.allocation"].search([("applied_user_id", "!=", False)])
        )

    def test_reservation_deadline_is_set_by_lock_and_reserve_only(self):
        """F12: the hold is a system field; releasing it early is a manager's action."""
        self.company.order_desk_reservation_days = 3
        order = self._approved(qty=1)
        deadline = order.desk_reservation_deadline
        self.assertTrue(deadline)
        for value in ("2026-01-01 00:00:00", "2099-01-01 00:00:00"):
            self._rpc_refused(
                self.clerk,
                "sale.order",
                "write",
                order.ids,
                {"desk_reservation_deadline": value},
            )
        self.assertEqual(order.desk_reservation_deadline, deadline)
        _result, error, message = self._rpc(
            self.clerk, "sale.order", "action_desk_reserve", order.ids
        )
        self.assertFalse(error, message)
        self.assertGreaterEqual(order.desk_reservation_deadline, deadline)
        self.assertLessEqual(
            order.desk_reservation_deadline,
            fields.Datetime.now() + timedelta(days=3, minutes=1),
        )
