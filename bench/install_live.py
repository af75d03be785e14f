"""Install order_desk on a live database: 100,000 existing orders (issue 15, part 3).

Target: ``-i order_desk`` takes at most 2 minutes and writes no ``mail.message``.

    python3 bench/install_live.py [--orders 100000] [--fresh]

Builds once ``od15_bench_live_src``: Odoo without the addon (sale, stock, delivery,
account), a few dozen orders made through the ORM (draft, sent, confirmed and waiting,
delivered, invoiced, paid, cancelled), then cloned in SQL up to ``--orders`` orders with
their lines, deliveries, moves and invoices. Each run copies it to ``od15_bench_live``,
installs the addon there and reports the time, the mail.message count before and after,
and a check of the desk columns against the sale states.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import argparse
import time

import benchlib as b
import psycopg2

from odoo import Command

SRC = b.PREFIX + "live_src"
DB = b.PREFIX + "live"


def seed(env, stamp):
    """A few dozen orders in every state, through the ORM."""
    env = env(context={"tracking_disable": True})
    warehouse = env["stock.warehouse"].search([], limit=1)
    goods = env["product.product"].create(
        [
            {
                "name": f"Bench good {i}",
                "type": "consu",
                "is_storable": True,
                "list_price": 10.0 + i,
                "invoice_policy": "delivery" if i % 2 else "order",
            }
            for i in range(4)
        ]
    )
    service = env["product.product"].create(
        {"name": "Bench service", "type": "service", "list_price": 50.0}
    )
    for product in goods:
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 100000
        )
    partner = env["res.partner"].create({"name": f"Bench live customer {stamp}"})
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {"product_id": goods[i % 4].id, "product_uom_qty": 1 + i % 3}
                    ),
                    Command.create(
                        {"product_id": goods[(i + 1) % 4].id, "product_uom_qty": 2}
                    ),
                    Command.create({"product_id": service.id, "product_uom_qty": 1}),
                ],
            }
            for i in range(40)
        ]
    )
    # 0-7 draft, 8-9 sent, 10-39 confirmed; of those 18-39 delivered, 24-39 invoiced,
    # 30-39 paid; 16-17 cancelled.
    orders[8:10].write({"state": "sent"})
    confirmed = orders[10:40]
    confirmed.action_confirm()
    orders[16:18]._action_cancel()
    delivered = orders[18:40]
    for picking in delivered.picking_ids:
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
    invoiced = orders[24:40]
    invoices = invoiced._create_invoices()
    invoices.action_post()
    for invoice in invoices[6:]:
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
    env.flush_all()
    return orders


CLONES = [
    # table, map name, {column: map of the referenced table}, columns suffixed
    ("sale_order", "so", {}, ["name"]),
    ("sale_order_line", "sol", {"order_id": "so"}, []),
    ("account_move", "am", {}, ["name"]),
    ("account_move_line", "aml", {"move_id": "am"}, []),
    ("stock_picking", "sp", {"sale_id": "so"}, ["name"]),
    ("stock_move", "sm", {"picking_id": "sp", "sale_line_id": "sol"}, []),
]


def clone(cr, copies):
    """Each seed order (and its lines, deliveries, moves, invoices) ``copies`` times,
    through one session's cursor ``cr`` (the maps are temporary tables)."""
    cr.execute(f"CREATE TEMP TABLE copies AS SELECT generate_series(1, {copies}) AS k")
    # The seed rows of each table: the bench's own orders and what hangs on them.
    cr.execute(
        """CREATE TEMP TABLE seed_so AS SELECT id FROM sale_order
            WHERE partner_id IN (SELECT id FROM res_partner
                                  WHERE name LIKE 'Bench live customer %%')"""
    )
    cr.execute(
        "CREATE TEMP TABLE seed_sol AS SELECT id FROM sale_order_line "
        "WHERE order_id IN (SELECT id FROM seed_so)"
    )
    cr.execute(
        "CREATE TEMP TABLE seed_sp AS SELECT id FROM stock_picking "
        "WHERE sale_id IN (SELECT id FROM seed_so)"
    )
    cr.execute(
        "CREATE TEMP TABLE seed_sm AS SELECT id FROM stock_move "
        "WHERE picking_id IN (SELECT id FROM seed_sp)"
    )
    cr.execute(
        """CREATE TEMP TABLE seed_am AS SELECT DISTINCT aml.move_id AS id
             FROM sale_order_line_invoice_rel rel
             JOIN account_move_line aml ON aml.id = rel.invoice_line_id
            WHERE rel.order_line_id IN (SELECT id FROM seed_sol)"""
    )
    cr.execute(
        "CREATE TEMP TABLE seed_aml AS SELECT id FROM account_move_line "
        "WHERE move_id IN (SELECT id FROM seed_am)"
    )
    for table, key, _fks, _suffixed in CLONES:
        cr.execute(
            f"""CREATE TEMP TABLE map_{key} AS
                SELECT s.id AS old, c.k, nextval('{table}_id_seq') AS new
                  FROM seed_{key} s, copies c"""
        )
        cr.execute(f"CREATE INDEX ON map_{key} (old, k)")
    for table, key, fks, suffixed in CLONES:
        cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = %s AND column_name != 'id'
                ORDER BY ordinal_position""",
            (table,),
        )
        columns = [row[0] for row in cr.fetchall()]
        exprs, joins = [], []
        for column in columns:
            if column in fks:
                ref = fks[column]
                joins.append(
                    f"LEFT JOIN map_{ref} m_{column} ON m_{column}.old = t.{column} "
                    f"AND m_{column}.k = m.k"
                )
                exprs.append(f"COALESCE(m_{column}.new, t.{column})")
            elif column in suffixed:
                exprs.append(f"t.{column} || '-' || m.k")
            else:
                exprs.append(f"t.{column}")
        cr.execute(
            f"""INSERT INTO {table} (id, {", ".join(columns)})
                SELECT m.new, {", ".join(exprs)}
                  FROM {table} t JOIN map_{key} m ON m.old = t.id
                  {" ".join(joins)}"""
        )
    cr.execute(
        """INSERT INTO sale_order_line_invoice_rel (order_line_id, invoice_line_id)
           SELECT sol.new, aml.new
             FROM sale_order_line_invoice_rel rel
             JOIN map_sol sol ON sol.old = rel.order_line_id
             JOIN map_aml aml ON aml.old = rel.invoice_line_id AND aml.k = sol.k"""
    )


def build(orders):
    b.ensure_db(b.PREFIX + "vanilla", b.MODULES_VANILLA)
    b.copy_db(b.PREFIX + "vanilla", SRC)
    with b.environment(SRC) as env:
        seeds = seed(env, "src")
        count = len(seeds)
    copies = max(orders // count - 1, 0)
    started = time.perf_counter()
    conn = psycopg2.connect(host=b.SOCK, user="odoo", dbname=SRC)
    with conn, conn.cursor() as cr:
        clone(cr, copies)
    conn.close()
    b.psql(SRC, "VACUUM ANALYZE", fetch=False)
    print(
        f"[bench] cloned {count} seed orders x {copies} in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.fresh or not b.db_exists(SRC):
        build(args.orders)
    b.copy_db(SRC, DB)
    (orders,) = b.psql(DB, "SELECT count(*) FROM sale_order")[0]
    (messages_before,) = b.psql(DB, "SELECT COALESCE(max(id), 0) FROM mail_message")[0]
    log = f"{b.ROOT}/.run/{DB}-install.log"
    elapsed = b.run_odoo(
        "server", "-d", DB, "-i", "order_desk", "--stop-after-init", log=log
    )
    # Messages on the records that existed before (orders, deliveries, partners...), and
    # Odoo's own creation notes of the records the install adds (its scheduled actions).
    written = b.psql(
        DB,
        f"""SELECT model, count(*) FROM mail_message WHERE id > {messages_before}
             GROUP BY model ORDER BY model""",
    )
    states = b.psql(
        DB,
        """SELECT state, desk_state, desk_shipping_state, count(*) FROM sale_order
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    )
    print(f"orders: {orders}; install log: {log}")
    for row in states:
        print(f"  state {row[0]:<7} desk {row[1]:<9} shipping {row[2]:<8} {row[3]:>7}")
    new = {"ir.cron", "ir.actions.server"}
    on_existing = sum(count for model, count in written if model not in new)
    print(f"mail.message written: {dict(written)}")
    print(
        f"mail.message on records that existed before the install: {on_existing} "
        "(target 0)"
    )
    b.ratio("install -i order_desk (s)", elapsed, 120.0)


if __name__ == "__main__":
    main()
