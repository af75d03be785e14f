#!/usr/bin/env bash
# make lint: ruff, ruff format and pylint-odoo's mandatory checks; exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
PY=${PYTHON:-python3}
status=0
command -v ruff >/dev/null 2>&1 || { echo "order_desk: ruff is not installed (pip install ruff pylint-odoo)" >&2; exit 2; }
ruff check . || status=1
ruff format --check . || status=1
files=$(git ls-files --cached --others --exclude-standard '*.py' 2>/dev/null || find . -name '*.py' -not -path './.run/*')
# pylint-odoo loads the addon as a package: the folder name does not matter to it.
"$PY" -m pylint --rcfile=.pylintrc $files || status=1
exit $status
