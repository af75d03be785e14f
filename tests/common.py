import difflib
import gc
import importlib.util
import pathlib
import re
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.sql_db import Cursor
from odoo.tests import Form, TransactionCase, new_test_user
from odoo.tools import SQL


class QueryCountMixin:
    """Exact query counts of batch paths, with the queries that differ when they do not
    match (rather than two bare numbers)."""

    def _desk_queries(self, func):
        """Run ``func`` between two flushes; return the queries it ran (their text).

        Garbage is collected first. An environment (``with_user``, ``with_company``) lives
        as long as something refers to it, and keeps what it computed once (its user, its
        companies); a new one reads them again. Whether the previous run's environment is
        still there depends on when Python's cycle collector last ran, which made counts
        vary by one query from run to run. Collected, every run starts from new ones.
        """
        queries = []
        execute = Cursor.execute

        def recording(cr, query, params=None, log_exceptions=True):
            text = query.code if isinstance(query, SQL) else str(query)
            queries.append(" ".join(text.split()))
            return execute(cr, query, params, log_exceptions)

        self.env.flush_all()
        gc.collect()
        with patch.object(Cursor, "execute", recording):
            func()
            self.env.flush_all()
        return queries

    def assertSameQueries(self, small, large, label):
        """``small`` and ``large`` (query lists of the same path at two sizes) have exactly
        the same number of queries; the failure shows the queries that differ."""
        if len(small) != len(large):
            diff = self._desk_query_diff(small, large)
            self.fail(f"{label}: {len(small)} queries, then {len(large)}:\n{diff}")

    @staticmethod
    def _desk_query_shapes(queries):
        """The queries with ids and numbers blanked: they differ between runs of the same
        query."""
        return [
            re.sub(r"%s(, %s)+", "%s...", re.sub(r"\b\d+\b", "N", query))[:1000]
            for query in queries
        ]

    def _desk_query_diff(self, small, large):
        """The queries of ``large`` that ``small`` did not run and the reverse."""
        return "\n".join(
            difflib.unified_diff(
                self._desk_query_shapes(small),
                self._desk_query_shapes(large),
                "small",
                "large",
                n=1,
            )
        )


