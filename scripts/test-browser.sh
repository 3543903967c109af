#!/usr/bin/env bash
# The real-browser tests (tests/browser/*.e2e.ts): Debian's headless Chromium, driven by playwright-core,
# inside a private network namespace whose only interface is loopback, so the browser reaches nothing
# but this machine. Needs root (unshare -n), util-linux's unshare, iproute2's ip and /usr/bin/chromium.
# Extra arguments go to vitest (a file filter, -t "name", --reporter=verbose).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "test-browser: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || fail "must run as root: a private network namespace (unshare -n) needs CAP_SYS_ADMIN."
command -v unshare >/dev/null || fail "unshare is missing (apt-get install -y util-linux)."
command -v ip >/dev/null || fail "ip is missing (apt-get install -y iproute2)."
[[ -x /usr/bin/chromium ]] ||
  fail "/usr/bin/chromium is missing (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)."
[[ -x node_modules/.bin/vitest ]] || fail "node_modules/.bin/vitest is missing (npm ci)."
unshare -n true 2>/dev/null ||
  fail "unshare -n is not permitted here (a container without CAP_SYS_ADMIN, or seccomp forbids unshare)."

exec unshare -n -- bash -c 'ip link set lo up && exec node_modules/.bin/vitest run --config vitest.browser.config.ts "$@"' \
  test-browser "$@"
