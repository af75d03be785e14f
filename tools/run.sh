#!/usr/bin/env bash
# make run: Odoo 19 with order_desk and its demo data on a local database, served on localhost.
source "$(dirname "$0")/common.sh"
DB=${ORDER_DESK_DB:-order_desk_demo}
PORT=${ORDER_DESK_PORT:-8069}
find_odoo
start_postgres
trap stop_postgres EXIT
# First run creates the database with demo data; later runs keep it and update the addon.
if odoo_cmd server "${COMMON[@]}" -d "$DB" --stop-after-init --log-level=warn \
        -i order_desk --with-demo >"$RUN_DIR/run-install.log" 2>&1; then :; else
    die "installing order_desk failed, see $RUN_DIR/run-install.log"
fi
# Chinese (Simplified and Traditional) next to English; each user picks one in their preferences.
odoo_cmd i18n loadlang "${COMMON[@]}" -d "$DB" -l zh_CN zh_TW >>"$RUN_DIR/run-install.log" 2>&1 \
    || die "loading the Chinese languages failed, see $RUN_DIR/run-install.log"

cat <<MSG

  Order Desk is starting on  http://localhost:$PORT/odoo/action-order_desk.sale_order_action_to_review
  database: $DB    login: admin    password: admin   (demo users: clerk / clerk, manager / manager)
  Stop with Ctrl+C.

MSG
odoo_cmd server "${COMMON[@]}" -d "$DB" -u order_desk --http-port="$PORT"
