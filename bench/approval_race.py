"""Approvals racing for the same goods on a real multi-worker server (issue 15, part 4).

8 concurrent JSON-RPC clients approve 120 one-unit orders of 3 products of 20 units each,
against ``odoo --workers=4``. Targets: 0 errors shown to the clients, throughput at least
vanilla Odoo's (plain ``action_confirm``, which reserves, on a database without the
addon), 0 over-reservation.

    python3 bench/approval_race.py [--clients 8] [--orders 120] [--fresh]

``BENCH_LOG_LEVEL=info`` runs the servers at that log level: each call's line in
``.run/od15_bench_race_<kind>-server.log`` then gives its query count, its time in SQL
and the rest (the per-call figures of the closing notes).

Databases ``od15_bench_race_vanilla`` (Odoo's sale_stock only) and ``od15_bench_race_desk``
(order_desk, orders submitted for review, the shipped checks active; the stock check a
warning so that orders beyond the stock are approved and wait, as vanilla's do). Each
run copies them from ``*_src`` templates made once.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import benchlib as b

from odoo import Command

PORT = int(os.environ.get("BENCH_PORT", "8115"))
PRODUCTS, UNITS = 3, 20


def seed(env, desk, orders):
    env = env(context={"tracking_disable": True})
    company = env.ref("base.main_company")
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Race good {i}",
                "type": "consu",
                "is_storable": True,
                "list_price": 10.0,
            }
            for i in range(PRODUCTS)
        ]
    )
    for product in products:
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, UNITS
        )
    term = env["account.payment.term"].create({"name": "Race 30 days"})
    customers = env["res.partner"].create(
        [
            {
                "name": f"Race customer {i:03d}",
                "email": f"race{i}@example.com",
                "phone": "+86 21 5555 0000",
                "street": "1 Race Road",
                "city": "Shanghai",
                "country_id": env.ref("base.cn").id,
            }
            for i in range(orders)
        ]
    )
    sale_orders = env["sale.order"].create(
        [
            {
                "partner_id": customer.id,
                "payment_term_id": term.id,
                "commitment_date": "2099-01-01 10:00:00",
                "order_line": [
                    Command.create(
                        {"product_id": products[i % PRODUCTS].id, "product_uom_qty": 1}
                    )
                ],
            }
            for i, customer in enumerate(customers)
        ]
    )
    if desk:
        env.ref("base.user_admin").group_ids |= env.ref(
            "order_desk.group_order_desk_manager"
        )
        company.order_desk_auto_approve = False
        env["order.desk.rule"].search(
            [("check_type", "=", "stock"), ("company_id", "=", company.id)]
        ).severity = "warning"
        sale_orders.action_desk_submit()
    env.flush_all()
    return products.ids


def prepare(kind, orders, fresh):
    src = f"{b.PREFIX}race_{kind}_src"
    db = f"{b.PREFIX}race_{kind}"
    if fresh or not b.db_exists(src):
        if kind == "desk":
            b.ensure_db(b.PREFIX + "desk", "order_desk")
            b.copy_db(b.PREFIX + "desk", src)
        else:
            b.ensure_db(b.PREFIX + "vanilla", b.MODULES_VANILLA)
            b.copy_db(b.PREFIX + "vanilla", src)
        with b.environment(src) as env:
            seed(env, kind == "desk", orders)
    if kind == "desk":
        # The addon's code of this worktree on the template made once.
        b.run_odoo("server", "-d", src, "-u", "order_desk", "--stop-after-init")
    b.copy_db(src, db)
    return db


def rpc(db, uid, model, method, args):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [db, uid, "admin", model, method, args],
        },
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/jsonrpc",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def start_server(db):
    log = open(f"{b.ROOT}/.run/{db}-server.log", "w")  # noqa: SIM115 (kept open)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-c",
            b.CONF,
            "-d",
            db,
            f"--db-filter=^{db}$",
            "--workers=4",
            "--max-cron-threads=0",
            f"--http-port={PORT}",
            f"--log-level={os.environ.get('BENCH_LOG_LEVEL', 'warn')}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=os.path.join(b.ROOT, ".run"),
        start_new_session=True,
    )
    try:
        wait_for_server(log.name)
    except SystemExit:
        os.killpg(server.pid, signal.SIGTERM)
        raise
    return server


def wait_for_server(log):
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not start, see {log}")


def race(kind, clients, orders, fresh):
    db = prepare(kind, orders, fresh)
    (uid,) = b.psql(db, "SELECT id FROM res_users WHERE login = 'admin'")[0]
    order_ids = [
        row[0]
        for row in b.psql(
            db,
            "SELECT id FROM sale_order WHERE partner_id IN (SELECT id FROM res_partner "
            "WHERE name LIKE 'Race customer %') ORDER BY id",
        )
    ]
    method = "action_desk_approve" if kind == "desk" else "action_confirm"
    server = start_server(db)
    todo = queue.Queue()
    for order_id in order_ids:
        todo.put(order_id)
    errors, latencies = [], []

    def client():
        while True:
            try:
                order_id = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            answer = rpc(db, uid, "sale.order", method, [[order_id]])
            latencies.append(time.perf_counter() - started)
            if "error" in answer:
                errors.append(answer["error"]["data"]["message"][:120])

    try:
        rpc(db, uid, "res.users", "read", [[uid], ["name"]])  # warm the workers up
        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    reserved = b.psql(
        db,
        """SELECT product.id, SUM(quant.quantity), SUM(quant.reserved_quantity),
                  (SELECT SUM(move.quantity) FROM stock_move move
                    WHERE move.product_id = product.id
                      AND move.state IN ('assigned', 'partially_available'))
             FROM product_product product
             JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
             JOIN stock_quant quant ON quant.product_id = product.id
             JOIN stock_location loc ON loc.id = quant.location_id
            WHERE tmpl.name->>'en_US' LIKE 'Race good %' AND loc.usage = 'internal'
            GROUP BY product.id ORDER BY product.id""",
    )
    confirmed = b.psql(
        db,
        f"SELECT count(*) FROM sale_order WHERE state = 'sale' "
        f"AND id IN ({','.join(map(str, order_ids))})",
    )[0][0]
    over = sum(
        max(float(moves or 0) - float(qty), 0) for _p, qty, _r, moves in reserved
    )
    latencies.sort()
    print(
        f"{kind}: {len(order_ids)} orders by {clients} clients in {elapsed:.1f} s = "
        f"{len(order_ids) / elapsed:.2f} orders/s; confirmed {confirmed}; "
        f"errors shown to clients {len(errors)}; median call "
        f"{latencies[len(latencies) // 2]:.2f} s, slowest {latencies[-1]:.2f} s",
        flush=True,
    )
    for product, qty, quant_reserved, moves in reserved:
        print(
            f"  product {product}: {float(qty):.0f} units, quants reserved "
            f"{float(quant_reserved):.0f}, moves reserved {float(moves or 0):.0f}"
        )
    print(f"  over-reservation: {over:.0f} units")
    for error in sorted(set(errors)):
        print(f"  error: {error}")
    return len(order_ids) / elapsed, len(errors), over


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=120)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--only", choices=["vanilla", "desk"])
    args = parser.parse_args()
    results = {}
    for kind in ("vanilla", "desk"):
        if args.only in (None, kind):
            results[kind] = race(kind, args.clients, args.orders, args.fresh)
    if len(results) == 2:
        ok = b.ratio(
            "desk throughput / vanilla's",
            results["desk"][0],
            results["vanilla"][0],
            lower_is_better=False,
        )
        print(f"desk errors shown to clients: {results['desk'][1]} (target 0)")
        print(f"desk over-reservation: {results['desk'][2]:.0f} (target 0)")
        return 0 if ok and not results["desk"][1] and not results["desk"][2] else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
