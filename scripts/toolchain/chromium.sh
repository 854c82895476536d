#!/usr/bin/env bash
# Page tests and PDF output use Debian's chromium (and Noto CJK so Chinese text renders). Install it when missing and we may (root with apt-get);
# otherwise say how, and the page tests skip with that reason.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "toolchain: installing Debian chromium and CJK fonts for page tests and PDFs"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null
else
  echo "toolchain: chromium not found; page tests will skip (install Debian's 'chromium' package to run them)"
fi
