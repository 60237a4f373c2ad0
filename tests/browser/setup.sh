#!/usr/bin/env bash
# Installs what the browser tests need, for scripts/test.sh (as root on Debian 12):
# Debian's chromium and node/npm from apt, then playwright-core from package-lock.json.
# playwright-core downloads no browser; the tests drive /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs=(chromium nodejs npm python3)
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere (nodesource, nvm): only install them when absent.
command -v node >/dev/null && missing=("${missing[@]/nodejs}")
command -v npm >/dev/null && missing=("${missing[@]/npm}")
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
    echo "tests/browser: node >= 20 is required (found $(node --version))" >&2
    exit 1
fi

PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
