#!/usr/bin/env bash
# System packages the tests need: Chromium (page tests), promtool (Prometheus rule checks) and
# Caddy (the portal proxy's Caddyfile is run: tests/integration/test_portal_proxy.py).
# Installs them when run as root; otherwise stops with the exact command to run.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
[ ${#missing[@]} -eq 0 ] && exit 0
command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need system packages that are missing: ${missing[*]}" >&2
echo "Install them as root with:  $command_line" >&2
exit 1
