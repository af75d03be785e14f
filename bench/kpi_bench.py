# pylint: disable=print-used
"""Benchmark of the Order Desk KPIs (not a test): 100,000 orders, then the pivot month x clerk
with every measure and the dashboard's data load, timed, with their query plans.

Usage (the worktree's private cluster must be running, e.g. during ``make run``)::

    python3 bench/kpi_bench.py --db od_kpi_bench --orders 100000

The database is created with order_desk (no demo data) when it does not exist; the orders and
what hangs on them (lines, exceptions, incidents, returns, invoices, payments, statements) are
generated in SQL once (``--regenerate`` to start again). Targets on the team's 2-core machine:
under 1 s each. Prints EXPLAIN (ANALYZE, BUFFERS) of the pivot's and the slowest dashboard
query.
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".run" / "odoo.conf"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="od_kpi_bench")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--clerks", type=int, default=20)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-explain", action="store_true")
    return parser.parse_args()


def ensure_database(db):
    import odoo
    from odoo.service import db as db_service

    if db in db_service.list_dbs(force=True):
        return
    print(f"creating {db} with order_desk (a few minutes) ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-c",
            str(CONFIG),
            "-d",
            db,
            "-i",
            "order_desk",
            "--stop-after-init",
            "--log-level=warn",
            "--http-port=0",
        ],
        check=True,
        cwd=ROOT / ".run",
    )
    del odoo


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def generate(env, args):
    from odoo import Command
    from odoo.tools import SQL

    cr = env.cr
    company = env.ref("base.main_company")
    cr.execute("SELECT COUNT(*) FROM sale_order WHERE name LIKE 'KB%%'")
    if cr.fetchone()[0]:
        if not args.regenerate:
            print("bench orders exist: reusing them (--regenerate to start again)")
            return
        print("removing the previous bench data ...", flush=True)
        for statement in (
            "DELETE FROM order_desk_statement WHERE name LIKE 'KB%%'",
            "DELETE FROM account_partial_reconcile WHERE id IN (SELECT p.id FROM "
            "account_partial_reconcile p JOIN account_move_line l ON l.id = "
            "p.debit_move_id JOIN account_move m ON m.id = l.move_id WHERE m.name LIKE "
            "'KB%%')",
            "DELETE FROM account_move WHERE name LIKE 'KB%%'",
            "DELETE FROM sale_order WHERE name LIKE 'KB%%'",
        ):
            cr.execute(statement)
    started = time.perf_counter()
    clerk_group = env.ref("order_desk.group_order_desk_user")
    users = env["res.users"].search([("login", "like", "kb_clerk_")])
    missing = args.clerks - len(users)
    if missing > 0:
        users |= (
            env["res.users"]
            .with_context(no_reset_password=True, tracking_disable=True)
            .create(
                [
                    {
                        "name": f"Bench Clerk {index:02d}",
                        "login": f"kb_clerk_{index:02d}",
                        "group_ids": [Command.link(clerk_group.id)],
                    }
                    for index in range(len(users), args.clerks)
                ]
            )
        )
    manager = env["res.users"].search([("login", "=", "kb_manager")])
    if not manager:
        manager = env["res.users"].create(
            {
                "name": "Bench Manager",
                "login": "kb_manager",
                "group_ids": [
                    Command.link(env.ref("order_desk.group_order_desk_manager").id)
                ],
            }
        )
    partners = env["res.partner"].search([("name", "like", "KB Customer")])
    if len(partners) < args.customers:
        partners |= env["res.partner"].create(
            [
                {"name": f"KB Customer {index:05d}", "email": f"kb{index}@bench.test"}
                for index in range(len(partners), args.customers)
            ]
        )
    product = env["product.product"].search([("default_code", "=", "KB-1")], limit=1)
    if not product:
        product = env["product.product"].create(
            {"name": "Bench Chair", "default_code": "KB-1", "type": "consu"}
        )
    env.flush_all()
    receivable = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)],
        limit=1,
    )
    income = env["account.account"].search(
        [("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1
    )
    sale_journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    bank_journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    rules = env["order.desk.rule"].search([("company_id", "=", company.id)])
    reasons = env["order.desk.return.reason"].search([])
    cr.execute(
        """
        INSERT INTO account_payment (journal_id, company_id, state, payment_type,
                                     partner_type, date, amount, currency_id)
        VALUES (%s, %s, 'paid', 'inbound', 'customer', CURRENT_DATE, 1, %s)
        RETURNING id
        """,
        [bank_journal.id, company.id, company.currency_id.id],
    )
    payment_id = cr.fetchone()[0]
    params = {
        "n": args.orders,
        "company": company.id,
        "currency": company.currency_id.id,
        "clerks": users.ids,
        "partners": partners.ids,
        "product": product.id,
        "uom": product.uom_id.id,
        "warehouse": warehouse.id,
        "manager": manager.id,
        "rules": rules.ids,
        "reasons": reasons.ids,
        "receivable": receivable.id,
        "income": income.id,
        "sale_journal": sale_journal.id,
        "bank_journal": bank_journal.id,
        "payment": payment_id,
    }
    print(f"generating {args.orders} orders in SQL ...", flush=True)
    # Orders: received over the last two years; 5% still in review, 5% cancelled; of the
    # approved 90% shipped (10% in two parts), 70% of those delivered.
    cr.execute(
        """
        CREATE TEMP TABLE kb AS
        SELECT n,
               (%(clerks)s::int[])[1 + n %% array_length(%(clerks)s::int[], 1)] AS clerk,
               (%(partners)s::int[])[1 + (n * 7) %% array_length(%(partners)s::int[], 1)]
                   AS partner,
               (now() AT TIME ZONE 'UTC') - make_interval(mins => (random() * 1051200)::int)
                   AS received,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4,
               random() AS r5, random() AS r6
          FROM generate_series(1, %(n)s) n
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id,
            partner_shipping_id, date_order, create_date, write_date, create_uid, write_uid,
            user_id, state, picking_policy, warehouse_id, currency_id, currency_rate,
            amount_untaxed, amount_tax, amount_total, desk_state, desk_channel,
            desk_settlement_method, priority, desk_shipping_state, desk_amounts_agree,
            desk_received_date, desk_submitted_date, desk_submitted_user_id,
            desk_approved_date, desk_approved_user_id, desk_first_shipped_date,
            desk_last_shipped_date, desk_delivered_date, desk_ship_due_date,
            desk_delivery_due_date, desk_shipped_in_full, desk_reject_count,
            desk_unlock_count)
        SELECT 'KB' || lpad(n::text, 7, '0'), %(company)s, partner, partner, partner,
               received, received, received, clerk, clerk, clerk,
               CASE WHEN r1 < 0.05 THEN 'draft' WHEN r1 < 0.10 THEN 'cancel' ELSE 'sale' END,
               'direct', %(warehouse)s, %(currency)s, 1.0,
               round((100 + r2 * 9900)::numeric, 2), 0, round((100 + r2 * 9900)::numeric, 2),
               CASE WHEN r1 < 0.05 THEN 'to_review' WHEN r1 < 0.10 THEN 'cancel'
                    WHEN r3 < 0.10 THEN 'locked' WHEN r4 < 0.70 THEN 'delivered'
                    ELSE 'shipped' END,
               (ARRAY['phone', 'email', 'web', 'edi', 'walk_in'])[1 + n %% 5],
               (ARRAY['on_account', 'prepayment', 'cod'])[1 + n %% 3],
               CASE WHEN r6 < 0.1 THEN '1' ELSE '0' END,
               CASE WHEN r1 < 0.10 THEN 'none' WHEN r3 < 0.10 THEN 'waiting'
                    WHEN r4 < 0.70 THEN 'delivered' ELSE 'shipped' END,
               r5 > 0.03,
               received,
               CASE WHEN r1 >= 0.05 AND r1 < 0.10 THEN NULL
                    ELSE received + make_interval(mins => (6 + r2 * 234)::int) END,
               CASE WHEN r1 >= 0.05 AND r1 < 0.10 THEN NULL ELSE clerk END,
               CASE WHEN r1 >= 0.10 THEN received + make_interval(mins => (60 + r5 * 2820)::int)
                    END,
               CASE WHEN r1 >= 0.10 THEN %(manager)s END,
               CASE WHEN r1 >= 0.10 AND r3 >= 0.10
                    THEN received + make_interval(hours => (50 + r6 * 110)::int) END,
               CASE WHEN r1 >= 0.10 AND r3 >= 0.10
                    THEN received + make_interval(hours => (50 + r6 * 110)::int)
                         + CASE WHEN r2 < 0.1 THEN interval '3 days' ELSE interval '0' END
                    END,
               CASE WHEN r1 >= 0.10 AND r3 >= 0.10 AND r4 < 0.70
                    THEN received + make_interval(hours => (100 + r6 * 150)::int)
                         + CASE WHEN r2 < 0.1 THEN interval '3 days' ELSE interval '0' END
                    END,
               received + make_interval(days => 5 + n %% 4),
               received + make_interval(days => 8 + n %% 4),
               CASE WHEN r1 >= 0.10 AND r3 >= 0.10 THEN r2 >= 0.1 END,
               CASE WHEN r4 < 0.03 THEN 1 ELSE 0 END,
               CASE WHEN r5 < 0.02 THEN 1 ELSE 0 END
          FROM kb
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO sale_order_line (order_id, company_id, name, product_id, product_uom_id,
            product_uom_qty, price_unit, price_subtotal, price_total, price_reduce_taxexcl,
            customer_lead, sequence, create_date, write_date)
        SELECT so.id, so.company_id, 'Bench Chair', %(product)s, %(uom)s, 2,
               so.amount_untaxed / 4, so.amount_untaxed / 2, so.amount_untaxed / 2,
               so.amount_untaxed / 4, 0, line, so.create_date, so.create_date
          FROM sale_order so, generate_series(1, 2) line
         WHERE so.name LIKE 'KB%%'
        """,
        params,
    )
    # Exceptions on 30% of the submitted orders (1 to 3 each), incidents on 3% of the shipped
    # ones, approved returns on 2%.
    cr.execute(
        """
        INSERT INTO order_desk_exception (order_id, rule_id, company_id, check_type,
            severity, message, state, create_date, write_date)
        SELECT so.id, (%(rules)s::int[])[1 + (so.id + k) %% array_length(%(rules)s::int[], 1)],
               so.company_id, 'payment_term',
               CASE WHEN (so.id + k) %% 3 = 0 THEN 'warning' ELSE 'blocking' END,
               'Bench exception',
               (ARRAY['resolved', 'overridden', 'open'])[1 + (so.id + k) %% 3],
               so.desk_submitted_date, so.desk_submitted_date
          FROM sale_order so, generate_series(1, 1 + so.id %% 3) k
         WHERE so.name LIKE 'KB%%'
           AND so.desk_submitted_date IS NOT NULL
           AND so.id %% 10 < 3
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO order_desk_incident (name, company_id, order_id, incident_type, origin,
            state, create_date, write_date)
        SELECT 'KB-INC-' || so.id, so.company_id, so.id,
               (ARRAY['stock_out', 'damage', 'lost', 'delay', 'complaint', 'address',
                      'other'])[1 + so.id %% 7],
               'manual', (ARRAY['open', 'resolved', 'cancelled'])[1 + so.id %% 3],
               so.desk_first_shipped_date, so.desk_first_shipped_date
          FROM sale_order so
         WHERE so.name LIKE 'KB%%' AND so.desk_first_shipped_date IS NOT NULL
           AND so.id %% 100 < 3
        """,
        params,
    )
    cr.execute(
        """
        WITH requests AS (
            INSERT INTO order_desk_return (name, company_id, order_id, partner_id, state,
                date_request, approved_date, create_date, write_date)
            SELECT 'KB-RMA-' || so.id, so.company_id, so.id, so.partner_id,
                   (ARRAY['approved', 'received', 'done'])[1 + so.id %% 3],
                   so.desk_last_shipped_date + interval '5 days',
                   so.desk_last_shipped_date + interval '6 days',
                   so.desk_last_shipped_date + interval '5 days',
                   so.desk_last_shipped_date + interval '5 days'
              FROM sale_order so
             WHERE so.name LIKE 'KB%%' AND so.desk_last_shipped_date IS NOT NULL
               AND so.id %% 50 = 7
            RETURNING id, order_id, company_id, state, date_request
        )
        INSERT INTO order_desk_return_line (return_id, company_id, order_id, sale_line_id,
            reason_id, quantity, condition, outcome, disposition, at_company_fault, state,
            date_request)
        SELECT requests.id, requests.company_id, requests.order_id, line.id,
               (%(reasons)s::int[])[1 + requests.id %% array_length(%(reasons)s::int[], 1)],
               1, 'sealed', 'refund', 'restock', requests.id %% 2 = 0, requests.state,
               requests.date_request
          FROM requests
          JOIN LATERAL (SELECT id FROM sale_order_line WHERE order_id = requests.order_id
                         ORDER BY id LIMIT 1) line ON TRUE
        """,
        params,
    )
    # Invoices of 80% of the shipped orders, 75% of them paid by a payment.
    cr.execute(
        """
        CREATE TEMP TABLE kb_invoice AS
        SELECT so.id AS order_id, so.partner_id, so.amount_total AS amount,
               so.desk_last_shipped_date::date AS invoice_date,
               so.id %% 4 != 0 AS paid,
               (so.desk_last_shipped_date + make_interval(days => 5 + so.id %% 40))::date
                   AS paid_date,
               nextval('account_move_id_seq') AS invoice_id,
               nextval('account_move_id_seq') AS payment_move_id,
               nextval('account_move_line_id_seq') AS product_line_id,
               nextval('account_move_line_id_seq') AS receivable_line_id,
               nextval('account_move_line_id_seq') AS payment_line_id,
               (SELECT id FROM sale_order_line WHERE order_id = so.id ORDER BY id LIMIT 1)
                   AS sale_line_id
          FROM sale_order so
         WHERE so.name LIKE 'KB%%' AND so.desk_last_shipped_date IS NOT NULL
           AND so.id %% 5 != 0
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO account_move (id, name, journal_id, company_id, currency_id, state,
            move_type, auto_post, date, invoice_date, partner_id, commercial_partner_id,
            amount_total, amount_total_signed, amount_residual, amount_residual_signed,
            payment_state, create_date, write_date)
        SELECT invoice_id, 'KB/INV/' || invoice_id, %(sale_journal)s, %(company)s,
               %(currency)s, 'posted', 'out_invoice', 'no', invoice_date, invoice_date,
               partner_id, partner_id, amount, amount,
               CASE WHEN paid THEN 0 ELSE amount END,
               CASE WHEN paid THEN 0 ELSE amount END,
               CASE WHEN paid THEN 'paid' ELSE 'not_paid' END, invoice_date, invoice_date
          FROM kb_invoice
        UNION ALL
        SELECT payment_move_id, 'KB/PAY/' || payment_move_id, %(bank_journal)s, %(company)s,
               %(currency)s, 'posted', 'entry', 'no', paid_date, NULL, partner_id,
               partner_id, amount, amount, 0, 0, 'not_paid', paid_date, paid_date
          FROM kb_invoice WHERE paid
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO account_move_line (id, move_id, company_id, journal_id, currency_id,
            company_currency_id, account_id, partner_id, date, parent_state, display_type,
            debit, credit, balance, amount_currency, amount_residual,
            amount_residual_currency, reconciled, payment_id)
        SELECT product_line_id, invoice_id, %(company)s, %(sale_journal)s, %(currency)s,
               %(currency)s, %(income)s, partner_id, invoice_date, 'posted', 'product',
               0, amount, -amount, -amount, 0, 0, FALSE, NULL::int
          FROM kb_invoice
        UNION ALL
        SELECT receivable_line_id, invoice_id, %(company)s, %(sale_journal)s, %(currency)s,
               %(currency)s, %(receivable)s, partner_id, invoice_date, 'posted',
               'payment_term', amount, 0, amount, amount,
               CASE WHEN paid THEN 0 ELSE amount END, CASE WHEN paid THEN 0 ELSE amount END,
               paid, NULL::int
          FROM kb_invoice
        UNION ALL
        SELECT payment_line_id, payment_move_id, %(company)s, %(bank_journal)s,
               %(currency)s, %(currency)s, %(receivable)s, partner_id, paid_date, 'posted',
               'product', 0, amount, -amount, -amount, 0, 0, TRUE, %(payment)s
          FROM kb_invoice WHERE paid
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO sale_order_line_invoice_rel (order_line_id, invoice_line_id)
        SELECT sale_line_id, product_line_id FROM kb_invoice;
        INSERT INTO account_partial_reconcile (debit_move_id, credit_move_id, company_id,
            amount, debit_amount_currency, credit_amount_currency, max_date,
            debit_currency_id, credit_currency_id)
        SELECT receivable_line_id, payment_line_id, %(company)s, amount, amount, amount,
               paid_date, %(currency)s, %(currency)s
          FROM kb_invoice WHERE paid
        """,
        params,
    )
    # Statements: each customer, each quarter of the first year, listing its invoices.
    cr.execute(
        """
        WITH periods AS (
            SELECT DISTINCT partner_id, date_trunc('quarter', invoice_date)::date AS start
              FROM kb_invoice
             WHERE invoice_date < (now() - interval '1 year')
        ), statements AS (
            INSERT INTO order_desk_statement (name, partner_id, company_id, state,
                date_from, date_to, sent_date, confirmed_date, create_date, write_date)
            SELECT 'KB ' || partner_id || ' ' || start, partner_id, %(company)s,
                   CASE WHEN partner_id %% 10 = 0 THEN 'disputed' ELSE 'confirmed' END,
                   start, (start + interval '3 months' - interval '1 day')::date,
                   start + interval '3 months 2 days',
                   CASE WHEN partner_id %% 10 != 0
                        THEN start + interval '3 months 6 days' END,
                   start + interval '3 months 1 day', start + interval '3 months 1 day'
              FROM periods
            RETURNING id, partner_id, date_from, date_to, state
        ), lines AS (
            INSERT INTO order_desk_statement_line (statement_id, company_id, date, move_id,
                entry_type, debit, credit, balance)
            SELECT statements.id, %(company)s, kb_invoice.invoice_date,
                   kb_invoice.invoice_id, 'invoice', kb_invoice.amount, 0, kb_invoice.amount
              FROM statements
              JOIN kb_invoice ON kb_invoice.partner_id = statements.partner_id
               AND kb_invoice.invoice_date BETWEEN statements.date_from AND statements.date_to
            RETURNING statement_id
        )
        INSERT INTO order_desk_statement_dispute (statement_id, company_id, amount, reason,
            state, create_date, write_date)
        SELECT id, %(company)s, 10, 'Bench dispute', 'open', date_to + interval '8 days',
               date_to + interval '8 days'
          FROM statements WHERE state = 'disputed'
        """,
        params,
    )
    cr.execute("ANALYZE")
    env.invalidate_all()
    for table in (
        "sale_order",
        "sale_order_line",
        "order_desk_exception",
        "order_desk_incident",
        "order_desk_return_line",
        "account_move",
        "account_move_line",
        "account_partial_reconcile",
        "order_desk_statement_line",
    ):
        cr.execute(SQL("SELECT COUNT(*) FROM %s", SQL.identifier(table)))
        print(f"  {table}: {cr.fetchone()[0]} rows")
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)


# ----------------------------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------------------------
@contextmanager
def capture(cr, statements):
    """Record the report's SQL statements run inside the block."""
    original = cr.execute

    def execute(query, params=None, log_exceptions=True):
        text = str(query.code if hasattr(query, "code") else query)
        if "order_desk_kpi_report" in text or "order_desk_exception" in text:
            statements.append((query, params))
        return original(query, params, log_exceptions)

    cr.execute = execute
    try:
        yield
    finally:
        cr.execute = original


