from collections import defaultdict

from odoo import api, fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.private
    def _desk_availability(self, warehouse):
        """Stock figures of the products in ``self`` for one warehouse, for the whole batch.

        :returns: ``{product_id: {"on_hand", "reserved", "free", "incoming",
            "schedule": [(date, quantity), ...]}}``, quantities in the product's unit; the
            schedule lists the incoming moves not yet done, by expected day.
        """
        products = self.with_context(warehouse_id=warehouse.id)
        schedule = defaultdict(list)
        groups = self.env["stock.move"]._read_group(
            [("product_id", "in", self.ids), *self._desk_incoming_domain(warehouse)],
            groupby=["product_id", "date:day"],
            aggregates=["product_qty:sum"],
            order="date:day",
        )
        for product, day, quantity in groups:
            schedule[product.id].append((fields.Date.to_date(day), quantity))
        return {
            product.id: {
                "on_hand": product.qty_available,
                "reserved": max(product.qty_available - product.free_qty, 0.0),
                "free": max(product.free_qty, 0.0),
                "incoming": product.incoming_qty,
                "schedule": schedule[product.id],
            }
            for product in products
        }

    @api.model
    def _desk_incoming_domain(self, warehouse):
        """Stock moves still to arrive in ``warehouse`` from outside it (receipts)."""
        return [
            ("state", "not in", ("draft", "done", "cancel")),
            ("location_dest_id.warehouse_id", "=", warehouse.id),
            ("location_id.warehouse_id", "!=", warehouse.id),
        ]

    @api.private
    def _desk_receipts(self, warehouse, date_to=None):
        """Receipts expected in ``warehouse`` for the products of ``self`` that nobody has
        claimed yet (not bought for a given order), by receipt, for the whole batch.

        :param date_to: only what is expected by then (a datetime).
        :returns: ``{product_id: [(picking, date, quantity), ...]}`` in date order,
            quantities in the product's unit, dates the latest scheduled date of the
            product's moves in that receipt.
        """
        domain = [
            ("product_id", "in", self.ids),
            *self._desk_incoming_domain(warehouse),
            # Goods bought for a given order line (make to order) are already promised.
            "!",
            ("move_dest_ids.sale_line_id", "!=", False),
        ]
        if date_to:
            domain.append(("date", "<=", date_to))
        groups = self.env["stock.move"]._read_group(
            domain,
            groupby=["product_id", "picking_id"],
            aggregates=["product_qty:sum", "date:max"],
        )
        receipts = defaultdict(list)
        for product, picking, quantity, date in groups:
            receipts[product.id].append((picking, date, quantity))
        for schedule in receipts.values():
            schedule.sort(key=lambda entry: (entry[1], entry[0].id or 0))
        return receipts

    @api.private
    def _desk_request_replenishment(self, quantities):
        """Ask the warehouse to replenish through Odoo's replenishment (orderpoints).

        :param quantities: ``{(product, warehouse): quantity}`` shortages to cover.
        :returns: the manual-trigger orderpoints holding the requests.
        """
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        products = self.browse({product.id for product, _wh in quantities})
        warehouses = self.env["stock.warehouse"].browse(
            {wh.id for _p, wh in quantities}
        )
        existing = {
            (op.product_id, op.warehouse_id): op
            for op in Orderpoint.search(
                [
                    ("product_id", "in", products.ids),
                    ("warehouse_id", "in", warehouses.ids),
                ]
            )
        }
        result = Orderpoint
        to_create = []
        for (product, warehouse), quantity in quantities.items():
            orderpoint = existing.get((product, warehouse))
            if orderpoint:
                if product.uom_id.compare(orderpoint.qty_to_order_manual, quantity) < 0:
                    orderpoint.qty_to_order_manual = quantity
                result |= orderpoint
            else:
                to_create.append(
                    {
                        "product_id": product.id,
                        "warehouse_id": warehouse.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "company_id": warehouse.company_id.id,
                        "trigger": "manual",
                        "product_min_qty": 0.0,
                        "product_max_qty": 0.0,
                        "qty_to_order_manual": quantity,
                    }
                )
        return result | Orderpoint.create(to_create)
