#!/usr/bin/env bash
# Create .venv and install registre with its development tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev,demo]'
# The browser tests (tests/test_web_browser.py) drive Debian's Chromium; Playwright never
# downloads one. Installed here when missing (as root, on CI's fresh machine).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' (the browser tests need it)" >&2
  fi
fi
