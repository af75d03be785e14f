from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class OrderDeskCase(TransactionCase):
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

    def _open_messages(self, order):
        return order.desk_exception_ids.filtered(lambda e: e.state == "open").mapped(
            "message"
        )
