"""Where is my order: lookup and Overview speed on 10,000 orders (issue 12).

Run in an Odoo shell on a database with order_desk (the demo database of `make run`):

    python3 -m odoo shell -c .run/odoo.conf -d <db> --no-http < bench/bench_order_lookup.py

Creates 10,000 orders (with deliveries, tracking numbers and invoices for a share of them)
in a transaction rolled back at the end, then times the lookup by each kind of
reference and the Overview's counts, as the demo clerk and manager. Prints one line per
measure: milliseconds (best of 5) and queries.
"""

import sys
import time

from odoo import Command

N_ORDERS = 10_000
env = env  # noqa: F821 -- provided by `odoo shell`


def measure(label, func):
    best, queries = None, None
    for _round in range(5):
        env.invalidate_all()
        before = env.cr.sql_log_count
        start = time.perf_counter()
        func()
        elapsed = (time.perf_counter() - start) * 1000
        queries = env.cr.sql_log_count - before
        best = elapsed if best is None else min(best, elapsed)
    sys.stdout.write(f"{label:<48} {best:8.1f} ms  {queries:3d} queries\n")


def build():
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {i}",
                "phone": f"+86 21 {5000 + i:04d} 7788",
                "email": f"bench{i}@example.com",
            }
            for i in range(500)
        ]
    )
    product = env["product.product"].create({"name": "Bench Chair", "type": "consu"})
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partners[i % len(partners)].id,
                "client_order_ref": f"BENCH-PO-{i:05d}",
                "order_line": [Command.create({"product_id": product.id})],
            }
            for i in range(N_ORDERS)
        ]
    )
    # A tenth of them confirmed, shipped with a tracking number and invoiced.
    shipped = orders[::10]
    shipped.sudo().action_confirm()
    for index, picking in enumerate(shipped.picking_ids):
        picking.carrier_tracking_ref = f"SFBENCH{index:06d}"
    invoices = shipped[:200]._create_invoices()
    invoices.action_post()
    env.flush_all()
    return orders, shipped, invoices


try:
    start = time.perf_counter()
    orders, shipped, invoices = build()
    sys.stdout.write(
        f"built {len(orders)} orders in {time.perf_counter() - start:.0f} s\n"
    )
    clerk = env.ref("order_desk.user_clerk_demo", raise_if_not_found=False) or env.user
    manager = (
        env.ref("order_desk.user_manager_demo", raise_if_not_found=False) or env.user
    )
    Lookup = env["sale.order"].with_user(clerk)
    references = {
        "order number": orders[4321].name,
        "customer PO": "BENCH-PO-04321",
        "delivery": shipped[7].picking_ids[:1].name,
        "tracking number": "SFBENCH000123",
        "invoice number": invoices[17].name,
        "phone (another format)": "021-5123-7788",
        "e-mail": "bench123@example.com",
        "customer name": "Bench Customer 77",
    }
    for label, reference in references.items():
        measure(
            f"lookup by {label}",
            lambda reference=reference: Lookup.action_desk_lookup(reference),
        )
    for user in (clerk, manager):
        tiles = (
            env["order.desk.overview.tile"]
            .with_user(user)
            .search([("is_mine", "=", True)])
        )
        measure(
            f"overview of {user.login} ({len(tiles)} tiles)",
            lambda t=tiles: t.mapped("count"),
        )
finally:
    env.cr.rollback()
