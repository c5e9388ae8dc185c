#!/usr/bin/env bash
# Installs the Debian libraries Qt needs, only those missing. Uses sudo when not root.
#   offscreen rendering (tests, --smoke): libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1
#                                         libdbus-1-3 + a font (without one, text renders as boxes)
#   a real window (xcb):                  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
#                                         libxcb-keysyms1 libxcb-shape0 libxcb-image0 libxcb-render-util0
set -euo pipefail
PKGS="libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-image0
      libxcb-render-util0"
command -v dpkg >/dev/null || { echo "system-deps: not a Debian system; install Qt's libraries yourself" >&2; exit 0; }
missing=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done | tr '\n' ' ')
[ -z "${missing// }" ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "system-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
