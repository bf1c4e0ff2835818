#!/usr/bin/env bash
# Installs everything briefings needs on Debian (run as root, or with sudo at hand):
# the fonts its PDFs use for Latin, Cyrillic, Hangul, Chinese and Arabic script,
# HarfBuzz's subsetter (fast font embedding), Graphviz for the relationship map,
# and, for the browser tests (tests/test_a11y.py), Chromium, Java and npm; then the pinned
# axe-core and Nu Html Checker of tools/package.json into tools/node_modules, and a virtual
# environment of the project's own (.venv: Debian's python3 refuses `pip install`, PEP 668)
# holding the package and its test tools. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"
system_packages=(fonts-noto-core fonts-noto-cjk fonts-dejavu-core libharfbuzz-subset0
                 libpango-1.0-0 libpangoft2-1.0-0 fontconfig graphviz chromium)
python3 -c 'import ensurepip, venv' 2>/dev/null || system_packages+=(python3-venv)
command -v java >/dev/null || system_packages+=(default-jre-headless)
command -v npm >/dev/null || system_packages+=(nodejs npm)
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --editable '.[test]'
stamp=tools/node_modules/.installed-from-lock  # the lock file the tools were installed from
if ! cmp -s tools/package-lock.json "$stamp" 2>/dev/null; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  cp tools/package-lock.json "$stamp"
fi
