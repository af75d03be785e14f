from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import OrderDeskCase
from .rpc import RpcCaseMixin

# A 1x1 PNG: the customer's signature.
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5E"
    "rkJggg=="
)


@tagged("post_install", "-at_install")
class TestAttackFindings(RpcCaseMixin, HttpCase, OrderDeskCase):
    """The security test's findings (issue 10), as the attackers sent them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 1000)
        cls.company.order_desk_return_days = 30
        cls.stocker = new_test_user(
            cls.env,
            login="od_find_stocker",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
        )
        cls.other_company = cls.env["res.company"].create({"name": "OD Attack Co 2"})

    def _incident(self, picking=None, quantity=None, order=None, user=None):
        vals = {"incident_type": "lost", "resolution": "reship", "resolution_note": "x"}
        if picking:
            vals["picking_id"] = picking.id
        else:
            vals["order_id"] = order.id
            vals["line_ids"] = [
                Command.create(
                    {"sale_line_id": order.order_line.id, "quantity": quantity}
                )
            ]
        incident = (
            self.env["order.desk.incident"].with_user(user or self.clerk).create(vals)
        )
        if picking and quantity is not None:
            incident.line_ids.quantity = quantity
        return incident

    # F2 -------------------------------------------------------------------------------------
    def test_f2_portal_signature_submits_instead_of_confirming(self):
        order = self._order(require_signature=True, require_payment=False)
        order.action_quotation_sent()
        token = order._portal_ensure_token()
        response = self._json_rpc(
            f"/my/orders/{order.id}/accept",
            access_token=token,
            name="Chen Jing",
            signature=SIGNATURE,
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("error", response.json().get("result", {}))
        self.env.invalidate_all()
        self.assertTrue(order.signature)
        self.assertIn(order.state, ("draft", "sent"), "the signature does not confirm")
        self.assertEqual(order.desk_state, "to_review")
        self.assertFalse(order.desk_approved_user_id)
        self.assertFalse(order.picking_ids)

    # F4 -------------------------------------------------------------------------------------
    def test_f4_reships_of_a_batch_count_against_each_other(self):
        _order, picking = self._shipped(qty=2, ref="F4-BATCH")
        incidents = self._incident(picking, 2.0) | self._incident(picking, 2.0)
        self._rpc_refused(
            self.clerk,
            "order.desk.incident",
            "action_resolve",
            incidents.ids,
            expected=("AccessError",),
        )
        self.assertEqual(set(incidents.mapped("state")), {"open"})
        self.assertFalse(incidents.new_picking_ids)

    def test_f4_reships_without_a_delivery_count_for_the_deliveries(self):
        order, picking = self._shipped(qty=6, ref="F4-SEQ")
        first = self._incident(order=order, quantity=6.0)
        first.with_user(self.manager).action_resolve()
        second = self._incident(picking, 6.0)
        with self.assertRaises(AccessError):
            second.with_user(self.clerk).action_resolve()
        self.assertEqual(second.state, "open")

    def test_f4_reships_of_two_incidents_are_not_merged(self):
        _order, picking = self._shipped(qty=2, ref="F4-MERGE")
        incidents = self._incident(picking, 1.0) | self._incident(picking, 1.0)
        incidents.with_user(self.manager).action_resolve()
        for incident in incidents:
            self.assertTrue(incident.new_picking_ids, incident.name)
            moves = incident.new_picking_ids.move_ids.filtered(
                lambda m, i=incident: m.desk_incident_id == i
            )
            self.assertEqual(sum(moves.mapped("product_uom_qty")), 1.0)

    # F5 -------------------------------------------------------------------------------------
    def test_f5_marks_of_reshipments_are_not_given_by_callers(self):
        order, picking = self._shipped(qty=2, ref="F5-1")
        incident = self._incident(picking, 2.0)
        incident.with_user(self.clerk).action_resolve()
        reship_move = incident.new_picking_ids.move_ids
        out_type = self.warehouse.out_type_id
        self._rpc_refused(
            self.stocker,
            "stock.picking",
            "create",
            {
                "picking_type_id": out_type.id,
                "partner_id": self.customer.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 5.0,
                            "location_id": out_type.default_location_src_id.id,
                            "location_dest_id": picking.location_dest_id.id,
                            "sale_line_id": order.order_line.id,
                            "desk_incident_id": incident.id,
                        }
                    )
                ],
            },
        )
        self._rpc_refused(
            self.stocker,
            "stock.move",
            "copy",
            reship_move.ids,
            {"desk_incident_id": incident.id},
        )
        # A copy of a marked move keeps its mark: refused too.
        self._rpc_refused(self.stocker, "stock.move", "copy", reship_move.ids)
        self.assertEqual(
            self.env["stock.move"].search_count(
                [("desk_incident_id", "=", incident.id)]
            ),
            1,
        )
        # Odoo's own flows carry the mark: a backorder of the reshipment, made by the
        # warehouse user.
        reship = incident.new_picking_ids
        self._validate(reship.with_user(self.stocker), {self.product: 1.0})
        self.assertEqual(reship.state, "done")
        backorder = reship.backorder_ids
        self.assertEqual(backorder.move_ids.desk_incident_id, incident)
        self.assertEqual(order.order_line.qty_delivered, 2.0)

    # F6 -------------------------------------------------------------------------------------
    def test_f6_locked_orders_take_no_line_whatever_its_flags(self):
        order = self._approved(qty=2)
        total = order.amount_total
        line = {
            "order_id": order.id,
            "product_id": self.product.id,
            "product_uom_qty": 3.0,
            "price_unit": 9999.0,
        }
        for flag in ("is_delivery", "is_downpayment"):
            with self.subTest(flag=flag):
                self._rpc_refused(
                    self.clerk, "sale.order.line", "create", {**line, flag: True}
                )
                vals = {k: v for k, v in line.items() if k != "order_id"}
                self._rpc_refused(
                    self.clerk,
                    "sale.order",
                    "write",
                    order.ids,
                    {"order_line": [Command.create({**vals, flag: True})]},
                )
        self.assertEqual(order.amount_total, total)
        self.assertEqual(len(order.order_line), 1)

    def test_confirmed_orders_settlement_method_is_a_managers(self):
        """Found in the final review (kind of F1/F6): an unlocked, confirmed prepaid order
        turned into one on account by a clerk would ship unpaid."""
        order = self._approved(qty=2, desk_settlement_method="prepayment")
        order.with_user(self.manager).action_desk_unlock("Second address")
        self.assertEqual(order.state, "sale")
        message = self._rpc_refused(
            self.clerk,
            "sale.order",
            "write",
            order.ids,
            {"desk_settlement_method": "on_account"},
            expected=("AccessError",),
        )
        self.assertIn("settlement method", message)
        self.assertEqual(order.desk_settlement_method, "prepayment")
        # The same value decides nothing; a manager changes it.
        order.with_user(self.clerk).write({"desk_settlement_method": "prepayment"})
        order.with_user(self.manager).write({"desk_settlement_method": "on_account"})
        self.assertEqual(order.desk_settlement_method, "on_account")

    # F7 -------------------------------------------------------------------------------------
    def test_f7_desk_records_stay_in_their_company(self):
        rule = self._rule("payment_term")
        quota = self.env["order.desk.quota"].create(
            {
                "partner_id": self.customer.id,
                "product_id": self.product.id,
                "period": "month",
                "quantity": 10,
            }
        )
        allocation = (
            self.env["order.desk.allocation"]
            .with_user(self.manager)
            .create({"warehouse_id": self.warehouse.id})
        )
        for model, record in (
            ("order.desk.rule", rule),
            ("order.desk.quota", quota),
            ("order.desk.allocation", allocation),
        ):
            with self.subTest(model=model):
                message = self._rpc_refused(
                    self.manager,
                    model,
                    "write",
                    record.ids,
                    {"company_id": self.other_company.id},
                )
                self.assertIn("company", message)
                self.assertEqual(record.company_id, self.company)
        _order, picking = self._shipped(qty=1, ref="F7-1")
        _order2, picking2 = self._shipped(qty=1, ref="F7-2")
        picking.with_user(self.clerk).desk_add_tracking_events(
            [{"event_date": "2026-01-02 10:00", "status": "failed_attempt"}]
        )
        event = picking.desk_tracking_event_ids
        for vals in (
            {"picking_id": picking2.id},
            {"event_date": "2026-01-01 10:00:00"},
            {"status": "delivered"},
        ):
            with self.subTest(vals=vals):
                self._rpc_refused(
                    self.manager, "order.desk.tracking.event", "write", event.ids, vals
                )
        self.assertEqual(event.picking_id, picking)

    # F9 -------------------------------------------------------------------------------------
    def test_f9_check_messages_are_the_systems_and_always_render(self):
        self._rule("payment_term")
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_check()
        exception = order.desk_exception_ids
        text = exception.message
        for vals in (
            {"message_code": "legacy", "message_args": {"text": "All good"}},
            {"message_args": {"product_id": False}},
        ):
            self._rpc_refused(
                self.manager, "order.desk.exception", "write", exception.ids, vals
            )
        self.assertEqual(exception.message, text)
        # Values of another shape (an order of a company without a warehouse stores
        # ``warehouse_id: false``): the message renders, the order reads.
        for args in (
            {"product_id": False, "warehouse_id": False},
            {"product_id": True},
            {"quotas": [False, {"quota_id": False}]},
        ):
            exception.sudo().write(
                {"message_code": "stock_short", "message_args": args}
            )
            exception.invalidate_recordset(["message"])
            self.assertTrue(exception.with_user(self.manager).message)
            order.invalidate_recordset()
            order.with_user(self.manager).read(["desk_status_timeline"])

    # F13 ------------------------------------------------------------------------------------
    def test_f13_delivered_date_is_set_once_and_dates_floor_at_2000(self):
        _order, picking = self._shipped(qty=1, ref="F13-1")
        add = picking.with_user(self.clerk).desk_add_tracking_events
        add([{"event_date": "2026-01-02 10:00", "status": "delivered"}])
        first = picking.desk_delivered_date
        self.assertEqual(first, fields.Datetime.to_datetime("2026-01-02 10:00:00"))
        add([{"event_date": "2026-01-05 10:00", "status": "delivered"}])
        self.assertEqual(picking.desk_delivered_date, first, "it does not move")
        Event = self.env["order.desk.tracking.event"].with_user(self.clerk)
        for date in ("1999-01-01 00:00:00", "0001-01-01 00:00:00"):
            with self.subTest(date=date), self.assertRaises(ValidationError):
                Event.create(
                    {
                        "picking_id": picking.id,
                        "event_date": date,
                        "status": "in_transit",
                    }
                )
        for text in ("2000-01-01 00:00+23:59", "2000-01-01 00:00+08:00"):
            with self.subTest(text=text), self.assertRaises(ValidationError):
                picking._desk_parse_event_date(text, "UTC")
        # Not left yet: not delivered, on any path.
        waiting = self._deliveries(self._approved(qty=1))
        with self.assertRaises(ValidationError):
            Event.create(
                {
                    "picking_id": waiting.id,
                    "event_date": "2026-01-02 10:00:00",
                    "status": "delivered",
                }
            )
        with self.assertRaises(ValidationError):
            waiting.with_user(self.clerk).desk_add_tracking_events(
                [{"event_date": "2026-01-02 10:00", "status": "delivered"}]
            )
        self.assertFalse(waiting.desk_delivered_date)
        # Deleting the delivered events leaves no stale date.
        picking.desk_tracking_event_ids.filtered(
            lambda e: e.event_date == first
        ).with_user(self.manager).unlink()
        self.assertEqual(
            picking.desk_delivered_date,
            fields.Datetime.to_datetime("2026-01-05 10:00:00"),
        )
        picking.desk_tracking_event_ids.with_user(self.manager).unlink()
        self.assertFalse(picking.desk_delivered_date)

    # F14 ------------------------------------------------------------------------------------
    def test_f14_returns_submitted_together_fit_together(self):
        order, picking = self._shipped(qty=2, ref="F14-1")
        self._desk_return(order, picking, 1.0, submit=True)
        batch = self._desk_return(order, picking, 1.0)
        batch |= self._desk_return(order, picking, 1.0)
        self._rpc_refused(self.clerk, "order.desk.return", "action_submit", batch.ids)
        self.assertEqual(set(batch.mapped("state")), {"draft"})
        batch[0].action_submit()
        with self.assertRaises(UserError):
            batch[1].action_submit()

    # F15 ------------------------------------------------------------------------------------
    def test_f15_tile_days_are_bounded_and_its_role_is_fixed(self):
        tile = self.env["order.desk.overview.tile"].search([], limit=1)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            tile.with_user(self.manager).write({"threshold_days": 1000000})
            tile.flush_recordset()
        tile.invalidate_recordset()
        self.env["order.desk.overview.tile"].with_user(self.manager).search_read([])
        role = tile.role
        with self.assertRaises(UserError):
            tile.with_user(self.manager).write(
                {"role": "accountant" if role != "accountant" else "clerk"}
            )
        self.assertEqual(tile.role, role)

    def test_f15_upgrade_brings_days_back_within_bounds(self):
        """The 19.0.1.2.0 pre-migration script, as Odoo runs it before the bounds exist."""
        tile = self.env["order.desk.overview.tile"].search([], limit=1)
        self.env.cr.execute(
            "SELECT conname FROM pg_constraint WHERE conname LIKE %s",
            ["order_desk_overview_tile%threshold_days%"],
        )
        for (name,) in self.env.cr.fetchall():
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE order_desk_overview_tile DROP CONSTRAINT %s",
                    SQL.identifier(name),
                )
            )
        self.env.cr.execute(
            "UPDATE order_desk_overview_tile SET threshold_days = 1000000 WHERE id = %s",
            [tile.id],
        )
        self._migrate("pre-10_day_limits")
        tile.invalidate_recordset()
        self.assertEqual(tile.threshold_days, 3650)

    # F18 ------------------------------------------------------------------------------------
    def test_f18_done_returns_portal_responsibles_and_the_token(self):
        order, picking = self._shipped(qty=2, ref="F18-1")
        ret = self._desk_return(order, picking, 1.0)
        ret.action_submit()
        self._rpc_refused(
            self.clerk, "order.desk.return", "write", ret.ids, {"note": "changed"}
        )
        ret.sudo().state = "done"
        for user, vals in (
            (self.clerk, {"note": "changed after done"}),
            (self.manager, {"window_exception": True}),
        ):
            self._rpc_refused(user, "order.desk.return", "write", ret.ids, vals)
        self.assertFalse(ret.window_exception)
        # A portal customer is nobody's warehouse responsible.
        portal = new_test_user(
            self.env, login="od_find_portal", groups="base.group_portal"
        )
        waiting = self._deliveries(self._approved(qty=1))
        wizard = (
            self.env["order.desk.dispatch.wizard"]
            .with_user(self.clerk)
            .create({"picking_ids": [Command.set(waiting.ids)], "user_id": portal.id})
        )
        with self.assertRaises(UserError):
            wizard.action_apply()
        self.assertFalse(waiting.user_id)
        # The desk manager renews a carrier's webhook token without Sales admin rights
        # (a carrier of their company: see TestTrackingWebhook for shared carriers).
        product = self.env["product.product"].create(
            {"name": "OD Find Express shipping", "type": "service"}
        )
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "OD Find Express",
                "product_id": product.id,
                "company_id": self.company.id,
            }
        )
        _result, error, message = self._rpc(
            self.manager,
            "delivery.carrier",
            "action_desk_generate_webhook_token",
            carrier.ids,
        )
        self.assertFalse(error, message)
        self.assertTrue(carrier.sudo().desk_webhook_token)

    def test_f19_odoo_status_and_lock_change_by_their_actions(self):
        """A written ``state`` confirmed a quotation without the review (as the clerk and
        as a salesperson without desk rights), reset or cancelled a locked order; a
        written ``locked`` let Odoo's Cancel through."""
        sales = new_test_user(
            self.env,
            login="od_find_sales",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=self.company.id,
        )
        self.assertTrue(self.company.order_desk_require_approval)
        quotation = self._order()
        for user in (self.clerk, sales):
            message = self._rpc_refused(
                user, "sale.order", "write", quotation.ids, {"state": "sale"}
            )
            self.assertIn("must be approved on the Order Desk", message)
        message = self._rpc_refused(
            self.clerk,
            "sale.order",
            "create",
            {
                "partner_id": self.customer.id,
                "state": "sale",
                "order_line": [Command.create({"product_id": self.product.id})],
            },
        )
        self.assertIn("must be approved on the Order Desk", message)
        self.assertEqual(quotation.state, "draft")
        self.assertEqual(quotation.desk_state, "draft")
        locked = self._approved(qty=1)
        for vals in ({"state": "cancel"}, {"state": "draft"}, {"locked": False}):
            message = self._rpc_refused(
                self.clerk, "sale.order", "write", locked.ids, vals
            )
            self.assertIn("locked by the Order Desk", message)
        self.assertEqual((locked.state, locked.locked), ("sale", True))
        self.assertEqual(locked.desk_state, "locked")
        # Odoo's own Unlock button says the same; the desk's unlock comes first, then
        # Odoo's Cancel and Reset follow on the desk.
        with self.assertRaisesRegex(UserError, "locked by the Order Desk"):
            locked.with_user(self.manager).action_unlock()
        locked.with_user(self.manager).action_desk_unlock("Customer cancelled")
        locked.with_user(self.manager).action_cancel()
        self.assertEqual((locked.state, locked.desk_state), ("cancel", "cancel"))
        locked.with_user(self.manager).action_draft()
        self.assertEqual((locked.state, locked.desk_state), ("draft", "draft"))
        # Second round: an approved order the desk has not locked (Odoo's lock only) was
        # reset or cancelled by a written status, keeping its approval for new contents.
        approved = self._approved(qty=1)
        approved.with_user(self.manager).action_desk_unlock("Change of address")
        self.assertEqual(approved.desk_state, "approved")
        for vals in ({"state": "draft"}, {"state": "cancel"}, {"state": "sent"}):
            message = self._rpc_refused(
                sales, "sale.order", "write", approved.ids, vals
            )
            self.assertIn("changes with the order's buttons", message)
        self.assertEqual((approved.state, approved.desk_state), ("sale", "approved"))
        # Third round: the lines' own copy of the status (Odoo launches the deliveries of
        # lines in 'sale') follows the order only.
        message = self._rpc_refused(
            self.clerk,
            "sale.order.line",
            "write",
            quotation.order_line.ids,
            {"state": "sale"},
        )
        self.assertIn("The status of a line is its order's", message)
        message = self._rpc_refused(
            self.clerk,
            "sale.order.line",
            "create",
            {"order_id": quotation.id, "product_id": self.product.id, "state": "sale"},
        )
        self.assertIn("The status of a line is its order's", message)
        self.assertFalse(quotation.picking_ids)
        self.assertEqual(set(quotation.order_line.mapped("state")), {"draft"})
        # An import sending a locked order's values unchanged changes nothing: accepted.
        locked_again = self._approved(qty=1)
        locked_again.with_user(self.clerk).write(
            {"state": "sale", "locked": True, "note": "Re-imported"}
        )
        self.assertEqual(locked_again.desk_state, "locked")
        # Nor is an order created cancelled or confirmed in a company without review.
        self.company.order_desk_require_approval = False
        for state in ("sale", "cancel"):
            message = self._rpc_refused(
                sales,
                "sale.order",
                "create",
                {"partner_id": self.customer.id, "state": state},
            )
            self.assertIn("changes with the order's buttons", message)
        other = self._order()
        self._rpc_refused(sales, "sale.order", "write", other.ids, {"state": "sale"})
        # Odoo's own buttons still do it there; Send's quotation to sent stays free.
        other.with_user(sales).write({"state": "sent"})
        other.with_user(sales).action_confirm()
        self.assertEqual((other.state, other.desk_state), ("sale", "approved"))
        self.company.order_desk_require_approval = True
        # The system (an import of past orders) writes the status: recorded as approved.
        quotation.sudo().write({"state": "sale"})
        self.assertEqual(quotation.desk_state, "approved")
        self.assertIn(
            "Confirmed outside the Order Desk review.",
            quotation.message_ids[:1].body,
        )

    def test_f19_lookup_and_tiles_take_any_text_and_time_zone(self):
        """A NUL in the lookup and an unknown time zone in the caller's context answered
        with server errors."""
        message = self._rpc_refused(
            self.clerk, "sale.order", "action_desk_lookup", "S00\x0034"
        )
        self.assertIn("NUL", message)
        # Internal users only, as the search field; other operators say what to do.
        portal = self._portal_user("od_find_lookup_portal")
        self._rpc_refused(
            portal,
            "sale.order",
            "action_desk_lookup",
            "Huadong",
            expected=("AccessError",),
        )
        message = self._rpc_refused(
            self.clerk, "sale.order", "search", [("desk_reference", "=", False)]
        )
        self.assertIn("looked up by a reference", message)
        self.assertFalse(
            self.env["sale.order"]
            .with_user(self.clerk)
            .search([("desk_reference", "ilike", "S00\x0034")])
        )
        tiles, error, message = self._rpc(
            self.clerk,
            "order.desk.overview.tile",
            "search_read",
            [],
            ["name", "count"],
            context={"tz": "Bogus/Zone"},
        )
        self.assertFalse(error, message)
        self.assertTrue(tiles)

    def test_f21_wizards_are_their_creators(self):
        """A desk manager of another company read a manager's monthly report wizard, with
        its stored workbook (Odoo 19 restricts no transient record to its creator); and
        made one for a company he does not work for."""
        other_manager = new_test_user(
            self.env,
            login="od_find_manager_b",
            groups="order_desk.group_order_desk_manager",
            company_id=self.other_company.id,
        )
        Wizard = self.env["order.desk.kpi.report.wizard"]
        wizard = Wizard.with_user(self.manager).create({"company_id": self.company.id})
        wizard.action_export_xlsx()
        self.assertTrue(wizard.xlsx_file)
        self.assertFalse(
            Wizard.with_user(other_manager).search([("id", "=", wizard.id)])
        )
        with self.assertRaises(AccessError):
            wizard.with_user(other_manager).read(["xlsx_file"])
        with self.assertRaisesRegex(UserError, "You do not work for"):
            Wizard.with_user(other_manager).create({"company_id": self.company.id})
        # Every desk wizard is its creator's.
        wizards = self.env["ir.model"].search(
            [("model", "=like", "order.desk.%.wizard"), ("transient", "=", True)]
        )
        rules = self.env["ir.rule"].search(
            [
                ("model_id", "in", wizards.ids),
                ("domain_force", "=", "[('create_uid', '=', user.id)]"),
            ]
        )
        self.assertEqual(rules.model_id, wizards)
