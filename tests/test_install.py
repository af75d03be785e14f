from odoo import Command
from odoo.tests import tagged
from odoo.tools.sql import column_exists

from ..hooks import PRE_INIT_COLUMNS, init_desk_columns
from ..models.sale_order_timeline import KPI_PRE_INIT_COLUMNS
from .common import OrderDeskCase


@tagged("post_install", "-at_install")
class TestInstallOnLiveDatabase(OrderDeskCase):
    """Installing on a database with orders fills the desk's computed columns in SQL
    (pre-init hook): the ORM recomputes nothing and posts nothing. The SQL must give what
    the computes give, for orders in every state. (The install itself on 100,000 orders,
    with its count of chatter messages, is ``bench/install_live.py``.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Orders confirmed before the addon existed: plain confirmation.
        cls.company.order_desk_require_approval = False
        cls.service = cls._create_product("Installation", "SRV", 30.0, type="service")
        cls.by_delivery = cls._create_product(
            "Desk Lamp", "LAMP", 20.0, storable=True, invoice_policy="delivery"
        )
        cls._set_stock(cls.by_delivery, 50)

    def _plain_order(self, *lines, **vals):
        lines = lines or ((self.product, 2), (self.by_delivery, 3), (self.service, 1))
        return self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in lines
                ],
                **vals,
            }
        )

    def _pay(self, invoices, amount=None):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"amount": amount} if amount else {}).action_create_payments()

    def _invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def _return(self, picking, quantity):
        """Odoo's own return of ``quantity`` of each product of ``picking`` (to refund),
        received."""
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        wizard.product_return_moves.write({"quantity": quantity, "to_refund": True})
        returned = wizard._create_return()
        self._validate(returned)
        return returned

    def test_columns_cover_every_stored_compute_on_existing_tables(self):
        """A stored computed field the addon adds to a model it does not create must be
        created (and filled in SQL) before the models load, by the pre-init hook: else the
        install computes it row by row, and posts a message per record when tracked.
        Related stored fields are computed fields too. A listed column must be one of the
        addon's stored fields, of a type its column has."""
        missing = []
        listed = {
            (table, column): column_type
            for table, columns in PRE_INIT_COLUMNS.items()
            for column, column_type in columns
        }
        for model in self.env.registry.values():
            if model._original_module == "order_desk" or model._abstract:
                continue
            for field in model._fields.values():
                if (
                    field._module == "order_desk"
                    and field.store
                    and field.compute
                    and (model._table, field.name) not in listed
                ):
                    missing.append(f"{model._name}.{field.name}")
        self.assertFalse(missing)
        # A column made with another type than the field's would be converted by the ORM
        # (and recomputed row by row).
        fields_by_column = {
            (model._table, name): field
            for model in self.env.registry.values()
            if not model._abstract and model._auto
            for name, field in model._fields.items()
            if field.store
        }
        for (table, column), column_type in listed.items():
            field = fields_by_column.get((table, column))
            self.assertTrue(field, f"{table}.{column} is a stored field")
            self.assertEqual(
                {"boolean": "bool"}.get(column_type, column_type),
                field.column_type[0],
                f"{table}.{column}",
            )

    def test_upgrade_creates_the_timeline_columns_first(self):
        """Upgrading from 19.0.1.1.0: the pre-migration creates the timeline's columns
        before the models load (as the pre-init hook does on install)."""
        # (CASCADE: the KPI report's view reads them; all of it is rolled back.)
        self.cr.execute(
            "ALTER TABLE sale_order DROP COLUMN desk_received_date CASCADE,"
            " DROP COLUMN desk_ready_date CASCADE,"
            " DROP COLUMN desk_shipped_in_full CASCADE"
        )
        self._migrate("pre-13_kpi_columns")
        for column in KPI_PRE_INIT_COLUMNS:
            self.assertTrue(column_exists(self.cr, "sale_order", column), column)

    def test_sql_gives_what_the_computes_give(self):
        draft = self._plain_order()
        sent = self._plain_order(commitment_date="2026-12-24 09:00:00")
        sent.state = "sent"
        cancelled = self._plain_order()
        cancelled._action_cancel()
        waiting = self._plain_order()
        waiting.action_confirm()
        ready = self._plain_order()
        ready.action_confirm()
        self._pick(self._deliveries(ready))
        partial = self._plain_order()
        partial.action_confirm()
        self._validate(
            self._deliveries(partial), {self.product: 1, self.by_delivery: 3}
        )
        invoiced = self._plain_order(commitment_date="2026-12-24 09:00:00")
        invoiced.action_confirm()
        self._validate(self._deliveries(invoiced))
        self._invoice(invoiced)
        paid = self._plain_order((self.product, 2), (self.service, 1))
        paid.action_confirm()
        self._pay(self._invoice(paid))
        free = self._plain_order((self.product, 1))
        free.order_line.price_unit = 0.0
        free.action_confirm()
        self._validate(self._deliveries(free))
        # Invoiced, then reversed by Odoo's credit note: nothing was paid.
        credited = self._plain_order((self.product, 1), (self.service, 1))
        credited.action_confirm()
        credited_invoice = self._invoice(credited)
        credited_invoice._reverse_moves(
            [{"date": credited_invoice.date, "invoice_date": credited_invoice.date}],
            cancel=True,
        )
        partly = self._plain_order((self.product, 2), (self.service, 1))
        partly.action_confirm()
        self._pay(self._invoice(partly), amount=50.0)
        # 5 invoiced on ordered quantities and paid; 2 came back through Odoo's return.
        returned = self._plain_order((self.product, 5))
        returned.action_confirm()
        delivery = self._deliveries(returned)
        self._validate(delivery)
        self._pay(self._invoice(returned))
        self._return(delivery, 2)
        orders = draft | sent | cancelled | waiting | ready | partial | invoiced | paid
        orders |= free | credited | partly | returned
        pickings = orders.picking_ids
        self.env.flush_all()
        # What the computes give, every computed column of the install but the moment an
        # order became ready: history the database does not keep (the install takes the
        # first goods out).
        fields = {
            model: [
                name
                for name, _type in PRE_INIT_COLUMNS[self.env[model]._table]
                if self.env[model]._fields[name].compute and name != "desk_ready_date"
            ]
            for model in ("stock.picking", "sale.order")
        }
        computed = {
            "stock.picking": pickings.read(fields["stock.picking"]),
            "sale.order": orders.read(fields["sale.order"]),
        }
        self.assertEqual(
            set(orders.mapped("desk_shipping_state")),
            {"none", "waiting", "ready", "partial", "shipped"},
            "every shipping state a new install meets is covered",
        )
        # The cases the SQL must follow, as the computes see them.
        self.assertEqual(
            [paid.desk_prepaid, credited.desk_prepaid, partly.desk_prepaid],
            [True, False, False],
        )
        self.assertEqual(credited.desk_amount_paid, 0.0)
        self.assertEqual(credited.desk_amount_invoiced, 0.0)
        self.assertAlmostEqual(partly.desk_amount_paid, 50.0)
        self.assertAlmostEqual(returned.desk_amount_expected, 300.0)
        self.assertAlmostEqual(returned.desk_amount_to_invoice, -200.0)
        self.assertTrue(paid.desk_paid_date)
        self.assertFalse(credited.desk_paid_date or partly.desk_paid_date)
        self.cr.execute(
            "UPDATE sale_order SET desk_amount_paid = -1, desk_amount_expected = -1,"
            " desk_prepaid = NOT COALESCE(desk_prepaid, false),"
            " desk_shipping_state = 'none', desk_state = 'draft',"
            " desk_first_shipped_date = NULL, desk_last_shipped_date = NULL,"
            " desk_delivered_date = NULL, desk_ship_due_date = NULL,"
            " desk_delivery_due_date = NULL, desk_shipped_in_full = NULL,"
            " desk_line_count = NULL, desk_invoiced_date = NULL, desk_paid_date = NULL"
            " WHERE id IN %s",
            [tuple(orders.ids)],
        )
        # The pre-init hook's SQL, then the post-init hook's timeline.
        init_desk_columns(self.cr, pickings.ids, orders.ids)
        self.env["sale.order"]._desk_init_timeline()
        self.env.invalidate_all()
        for model, records in (("stock.picking", pickings), ("sale.order", orders)):
            for before, after in zip(
                computed[model], records.read(fields[model]), strict=True
            ):
                for name in fields[model]:
                    if isinstance(before[name], float):
                        self.assertAlmostEqual(
                            before[name], after[name], msg=f"{model} {name}"
                        )
                    else:
                        self.assertEqual(
                            before[name],
                            after[name],
                            f"{model} {before['id']} {name}",
                        )