class OrderDeskCase(QueryCountMixin, TransactionCase):
    """Builds its own company data, users and rules; relies on no demo record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.write(
            {"order_desk_require_approval": True, "order_desk_auto_approve": False}
        )
        cls.currency = cls.company.currency_id
        # The shipped rules are archived so that each test decides which checks run.
        cls.env["order.desk.rule"].search([("active", "=", True)]).action_archive()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.clerk = new_test_user(
            cls.env,
            login="od_clerk",
            groups="order_desk.group_order_desk_user,stock.group_stock_user",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env,
            login="od_manager",
            # No Inventory rights: approving, reserving and releasing must not need them.
            groups="order_desk.group_order_desk_manager",
            company_id=cls.company.id,
        )
        cls.salesman = new_test_user(
            cls.env,
            login="od_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
        )
        cls.payment_term = cls.env["account.payment.term"].create(
            {"name": "OD 30 days"}
        )
        cls.country = cls.env.ref("base.cn")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Huadong Trading",
                "is_company": True,
                "email": "orders@huadong.test",
                "phone": "+86 21 5555 0101",
                "street": "88 Century Avenue",
                "city": "Shanghai",
                "country_id": cls.country.id,
            }
        )
        cls.product = cls._create_product("Office Chair", "CHAIR", 100.0, storable=True)
        cls._set_stock(cls.product, 50)

    # Helpers --------------------------------------------------------------------------------
    @classmethod
    def _create_product(cls, name, code, price, storable=False, **vals):
        return cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "type": "consu",
                "is_storable": storable,
                "list_price": price,
                **vals,
            }
        )

    @classmethod
    def _set_stock(cls, product, quantity, warehouse=None):
        warehouse = warehouse or cls.warehouse
        cls.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, quantity
        )

    @classmethod
    def _rule(cls, check_type, severity="blocking", company=None, **vals):
        return cls.env["order.desk.rule"].create(
            {
                "name": check_type,
                "check_type": check_type,
                "severity": severity,
                "company_id": (company or cls.company).id,
                **vals,
            }
        )

    @classmethod
    def _order(cls, partner=None, lines=None, **vals):
        """A complete order: customer data, payment term, future promised date."""
        lines = lines or [(cls.product, 1.0, {})]
        values = {
            "partner_id": (partner or cls.customer).id,
            "payment_term_id": cls.payment_term.id,
            "commitment_date": "2099-01-01 10:00:00",
            "order_line": [
                Command.create(
                    {"product_id": product.id, "product_uom_qty": qty, **extra}
                )
                for product, qty, extra in lines
            ],
        }
        values.update(vals)
        return cls.env["sale.order"].create(values)

    def _assert_writes_refused(self, record, refused, exception=None):
        """Each write of ``refused`` (``{message: vals}``) on ``record`` is refused with
        an error matching its message (a ValidationError by default), and undone."""
        for message, vals in refused.items():
            with (
                self.subTest(message=message),
                self.assertRaisesRegex(exception or ValidationError, message),
                self.env.cr.savepoint(),
            ):
                record.write(vals)

    @staticmethod
    def _customer_steps(order):
        """The order's status steps as the customer sees them, by key."""
        return {
            step["key"]: step
            for step in order._desk_status_data(for_customer=True)["steps"]
        }

    @classmethod
    def _webhook_carrier(cls, name):
        """A carrier ``name`` (with its shipping product) and its new webhook token."""
        product = cls.env["product.product"].create(
            {"name": f"{name} shipping", "type": "service"}
        )
        carrier = cls.env["delivery.carrier"].create(
            {"name": name, "product_id": product.id}
        )
        carrier.action_desk_generate_webhook_token()
        return carrier, carrier.sudo().desk_webhook_token

    @classmethod
    def _portal_user(cls, login, phone="+86 10 0001", street="2 Portal Road"):
        """A portal user (password: the login) whose contact has a complete address."""
        user = new_test_user(
            cls.env, login=login, password=login, groups="base.group_portal"
        )
        user.partner_id.write(
            {
                "email": f"{login}@portal.test",
                "phone": phone,
                "street": street,
                "city": "Beijing",
                "country_id": cls.country.id,
            }
        )
        return user

    def _desk_return(
        self,
        order,
        picking,
        quantity,
        reason=None,
        user=None,
        submit=False,
        **line_vals,
    ):
        """A return request of ``quantity`` of ``order``'s first line (a defect by default)."""
        ret = (
            self.env["order.desk.return"]
            .with_user(user or self.clerk)
            .create(
                {
                    "order_id": order.id,
                    "picking_id": picking.id,
                    "line_ids": [
                        Command.create(
                            {
                                "sale_line_id": order.order_line[:1].id,
                                "quantity": quantity,
                                "reason_id": (
                                    reason
                                    or self.env.ref("order_desk.return_reason_defect")
                                ).id,
                                **line_vals,
                            }
                        )
                    ],
                }
            )
        )
        if submit:
            ret.action_submit()
        return ret

    def _migrate(self, script, version="19.0.1.1.0"):
        """Run migration ``script`` of 19.0.1.2.0 as Odoo does upgrading from ``version``."""
        folder = pathlib.Path(__file__).parent.parent / "migrations/19.0.1.2.0"
        spec = importlib.util.spec_from_file_location(
            script.replace("-", "_"), folder / f"{script}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, version)

    def _open_messages(self, order):
        return order.desk_exception_ids.filtered(lambda e: e.state == "open").mapped(
            "message"
        )

    # Shipping helpers ---------------------------------------------------------------------------
    def _approved(self, qty=2, product=None, **vals):
        """An order submitted by the clerk and approved (locked, reserved) by the manager."""
        order = self._order(lines=[(product or self.product, qty, {})], **vals)
        order.with_user(self.clerk).action_desk_submit()
        order.with_user(self.manager).action_desk_approve()
        return order

    def _deliveries(self, order):
        return order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )

    def _pick(self, picking, quantities=None):
        """The warehouse marks the goods of ``picking`` picked (all, or ``quantities``
        per product)."""
        for move in picking.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel")
        ):
            quantity = (quantities or {}).get(move.product_id, move.product_uom_qty)
            move.quantity = quantity
            move.picked = True

    def _validate(self, picking, quantities=None, backorder=True):
        """Validate ``picking`` as the warehouse does, creating a backorder for what is
        left (or not)."""
        self._pick(picking, quantities)
        result = picking.button_validate()
        if isinstance(result, dict) and result.get("res_model") == (
            "stock.backorder.confirmation"
        ):
            wizard = Form(
                self.env["stock.backorder.confirmation"].with_context(
                    **result["context"]
                )
            ).save()
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking

    def _shipped(self, qty=2, ref="SF0001", **vals):
        """A locked order whose delivery has left with tracking number ``ref``."""
        order = self._approved(qty=qty, **vals)
        picking = self._deliveries(order)
        picking.carrier_tracking_ref = ref
        self._validate(picking)
        return order, picking
