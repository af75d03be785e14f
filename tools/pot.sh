#!/usr/bin/env bash
# make pot: regenerate i18n/order_desk.pot from the code on a scratch database, then merge the
# new and changed terms into zh_CN.po and zh_TW.po (untranslated entries are left empty).
source "$(dirname "$0")/common.sh"
DB="order_desk_pot_$(date +%s)"
find_odoo
start_postgres
trap 'drop_db "$DB"; stop_postgres' EXIT
odoo_cmd server "${COMMON[@]}" -d "$DB" -i order_desk --stop-after-init --log-level=warn \
    >"$RUN_DIR/pot.log" 2>&1 || die "install failed, see $RUN_DIR/pot.log"
odoo_cmd i18n export "${COMMON[@]}" -d "$DB" -o "$REPO_ROOT/i18n/order_desk.pot" order_desk \
    >>"$RUN_DIR/pot.log" 2>&1 || die "export failed, see $RUN_DIR/pot.log"
for lang in zh_CN zh_TW; do
    po="$REPO_ROOT/i18n/$lang.po"
    if [ -f "$po" ]; then
        msgmerge --quiet --no-fuzzy-matching --no-wrap --update --backup=none "$po" "$REPO_ROOT/i18n/order_desk.pot"
    else
        msginit --no-translator --no-wrap --locale="$lang.UTF-8" -i "$REPO_ROOT/i18n/order_desk.pot" -o "$po"
    fi
done
echo "i18n/order_desk.pot regenerated; fill the empty msgstr of zh_CN.po and zh_TW.po."
