"""Statements of account for 1,000 customers (issue 15, part 1).

Targets: October (13,000 items in the period, 87,000 before) <= 5 s; January-October
(100,000 statement lines) <= 20 s; the query count does not grow (``TestStatementVolume``).

    python3 bench/statements.py [--profile] [--fresh]

Runs ``order.desk.statement._desk_generate`` in this process on ``od15_bench_books``
(see books.py) and rolls back, so the books are reused. ``--profile`` prints the top of a
cProfile of each run.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import argparse
import cProfile
import io
import pstats
import time
from datetime import date

import benchlib as b
import books


def explaining(env):
    """Print the plan (EXPLAIN ANALYZE) of every statement that takes over 0.2 s."""
    cr = env.cr
    execute = cr.execute

    def explain(query, params=None, log_exceptions=True):
        started = time.perf_counter()
        savepoint = "bench_explain"
        execute(f"SAVEPOINT {savepoint}")
        result = execute(query, params, log_exceptions)
        if time.perf_counter() - started > 0.2:
            # Undo, show the plan of a second run (undone too), then run it for good.
            execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            sql = query.code if hasattr(query, "code") else query
            args = query.params if hasattr(query, "params") else params
            execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", args)
            print("\n".join(row[0] for row in cr.fetchall()), flush=True)
            execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            result = execute(query, params, log_exceptions)
        return result

    cr.execute = explain


def run(env, date_from, date_to, profile):
    company = env.ref("base.main_company")
    Statement = env["order.desk.statement"].with_company(company)
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    statements = Statement._desk_generate(company, date_from, date_to)
    env.flush_all()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    queries = env.cr.sql_log_count - queries
    lines = env["order.desk.statement.line"].search_count(
        [("statement_id", "in", statements.ids)]
    )
    messages = env["mail.message"].search_count(
        [("model", "=", "order.desk.statement"), ("res_id", "in", statements.ids)]
    )
    print(
        f"{date_from} - {date_to}: {len(statements)} statements, {lines} lines, "
        f"{queries} queries, {messages} chatter messages, {elapsed:.2f} s",
        flush=True,
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    env.cr.rollback()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--update", action="store_true", help="upgrade order_desk on the books first"
    )
    args = parser.parse_args()
    db = books.ensure_books(args.fresh)
    if args.update:
        b.run_odoo("server", "-d", db, "-u", "order_desk", "--stop-after-init")
    with b.environment(db) as env:
        env.cr.rollback()
        if args.explain:
            explaining(env)
        month = run(env, date(2026, 10, 1), date(2026, 10, 31), args.profile)
        year = run(env, date(2026, 1, 1), date(2026, 10, 31), args.profile)
    ok = b.ratio("October, 1,000 customers (s)", month, 5.0)
    ok &= b.ratio("January-October, 100,000 lines (s)", year, 20.0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
