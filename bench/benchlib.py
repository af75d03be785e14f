"""Shared helpers of the bench scripts: the worktree's private PostgreSQL cluster (started
through tools/common.sh), template databases, and an in-process Odoo registry.

Benchmarks are run by hand (``python3 bench/<name>.py``), never by ``make test``. Their
databases are named ``od15_bench_*`` by default (``BENCH_PREFIX`` to change it); each script
generates its data once and reuses it (``--fresh`` to rebuild)."""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import contextlib
import os
import subprocess
import sys
import time

import psycopg2

from odoo import api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = os.environ.get("BENCH_PREFIX", "od15_bench_")
MODULES_VANILLA = "sale_management,sale_stock,stock_delivery,account"


def shell_env():
    """Start the cluster (no-op when running) and return (odoo.conf path, PG socket dir)."""
    out = subprocess.run(
        [
            "bash",
            "-c",
            f"source {ROOT}/tools/common.sh; find_odoo; start_postgres; "
            'echo "$ODOO_CONF"; echo "${PG_SOCK:-}"; echo "${PG_BIN:-}"',
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return out[0], out[1], out[2]


CONF, SOCK, PG_BIN = shell_env()


def psql(db, sql, fetch=True):
    conn = psycopg2.connect(host=SOCK, user="odoo", dbname=db)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
            return cr.fetchall() if fetch and cr.description else None
    finally:
        conn.close()


def db_exists(db):
    return bool(psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"))


def drop_db(db):
    psql(
        "postgres",
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'",
    )
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}"', fetch=False)


def copy_db(template, db):
    drop_db(db)
    psql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{template}'",
    )
    psql("postgres", f'CREATE DATABASE "{db}" TEMPLATE "{template}"', fetch=False)


def run_odoo(*args, log=None, check=True):
    """Run ``python3 -m odoo <args>`` with the worktree's configuration."""
    cmd = [sys.executable, "-m", "odoo", args[0], "-c", CONF, *args[1:]]
    started = time.perf_counter()
    with open(log or os.devnull, "w") as out:
        proc = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            cwd=os.path.join(ROOT, ".run"),
        )
    if check and proc.returncode:
        raise SystemExit(f"odoo {' '.join(args)} failed, see {log}")
    return time.perf_counter() - started


def ensure_db(db, modules, fresh=False):
    """A database with ``modules`` installed (no demo data), made once."""
    if fresh:
        drop_db(db)
    if not db_exists(db):
        log = f"{ROOT}/.run/{db}-install.log"
        print(f"[bench] installing {modules} on {db} (log {log}) ...", flush=True)
        run_odoo("server", "-d", db, "-i", modules, "--stop-after-init", log=log)
    return db


@contextlib.contextmanager
def environment(db, uid=1, context=None):
    """An Odoo environment on ``db`` in this process; commits on success."""
    config.parse_config(["-c", CONF])
    registry = Registry(db)
    try:
        with registry.cursor() as cr:
            yield api.Environment(cr, uid, dict(context or {}))
    finally:
        Registry.delete(db)
        sql_db.close_db(db)


def ratio(label, value, target, lower_is_better=True):
    r = value / target if target else float("inf")
    ok = r <= 1 if lower_is_better else r >= 1
    print(
        f"{label}: {value:.2f} / target {target:.2f} = {r:.2f}x "
        f"{'OK' if ok else 'MISSED'}",
        flush=True,
    )
    return ok
