#!/bin/sh
# Prepares everything the gpio-sim VM test needs; idempotent, safe to run on every CI build.
#   1. Debian packages: qemu-system-x86 (the VM), busybox-static (its userland), gcc/make (the module).
#   2. Debian 12's stock kernel + configfs.ko, and gpio-sim.ko built out of tree against Debian's
#      headers (the stock kernel has CONFIG_GPIO_SIM unset), cached in .cache/gpio-vm/ (about 8.5 MB).
# Downloads come only from the configured Debian mirror (apt-get). Usage: bash tests/gpio/vm/prepare.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
W=${GPIO_VM_CACHE:-$ROOT/.cache/gpio-vm}
mkdir -p "$W"

need_pkgs=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_pkgs="$need_pkgs qemu-system-x86"
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
  need_pkgs="$need_pkgs busybox-static"
command -v gcc >/dev/null 2>&1 || need_pkgs="$need_pkgs gcc"
command -v make >/dev/null 2>&1 || need_pkgs="$need_pkgs make"
if [ -n "$need_pkgs" ]; then
  if [ "$(id -u)" != 0 ]; then echo "prepare.sh: need root to apt-get install:$need_pkgs" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs
fi

if [ -s "$W/vmlinuz" ] && [ -s "$W/configfs.ko" ] && [ -s "$W/gpio-sim.ko" ]; then
  echo "prepare.sh: cached kernel and modules in $W"; exit 0
fi

cd "$W"
# A fresh container may have no package lists yet: apt-get download needs them.
apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get update -qq
KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')  # linux-image-6.1.0-NN-amd64
KREL=${KPKG#linux-image-}                                                                # 6.1.0-NN-amd64
KCOMMON=linux-headers-${KREL%-amd64}-common
KBUILD=$(apt-cache depends "$KCOMMON" 2>/dev/null | awk '/Depends: linux-kbuild-/{print $2; exit}')
KBUILD=${KBUILD:-linux-kbuild-6.1}
KSRC=linux-source-$(echo "$KREL" | cut -d. -f1-2)
rm -rf debs kpkg hdr src mod; mkdir -p debs
(cd debs && apt-get download "$KPKG" "linux-headers-$KREL" "$KCOMMON" "$KBUILD" "$KSRC")
dpkg-deb -x debs/"${KPKG}"_*.deb kpkg
mkdir -p hdr; for d in debs/linux-headers-*.deb debs/linux-kbuild-*.deb; do dpkg-deb -x "$d" hdr; done
sed -i "s#^include /usr/src/#include $W/hdr/usr/src/#" "hdr/usr/src/linux-headers-$KREL/Makefile"
# Only 3 source files are needed from linux-source (GPL-2.0).
mkdir -p src mod
dpkg-deb --fsys-tarfile debs/"${KSRC}"_*.deb | tar -xO "./usr/src/$KSRC.tar.xz" |
  tar -xJ -C src "$KSRC/drivers/gpio/gpio-sim.c" "$KSRC/drivers/gpio/gpiolib.h" "$KSRC/kernel/irq/irq_sim.c"
cp "src/$KSRC/drivers/gpio/gpio-sim.c" mod/gpio_sim_main.c
cp "src/$KSRC/drivers/gpio/gpiolib.h" "src/$KSRC/kernel/irq/irq_sim.c" mod/
# irq_to_desc() is not exported to modules; generic_handle_irq() does the same lookup + dispatch.
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' mod/irq_sim.c
printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio_sim_main.o irq_sim.o\n' > mod/Kbuild
make -s -C "hdr/usr/src/linux-headers-$KREL" M="$W/mod" modules
strip --strip-debug -o gpio-sim.ko.tmp mod/gpio-sim.ko
cp "kpkg/boot/vmlinuz-$KREL" vmlinuz.tmp
cp "kpkg/lib/modules/$KREL/kernel/fs/configfs/configfs.ko" configfs.ko.tmp
mv vmlinuz.tmp vmlinuz; mv configfs.ko.tmp configfs.ko; mv gpio-sim.ko.tmp gpio-sim.ko
echo "$KREL" > kernel-release
rm -rf debs kpkg hdr src mod
ls -la "$W/vmlinuz" "$W/configfs.ko" "$W/gpio-sim.ko"
