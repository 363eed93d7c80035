#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine with Python 3.11, then runs
# the whole suite: lint, library tests on DuckDB and a throwaway PostgreSQL, AppTest pages, and
# the browser test in headless Chromium. Must run as root (or with sudo) to install Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Debian's own python3 is "externally managed" (PEP 668); this is a throwaway test machine.
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

python3 -m ruff check src tests pages ui app.py benchmarks
# The layer rule: the domain library never imports streamlit.
if grep -rnE '^\s*(import streamlit|from streamlit)' src/arboard; then
  echo "LAYER RULE: src/arboard must not import streamlit" >&2
  exit 1
fi
# Pages are thin: widgets, calls into arboard, charts. Data work (pandas, SQL) belongs in the library.
if grep -nE '^\s*(import|from) (pandas|numpy|sqlalchemy|duckdb|sklearn)\b|\.(groupby|merge|pivot_table|agg)\(' \
    pages/*.py app.py; then
  echo "LAYER RULE: pages hold no data logic; move it into src/arboard" >&2
  exit 1
fi

export ARBOARD_REQUIRE_PG=1 ARBOARD_REQUIRE_BROWSER=1
python3 -m pytest -q -p no:cacheprovider "$@"
