#!/bin/sh
# Installs disco as a service; safe to run again (an upgrade replaces the binary, the unit and the links,
# and never touches an existing config).
#
#   sudo ./install.sh [--no-enable] [--gpio | --no-gpio]
#
#   1. the system user and group `disco` (and membership of `gpio` where that group exists)
#   2. /usr/local/bin/disco and the disco-server, disco-client links
#   3. /etc/disco.toml from the example, only where none exists (mode 0640, group disco: it may hold secrets)
#   4. /etc/systemd/system/disco.service, and on a GPIO host (a `gpio` group) the drop-in
#      disco.service.d/gpio.conf that adds the group and lets the sysfs driver write /sys
#   5. README and licence in /usr/local/share/doc/disco (the unit's Documentation=)
#   6. systemctl daemon-reload, enable, and restart when it was running (an upgrade)
#
# DESTDIR=/some/dir installs into that tree instead (for packaging and tests): users go to its etc/passwd,
# `enable` is the WantedBy symlink, and systemctl is not run. Works from a release tarball (files beside
# this script) or from a checkout (dist/disco, systemd/, config.example.toml).
# DISCO_INSTALL_ARCH overrides `uname -m` (tests).
set -eu

enable=yes
gpio=auto
for a in "$@"; do
  case "$a" in
    --no-enable) enable=no ;;
    --gpio) gpio=yes ;;
    --no-gpio) gpio=no ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

arch=${DISCO_INSTALL_ARCH:-$(uname -m)}
case "$arch" in
  x86_64|amd64) want_elf=62 ;;
  aarch64|arm64) want_elf=183 ;;
  armv6l|armv7l|armv8l|armhf|armel|arm*)
    die "this is a 32-bit ARM system ($arch): disco cannot run here. Bun, its runtime, has no 32-bit ARM build.
  A Raspberry Pi 3, 4, 5, Zero 2 W or CM4 runs disco with a 64-bit OS (Raspberry Pi OS 64-bit, Debian arm64);
  a Pi Zero (v1), Pi 1 or Pi 2 cannot." ;;
  *) die "unsupported machine '$arch': disco is built for x86_64 and aarch64 (64-bit ARM) Linux" ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
pick() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 1; }
BIN=$(pick "$HERE/disco" "$HERE/../dist/disco") || die "no disco binary beside this script or in ../dist (run 'npm run build')"
UNIT=$(pick "$HERE/disco.service" "$HERE/../systemd/disco.service") || die "no disco.service beside this script or in ../systemd"
EXAMPLE=$(pick "$HERE/config.example.toml" "$HERE/../config.example.toml") || die "no config.example.toml"
README=$(pick "$HERE/README.md" "$HERE/../README.md") || die "no README.md"
LICENSE=$(pick "$HERE/LICENSE" "$HERE/../LICENSE") || die "no LICENSE"

# The binary must be for this machine: a linux-x64 tarball on a Pi would fail with "Exec format error".
elf=$(od -An -tu2 -j18 -N2 "$BIN" | tr -d ' ')
if [ "$(od -An -c -j1 -N3 "$BIN" | tr -d ' ')" != "ELF" ] || [ "$elf" != "$want_elf" ]; then
  case "$elf" in 62) have=x86_64 ;; 183) have=aarch64 ;; *) have="not a Linux executable for x86_64 or aarch64" ;; esac
  die "$BIN is for $have, this machine is $arch: take the disco-*-linux-$([ "$want_elf" = 183 ] && echo arm64 || echo x64) tarball"
fi

D=${DESTDIR:-}
if [ -z "$D" ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo ./install.sh), or set DESTDIR to install into a tree"; fi
[ -n "$D" ] && mkdir -p "$D/etc"

# 1. user and group
has_user() { if [ -n "$D" ]; then grep -q "^$1:" "$D/etc/passwd" 2>/dev/null; else getent passwd "$1" >/dev/null; fi; }
has_group() { if [ -n "$D" ]; then grep -q "^$1:" "$D/etc/group" 2>/dev/null; else getent group "$1" >/dev/null; fi; }
in_group() { # in_group USER GROUP
  if [ -n "$D" ]; then grep "^$2:" "$D/etc/group" | cut -d: -f4 | tr ',' '\n' | grep -qx "$1"; else id -nG "$1" | tr ' ' '\n' | grep -qx "$2"; fi
}
prefix_opt() { [ -n "$D" ] && echo "--prefix $D"; return 0; }
if [ -n "$D" ]; then for f in passwd group shadow gshadow; do [ -e "$D/etc/$f" ] || : > "$D/etc/$f"; done; fi
if has_user disco; then
  say "user disco exists"
