# Shared by scripts/demo and scripts/test: install what a fresh Debian machine lacks.
# shellcheck shell=bash

# Debian packages the build needs: a C toolchain for the bundled SQLite, and cmake and
# libclang for the HiGHS solver.
ZHIBAN_APT_PACKAGES=(build-essential pkg-config cmake libclang-dev)

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
