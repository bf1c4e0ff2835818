#!/usr/bin/env bash
# Installs everything briefings needs on Debian (run as root, or with sudo at hand):
# the fonts its PDFs use for Latin, Cyrillic, Hangul, Chinese and Arabic script,
# HarfBuzz's subsetter (fast font embedding), Graphviz for the relationship map,
# Chromium for the accessibility tests, then a virtual environment of the project's own
# (.venv: Debian's python3 refuses `pip install`, PEP 668) holding the package and its
# test tools. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"
system_packages=(fonts-noto-core fonts-noto-cjk fonts-dejavu-core libharfbuzz-subset0
                 libpango-1.0-0 libpangoft2-1.0-0 fontconfig graphviz chromium)
python3 -c 'import ensurepip, venv' 2>/dev/null || system_packages+=(python3-venv)
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
