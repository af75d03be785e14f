import logging
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, Query

_logger = logging.getLogger(__name__)

# First key of the desk's advisory locks on products: pg_advisory_lock(namespace, id).
STOCK_LOCK_NAMESPACE = 0x0DE5C
# Keys of ``cr.cache`` (which Odoo empties when the transaction ends): the products whose
# desk stock locks this transaction holds, and the quants it row-locked ({product_id: set of
# the ``parent_path`` prefixes of the locations locked}).
LOCKS_KEY = "order_desk_stock_locks"
QUANT_LOCKS_KEY = "order_desk_quant_locks"


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.private
    def _desk_lock_stock(self, locations=None):
        """Queue this transaction behind every other desk transaction reserving one of
        these products, before anything the reservation depends on is read.

        The one lock of every desk path that reserves stock (approval, reserve again, the
        allocation's Apply): call it first. Odoo runs each call in REPEATABLE READ, whose
        snapshot is taken by the first query of the transaction (for an RPC call: the
        session check, before the method runs). A row lock taken after that queues the
        racers, but the second one then finds rows changed since its snapshot and fails
        with a serialization error (retried by Odoo at most five times, with growing
        pauses: a busy desk runs out of them). So, while the transaction has written
        nothing yet, the products are locked with session-level advisory locks (in id
        order: two racers never deadlock), which outlive the rollback that follows: the
        next query takes a new snapshot, after the commit of every racer served before.
        The locks are released when this transaction ends (commit or rollback). Once the
        transaction has written, transaction-level locks are taken instead (still
        queueing, the snapshot staying as it is).

        ``locations``: also lock the quants of the products in these locations (and
        their children) with ``SELECT ... FOR UPDATE``, for reservations made outside
        the desk (Odoo's own confirmation or *Check Availability*), which take no
        advisory lock; quants this transaction locked already (the approval's free-stock
        read locks what it reads, see ``_desk_free_qty``) are not locked again.
        """
        cr = self.env.cr
        held = cr.cache.get(LOCKS_KEY, set())
        todo = sorted(set(self.ids) - held)
        if todo:
            self.env.flush_all()
            cr.execute(SQL("SELECT txid_current_if_assigned() IS NULL"))
            untouched = cr.fetchone()[0]
            # The subquery fixes the order in which the locks are taken.
            ordered = SQL("(SELECT unnest(%s::int[]) AS id ORDER BY 1) products", todo)
            if untouched and not held:
                cr.execute(
                    SQL(
                        "SELECT pg_advisory_lock(%s, products.id) FROM %s",
                        STOCK_LOCK_NAMESPACE,
                        ordered,
                    )
                )
                # Nothing written yet: nothing lost. The caches are cleared with it.
                cr.rollback()
                release = self._desk_stock_lock_release(cr)
                cr.postcommit.add(release)
                cr.postrollback.add(release)
            else:
                cr.execute(
                    SQL(
                        "SELECT pg_advisory_xact_lock(%s, products.id) FROM %s",
                        STOCK_LOCK_NAMESPACE,
                        ordered,
                    )
                )
            cr.cache[LOCKS_KEY] = held | set(todo)
        if locations and not self._desk_quants_locked(locations):
            # Found and locked in one statement. sudo: the lock covers every quant of the
            # products, whoever approves (a manager without stock rights included).
            quants = (
                self.env["stock.quant"]
                .sudo()
                ._search(
                    [
                        ("product_id", "in", self.ids),
                        ("location_id", "child_of", locations.ids),
                    ]
                )
            )
            # Serialization failures here (a reservation made outside the desk meanwhile)
            # are retried by Odoo's RPC layer: not logged as bad queries.
            cr.execute(
                SQL(
                    "SELECT id FROM stock_quant WHERE id IN %s ORDER BY id FOR UPDATE",
                    quants.subselect(),
                ),
                log_exceptions=False,
            )
            locked = cr.cache.setdefault(QUANT_LOCKS_KEY, {})
            for product in self:
                locked.setdefault(product.id, set()).update(
                    locations.mapped("parent_path")
                )

    @api.private
    def _desk_quants_locked(self, locations):
        """Whether this transaction already row-locked every quant of these products in
        ``locations`` (and their children): the free-stock read of the approval's stock
        check locks what it reads (``_desk_free_qty``)."""
        locked = self.env.cr.cache.get(QUANT_LOCKS_KEY, {})
        paths = locations.mapped("parent_path")
        return all(
            any(path.startswith(prefix) for prefix in locked.get(product.id, ()))
            for product in self
            for path in paths
        )

    @api.model
    def _desk_stock_lock_release(self, cr):
        """The hook releasing the session-level locks of ``_desk_stock_lock`` once the
        transaction of ``cr`` ends. Runs on the connection itself: when the cursor is
        closed without a commit, its own statements can no longer run."""
        connection = cr._cnx

        def release():
            try:
                with connection.cursor() as raw:
                    raw.execute("SELECT pg_advisory_unlock_all()")
            except psycopg2.Error:
                # The connection is gone, and its session's locks with it.
                _logger.debug("order_desk: stock locks released with the connection")

        return release

    @api.readonly
    def desk_get_availability(self, warehouse_id=None):
        """Availability enquiry over RPC (Order Desk users): ``{product_id: {"on_hand",
        "reserved", "free", "incoming", "schedule"}}`` of these products in the warehouse
        (the company's first when not given). Reads only: runs on a read replica when
        the server has one."""
        if not (
            self.env.su or self.env.user.has_group("order_desk.group_order_desk_user")
        ):
            raise AccessError(self.env._("Only Order Desk users can do this."))
        self.check_access("read")
        Warehouse = self.env["stock.warehouse"]
        warehouse = (
            Warehouse.browse(warehouse_id).exists()
            if warehouse_id
            else Warehouse.search([("company_id", "=", self.env.company.id)], limit=1)
        )
        if not isinstance(warehouse_id, (int, type(None))) or not warehouse:
            raise UserError(
                self.env._("Unknown warehouse %(warehouse)s.", warehouse=warehouse_id)
            )
        warehouse.check_access("read")
        figures = self._desk_availability(warehouse)
        return {
            product_id: {
                **values,
                "schedule": [
                    (fields.Date.to_string(day), quantity)
                    for day, quantity in values["schedule"]
                ],
            }
            for product_id, values in figures.items()
        }

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

    @api.private
    def _desk_free_qty(self, warehouse):
        """``{product_id: free quantity}`` of the products of ``self`` in ``warehouse``: what
        Odoo's ``free_qty`` gives in the warehouse's context (on hand less reserved, in the
        product's unit), in one grouped read of the quants, without the incoming and
        outgoing moves that ``free_qty``'s computation also reads.

        When this transaction holds the desk's stock locks of the products (an approval
        about to reserve them), the quants read are row-locked by the same statement.
        Called by the stock check (``order.desk.rule``)."""
        # The warehouse's locations as ``_get_domain_locations`` finds them (below its view
        # location), found by the grouped read itself: reading the warehouse and its view
        # location first would cost two queries.
        self.env["stock.warehouse"].flush_model(["view_location_id"])
        self.env["stock.location"].flush_model(["parent_path"])
        view_path = SQL(
            "(SELECT view.parent_path FROM stock_warehouse warehouse "
            "JOIN stock_location view ON view.id = warehouse.view_location_id "
            "WHERE warehouse.id = %s)",
            warehouse.id,
        )
        locations = Query(
            self.env, "stock_location_inner", SQL.identifier("stock_location")
        )
        locations.add_where(
            SQL("stock_location_inner.parent_path LIKE (%s || '%%')", view_path)
        )
        quant_domain = [
            ("location_id", "in", locations),
            ("product_id", "in", self.ids),
        ]
        Quant = self.env["stock.quant"].with_context(active_test=False)
        cr = self.env.cr
        if set(self.ids) <= cr.cache.get(LOCKS_KEY, set()):
            # A desk path about to reserve these products (the approval) holds their stock
            # locks: the quants read are row-locked by the same statement, and the
            # reservation that follows needs no second lock (``_desk_quants_locked``).
            Quant.flush_model(["product_id", "quantity", "reserved_quantity"])
            quants = Quant._search(quant_domain)
            cr.execute(
                SQL(
                    "SELECT locked.product_id, SUM(locked.quantity), "
                    "SUM(locked.reserved_quantity), %s FROM (SELECT product_id, quantity, "
                    "reserved_quantity FROM stock_quant WHERE id IN %s ORDER BY id "
                    "FOR UPDATE) locked GROUP BY locked.product_id",
                    view_path,
                    quants.subselect(),
                ),
                log_exceptions=False,
            )
            rows = cr.fetchall()
            groups = [(self.browse(row[0]), row[1], row[2]) for row in rows]
            locked = cr.cache.setdefault(QUANT_LOCKS_KEY, {})
            for product_id, _quantity, _reserved, path in rows:
                locked.setdefault(product_id, set()).add(path)
        else:
            groups = Quant._read_group(
                quant_domain,
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        free = {product.id: 0.0 for product in self}
        for product, quantity, reserved in groups:
            free[product.id] = product.uom_id.round(quantity - reserved)
        return free

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
