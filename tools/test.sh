#!/usr/bin/env bash
# make test: lint, then the whole test suite on a fresh database, then an install with demo data
# and an uninstall. Ends with "N passed, M failed"; non-zero on any failure, error, logged
# ERROR/WARNING or lint finding. Leaves no database and no server behind.
source "$(dirname "$0")/common.sh"
STAMP=$(date +%s)
DB="order_desk_test_$STAMP"
DEMO_DB="order_desk_demo_check_$STAMP"
LOG="$RUN_DIR/test.log"
failed=0; passed=0; problems=()

if [ "${SKIP_LINT:-0}" != "1" ]; then
    if bash "$REPO_ROOT/tools/lint.sh"; then echo "lint: clean"; else problems+=("lint findings"); fi
fi

find_odoo
start_postgres
cleanup() { drop_db "$DB"; drop_db "$DEMO_DB"; stop_postgres; }
trap cleanup EXIT
TAGS=${TEST_TAGS:-/order_desk}

echo "tests: installing order_desk on a fresh database $DB and running $TAGS ..."
set +e
odoo_cmd server "${COMMON[@]}" -d "$DB" -i order_desk --test-enable --test-tags="$TAGS" \
    --stop-after-init --log-level=test --http-port=${ORDER_DESK_TEST_PORT:-18069} >"$LOG" 2>&1
rc=$?
set -e
result=$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$LOG" | tail -n 1 || true)
if [ -z "$result" ]; then
    problems+=("the test run produced no result line (exit $rc), see $LOG")
    failed=$((failed + 1))
else
    f=$(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error.* of ([0-9]+) tests.*/\1/' <<<"$result")
    e=$(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error.* of ([0-9]+) tests.*/\2/' <<<"$result")
    t=$(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error.* of ([0-9]+) tests.*/\3/' <<<"$result")
    failed=$((failed + f + e)); passed=$((passed + t - f - e))
fi
[ "$rc" = "0" ] || problems+=("odoo exited with $rc")
bad=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$LOG" || true)
if [ -n "$bad" ]; then
    problems+=("ERROR/WARNING lines were logged during the tests")
    printf '%s\n' "$bad" | head -n 60
fi
grep -E '^(FAIL|ERROR):|Traceback' -A3 "$LOG" | head -n 80 || true

if [ "${SKIP_DEMO_CHECK:-0}" != "1" ]; then
    echo "smoke: install with demo data on $DEMO_DB, then uninstall from $DB ..."
    if odoo_cmd server "${COMMON[@]}" -d "$DEMO_DB" -i order_desk --with-demo --stop-after-init \
            --log-level=warn --http-port=${ORDER_DESK_TEST_PORT:-18069} >"$RUN_DIR/demo-install.log" 2>&1 \
            && ! grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$RUN_DIR/demo-install.log"; then
        passed=$((passed + 1)); echo "smoke: install with demo data: ok"
        # What README.md promises a newcomer on that database (tools/demo_check.py).
        if odoo_cmd shell "${COMMON[@]}" -d "$DEMO_DB" --no-http --log-level=warn \
                <"$REPO_ROOT/tools/demo_check.py" >"$RUN_DIR/demo-check.log" 2>&1 \
                && grep -qx "demo check: ok" "$RUN_DIR/demo-check.log"; then
            passed=$((passed + 1)); echo "smoke: demo data as promised: ok"
        else
            failed=$((failed + 1)); problems+=("demo data not as promised, see $RUN_DIR/demo-check.log")
            grep -E "^demo check:|Error|Traceback" "$RUN_DIR/demo-check.log" | head -n 30
        fi
    else
        failed=$((failed + 1)); problems+=("install with demo data, see $RUN_DIR/demo-install.log")
        tail -n 30 "$RUN_DIR/demo-install.log"
    fi
    # Uninstalled from the test database: on the demo database, Odoo keeps the demo products
    # that stock moves reference and logs each refused delete as an ERROR.
    if odoo_cmd module uninstall "${COMMON[@]}" -d "$DB" order_desk >"$RUN_DIR/uninstall.log" 2>&1 \
            && ! grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$RUN_DIR/uninstall.log"; then
        passed=$((passed + 1)); echo "smoke: uninstall: ok"
    else
        failed=$((failed + 1)); problems+=("uninstall, see $RUN_DIR/uninstall.log")
        tail -n 30 "$RUN_DIR/uninstall.log"
    fi
fi

for p in "${problems[@]+"${problems[@]}"}"; do echo "problem: $p"; done
echo "$passed passed, $failed failed"
[ "$failed" = "0" ] && [ ${#problems[@]} -eq 0 ]
