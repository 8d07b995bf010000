#!/bin/sh
# Builds the VM's initramfs: busybox-static, configfs.ko + gpio-sim.ko, the compiled dist/disco (as
# /usr/bin/disco, with the libs ldd lists), tests/gpio/vm/runner.ts bundled to JavaScript (as
# /usr/lib/gpio-runner.js, run by /usr/bin/disco's Bun) with the GPIO poll worker beside it
# (/usr/lib/_pump-worker.ts, where the bundled drivers look), /init and /test.sh from this folder.
# usage: build-initrd.sh CACHE_DIR OUT.cpio.gz DISCO_BINARY RUNNER_JS WORKER_JS
set -eu
W=$1; OUT=$2; DISCO=$3; RUNNER=$4; WORKER=$5
HERE=$(cd "$(dirname "$0")" && pwd)
R=$(mktemp -d "$W/rootfs.XXXX")
chmod 755 "$R"   # mktemp makes it 0700: the root directory must be traversable by non-root users
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/lib" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/lib/modules" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
cp "$W/configfs.ko" "$W/gpio-sim.ko" "$R/lib/modules/"
copy_with_libs() { # copy an ELF and every lib ldd lists, keeping their paths
  cp -L "$1" "$2"
  for l in $(ldd "$1" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; done
}
copy_with_libs "$DISCO" "$R/usr/bin/disco"
cp "$RUNNER" "$R/usr/lib/gpio-runner.js"
cp "$WORKER" "$R/usr/lib/_pump-worker.ts"
# bun:ffi dlopen()s libc.so.6 by name: make sure it is where the loader looks without ld.so.cache.
LIBC=$(ldd "$DISCO" | awk '/libc.so.6/{print $3}')
[ -n "$LIBC" ] && echo "$(dirname "$LIBC")" > "$R/etc/ld.so.conf"
cp "$HERE/init" "$R/init"; chmod 755 "$R/init"
cp "$HERE/test.sh" "$R/test.sh"; chmod 755 "$R/test.sh"
(cd "$R" && find . | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$OUT"