def timed(function, runs):
    durations = []
    for _run in range(runs):
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return durations


def explain(cr, statement):
    from odoo.tools import SQL

    query, params = statement
    if isinstance(query, SQL):
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
    else:
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
    return "\n".join(row[0] for row in cr.fetchall())


def measures(Report):
    return [
        f"{name}:{field.aggregator or 'sum'}"
        for name, field in Report._fields.items()
        if field.type in ("integer", "float", "monetary")
        and name != "id"
        and field.store is not False
        and not name.startswith("target_")
    ]


def pivot(Report):
    """The pivot view's call: month x clerk with every measure (one grouping-sets query)."""
    return Report.formatted_read_grouping_sets(
        [["desk_state", "!=", "cancel"]],
        [[], ["date:month"], ["clerk_id"], ["date:month", "clerk_id"]],
        measures(Report),
    )


def dashboard(env, Report, timings=None):
    """The dashboard's data sources, as the spreadsheet asks them for the last 90 days;
    ``timings`` (a list) receives (source, seconds) of each."""
    from datetime import datetime, timedelta

    start = (datetime.now() - timedelta(days=90)).strftime("%Y-%m-%d 00:00:00")

    def since(field):
        return [[field, ">=", start]]

    results = []

    def run(label, function, *args, **kwargs):
        started = time.perf_counter()
        results.append(function(*args, **kwargs))
        if timings is not None:
            timings.append((label, time.perf_counter() - started))

    for field, aggregates, domain in (
        ("date_shipped", ["shipped_on_time_rate:avg"], []),
        ("date_delivered", ["otif_rate:avg"], []),
        ("date_approved", ["approval_hours:avg"], []),
        ("date_submitted", ["first_pass_rate:avg"], []),
        ("date_returned", ["returned_order_count:sum"], []),
        ("date_first_shipped", ["first_shipped_count:sum"], []),
        ("date", [f"{t}:avg" for t in ("target_on_time", "target_otif")], []),
        (None, ["order_count:sum"], [["late_now", "=", True]]),
    ):
        run(
            f"tile {aggregates[0]} by {field}",
            Report.formatted_read_grouping_sets,
            (since(field) if field else []) + domain,
            [[]],
            aggregates,
        )
    for field, measure in (
        ("date_shipped", "shipped_on_time_rate:avg"),
        ("date_delivered", "otif_rate:avg"),
        ("date_approved", "approval_hours:avg"),
        ("date", "order_count:sum"),
    ):
        run(
            f"chart {measure} by {field}:week",
            Report.formatted_read_group,
            [*since(field), ["desk_state", "!=", "cancel"]],
            [f"{field}:week"],
            [measure],
        )
    run(
        "pivot exceptions by rule",
        env["order.desk.exception"].formatted_read_grouping_sets,
        [["order_id.desk_submitted_date", ">=", start]],
        [[], ["rule_id"]],
        ["__count"],
    )
    run(
        "pivot return lines by reason",
        env["order.desk.return.line"].formatted_read_grouping_sets,
        [
            ["return_id.approved_date", ">=", start],
            ["state", "in", ["approved", "received", "done"]],
        ],
        [[], ["reason_id"]],
        ["quantity:sum"],
    )
    run(
        "list late now",
        Report.web_search_read,
        [["late_now", "=", True]],
        {
            name: {}
            for name in ("partner_id", "name", "date_due", "clerk_id", "days_late")
        },
        limit=10,
        order="date_due ASC",
    )
    return results


