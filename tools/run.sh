#!/usr/bin/env bash
# make run: Odoo 19 with order_desk and its demo data on a local database, served on localhost.
# Says what it does and how long each step takes; installs on the first run, updates the addon
# only when its files changed since the last run, and prints the URL once the server answers.
source "$(dirname "$0")/common.sh"
DB=${ORDER_DESK_DB:-order_desk_demo}
PORT=${ORDER_DESK_PORT:-8069}
STAMP="$RUN_DIR/run-$DB.addon-hash"
LOG="$RUN_DIR/run-install.log"
SERVER_LOG="$RUN_DIR/run-server.log"

say() { printf 'order_desk: %s\n' "$*"; }
step_start() { STEP_T0=$(date +%s); printf 'order_desk: %s ... ' "$*"; }
step_done() { printf 'done in %ss\n' "$(($(date +%s) - STEP_T0))"; }

# What Odoo loads from the addon (code, data, views, translations, assets): a change there
# needs an update of the database; tests, tools and the README do not.
addon_hash() {
    (cd "$REPO_ROOT" && find . \( -path ./.run -o -path ./.git -o -path ./tests -o -path ./tools \
        -o -path ./.ci -o -name __pycache__ \) -prune -o -type f ! -name '*.md' -print0 \
        | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
}

# "missing", "installed" or another module state, and whether both Chinese are active.
db_status() {
    "$PY" - "$DB" <<'PY'
import os, sys
import psycopg2
conf = {}
for line in open(os.environ["ODOO_CONF"]):
    if "=" in line:
        key, value = (part.strip() for part in line.split("=", 1))
        conf[key] = value
params = {"dbname": sys.argv[1]}
if conf.get("db_host"):
    params["host"] = conf["db_host"]
if conf.get("db_port"):
    params["port"] = conf["db_port"]
if conf.get("db_user"):
    params["user"] = conf["db_user"]
if conf.get("db_password"):
    params["password"] = conf["db_password"]
try:
    cnx = psycopg2.connect(**params)
except psycopg2.OperationalError:
    print("missing no")
    sys.exit(0)
with cnx, cnx.cursor() as cr:
    try:
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'order_desk'")
        row = cr.fetchone()
        cr.execute("SELECT count(*) FROM res_lang WHERE active AND code IN ('zh_CN', 'zh_TW')")
        langs = cr.fetchone()[0]
    except psycopg2.Error:
        row, langs = None, 0
print(row[0] if row else "uninstalled", "yes" if langs == 2 else "no")
PY
}

# Polls the server until it answers, then prints where to go; gives up with the server.
announce_when_ready() {
    local server_pid=$1 started
    started=$(date +%s)
    while kill -0 "$server_pid" 2>/dev/null; do
        if "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
                "http://127.0.0.1:$PORT/web/login" >/dev/null 2>&1; then
            cat <<MSG
order_desk: the server answers (started in $(($(date +%s) - started))s).

  Order Desk is ready:  http://localhost:$PORT/odoo
  database: $DB    login: admin / admin    demo users: clerk / clerk, manager / manager
  Customer portal:      http://localhost:$PORT/my    login: customer / customer
  (简体中文: http://localhost:$PORT/zh_CN/my; each user picks the language in their preferences)
  Server log: $SERVER_LOG    Stop with Ctrl+C.

MSG
            return 0
        fi
        sleep 1
    done
}

find_odoo
# Something else answering on the port would be taken for this server.
if "$PY" -c "import socket, sys; sys.exit(socket.socket().connect_ex(('127.0.0.1', int(sys.argv[1]))) != 0)" \
        "$PORT" 2>/dev/null; then
    die "port $PORT is already in use (another Odoo?): stop it, or choose another with ORDER_DESK_PORT."
fi
step_start "starting PostgreSQL"
start_postgres
step_done
trap stop_postgres EXIT
export ODOO_CONF

read -r module_state chinese <<<"$(db_status)"
hash=$(addon_hash)
if [ "$module_state" != "installed" ]; then
    # First run: a new database with demo data (an existing one without the addon gets it).
    step_start "installing order_desk with its demo data on database $DB (first run, about 1 to 2 minutes)"
    odoo_cmd server "${COMMON[@]}" -d "$DB" --stop-after-init --log-level=warn \
        -i order_desk --with-demo >"$LOG" 2>&1 || { echo; die "installing order_desk failed, see $LOG"; }
    step_done
    echo "$hash" >"$STAMP"
elif [ "$(cat "$STAMP" 2>/dev/null)" != "$hash" ]; then
    step_start "the addon changed since the last run: updating order_desk on $DB (about a minute)"
    odoo_cmd server "${COMMON[@]}" -d "$DB" --stop-after-init --log-level=warn \
        -u order_desk >"$LOG" 2>&1 || { echo; die "updating order_desk failed, see $LOG"; }
    step_done
    echo "$hash" >"$STAMP"
else
    say "database $DB already has this version of order_desk: no update needed."
fi
if [ "$chinese" != "yes" ]; then
    # Chinese (Simplified and Traditional) next to English; each user picks one.
    step_start "loading Chinese (zh_CN, zh_TW) (under a minute)"
    odoo_cmd i18n loadlang "${COMMON[@]}" -d "$DB" -l zh_CN zh_TW >>"$LOG" 2>&1 \
        || { echo; die "loading the Chinese languages failed, see $LOG"; }
    step_done
fi

say "starting Odoo on port $PORT (about 10 seconds); the URL follows once it answers ..."
(cd "$RUN_DIR" && exec "$PY" -m odoo server "${COMMON[@]}" -d "$DB" --http-port="$PORT" \
    --logfile="$SERVER_LOG") &
server=$!
announce_when_ready "$server" &
watcher=$!
# Ctrl+C stops the server; the cluster is stopped on the way out.
trap 'kill "$server" "$watcher" 2>/dev/null; wait "$server" 2>/dev/null; stop_postgres' EXIT
trap 'exit 130' INT TERM
wait "$server"
status=$?
say "the server stopped (exit $status); its last lines:"
tail -n 15 "$SERVER_LOG"
exit "$status"
