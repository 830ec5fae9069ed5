#!/usr/bin/env bash
# Install the X11 helper libraries Qt's xcb plugin needs on the *build* machine, so that
# `make package` can bundle them (the packaged app then starts on desktops that lack them;
# `make smoke-test` checks it). Debian/Ubuntu as root: apt-get; Fedora as root: dnf.
# Elsewhere it prints the command to run and exits 0 (the smoke test will say what is missing).
set -euo pipefail
DEB=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0)
RPM=(xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image xcb-util-renderutil libxkbcommon-x11)
if [ "$(id -u)" != 0 ]; then
  echo "install_build_libs: not root; install them yourself: sudo apt install ${DEB[*]}  (Fedora: sudo dnf install ${RPM[*]})"
  exit 0
fi
if command -v apt-get >/dev/null; then
  missing=()
  for p in "${DEB[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
elif command -v dnf >/dev/null; then
  dnf install -y "${RPM[@]}"
else
  echo "install_build_libs: no apt-get or dnf; install Qt's xcb helper libraries by hand"
fi
