#!/bin/sh
# Set up everything the generator and its tests need, on Debian or Ubuntu:
#   1. system packages: Pango (WeasyPrint's text engine), HarfBuzz subsetting (fast font
#      embedding), the pinned font packages, GNU gettext (msgfmt), Python's venv module, and
#      zbar's zbarimg (the tests read the printed QR codes back with a real decoder);
#   2. a virtual environment in .venv with the Python packages of pyproject.toml;
#   3. the fonts, copied from their packages into templates/fonts/ and checked against their pins.
# Safe to run again: each step only does what is missing.
set -eu
cd "$(dirname "$0")"

PACKAGES="python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
fonts-noto-core fonts-noto-cjk fonts-sil-padauk gettext zbar-tools"

missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "setup: installing system packages:$missing"
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "setup: error: need root or sudo to install:$missing" >&2
        exit 1
    fi
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.installed-pyproject
if ! cmp -s pyproject.toml "$stamp" 2>/dev/null; then
    echo "setup: installing Python packages"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
    cp pyproject.toml "$stamp"
fi

.venv/bin/python -m materialgen.fonts
