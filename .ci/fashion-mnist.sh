#!/usr/bin/env bash
# Install Debian's dataset-fashion-mnist (31 MB) where apt-get can (root, or sudo without
# a password); otherwise say so. Used by .ci/run and `make demo`.
[ -d /usr/share/datasets/fashion-mnist ] && exit 0
if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo -n"
    { $SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
      || { $SUDO apt-get update -q >/dev/null 2>&1 \
           && $SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }; } \
      && exit 0
fi
echo "note: could not install dataset-fashion-mnist; the digits fallback is used" >&2
exit 1
