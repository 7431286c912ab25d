#!/usr/bin/env bash
# Install the system packages ntm-map needs (Debian 12): SpatiaLite, PostGIS,
# Debian's Chromium (never a Playwright browser download) and poppler-utils.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(libsqlite3-mod-spatialite postgresql-15-postgis-3 chromium poppler-utils fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
