#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium (/usr/bin/chromium) with playwright-core.
# Installs it with apt-get when it is missing and apt is available (as root, or through sudo
# without a password); otherwise says how, and leaves the decision to the tests (they fail
# with the same advice). GENQ_CHROMIUM overrides the path.
set -uo pipefail

chromium="${GENQ_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "genq: $chromium is missing and apt-get is not available: install Chromium, or set GENQ_CHROMIUM" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "genq: $chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)" >&2
  exit 0
fi

echo "genq: installing Chromium for the browser tests (apt-get install chromium)"
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null; then
  # The package lists may be missing or stale (fresh containers).
  "${as_root[@]}" apt-get update >/dev/null &&
    "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null
fi
if [ -x "$chromium" ]; then
  echo "genq: Chromium installed: $("$chromium" --version 2>/dev/null)"
else
  echo "genq: could not install Chromium; the browser tests will fail" >&2
fi
exit 0
