from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestReviewFlow(OrderDeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule_term = cls._rule("payment_term", severity="blocking")
        cls.rule_date = cls._rule("commitment_date", severity="warning")

    def _last_note(self, order):
        """Bodies of the order's messages, newest first, as one text."""
        return " ".join(order.message_ids.sorted("id", reverse=True).mapped("body"))

    def test_submit_and_approve(self):
        order = self._order(commitment_date=False, desk_channel="email")
        self.assertEqual(order.desk_state, "draft")
        order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(order.desk_state, "to_review")
        self.assertEqual(order.desk_submitted_user_id, self.clerk)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.desk_open_exception_count, 1)
        self.assertTrue(order.desk_has_warning_exception)
        self.assertFalse(order.desk_has_blocking_exception)
        self.assertIn("1 warning(s)", self._last_note(order))
        # A warning does not stop approval.
        order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.desk_approved_user_id, self.manager)
        self.assertTrue(order.picking_ids, "confirmation created the delivery")
        self.assertIn("Approved by", self._last_note(order))
        # One note says it all: approved, locked and reserved.
        notes = order.message_ids.filtered(
            lambda m: "Approved by" in m.body or "Locked and stock" in m.body
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("Locked and stock reserved by the Order Desk.", notes.body)

    def test_blocking_exception_stops_approval(self):
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        self.assertTrue(order.desk_has_blocking_exception)
        with self.assertRaisesRegex(UserError, "still have open blocking exceptions"):
            order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "to_review")
        self.assertEqual(order.state, "draft")
        # The clerk fixes the order: the approval's re-check resolves the exception.
        order.payment_term_id = self.payment_term
        order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "locked")
        exception = order.desk_exception_ids
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(exception.resolved_date)

    def test_resubmit_replaces_open_exceptions(self):
        order = self._order(payment_term_id=False, commitment_date=False)
        order.with_user(self.clerk).action_desk_check()
        self.assertEqual(len(order.desk_exception_ids), 2)
        order.with_user(self.clerk).action_desk_check()
        self.assertEqual(
            len(order.desk_exception_ids), 2, "same failures are kept, not doubled"
        )
        order.payment_term_id = self.payment_term
        order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(
            sorted(order.desk_exception_ids.mapped("state")), ["open", "resolved"]
        )

    def test_override_with_reason(self):
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        exception = order.desk_exception_ids
        with self.assertRaises(AccessError):
            exception.with_user(self.clerk).action_override("customer pays cash")
        for reason in ("", "   ", None):
            with self.assertRaisesRegex(UserError, "Give the reason"):
                exception.with_user(self.manager).action_override(reason)
        self.assertEqual(exception.state, "open")
        exception.with_user(self.manager).action_override(
            "  Cash customer, known for years "
        )
        self.assertEqual(exception.state, "overridden")
        self.assertEqual(exception.override_reason, "Cash customer, known for years")
        self.assertEqual(exception.override_user_id, self.manager)
        self.assertIn("Cash customer, known for years", self._last_note(order))
        with self.assertRaisesRegex(UserError, "Only open exceptions"):
            exception.with_user(self.manager).action_override("again")
        # The re-check on approval keeps the override for the same failure.
        order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(exception.state, "overridden")
        self.assertEqual(len(order.desk_exception_ids), 1)

    def test_override_wizard(self):
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        action = order.with_user(self.manager).action_desk_open_override_wizard()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        wizard_form.reason = "Agreed by phone with the sales director"
        wizard_form.save().action_confirm()
        self.assertEqual(order.desk_exception_ids.state, "overridden")
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).action_desk_open_override_wizard()

    def test_reject_with_reason(self):
        order = self._order()
        order.with_user(self.clerk).action_desk_submit()
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).action_desk_reject("no")
        with self.assertRaisesRegex(UserError, "Give the reason for rejecting"):
            order.with_user(self.manager).action_desk_reject(" ")
        self.assertEqual(order.desk_state, "to_review")
        wizard_form = Form(
            self.env["order.desk.reject.wizard"]
            .with_user(self.manager)
            .with_context(active_model="sale.order", active_ids=order.ids)
        )
        wizard_form.reason = "Wrong delivery address"
        wizard_form.save().action_confirm()
        self.assertEqual(order.desk_state, "draft")
        self.assertIn("Wrong delivery address", self._last_note(order))
        with self.assertRaisesRegex(UserError, "Only orders to review can be rejected"):
            order.with_user(self.manager).action_desk_reject("again")

    def test_refusals_change_nothing(self):
        order = self._order()
        with self.assertRaisesRegex(UserError, "Only orders to review can be approved"):
            order.with_user(self.manager).action_desk_approve()
        order.with_user(self.clerk).action_desk_submit()
        with self.assertRaisesRegex(AccessError, "Only an Order Desk manager"):
            order.with_user(self.clerk).action_desk_approve()
        with self.assertRaisesRegex(UserError, "Only draft orders can be submitted"):
            order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(order.desk_state, "to_review")
        self.assertEqual(order.state, "draft")
        with self.assertRaisesRegex(AccessError, "Only Order Desk users"):
            order.with_user(self.salesman).action_desk_check()
        cancelled = self._order()
        cancelled.action_cancel()
        self.assertEqual(cancelled.desk_state, "cancel")
        with self.assertRaisesRegex(UserError, "Only orders to review can be approved"):
            cancelled.with_user(self.manager).action_desk_approve()
        with self.assertRaisesRegex(UserError, "Only draft orders can be submitted"):
            cancelled.with_user(self.clerk).action_desk_submit()
        empty = self.env["sale.order"].create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(
            UserError, "Orders without lines cannot be submitted"
        ):
            empty.with_user(self.clerk).action_desk_submit()
        self.assertEqual(empty.desk_state, "draft")

    def test_batch_refusal_is_all_or_nothing(self):
        good = self._order()
        bad = self._order(payment_term_id=False)
        (good | bad).with_user(self.clerk).action_desk_submit()
        with self.assertRaisesRegex(UserError, bad.name):
            (good | bad).with_user(self.manager).action_desk_approve()
        self.assertEqual((good | bad).mapped("desk_state"), ["to_review", "to_review"])
        self.assertEqual(good.state, "draft")

    def test_plain_confirm_needs_desk_approval(self):
        order = self._order()
        with self.assertRaisesRegex(UserError, "must be approved on the Order Desk"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.company.order_desk_require_approval = False
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.desk_state, "approved")
        self.assertIn("Confirmed outside the Order Desk review", self._last_note(order))

    def test_auto_approve_clean_orders(self):
        self.company.order_desk_auto_approve = True
        clean = self._order()
        warned = self._order(commitment_date=False)
        (clean | warned).with_user(self.clerk).action_desk_submit()
        self.assertEqual(clean.desk_state, "locked")
        self.assertEqual(clean.state, "sale")
        self.assertIn("Approved automatically", self._last_note(clean))
        self.assertEqual(warned.desk_state, "to_review")

    def test_cancel_and_reset(self):
        order = self._order()
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        order.with_user(self.manager).action_desk_unlock("Customer cancelled by phone")
        order.with_user(self.manager)._action_cancel()
        self.assertEqual(order.desk_state, "cancel")
        order.with_user(self.manager).action_draft()
        self.assertEqual(order.desk_state, "draft")
        self.assertEqual(order.state, "draft")

    def test_copy_starts_in_draft(self):
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        copy = order.copy()
        self.assertEqual(copy.desk_state, "draft")
        self.assertFalse(copy.desk_exception_ids)

    def test_review_sheet_report(self):
        order = self._order(payment_term_id=False)
        order.with_user(self.clerk).action_desk_submit()
        order.desk_exception_ids.with_user(self.manager).action_override(
            "Known customer"
        )
        order.with_user(self.manager).action_desk_approve()
        html, _ = (
            self.env["ir.actions.report"]
            .with_user(self.manager)
            ._render_qweb_html("order_desk.order_review_sheet", order.ids)
        )
        html = html.decode()
        # Every rule of the company is listed with its result, the passed one included.
        self.assertIn("commitment_date", html)
        self.assertIn("Passed", html)
        for text in (
            order.name,
            "No payment term is set on the order.",
            "Known customer",
        ):
            self.assertIn(text, html)
        self.assertIn(self.manager.name, html)

    def test_messages_are_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["order_desk"], ["zh_CN"], overwrite=True
        )
        # The web client sends the user's language in the context of every call.
        order = self._order(payment_term_id=False)
        order_zh = order.with_user(self.clerk).with_context(lang="zh_CN")
        order_zh.action_desk_check()
        self.assertEqual(self._open_messages(order_zh), ["订单未设置付款条款。"])
        with self.assertRaisesRegex(AccessError, "只有订单台主管可以执行此操作"):
            order_zh.action_desk_approve()
        rule = self.env.ref("order_desk.order_desk_rule_payment_term")
        self.assertEqual(rule.with_context(lang="zh_CN").name, "已设置付款条款")
