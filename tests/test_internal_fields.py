from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderDeskCase
from .rpc import RpcCaseMixin

INTERNAL = "base.group_user"

# The desk's fields a portal customer may read on the records they can read: what the
# customer's own pages show. Every other field the desk adds to a model portal users read
# is internal (``groups="base.group_user"``).
PORTAL_FIELDS = {
    "sale.order": {
        "desk_state",
        "desk_channel",
        "desk_shipping_state",
        "desk_shipped_percent",
        "desk_settlement_method",
        "desk_return_ids",
        "desk_return_count",
        # The lists' red rows: computed empty for portal users.
        "desk_alert",
    },
    "sale.order.line": {"desk_promised_date"},
    "stock.picking": {
        "desk_tracking_status",
        "desk_last_event_date",
        "desk_tracking_event_count",
        "desk_last_event_location",
        "desk_expected_date",
        "desk_delivered_date",
        # Picked and ready to leave: the order's public desk status says as much.
        "desk_prepared",
        # The lists' red rows: computed empty for portal users.
        "desk_open_incident_count",
    },
    "res.company": {"order_desk_return_days"},
    "res.partner": {"desk_settlement_method"},
    "account.move": set(),
    "account.move.line": set(),
}


@tagged("post_install", "-at_install")
class TestInternalFields(RpcCaseMixin, HttpCase, OrderDeskCase):
    """Portal customers read their own orders over JSON-RPC without the desk's internal
    data; a salesperson with own documents only reads the exceptions, tracking and quotas
    of their own orders and customers (issue 10, finding 10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.portal = new_test_user(
            cls.env,
            login="od_if_portal",
            password="od_if_portal",
            groups="base.group_portal",
        )
        cls.portal.partner_id.write(
            {
                "email": "od_if_portal@portal.test",
                "phone": "+86 10 0002",
                "street": "3 Portal Road",
                "city": "Beijing",
                "country_id": cls.country.id,
            }
        )
        cls.own_salesman = new_test_user(
            cls.env,
            login="od_if_own",
            password="od_if_own",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="od_if_other",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.stock_user = new_test_user(
            cls.env,
            login="od_if_stock",
            password="od_if_stock",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
        )
        # A warning check every order fails: each order gets an exception naming it.
        cls._rule("commitment_date", severity="warning")
        cls.own_customer = cls.env["res.partner"].create(
            {
                "name": "Own Customer",
                "user_id": cls.own_salesman.id,
                "email": "own@if.test",
                "phone": "+86 10 0003",
                "street": "4 Road",
                "city": "Beijing",
                "country_id": cls.country.id,
            }
        )
        cls.other_customer = cls.customer
        cls.other_customer.user_id = cls.other_salesman
        Quota = cls.env["order.desk.quota"]
        cls.own_quota = Quota.create(
            {
                "partner_id": cls.own_customer.id,
                "product_id": cls.product.id,
                "quantity": 100,
            }
        )
        cls.other_quota = Quota.create(
            {
                "partner_id": cls.other_customer.id,
                "product_id": cls.product.id,
                "quantity": 100,
            }
        )

    def setUp(self):
        super().setUp()
        self.portal_order, self.portal_picking = self._shipped(
            qty=2,
            ref="IF-PORTAL",
            partner=self.portal.partner_id,
            commitment_date=False,
            user_id=self.other_salesman.id,
        )
        self.own_order, self.own_picking = self._shipped(
            qty=1,
            ref="IF-OWN",
            partner=self.own_customer,
            commitment_date=False,
            user_id=self.own_salesman.id,
        )
        self.other_order, self.other_picking = self._shipped(
            qty=1,
            ref="IF-OTHER",
            commitment_date=False,
            user_id=self.other_salesman.id,
        )
        self.env["stock.picking"].desk_add_tracking_events(
            [
                {
                    "tracking_ref": ref,
                    "event_date": "2026-11-19 08:00",
                    "status": "in_transit",
                    "location": f"Hub of {ref}",
                }
                for ref in ("IF-PORTAL", "IF-OWN", "IF-OTHER")
            ]
        )
        for order in (self.portal_order, self.own_order, self.other_order):
            self.assertTrue(order.desk_exception_ids, order.name)

    # Portal ---------------------------------------------------------------------------------
    def test_every_internal_field_is_for_internal_users(self):
        """Each field the desk adds to a model portal users read is either one of the
        customer's (``PORTAL_FIELDS``) or restricted to internal users."""
        for model, public in PORTAL_FIELDS.items():
            names = (
                self.env["ir.model.fields"]
                .browse(
                    self.env["ir.model.data"]
                    .search(
                        [
                            ("module", "=", "order_desk"),
                            ("model", "=", "ir.model.fields"),
                        ]
                    )
                    .mapped("res_id")
                )
                .filtered(lambda f, m=model: f.model == m)
                .mapped("name")
            )
            if model in ("sale.order", "stock.picking", "res.company"):
                self.assertTrue(names, model)
            for name in set(names) - {"id", "display_name"}:
                field = self.env[model]._fields[name]
                with self.subTest(model=model, field=name):
                    if name in public:
                        self.assertFalse(field.groups)
                    else:
                        self.assertTrue(
                            field.groups,
                            f"{model}.{name} is readable by portal customers",
                        )
        for model in (
            "order.desk.return",
            "order.desk.return.line",
            "order.desk.return.reason",
            "order.desk.statement",
        ):
            for name in {
                "order.desk.return": (
                    "approved_user_id",
                    "requested_by_id",
                    "window_exception",
                    "scrap_ids",
                    "has_refund_todo",
                    "has_exchange_todo",
                ),
                "order.desk.return.line": ("at_company_fault", "disposition"),
                "order.desk.return.reason": ("at_company_fault",),
                "order.desk.statement": ("opening_item_ids", "opening_move_line_ids"),
            }[model]:
                with self.subTest(model=model, field=name):
                    self.assertEqual(self.env[model]._fields[name].groups, INTERNAL)

    def test_portal_reads_its_order_without_the_desk_internals(self):
        portal = self.portal
        order_id = self.portal_order.id
        for model, record_id, names in (
            (
                "sale.order",
                order_id,
                [
                    "desk_status_timeline",
                    "desk_status_blocker",
                    "desk_approved_user_id",
                    "desk_submitted_user_id",
                    "desk_reservation_deadline",
                    "desk_open_exception_count",
                    "desk_exception_ids",
                    "desk_amount_paid",
                    "desk_reject_count",
                ],
            ),
            (
                "sale.order.line",
                self.portal_order.order_line.id,
                ["desk_qty_on_hand", "desk_qty_free", "desk_previous_promised_date"],
            ),
            (
                "stock.picking",
                self.portal_picking.id,
                ["desk_tracking_event_ids", "desk_superseded", "desk_incident_ids"],
            ),
            (
                "res.company",
                self.company.id,
                ["order_desk_target_otif", "order_desk_allocation_user_id"],
            ),
            ("res.partner", portal.partner_id.id, ["desk_rank"]),
        ):
            for name in names:
                with self.subTest(model=model, field=name):
                    self._rpc_refused(
                        portal,
                        model,
                        "read",
                        [record_id],
                        [name],
                        expected=("AccessError",),
                    )
        # The fields the customer may read are the customer's fields only.
        result, error, message = self._rpc(
            portal, "sale.order", "fields_get", [], ["type"]
        )
        self.assertFalse(error, message)
        desk_fields = {name for name in result if name.startswith("desk_")}
        self.assertEqual(desk_fields, PORTAL_FIELDS["sale.order"])
        result, error, message = self._rpc(
            portal,
            "sale.order",
            "read",
            [order_id],
            sorted(PORTAL_FIELDS["sale.order"]),
        )
        self.assertFalse(error, message)
        self.assertEqual(result[0]["desk_state"], "shipped")
        self.assertFalse(result[0]["desk_alert"])
        result, error, message = self._rpc(
            portal,
            "stock.picking",
            "read",
            [self.portal_picking.id],
            ["desk_tracking_status", "desk_last_event_location"],
        )
        self.assertFalse(error, message)
        self.assertEqual(result[0]["desk_last_event_location"], "Hub of IF-PORTAL")
        # Nor searched by what the desk knows.
        self._rpc_refused(
            portal,
            "sale.order",
            "search_read",
            [("desk_reference", "ilike", "IF-PORTAL")],
            ["name"],
            expected=("AccessError",),
        )
        self._rpc_refused(
            portal,
            "sale.order",
            "search_read",
            [("desk_has_warning_exception", "=", True)],
            ["name"],
            expected=("AccessError",),
        )

    def test_portal_pages_still_show_the_customers_data(self):
        self.authenticate("od_if_portal", "od_if_portal")
        listing = self.url_open("/my/orders")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.portal_order.name, listing.text)
        page = self.url_open(f"/my/orders/{self.portal_order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_order_desk_portal_status", page.text)
        self.assertIn("Hub of IF-PORTAL", page.text)
        self.assertIn("tracking number IF-PORTAL", page.text)
        self.assertNotIn(self.manager.name, page.text)
        slip = self.url_open(f"/my/picking/pdf/{self.portal_picking.id}")
        self.assertEqual(slip.status_code, 200)

    # Own documents --------------------------------------------------------------------------
    def _visible(self, user, model, domain=None):
        result, error, message = self._rpc(
            user, model, "search_read", domain or [], ["id"]
        )
        self.assertFalse(error, message)
        return {row["id"] for row in result}

    def test_own_documents_salesman_reads_their_own_orders_things(self):
        salesman = self.own_salesman
        own, other = self.own_order, self.other_order
        exceptions = self._visible(salesman, "order.desk.exception")
        self.assertTrue(set(own.desk_exception_ids.ids) <= exceptions)
        self.assertFalse(exceptions & set(other.desk_exception_ids.ids))
        self.assertFalse(exceptions & set(self.portal_order.desk_exception_ids.ids))
        events = self._visible(salesman, "order.desk.tracking.event")
        self.assertEqual(events, set(self.own_picking.desk_tracking_event_ids.ids))
        numbers = self._visible(salesman, "order.desk.tracking.number")
        self.assertEqual(numbers, set(self.own_picking.desk_tracking_number_ids.ids))
        quotas = self._visible(salesman, "order.desk.quota")
        self.assertIn(self.own_quota.id, quotas)
        self.assertNotIn(self.other_quota.id, quotas)
        self._rpc_refused(
            salesman,
            "order.desk.exception",
            "read",
            other.desk_exception_ids.ids,
            ["message"],
            expected=("AccessError",),
        )
        # Their own order's form still lists its checks.
        result, error, message = self._rpc(
            salesman, "sale.order", "read", [own.id], ["desk_exception_ids"]
        )
        self.assertFalse(error, message)
        self.assertEqual(result[0]["desk_exception_ids"], own.desk_exception_ids.ids)

    def test_all_documents_desk_and_stock_users_read_every_one(self):
        every_event = set(
            (
                self.own_picking | self.other_picking | self.portal_picking
            ).desk_tracking_event_ids.ids
        )
        for user in (self.salesman, self.clerk, self.stock_user):
            with self.subTest(user=user.login):
                self.assertTrue(
                    every_event <= self._visible(user, "order.desk.tracking.event")
                )
        for user in (self.salesman, self.clerk):
            with self.subTest(user=user.login):
                self.assertTrue(
                    set(self.other_order.desk_exception_ids.ids)
                    <= self._visible(user, "order.desk.exception")
                )
                self.assertIn(
                    self.other_quota.id, self._visible(user, "order.desk.quota")
                )
