from odoo.tests import tagged
from odoo.tools import SQL

from ..hooks import post_init_hook, pre_init_hook
from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestInstallHook(OrderDeskCase):
    """The install gives a desk state to the orders that existed before it (the pre-init
    hook, before the models load), and leaves the orders made during the install (the demo
    data, loaded before the post-init hook) as their own workflow left them."""

    def _set_states(self, order, state, desk_state):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET state = %s, desk_state = %s WHERE id = %s",
                state,
                desk_state,
                order.id,
            )
        )
        order.invalidate_recordset(["state", "desk_state"])

    def test_hook_touches_only_orders_older_than_the_install(self):
        # Orders of the database before the install, with whatever desk state the new
        # column gave them.
        confirmed = self._order()
        self._set_states(confirmed, "sale", "draft")
        quotation = self._order()
        self._set_states(quotation, "draft", "to_review")
        pre_init_hook(self.env)
        # Made during the install, by the demo data.
        submitted = self._order()
        submitted.with_user(self.clerk).action_desk_submit()
        approved = self._approved(qty=1)
        post_init_hook(self.env)
        self.assertEqual(confirmed.desk_state, "approved")
        self.assertEqual(quotation.desk_state, "draft")
        self.assertEqual(submitted.desk_state, "to_review")
        self.assertEqual(approved.desk_state, "locked")
        # The pre-init hook gave the existing orders their state; the post-init hook
        # writes no desk state (an order made during the install and edited since keeps
        # what its workflow gave it, whatever its sale status).
        self._set_states(confirmed, "sale", "ready")
        post_init_hook(self.env)
        self.assertEqual(confirmed.desk_state, "ready")
