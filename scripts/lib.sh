# Shared by scripts/demo and scripts/test: install what a fresh Debian machine lacks.
# shellcheck shell=bash

# Debian packages the build needs: a C toolchain for the bundled SQLite, cmake and
# libclang for the HiGHS solver, and Python for the independent checkers the tests run;
# and the Chinese font the server prints rosters (PDF) with.
ZHIBAN_APT_PACKAGES=(build-essential pkg-config cmake libclang-dev python3 python3-venv fonts-noto-cjk)

ensure_system_packages() {
  local missing=()
  for p in "${ZHIBAN_APT_PACKAGES[@]}" "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed. zhiban needs Rust 1.94 or later: install it with rustup (https://rustup.rs)." >&2
    exit 1
  fi
}

# Python tools the tests use as independent checkers (the OpenAPI validator, the icalendar
# package as a calendar client, schemathesis to fuzz the API, openpyxl as an independent
# spreadsheet program editing the panel workbook, aiosmtpd as a real SMTP server receiving
# notification e-mail), in a venv
# under target/ so nothing is installed system-wide. Exports ZHIBAN_PYTHON for the tests.
ensure_python_tools() {
  local venv=target/pytools
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import openapi_spec_validator, icalendar, schemathesis, openpyxl, aiosmtpd" >/dev/null 2>&1; then
    echo "==> installing Python test tools into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      "openapi-spec-validator>=0.7,<0.9" "icalendar>=5,<8" "schemathesis>=4.32,<5" \
      "openpyxl>=3.1,<4" "aiosmtpd>=1.4,<2"
  fi
  ZHIBAN_PYTHON="$PWD/$venv/bin/python"
  export ZHIBAN_PYTHON
}

# The PostgreSQL server the store and API tests run against (they create and drop their own
# databases on it). ZHIBAN_TEST_POSTGRES names it; by default the local server on
# 127.0.0.1:5432 (trust auth, database test). When that default does not answer, a
# throwaway server is started on 127.0.0.1:55432 from Debian's packages; when neither can
# be had, this fails and says what to do: the PostgreSQL suite is never skipped.
ensure_postgres() {
  command -v psql >/dev/null 2>&1 || ensure_system_packages postgresql-client
  if [ -n "${ZHIBAN_TEST_POSTGRES:-}" ]; then
    if psql "$ZHIBAN_TEST_POSTGRES" -qtAc 'SELECT 1' >/dev/null 2>&1; then
      echo "==> PostgreSQL for the tests: ZHIBAN_TEST_POSTGRES"
      return
    fi
    echo "error: ZHIBAN_TEST_POSTGRES is set but no PostgreSQL answers there; fix it or unset it to use a local server" >&2
    exit 1
  fi
  ZHIBAN_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/test"
  export ZHIBAN_TEST_POSTGRES
  if psql "$ZHIBAN_TEST_POSTGRES" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    echo "==> PostgreSQL for the tests: 127.0.0.1:5432"
    return
  fi
  echo "==> no PostgreSQL on 127.0.0.1:5432; starting a local one for the tests on 127.0.0.1:55432"
  start_local_postgres 55432 || true
  ZHIBAN_TEST_POSTGRES="postgres://postgres@127.0.0.1:55432/postgres"
  if ! psql "$ZHIBAN_TEST_POSTGRES" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    echo "error: the tests need PostgreSQL and none could be started. Start one (trust auth for" >&2
    echo "       user postgres on 127.0.0.1:5432, or any server where the user may create" >&2
    echo "       databases) and set ZHIBAN_TEST_POSTGRES=postgres://USER@HOST:PORT/DB" >&2
    exit 1
  fi
}

# A throwaway PostgreSQL cluster under /tmp (trust auth, loopback only) on port $1.
start_local_postgres() {
  local port="$1" data=/tmp/zhiban-test-pg bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then
    ensure_system_packages postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /tmp postgres
    as=(runuser -u postgres --)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -ne 0 ] || chown postgres "$data"
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
}

# The browser test drives the web page in Debian's headless Chromium with Playwright's
# playwright-core (pinned in web-tests/package-lock.json); Chinese fonts make its
# screenshots legible.
ensure_browser_tools() {
  local extra=(chromium fonts-noto-cjk)
  command -v node >/dev/null 2>&1 || extra+=(nodejs)
  command -v npm >/dev/null 2>&1 || extra+=(npm)
  ensure_system_packages "${extra[@]}"
  if [ ! -f web-tests/node_modules/playwright-core/package.json ]; then
    echo "==> installing playwright-core into web-tests/node_modules"
    (cd web-tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
