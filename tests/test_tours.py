from odoo.tests import HttpCase, tagged

from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestTours(HttpCase, OrderDeskCase):
    """The screens the clerks use most, driven in a real browser."""

    def test_incident_tour(self):
        order, _picking = self._shipped(qty=2)
        order.name = "TOUR/0001"
        self.start_tour(
            "/odoo/action-order_desk.order_desk_incident_action",
            "order_desk_incident_tour",
            login="od_clerk",
        )
        incident = self.env["order.desk.incident"].search([("order_id", "=", order.id)])
        self.assertEqual(incident.state, "resolved")
        self.assertEqual(incident.incident_type, "damage")
        self.assertEqual(incident.resolution, "none")
        self.assertEqual(incident.create_uid, self.clerk)
