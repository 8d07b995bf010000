#!/bin/sh
# Prepares what the systemd VM test needs; idempotent, safe to run on every CI build.
#   1. Debian packages: mmdebstrap (the root file system), qemu-system-x86 (the VM), busybox-static (cpio).
#   2. Debian 12's kernel: the gpio-sim VM's cached vmlinuz when present, else fetched the same way
#      (apt-get download linux-image-*), into .cache/systemd-vm/vmlinuz.
#   3. A minbase Debian root file system with systemd (tests/systemd/vm/packages) built by mmdebstrap from
#      the host's configured Debian mirror, cached as .cache/systemd-vm/base-<hash of the list>.cpio.gz.
# Downloads come only from the configured Debian mirror. Usage: bash tests/systemd/vm/prepare.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
W=${SYSTEMD_VM_CACHE:-$ROOT/.cache/systemd-vm}
mkdir -p "$W"

need_pkgs=""
command -v mmdebstrap >/dev/null 2>&1 || need_pkgs="$need_pkgs mmdebstrap"
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_pkgs="$need_pkgs qemu-system-x86"
[ -x /bin/busybox ] || need_pkgs="$need_pkgs busybox-static"
if [ -n "$need_pkgs" ]; then
  if [ "$(id -u)" != 0 ]; then echo "prepare.sh: need root to apt-get install:$need_pkgs" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs
fi

# 2. kernel
if [ ! -s "$W/vmlinuz" ]; then
  if [ -s "$ROOT/.cache/gpio-vm/vmlinuz" ]; then
    cp "$ROOT/.cache/gpio-vm/vmlinuz" "$W/vmlinuz.tmp"
  else
    apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get update -qq
    KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
    KREL=${KPKG#linux-image-}
    rm -rf "$W/kdeb"; mkdir -p "$W/kdeb"
    (cd "$W/kdeb" && apt-get download "$KPKG" && dpkg-deb -x "${KPKG}"_*.deb x)
    cp "$W/kdeb/x/boot/vmlinuz-$KREL" "$W/vmlinuz.tmp"
    rm -rf "$W/kdeb"
  fi
  mv "$W/vmlinuz.tmp" "$W/vmlinuz"
fi

# 3. root file system, keyed by the package list, kept as a gzip'd cpio: the kernel unpacks concatenated
#    cpio archives, so each boot appends a small one (disco and the checks) without repacking this one.
PKGS=$(grep -v '^#' "$HERE/packages" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
KEY=$(printf '%s' "$PKGS" | sha256sum | cut -c1-16)
BASE="$W/base-$KEY.cpio.gz"
if [ -s "$BASE" ]; then echo "prepare.sh: cached $BASE ($PKGS)"; exit 0; fi
# The host's own apt sources (deb822 .sources or sources.list), so the mirror is the configured one.
SOURCES=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && SOURCES="$SOURCES $f"
done
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
R="$W/rootfs.tmp"
rm -rf "$R"
# shellcheck disable=SC2086
mmdebstrap --quiet --variant=minbase --include="$PKGS" --mode=root "$SUITE" "$R" $SOURCES
# Trim what a test VM never reads (documentation, locales, apt lists): a smaller initramfs boots faster.
rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/locale" "$R/usr/share/info" "$R/var/lib/apt/lists" "$R/var/cache/apt"
(cd "$R" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$BASE.tmp"
rm -rf "$R"
mv "$BASE.tmp" "$BASE"
for old in "$W"/base-*.cpio.gz; do [ "$old" = "$BASE" ] || rm -f "$old"; done
ls -la "$W/vmlinuz" "$BASE"
