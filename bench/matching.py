"""Matching open payments with open invoices (issue 15, part 2).

Target: 100,000 open items (1,000 customers, see books.py) matched in at most 60 s, in
chunks that each commit when run as a scheduled job, with the same result as one pass.

    python3 bench/matching.py [--customers 1000] [--chunk 100] [--profile]

Without ``--chunk``: one pass, as *Match Payments First* does; ``--chunk 100`` as the
scheduled job (each chunk flushed and its records forgotten, as the job's commit does; the
bench rolls back at the end instead of committing).

Runs ``order.desk.statement._desk_auto_match`` in this process on ``od15_bench_books``
for the first ``--customers`` customers, then rolls back (the books stay open).
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=books.CUSTOMERS)
    parser.add_argument("--chunk", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    db = books.ensure_books()
    # Each run is rolled back: what it wrote is left as dead rows, which autovacuum would
    # clean up during the next run. Cleaned up first, so that runs compare.
    b.psql(
        db,
        "VACUUM ANALYZE account_move_line, account_move, account_partial_reconcile, "
        "account_full_reconcile",
        fetch=False,
    )
    with b.environment(db) as env:
        env.cr.rollback()
        company = env.ref("base.main_company")
        partners = env["res.partner"].search(
            [("name", "like", "Books customer %")], order="name", limit=args.customers
        )
        Statement = env["order.desk.statement"].with_company(company)
        items = env["account.move.line"].search_count(
            [
                ("partner_id", "in", partners.ids),
                ("reconciled", "=", False),
                ("account_type", "=", "asset_receivable"),
            ]
        )
        kwargs = {}
        if args.chunk:

            def commit(_done, _left):
                # What the scheduled job's commit does to this process (the bench rolls
                # back at the end instead): flush, then forget the chunk's records.
                env.flush_all()
                env.invalidate_all()
                return True

            kwargs = {"chunk_size": args.chunk, "commit": commit}
        queries = env.cr.sql_log_count
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        groups = Statement._desk_auto_match(
            company, partners, date(2026, 10, 31), **kwargs
        )
        env.flush_all()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        queries = env.cr.sql_log_count - queries
        left = env["account.move.line"].search_count(
            [
                ("partner_id", "in", partners.ids),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ]
        )
        print(
            f"{len(partners)} customers, {items} open items: {groups} groups matched, "
            f"{left} payments left open; {queries} queries; {elapsed:.1f} s",
            flush=True,
        )
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
            profiler.dump_stats("/tmp/order_desk_matching.prof")
            print(out.getvalue())
        env.cr.rollback()
    target = 60.0 * len(partners) / books.CUSTOMERS
    return 0 if b.ratio(f"matching {items} items (s)", elapsed, target) else 1


if __name__ == "__main__":
    raise SystemExit(main())
