#!/bin/sh
# Removes what install.sh installed; safe to run again.
#
#   sudo ./uninstall.sh [--purge]
#
# Stops and disables disco.service, removes the unit, its GPIO drop-in, the binary, the links and the
# documentation. The config (/etc/disco.toml), the state (/var/lib/disco) and the user stay unless --purge.
# DESTDIR=/some/dir removes from that tree instead (systemctl is not run).
set -eu

purge=no
for a in "$@"; do
  case "$a" in
    --purge) purge=yes ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done
say() { echo "uninstall.sh: $*"; }
D=${DESTDIR:-}
if [ -z "$D" ] && [ "$(id -u)" != 0 ]; then echo "uninstall.sh: run as root, or set DESTDIR" >&2; exit 1; fi

if [ -z "$D" ] && [ -d /run/systemd/system ] && systemctl cat disco.service >/dev/null 2>&1; then
  systemctl disable --now disco.service 2>&1 | sed 's/^/uninstall.sh: /'
  say "stopped and disabled disco.service"
fi
gone() { # gone PATH...: removes what exists, says what it removed
  for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then rm -rf "$p"; say "removed ${p#"$D"}"; fi; done
}
gone "$D/etc/systemd/system/multi-user.target.wants/disco.service" "$D/etc/systemd/system/disco.service" \
  "$D/etc/systemd/system/disco.service.d/gpio.conf" \
  "$D/usr/local/bin/disco-server" "$D/usr/local/bin/disco-client" "$D/usr/local/bin/disco" \
  "$D/usr/local/share/doc/disco"
rmdir "$D/etc/systemd/system/disco.service.d" 2>/dev/null || true
[ -z "$D" ] && [ -d /run/systemd/system ] && systemctl daemon-reload

if [ "$purge" = yes ]; then
  gone "$D/etc/disco.toml" "$D/var/lib/disco" "$D/var/lib/private/disco"
  if [ -n "$D" ]; then
    if grep -q '^disco:' "$D/etc/passwd" 2>/dev/null; then userdel --prefix "$D" disco; say "removed user disco"; fi
  elif getent passwd disco >/dev/null; then
    userdel disco; say "removed user disco"
  fi
else
  say "kept /etc/disco.toml, /var/lib/disco and the user disco (--purge removes them)"
fi
