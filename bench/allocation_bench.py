"""Benchmark of a stock allocation run: 500 products, 10,000 open order lines.

Run against a database where order_desk is installed (``make run`` makes one), with the
configuration file the commands write (``.run/odoo.conf``)::

    python3 bench/allocation_bench.py -c .run/odoo.conf -d order_desk_demo
    python3 bench/allocation_bench.py -c .run/odoo.conf -d od_14 --lines 2000 --apply

It creates the products, customers, and approved orders (confirmed while nothing is in
stock, so nothing is reserved), then stock for about half the demand and a receipt for a
third of the products, and times *Propose* (and *Apply* with ``--apply``) with their query
counts. Everything is rolled back at the end.
"""

# A command-line benchmark prints its figures.
# pylint: disable=print-used

import argparse
import logging
import time

_logger = logging.getLogger("allocation_bench")


def build(env, products_count, lines_count, lines_per_order=5):
    from odoo import Command

    company = env.company
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench allocation product {i}",
                "default_code": f"BALLOC{i:04d}",
                "type": "consu",
                "is_storable": True,
                "list_price": 10.0 + i % 7,
            }
            for i in range(products_count)
        ]
    )
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench allocation customer {i}",
                "is_company": True,
                "desk_rank": "abc"[i % 3],
                "email": f"bench{i}@allocation.test",
            }
            for i in range(200)
        ]
    )
    orders_count = max(lines_count // lines_per_order, 1)
    started = time.perf_counter()
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partners[i % len(partners)].id,
                "warehouse_id": warehouse.id,
                "priority": "1" if i % 10 == 0 else "0",
                "commitment_date": f"2099-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00",
                "order_line": [
                    Command.create(
                        {
                            "product_id": products[
                                (i * lines_per_order + j) % products_count
                            ].id,
                            "product_uom_qty": 1 + (i + j) % 4,
                        }
                    )
                    for j in range(lines_per_order)
                ],
            }
            for i in range(orders_count)
        ]
    )
    # Confirmed as the desk's approval does (reservation deferred: its marker is an object,
    # no context key a caller could send), in chunks.
    from odoo.addons.order_desk.models.stock_move import DEFER_RESERVATION

    for start in range(0, len(orders), 200):
        chunk = orders[start : start + 200]
        chunk.with_context(
            order_desk_defer_reservation=DEFER_RESERVATION,
            tracking_disable=True,
            mail_notrack=True,
        ).action_confirm()
        chunk.sudo().write({"desk_state": "locked"})
        env.flush_all()
        env.invalidate_all()
    _logger.info(
        "%s orders confirmed in %.1f s", len(orders), time.perf_counter() - started
    )
    demand = {}
    for line in orders.order_line:
        demand[line.product_id] = (
            demand.get(line.product_id, 0.0) + line.product_uom_qty
        )
    for product, quantity in demand.items():
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, quantity // 2
        )
    supplier = env.ref("stock.stock_location_suppliers")
    receipt_products = products[::3]
    picking = env["stock.picking"].create(
        {
            "picking_type_id": warehouse.in_type_id.id,
            "location_id": supplier.id,
            "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": demand.get(product, 0.0) // 3 + 1,
                        "location_id": supplier.id,
                        "location_dest_id": warehouse.lot_stock_id.id,
                    }
                )
                for product in receipt_products
            ],
        }
    )
    picking.action_confirm()
    env.flush_all()
    return warehouse, products, orders


def measure(env, label, func):
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    func()
    env.flush_all()
    elapsed = time.perf_counter() - started
    queries = env.cr.sql_log_count - queries
    print(f"{label}: {elapsed:.2f} s, {queries} queries")
    return elapsed, queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--method", default="sequential")
    parser.add_argument("--take-back", action="store_true")
    parser.add_argument("--apply", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile of Propose")
    args = parser.parse_args()

    import odoo
    from odoo import SUPERUSER_ID, Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    logging.basicConfig(level=logging.INFO)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        started = time.perf_counter()
        warehouse, products, orders = build(env, args.products, args.lines)
        print(
            f"data: {len(products)} products, {len(orders.order_line)} open lines in "
            f"{len(orders)} orders, built in {time.perf_counter() - started:.1f} s"
        )
        allocation = env["order.desk.allocation"].create(
            {
                "warehouse_id": warehouse.id,
                "product_ids": [Command.set(products.ids)],
                "date_to": False,
                "method": args.method,
                "take_back": args.take_back,
            }
        )
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        measure(env, f"propose ({args.method})", allocation.action_propose)
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        print(
            f"proposal: {len(allocation.line_ids)} lines, "
            f"{allocation.qty_allocated:.0f} allocated now, "
            f"{allocation.qty_incoming:.0f} from the receipt, "
            f"{allocation.qty_short:.0f} short"
        )
        measure(env, "propose again", allocation.action_propose)
        if args.apply:
            measure(env, "apply", allocation.action_apply)
        cr.rollback()


if __name__ == "__main__":
    main()