else
  # shellcheck disable=SC2046
  useradd $(prefix_opt) --system --no-create-home --home-dir /var/lib/disco --shell /usr/sbin/nologin --user-group disco
  say "created system user disco"
fi
[ "$gpio" = auto ] && { if has_group gpio; then gpio=yes; else gpio=no; fi; }
if [ "$gpio" = yes ]; then
  has_group gpio || die "--gpio: there is no 'gpio' group on this host"
  if in_group disco gpio; then say "disco is in group gpio"; else
    # shellcheck disable=SC2046
    usermod $(prefix_opt) -a -G gpio disco; say "added disco to group gpio"
  fi
fi

# put SRC DEST MODE: installs when DEST differs, atomically (a running binary is replaced, not rewritten)
put() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then chmod "$3" "$2"; say "unchanged $2"; return 0; fi
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.new.$$" && chmod "$3" "$2.new.$$" && mv -f "$2.new.$$" "$2"
  say "installed $2"
}
link() { # link TARGET PATH
  if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then say "unchanged $2 -> $1"; return 0; fi
  ln -sfn "$1" "$2"; say "linked $2 -> $1"
}

# 2. binary and links
put "$BIN" "$D/usr/local/bin/disco" 755
link disco "$D/usr/local/bin/disco-server"
link disco "$D/usr/local/bin/disco-client"

# 3. config: never overwritten
CONF="$D/etc/disco.toml"
if [ -e "$CONF" ] || [ -L "$CONF" ]; then
  say "kept the existing /etc/disco.toml (the example is in /usr/local/share/doc/disco/config.example.toml)"
else
  cp "$EXAMPLE" "$CONF.new.$$"
  chmod 640 "$CONF.new.$$"
  gid=$(if [ -n "$D" ]; then grep '^disco:' "$D/etc/group" | cut -d: -f3; else getent group disco | cut -d: -f3; fi)
  chgrp "$gid" "$CONF.new.$$"
  mv "$CONF.new.$$" "$CONF"
  say "installed /etc/disco.toml from the example: edit it, then 'disco config check -c /etc/disco.toml'"
fi

# 4. unit (+ the GPIO drop-in)
put "$UNIT" "$D/etc/systemd/system/disco.service" 644
DROPIN="$D/etc/systemd/system/disco.service.d/gpio.conf"
if [ "$gpio" = yes ]; then
  tmp=$(mktemp)
  cat > "$tmp" <<'EOF'
# Written by disco's install.sh on a host with a 'gpio' group: the group opens /dev/gpiochip* (and, on
# Raspberry Pi OS, /sys/class/gpio); the sysfs GPIO driver and hardware PWM write files under /sys/devices,
# which ProtectKernelTunables= would make read-only. Delete this file on a host that uses no GPIO.
[Service]
SupplementaryGroups=gpio
ProtectKernelTunables=no
EOF
  put "$tmp" "$DROPIN" 644
  rm -f "$tmp"
elif [ -e "$DROPIN" ]; then
  rm -f "$DROPIN"; rmdir "$(dirname "$DROPIN")" 2>/dev/null || true; say "removed $DROPIN (--no-gpio)"
fi

# 5. documentation
put "$README" "$D/usr/local/share/doc/disco/README.md" 644
put "$LICENSE" "$D/usr/local/share/doc/disco/LICENSE" 644
put "$EXAMPLE" "$D/usr/local/share/doc/disco/config.example.toml" 644

# 6. enable
if [ "$enable" = no ]; then say "not enabled (--no-enable)"; exit 0; fi
if [ -n "$D" ]; then
  mkdir -p "$D/etc/systemd/system/multi-user.target.wants"
  link /etc/systemd/system/disco.service "$D/etc/systemd/system/multi-user.target.wants/disco.service"
elif [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable disco.service 2>&1 | sed 's/^/install.sh: /'
  if systemctl is-active --quiet disco.service; then systemctl restart disco.service; say "restarted disco (it was running)"
  else say "enabled; start it with: systemctl start disco"; fi
else
  say "systemd is not running here: enable disco.service by hand"
fi
