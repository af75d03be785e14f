from odoo import Command
from odoo.tests import tagged

from ..hooks import PRE_INIT_COLUMNS, init_desk_columns
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

    def _pay(self, invoices):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({}).action_create_payments()

    def test_columns_cover_every_stored_compute_on_existing_tables(self):
        """A stored computed field the addon adds to a model it does not create must be
        initialised by the pre-init hook (else the install computes it row by row)."""
        missing = []
        for model in self.env.registry.values():
            if model._original_module == "order_desk" or model._abstract:
                continue
            for field in model._fields.values():
                if (
                    field._module == "order_desk"
                    and field.store
                    and field.compute
                    and field.name not in dict(PRE_INIT_COLUMNS.get(model._table, []))
                ):
                    missing.append(f"{model._name}.{field.name}")
        self.assertFalse(missing)

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
        invoiced._create_invoices().action_post()
        paid = self._plain_order((self.product, 2), (self.service, 1))
        paid.action_confirm()
        paid_invoice = paid._create_invoices()
        paid_invoice.action_post()
        self._pay(paid_invoice)
        free = self._plain_order((self.product, 1))
        free.order_line.price_unit = 0.0
        free.action_confirm()
        self._validate(self._deliveries(free))
        orders = draft | sent | cancelled | waiting | ready | partial | invoiced | paid
        orders |= free
        pickings = orders.picking_ids
        self.env.flush_all()
        fields = {
            "stock.picking": [
                name for name, _type in PRE_INIT_COLUMNS["stock_picking"]
            ],
            "sale.order": [name for name, _type in PRE_INIT_COLUMNS["sale_order"]],
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
        self.cr.execute(
            "UPDATE sale_order SET desk_amount_paid = -1, desk_shipping_state = 'none',"
            " desk_state = 'draft' WHERE id IN %s",
            [tuple(orders.ids)],
        )
        init_desk_columns(self.cr, pickings.ids, orders.ids)
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
        self.assertTrue(paid.desk_prepaid)
