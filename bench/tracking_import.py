"""Tracking import: 10,000 carrier events over 500 deliveries (issue 15, part 6).

Target: the import wizard records them in at most 10 s (a flat number of queries).

    python3 bench/tracking_import.py [--profile] [--fresh]

``od15_bench_tracking``: order_desk, 500 confirmed orders whose deliveries have left with
a tracking number each (made once through the ORM). Each run imports a CSV of 20 events
per delivery as an Order Desk user, in this process, and rolls back.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import argparse
import base64
import cProfile
import io
import pstats
import time

import benchlib as b

from odoo import Command

DB = b.PREFIX + "tracking"
DELIVERIES, EVENTS_EACH = 500, 20
STATUSES = ["picked_up", "in_transit", "in_transit", "out_for_delivery"]


def build():
    b.ensure_db(b.PREFIX + "desk", "order_desk")
    b.copy_db(b.PREFIX + "desk", DB)
    with b.environment(DB) as env:
        env = env(context={"tracking_disable": True})
        company = env.ref("base.main_company")
        company.order_desk_require_approval = False
        warehouse = env["stock.warehouse"].search([], limit=1)
        product = env["product.product"].create(
            {"name": "Tracked good", "type": "consu", "is_storable": True}
        )
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, DELIVERIES
        )
        partner = env["res.partner"].create({"name": "Tracking customer"})
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 1})
                    ],
                }
                for _i in range(DELIVERIES)
            ]
        )
        orders.action_confirm()
        pickings = orders.picking_ids
        for index, picking in enumerate(pickings):
            picking.carrier_tracking_ref = f"SF{index:08d}"
        pickings.move_ids.picked = True
        pickings._action_done()
        clerk = env["res.users"].create(
            {
                "name": "Tracking clerk",
                "login": "tracking_clerk",
                "group_ids": [
                    Command.link(env.ref("order_desk.group_order_desk_user").id)
                ],
            }
        )
        env.flush_all()
        return clerk.id


def csv_file():
    rows = ["tracking number,time,status,location,description"]
    for index in range(DELIVERIES):
        for event in range(EVENTS_EACH):
            rows.append(
                f"SF{index:08d},2026-11-{1 + event // 4:02d} {8 + event % 4 * 3:02d}:"
                f"{index % 60:02d},{STATUSES[event % 4]},Hangzhou hub {event},"
                f"Scan {event} of parcel {index}"
            )
    return "\n".join(rows).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.fresh or not b.db_exists(DB):
        build()
    data = base64.b64encode(csv_file())
    with b.environment(DB) as env:
        (clerk,) = env["res.users"].search([("login", "=", "tracking_clerk")]).ids
        env = env(user=clerk)
        wizard = env["order.desk.tracking.import.wizard"].create(
            {"file": data, "filename": "events.csv", "tz": "Asia/Shanghai"}
        )
        env.flush_all()
        env.invalidate_all()
        queries = env.cr.sql_log_count
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        wizard.action_import()
        env.flush_all()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        queries = env.cr.sql_log_count - queries
        print(
            f"{wizard.row_count} rows: {wizard.new_count} new, {wizard.known_count} "
            f"known, {wizard.error_count} refused; {queries} queries; {elapsed:.2f} s"
        )
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(30)
            stats.print_callers("_compute_related|_search\\b|_desk_parse_event")
            print(out.getvalue())
        env.cr.rollback()
    return 0 if b.ratio("import 10,000 events (s)", elapsed, 10.0) else 1


if __name__ == "__main__":
    raise SystemExit(main())
