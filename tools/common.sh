#!/usr/bin/env bash
# Shared set-up for tools/run.sh and tools/test.sh: finds Odoo 19, prepares the addons path and
# a PostgreSQL server (the one PG* variables point to, or a private cluster in .run/pg).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR="$REPO_ROOT/.run"
PY=${PYTHON:-python3}
mkdir -p "$RUN_DIR"

die() { printf 'order_desk: %s\n' "$*" >&2; exit 2; }

# --- Odoo -----------------------------------------------------------------------------------
# ODOO_PATH (a source tree) wins; else the `odoo` package importable by $PY.
find_odoo() {
    if [ -n "${ODOO_PATH:-}" ]; then
        [ -f "$ODOO_PATH/odoo/release.py" ] \
            || die "ODOO_PATH=$ODOO_PATH is not an Odoo source tree (no odoo/release.py)."
        ODOO_ROOT=$(cd "$ODOO_PATH" && pwd)
        export PYTHONPATH="$ODOO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
    else
        ODOO_ROOT=$("$PY" -c 'import os, odoo; print(os.path.dirname(list(odoo.__path__)[0]))' 2>/dev/null) \
            || die "Odoo 19 was not found. Set ODOO_PATH to an Odoo 19.0 source tree, or make
'odoo' importable by $PY (for instance a .pth file in site-packages naming the tree), and
install its Python requirements (pip install -r requirements.txt of that tree)."
    fi
    local major
    major=$(cd "$RUN_DIR" && "$PY" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null) \
        || die "Odoo at $ODOO_ROOT does not import with $PY: install its Python requirements."
    [ "$major" = "19" ] || die "Odoo at $ODOO_ROOT is version $major, order_desk needs 19."
    # The checkout folder may have any name: Odoo finds the addon through a symlink named
    # order_desk, kept outside the checkout so that nothing walking the addon meets itself again.
    local link_dir
    link_dir="${TMPDIR:-/tmp}/order_desk_addons_$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-12)"
    mkdir -p "$link_dir"
    ln -sfn "$REPO_ROOT" "$link_dir/order_desk"
    ADDONS_PATH="$ODOO_ROOT/odoo/addons,$ODOO_ROOT/addons,$link_dir"
    [ -d "$ODOO_ROOT/addons/sale_stock" ] || die "$ODOO_ROOT/addons has no sale_stock: a full Odoo 19 community tree is needed."
}

odoo_cmd() { (cd "$RUN_DIR" && "$PY" -m odoo "$@"); }

# --- PostgreSQL ---------------------------------------------------------------------------------
PG_EMBEDDED=0
start_postgres() {
    if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
        DB_CONF="db_host = ${PGHOST:-}
db_port = ${PGPORT:-}
db_user = ${PGUSER:-}
db_password = ${PGPASSWORD:-}"
        write_config
        return 0
    fi
    PG_EMBEDDED=1
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bindir" ] && [ -x "$bindir/initdb" ] \
        || die "no PGHOST set and no PostgreSQL server binaries found (apt-get install postgresql)."
    PG_BIN=$bindir
    PG_DATA="$RUN_DIR/pg/data"
    PG_SOCK="$RUN_DIR/pg/sock"
    mkdir -p "$PG_SOCK"
    # PostgreSQL refuses to run as root: then the cluster belongs to the 'postgres' system user.
    if [ "$(id -u)" = "0" ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user."
        chown -R postgres "$RUN_DIR/pg"
        PG_AS=(runuser -u postgres --)
        "${PG_AS[@]}" test -w "$PG_SOCK" \
            || die "the postgres user cannot reach $PG_SOCK: make the checkout's parent folders traversable."
    else
        PG_AS=()
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$RUN_DIR/pg/initdb.log" 2>&1 || die "initdb failed, see $RUN_DIR/pg/initdb.log"
    fi
    if ! "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -l "$RUN_DIR/pg/server.log" \
            -o "-c listen_addresses='' -k $PG_SOCK -c fsync=off -c full_page_writes=off -c max_connections=100" \
            start >/dev/null || die "PostgreSQL did not start, see $RUN_DIR/pg/server.log"
    fi
    DB_CONF="db_host = $PG_SOCK
db_user = odoo"
    write_config
}

# Every odoo command (server, module, i18n, db) reads the same configuration file.
write_config() {
    ODOO_CONF="$RUN_DIR/odoo.conf"
    cat >"$ODOO_CONF" <<CONF
[options]
addons_path = $ADDONS_PATH
data_dir = $RUN_DIR/filestore
http_interface = 127.0.0.1
$DB_CONF
CONF
    COMMON=(-c "$ODOO_CONF")
}

stop_postgres() {
    if [ "$PG_EMBEDDED" = "1" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    fi
}

drop_db() {
    odoo_cmd db "${COMMON[@]}" drop "$1" >/dev/null 2>&1 || true
}
