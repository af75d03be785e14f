import re

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestDeskForm(OrderDeskCase):
    """The order form in the desk's actions: the desk status is the status bar, Confirm
    waits for the desk's approval, and exactly one primary button is the next desk step
    this user may take."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule_term = cls._rule("payment_term")
        cls.desk = {"order_desk_form": 1}

    # Helpers --------------------------------------------------------------------------------
    def _header(self, order, user, context):
        """The header nodes of the order form as ``user`` gets it (groups applied), with
        whether each is visible for ``order`` in ``context``."""
        Order = self.env["sale.order"].with_user(user).with_context(**context)
        arch = Order.get_views([(False, "form")])["views"]["form"]["arch"]
        header = etree.fromstring(arch).find(".//header")
        record = order.with_user(user).with_context(**context)
        names = set()
        for node in header:
            names.update(re.findall(r"[a-z_][a-z0-9_]*", node.get("invisible") or ""))
        values = {}
        for name in names & set(record._fields):
            field = record._fields[name]
            value = record[name]
            if field.type == "many2one":
                value = value.id
            elif field.type in ("one2many", "many2many"):
                value = value.ids
            values[name] = value
        values.update(id=record.id, uid=user.id, context=context)
        nodes = []
        for node in header:
            expression = node.get("invisible") or "False"
            visible = not safe_eval(expression, dict(values))
            nodes.append((node, visible))
        return nodes

    def _primary(self, order, user, context=None):
        """Names (or strings) of the visible primary buttons."""
        return [
            node.get("name")
            for node, visible in self._header(
                order, user, self.desk if context is None else context
            )
            if visible
            and node.tag == "button"
            and {"btn-primary", "oe_highlight"} & set((node.get("class") or "").split())
        ]

    def _visible(self, order, user, context=None):
        return [
            (node.tag, node.get("name"))
            for node, visible in self._header(
                order, user, self.desk if context is None else context
            )
            if visible
        ]

    # Tests ----------------------------------------------------------------------------------
    def test_next_step_per_user_and_state(self):
        order = self._order(payment_term_id=False)
        self.assertEqual(order.with_user(self.clerk).desk_next_step, "submit")
        self.assertEqual(self._primary(order, self.clerk), ["action_desk_submit"])
        self.assertEqual(self._primary(order, self.manager), ["action_desk_submit"])
        order.with_user(self.clerk).action_desk_submit()
        # Blocked: the manager's next step is the override, the clerk's to check again.
        self.assertEqual(
            self._primary(order, self.manager), ["action_desk_open_override_wizard"]
        )
        self.assertEqual(self._primary(order, self.clerk), ["action_desk_check"])
        order.payment_term_id = self.payment_term
        order.with_user(self.clerk).action_desk_check()
        self.assertEqual(self._primary(order, self.manager), ["action_desk_approve"])
        # Nothing left for the clerk on the desk: Sales' own Send is the primary again.
        self.assertEqual(self._primary(order, self.clerk), ["action_quotation_send"])
        order.with_user(self.manager).action_desk_approve()
        self.assertEqual(order.desk_state, "locked")
        self.assertEqual(order.with_user(self.manager).desk_next_step, False)
        order.with_user(self.manager).action_desk_unlock("Customer adds a line")
        self.assertEqual(self._primary(order, self.manager), ["action_desk_lock"])
        order.with_user(self.manager).action_desk_lock()
        order.with_user(self.manager).action_desk_release_reservation()
        self.assertEqual(order.desk_reservation_status, "waiting")
        self.assertEqual(self._primary(order, self.clerk), ["action_desk_reserve"])

    def test_one_primary_button_everywhere(self):
        """Sales' own primary buttons (Send, Create Invoice) step back while a desk step
        waits, in the desk's actions and in Sales alike."""
        order = self._order()
        for context in (self.desk, {}):
            for user in (self.clerk, self.manager):
                primary = self._primary(order, user, context)
                self.assertEqual(primary, ["action_desk_submit"], (user.login, context))
                self.assertIn(
                    ("button", "action_quotation_send"), self._visible(order, user)
                )

    def test_confirm_waits_for_the_desk(self):
        order = self._order()
        for context in (self.desk, {}):
            names = [name for _tag, name in self._visible(order, self.manager, context)]
            self.assertNotIn("action_confirm", names)
        self.company.order_desk_require_approval = False
        order.invalidate_recordset(["desk_approval_required"])
        names = [name for _tag, name in self._visible(order, self.manager, {})]
        self.assertIn("action_confirm", names)

    def test_desk_status_is_the_status_bar(self):
        order = self._order()
        in_desk = [
            name for tag, name in self._visible(order, self.clerk) if tag == "field"
        ]
        self.assertIn("desk_state", in_desk)
        self.assertNotIn("state", in_desk)
        in_sales = [
            name for tag, name in self._visible(order, self.clerk, {}) if tag == "field"
        ]
        self.assertIn("state", in_sales)
        self.assertNotIn("desk_state", in_sales)
        for xmlid in (
            "order_desk.sale_order_action",
            "order_desk.sale_order_action_to_review",
        ):
            action = self.env.ref(xmlid)
            self.assertIn("'order_desk_form': 1", action.context)
        # Every desk status a desk user meets is in the bar or shown while current.
        arch = (
            self.env["sale.order"]
            .with_user(self.clerk)
            .with_context(**self.desk)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        bar = etree.fromstring(arch).find(".//header/field[@name='desk_state']")
        self.assertEqual(bar.get("widget"), "statusbar")
        self.assertEqual(
            bar.get("statusbar_visible"), "draft,to_review,locked,shipped,delivered"
        )

    def test_red_rows_say_why(self):
        order = self._order(payment_term_id=False)
        self.assertFalse(order.desk_alert)
        order.with_user(self.clerk).action_desk_submit()
        self.assertEqual(order.desk_alert, "blocking")
        arch = self.env.ref("order_desk.sale_order_view_list").arch
        self.assertIn("decoration-danger=\"desk_alert == 'blocking'\"", arch)
        self.assertIn('name="desk_alert" widget="badge"', arch)
