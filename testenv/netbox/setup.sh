#!/usr/bin/env bash
# Installs what the NetBox stand-in needs before `go test`:
#  - Debian's Django 3.2 and Django REST framework for /usr/bin/python3 (only when
#    missing, and only as root; otherwise it says what to install);
#  - htmx.org and @tabler/core (NetBox 4's CSS framework), pinned in package-lock.json,
#    into node_modules with `npm ci`
#    (skipped when the installed version already matches the lock file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

python="${HHGATE_PYTHON:-/usr/bin/python3}"
if ! "$python" -c 'import django, rest_framework' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup.sh: installing python3-django python3-djangorestframework" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-django python3-djangorestframework >/dev/null
    else
        echo "setup.sh: $python cannot import Django; install python3-django python3-djangorestframework" >&2
        exit 1
    fi
fi

# Every npm package the lock file pins (htmx.org, @tabler/core), each checked against node_modules.
stale="$(node -e '
  const lock = require("./package-lock.json").packages;
  const files = {"htmx.org": "dist/htmx.min.js", "@tabler/core": "dist/css/tabler.min.css"};
  const fs = require("fs");
  for (const [name, file] of Object.entries(files)) {
    let have = "";
    try { have = require("./node_modules/" + name + "/package.json").version; } catch (e) {}
    if (have !== lock["node_modules/" + name].version || !fs.existsSync("node_modules/" + name + "/" + file)) {
      console.log(name);
    }
  }')"
if [ -n "$stale" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