def main():
    args = parse_args()
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", str(CONFIG), "--log-level=warn"])
    ensure_database(args.db)
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        generate(env, args)
    with registry.cursor() as cr:
        # What the install hook does on a live database: the timeline, line counts and
        # payment dates of the orders in SQL (here those the generator left empty).
        env = api.Environment(cr, SUPERUSER_ID, {})
        started = time.perf_counter()
        env["sale.order"]._desk_init_timeline()
        print(
            f"timeline fill in SQL: {time.perf_counter() - started:.1f} s", flush=True
        )
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        manager = env["res.users"].search([("login", "=", "kb_manager")])
        # As a desk manager, through the access rules, as the web client asks.
        env = env(user=manager.id, su=False, context={"tz": "UTC", "lang": "en_US"})
        Report = env["order.desk.kpi.report"]
        print(f"orders in the report: {Report.search_count([])}")
        pivot(Report)  # warm-up
        pivot_times = timed(lambda: pivot(Report), args.runs)
        dashboard(env, Report)  # warm-up
        dashboard_times = timed(lambda: dashboard(env, Report), args.runs)
        timings = []
        dashboard(env, Report, timings)
        groups = pivot(Report)
        print(
            f"pivot month x clerk, {len(measures(Report))} measures, "
            f"{len(groups[3])} cells: best {min(pivot_times):.3f} s, "
            f"median {statistics.median(pivot_times):.3f} s (target < 1 s)"
        )
        print(
            f"dashboard data load (15 data sources, sequential): best "
            f"{min(dashboard_times):.3f} s, median "
            f"{statistics.median(dashboard_times):.3f} s (target < 1 s)"
        )
        for label, seconds in sorted(timings, key=lambda item: -item[1]):
            print(f"    {seconds * 1000:7.1f} ms  {label}")
        if not args.no_explain:
            statements = []
            with capture(cr, statements):
                pivot(Report)
            print("\n--- EXPLAIN ANALYZE: pivot month x clerk, every measure ---")
            print(explain(cr, statements[-1]))
            statements = []
            with capture(cr, statements):
                dashboard(env, Report)
            slowest = None
            for statement in statements:
                started = time.perf_counter()
                explain(cr, statement)
                duration = time.perf_counter() - started
                if not slowest or duration > slowest[0]:
                    slowest = (duration, statement)
            print("\n--- EXPLAIN ANALYZE: slowest dashboard query ---")
            print(explain(cr, slowest[1]))
        cr.rollback()
    del odoo


if __name__ == "__main__":
    main()
