"""Reads on a streaming replica, writes on the primary (issue 15, part 7).

Starts a PostgreSQL 15 hot standby of the worktree's cluster (``pg_basebackup -R``), both
with pg_stat_statements, runs ``odoo --workers=4 --db_replica_host=...`` and drives the
desk's entry points over JSON-RPC (``/web/dataset/call_kw``, as the web client does):
read-only ones (``@api.readonly``: availability enquiry, where-is-my-order search, KPI
grouping, list of exceptions, XLSX route) and writing ones (approvals). Then shows, from
pg_stat_activity samples and pg_stat_statements on each server, that the reads ran on the
replica and every write on the primary; and that no read-only call had to fall back to
the primary (Odoo logs "retrying with a read/write cursor" when one tries to write).

    python3 bench/replica.py [--calls 40]

Uses ``od15_bench_replica`` (a copy of the approval race's desk database, see
approval_race.py). The primary is restarted with pg_stat_statements for the run and
stopped afterwards (``make test``/``make run`` start it again as usual); the standby's
data directory (``.run/pg/standby``) is removed at the end.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import argparse
import contextlib
import http.cookiejar
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import approval_race
import benchlib as b

DB = b.PREFIX + "replica"
PORT = int(os.environ.get("BENCH_PORT", "8115"))
REPLICA_PORT = 5433
PG_AS = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
DATA = os.path.join(b.ROOT, ".run", "pg", "data")
STANDBY = os.path.join(b.ROOT, ".run", "pg", "standby")
OPTIONS = (
    f"-c listen_addresses='' -k {b.SOCK} -c fsync=off -c full_page_writes=off "
    "-c max_connections=100 -c shared_preload_libraries=pg_stat_statements "
    "-c pg_stat_statements.track=all -c track_activity_query_size=2048"
)


def pg_ctl(*args, data=DATA):
    subprocess.run(
        [*PG_AS, f"{b.PG_BIN}/pg_ctl", "-D", data, *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def psql(sql, port=5432, db=DB):
    conn = b.psycopg2.connect(host=b.SOCK, port=port, user="odoo", dbname=db)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def start_servers():
    pg_ctl("-m", "fast", "stop")
    pg_ctl("-w", "-l", f"{b.ROOT}/.run/pg/server.log", "-o", OPTIONS, "start")
    psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    shutil.rmtree(STANDBY, ignore_errors=True)
    subprocess.run(
        [
            *PG_AS,
            f"{b.PG_BIN}/pg_basebackup",
            "-h",
            b.SOCK,
            "-U",
            "odoo",
            "-D",
            STANDBY,
            "-R",
            "-X",
            "stream",
        ],
        check=True,
    )
    pg_ctl(
        "-w",
        "-l",
        f"{b.ROOT}/.run/pg/standby.log",
        "-o",
        f"{OPTIONS} -c port={REPLICA_PORT} -c hot_standby=on",
        "start",
        data=STANDBY,
    )
    (recovery,) = psql("SELECT pg_is_in_recovery()", port=REPLICA_PORT)[0]
    assert recovery, "the standby is not in recovery"
    reset_statements()


def stop_servers():
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl("-m", "fast", "stop", data=STANDBY)
    shutil.rmtree(STANDBY, ignore_errors=True)
    pg_ctl("-m", "fast", "stop")


class Client:
    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def post(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params}
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}{path}",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=300) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def login(self):
        return self.post(
            "/web/session/authenticate",
            {"db": DB, "login": "admin", "password": "admin"},
        )

    def call(self, model, method, args, kwargs=None):
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def get(self, path):
        with self.opener.open(f"http://127.0.0.1:{PORT}{path}", timeout=300) as answer:
            return answer.read()


def drive(calls):
    client = Client()
    client.login()
    order_ids = client.call(
        "sale.order", "search", [[("desk_state", "=", "to_review")]], {"limit": 200}
    )
    product_ids = client.call(
        "product.product", "search", [[("name", "like", "Race good")]]
    )
    reads = {
        "availability enquiry": lambda: client.call(
            "product.product", "desk_get_availability", [product_ids]
        ),
        "where is my order": lambda: client.call(
            "sale.order",
            "web_search_read",
            [[("name", "ilike", "S0")]],
            {
                "specification": {
                    "name": {},
                    "desk_state": {},
                    "desk_shipping_state": {},
                    "commitment_date": {},
                },
                "limit": 40,
            },
        ),
        "overview counts": lambda: client.call(
            "sale.order",
            "formatted_read_group",
            [[]],
            {"groupby": ["desk_state"], "aggregates": ["__count"]},
        ),
        "exceptions of an order": lambda: client.call(
            "sale.order", "action_view_desk_exceptions", [order_ids[:1]]
        ),
    }
    timings = {}
    for name, call in reads.items():
        started = time.perf_counter()
        for _i in range(calls):
            call()
        timings[name] = (time.perf_counter() - started) / calls
    phases = {"reads": statements_by_server()}
    reset_statements()
    started = time.perf_counter()
    for order_id in order_ids[:calls]:
        client.call("sale.order", "action_desk_approve", [[order_id]])
    timings["approve (writes)"] = (time.perf_counter() - started) / calls
    phases["approvals"] = statements_by_server()
    return timings, phases


def sample_activity(stop, samples):
    while not stop.is_set():
        for port, name in ((5432, "primary"), (REPLICA_PORT, "replica")):
            for (query,) in psql(
                f"SELECT query FROM pg_stat_activity WHERE datname = '{DB}' "
                "AND state = 'active' AND pid != pg_backend_pid()",
                port=port,
            ):
                samples.append((name, " ".join(query.split())[:100]))
        time.sleep(0.05)


def statements_by_kind(port):
    rows = psql(
        """SELECT split_part(ltrim(upper(query)), ' ', 1), sum(calls)
             FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database()
            GROUP BY 1 ORDER BY 2 DESC""",
        port=port,
    )
    return {kind: int(calls) for kind, calls in rows}


def reset_statements():
    for port in (5432, REPLICA_PORT):
        psql("SELECT pg_stat_statements_reset()", port=port)


def statements_by_server():
    return {
        name: statements_by_kind(port)
        for name, port in (("primary", 5432), ("replica", REPLICA_PORT))
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    b.copy_db(approval_race.prepare("desk", 120, False), DB)
    start_servers()
    log = f"{b.ROOT}/.run/{DB}-server.log"
    server = None
    try:
        with open(log, "w") as out:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "odoo",
                    "server",
                    "-c",
                    b.CONF,
                    "-d",
                    DB,
                    f"--db-filter=^{DB}$",
                    "--workers=4",
                    "--max-cron-threads=0",
                    f"--http-port={PORT}",
                    f"--db_replica_host={b.SOCK}",
                    f"--db_replica_port={REPLICA_PORT}",
                    "--log-level=info",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=os.path.join(b.ROOT, ".run"),
                start_new_session=True,
            )
            approval_race.wait_for_server(log)
            stop, samples = threading.Event(), []
            sampler = threading.Thread(target=sample_activity, args=(stop, samples))
            sampler.start()
            try:
                reset_statements()
                timings, phases = drive(args.calls)
            finally:
                stop.set()
                sampler.join()
        for name, seconds in timings.items():
            print(f"{name}: {seconds * 1000:.0f} ms a call")
        for phase, servers in phases.items():
            for name, kinds in servers.items():
                print(f"{phase}: pg_stat_statements on the {name}: {kinds}")
        seen = {}
        for name, query in samples:
            seen.setdefault(name, set()).add(query.split(" ")[0].upper())
        print(f"pg_stat_activity samples: {len(samples)}; statements seen: {seen}")
        with open(log) as out:
            fallbacks = sum("retrying with a read/write cursor" in line for line in out)
        print(f"read-only calls that fell back to the primary: {fallbacks} (target 0)")
        replica_writes = sum(
            calls
            for kind, calls in statements_by_kind(REPLICA_PORT).items()
            if kind in ("INSERT", "UPDATE", "DELETE")
        )
        print(f"writes on the replica: {replica_writes} (a standby refuses them)")
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        stop_servers()


if __name__ == "__main__":
    main()
