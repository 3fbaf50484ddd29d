# Shared by scripts/demo and scripts/test: install what a fresh Debian machine lacks.
# shellcheck shell=bash

# Debian packages the build needs: a C toolchain for the bundled SQLite, cmake and
# libclang for the HiGHS solver, and Python for the independent checkers the tests run.
ZHIBAN_APT_PACKAGES=(build-essential pkg-config cmake libclang-dev python3 python3-venv)

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
# package as a calendar client), in a venv
# under target/ so nothing is installed system-wide. Exports ZHIBAN_PYTHON for the tests.
ensure_python_tools() {
  local venv=target/pytools
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import openapi_spec_validator, icalendar" >/dev/null 2>&1; then
    echo "==> installing Python test tools into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      "openapi-spec-validator>=0.7,<0.9" "icalendar>=5,<8"
  fi
  ZHIBAN_PYTHON="$PWD/$venv/bin/python"
  export ZHIBAN_PYTHON
}
