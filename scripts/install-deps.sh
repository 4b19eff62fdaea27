#!/usr/bin/env bash
# Installs what the test suite and the demo need on a fresh Debian machine:
#   - Debian's Django and Django REST framework (the NetBox stand-in),
#   - wrk (make bench),
#   - Chromium (the browser end-to-end tests),
#   - htmx.org from npm, pinned by testenv/netbox/package-lock.json.
# apt-get runs only when a package is missing, after an `apt-get update`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(python3-django python3-djangorestframework wrk chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash testenv/netbox/setup.sh
