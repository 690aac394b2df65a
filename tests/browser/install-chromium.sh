#!/usr/bin/env bash
# Installs Debian's Chromium, and a Chinese font for the screenshots, for the browser tests (playwright drives it; it never downloads
# a browser of its own). Needs root and Debian's package mirror; otherwise says why and exits 0,
# and the browser tests skip (or fail, in CI) with that reason.
set -u
if [ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: not root or no apt-get; browser tests will not run" >&2
  exit 0
fi
echo "install-chromium: installing Debian's chromium (one time)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
  || echo "install-chromium: apt-get failed; browser tests will not run" >&2
exit 0
