#!/bin/sh
# Set up everything the generator and its tests need, on Debian 13 or 12
# (the reference platforms; Ubuntu is untested):
#   1. system packages: Pango (WeasyPrint's text engine), HarfBuzz subsetting (fast font
#      embedding), the pinned font packages, GNU gettext (msgfmt), Python's venv module, and
#      zbar's zbarimg (the tests read the printed QR codes back with a real decoder);
#      and for the tests, Chromium (Playwright drives it, as installed here, through the gallery,
#      output/index.html, and the web app's pages: no browser is downloaded);
#   2. a virtual environment in .venv with the Python packages of pyproject.toml;
#   3. the fonts, copied from their packages into templates/fonts/ and checked against their pins.
# Safe to run again: each step only does what is missing.
set -eu
cd "$(dirname "$0")"

PACKAGES="python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
fonts-noto-core fonts-noto-cjk fonts-sil-padauk gettext zbar-tools"
# Only the tests need these: Chromium opens output/index.html (tests/test_gallery.py) and the
# web app (tests/test_web.py), which are skipped, saying why, where it is missing (Ubuntu ships
# it only as a snap). Playwright drives it through the Node.js its wheel carries, which needs
# libatomic1 (a minimal Debian 12 lacks it).
TEST_PACKAGES="chromium libatomic1"

not_installed() {
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || printf ' %s' "$package"
    done
}
missing=$(not_installed $PACKAGES)
missing_tests=$(not_installed $TEST_PACKAGES)
if [ -n "$missing$missing_tests" ]; then
    echo "setup: installing system packages:$missing$missing_tests"
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    elif [ -n "$missing" ]; then
        echo "setup: error: need root or sudo to install:$missing" >&2
        exit 1
    else
        SUDO="none"
    fi
    if [ "$SUDO" = "none" ]; then
        echo "setup: warning: no root or sudo to install$missing_tests: the browser test will be skipped" >&2
    else
        $SUDO apt-get update -qq
        if [ -n "$missing" ]; then
            # shellcheck disable=SC2086
            DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
        fi
        if [ -n "$missing_tests" ]; then
            # shellcheck disable=SC2086
            DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
                $missing_tests \
                || echo "setup: warning: could not install$missing_tests: the browser test will be skipped" >&2
        fi
    fi
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
