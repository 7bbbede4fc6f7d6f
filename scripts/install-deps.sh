#!/bin/sh
# Installs the Debian packages gpt builds against, when any is missing and we
# can (root, or sudo without a password). Otherwise says what to install.
set -u
pkgs="build-essential pkg-config libopenblas-dev libopenblas-openmp-dev libcjson-dev libutf8proc-dev libpcre2-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "gpt: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "gpt: please install:$missing (for example: sudo apt-get install$missing)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 ||
    { $SUDO apt-get update -qq && $SUDO apt-get install -y --no-install-recommends $missing; }
