#!/bin/sh
# Builds the systemd VM's initramfs: the cached Debian root file system (base-*.cpio.gz from prepare.sh)
# followed by a small second archive the kernel unpacks over it: /opt/disco laid out like a release
# tarball (the compiled dist/disco, its links, install.sh, uninstall.sh, the unit, the example config,
# README, LICENSE), /vmtest.sh and the unit that runs it at boot.
# usage: build-initrd.sh BASE.cpio.gz OUT.cpio.gz DISCO_BINARY
set -eu
BASE=$1; OUT=$2; DISCO=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
S=$(mktemp -d "$(dirname "$OUT")/overlay.XXXX")
trap 'rm -rf "$S"' EXIT
chmod 755 "$S"
mkdir -p "$S/opt/disco" "$S/etc/systemd/system/multi-user.target.wants"
cp "$DISCO" "$S/opt/disco/disco"
ln -s disco "$S/opt/disco/disco-server"; ln -s disco "$S/opt/disco/disco-client"
cp "$ROOT/scripts/install.sh" "$ROOT/scripts/uninstall.sh" "$ROOT/systemd/disco.service" \
  "$ROOT/config.example.toml" "$ROOT/README.md" "$ROOT/LICENSE" "$S/opt/disco/"
cp "$HERE/vmtest.sh" "$S/vmtest.sh"; chmod 755 "$S/vmtest.sh"
cp "$HERE/disco-vmtest.service" "$S/etc/systemd/system/"
ln -s ../disco-vmtest.service "$S/etc/systemd/system/multi-user.target.wants/disco-vmtest.service"
(cd "$S" && find . -mindepth 1 | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$S.cpio.gz"
cat "$BASE" "$S.cpio.gz" > "$OUT"
rm -f "$S.cpio.gz"
