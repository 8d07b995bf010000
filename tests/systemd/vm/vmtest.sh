#!/bin/sh
# Checks run inside the systemd VM (PID 1 is Debian's systemd) against the real dist/disco installed by the
# real install.sh from /opt/disco (laid out like a release tarball). Prints `PASS systemd: <name>` or
# `FAIL systemd: <name>: <why>` lines, `BENCH` lines, then VMTEST-DONE; the host test greps the console.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_PAGER= SYSTEMD_COLORS=0
up() { cut -d' ' -f1 /proc/uptime; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
echo "T+$(up)s vmtest started"
pass() { echo "PASS systemd: $1"; }
fail() { echo "FAIL systemd: $1: $2"; }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2' got '$3'"; fi; }
contains() { case "$3" in *"$2"*) pass "$1" ;; *) fail "$1" "'$2' not in: $(printf '%s' "$3" | tr '\n' '|' | head -c 700)" ;; esac; }
lacks() { case "$3" in *"$2"*) fail "$1" "'$2' found in: $(printf '%s' "$3" | tr '\n' '|' | head -c 700)" ;; *) pass "$1" ;; esac; }
wait_for() { # wait_for SECONDS COMMAND...: retry until it succeeds or the time is up (TCG on a busy host is slow)
  end=$(( $(date +%s) + $1 )); shift
  while :; do "$@" >/dev/null 2>&1 && return 0; [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.2; done
}
prop() { systemctl show -p "$1" --value disco.service; }
active() { [ "$(systemctl is-active disco.service)" = active ]; }
log_has() { journalctl -u disco.service --no-pager -o cat | grep -q "$1"; }

# --- install (the release layout in /opt/disco; no gpio group and no sysfs GPIO writes on this host)
out=$(sh /opt/disco/install.sh 2>&1); rc=$?
check "install.sh exits 0" 0 "$rc"
check "install.sh: the unit is enabled" enabled "$(systemctl is-enabled disco.service 2>&1)"
check "install.sh: the disco system user exists" "disco" "$(id -un disco 2>&1)"
check "install.sh: the links dispatch (disco-server --version)" "$(/usr/local/bin/disco --version)" "$(/usr/local/bin/disco-server --version 2>&1)"
contains "the binary seals with the system's OpenSSL (libcrypto.so.3 from Debian's libssl3)" "AES-GCM by OpenSSL (libcrypto.so.3)" "$(/usr/local/bin/disco --version)"
out=$(sh /opt/disco/install.sh 2>&1); rc=$?
check "install.sh again exits 0" 0 "$rc"
lacks "install.sh again changes nothing" "installed" "$out"

# The daemon's config: beacons on loopback every second, no discovery (nothing else listens here).
good() {
  cat > /etc/disco.toml <<TOML
[host]
name = "vm-daemon"
[discovery]
enabled = false
[beacon]
enabled = true
port = 9000
broadcast = ["127.255.255.255"]
interval = "1s"
[services]
web = "http://vm-daemon/$1"
TOML
}
good a
# A short watchdog for the SIGSTOP check (the unit's own is 30 s): a test-only drop-in.
mkdir -p /etc/systemd/system/disco.service.d
printf '[Service]\nWatchdogSec=4s\n' > /etc/systemd/system/disco.service.d/vmtest.conf
systemctl daemon-reload

# A second disco on this machine, listening to beacons (it never runs hooks, sends nothing).
: > /tmp/empty.toml
listen_flag=""; disco hosts --help 2>&1 | grep -q -- '--listen' && listen_flag="--listen"
disco hosts --watch --json $listen_flag -p 9000 -c /tmp/empty.toml > /tmp/hosts.ndjson 2>/tmp/hosts.err &
HOSTS=$!

# --- start: active only after READY, so by then every socket is bound
t0=$(ms)
systemctl start --no-block disco.service
state=$(systemctl is-active disco.service)
wait_for 60 active
t1=$(ms)
echo "BENCH systemd start-to-active ms=$((t1 - t0)) (ExecStartPre config check + start + READY, TCG)"
check "start: active" active "$(systemctl is-active disco.service)"
check "start: 'activating' until READY (Type=notify)" activating "$state"
check "start: the beacon socket is bound when active" 1 "$(ss -Hlun 'sport = :9000' | grep -c . | awk '{print ($1>0)}')"
check "start: the control socket exists when active" yes "$([ -S /run/disco/disco.sock ] && echo yes || echo no)"
check "start: runs as user disco" disco "$(ps -o user= -p "$(prop MainPID)" 2>/dev/null || stat -c %U /proc/"$(prop MainPID)")"
if ! active; then
  fail "daemon checks" "disco.service never became active ($(systemctl is-active disco.service)); status, reload, kill -9, SIGSTOP not run"
  journalctl -u disco.service --no-pager -o cat | tail -15
  systemctl stop disco.service
else
wait_for 10 grep -q '"join".*vm-daemon' /tmp/hosts.ndjson
contains "start: the second disco sees the daemon join" '"vm-daemon"' "$(cat /tmp/hosts.ndjson)"

# --- status shows the STATUS= line
wait_for 10 sh -c 'systemctl status disco.service --no-pager | grep -q "Status: \""'
contains "status: shows the daemon's STATUS line" 'Status: "' "$(systemctl status disco.service --no-pager 2>&1)"

# --- the start-up pages go back to the kernel: as user disco, who cannot write the binary, and under the
# unit's system-call filter (lib/page-out.ts)
wait_for 15 log_has "start-up pages"
paged=$(journalctl -u disco.service --no-pager -o cat | grep "start-up pages" | head -1)
rss_before=$(printf '%s' "$paged" | sed -n 's/.*RSS \([0-9.]*\) -> \([0-9.]*\) MB.*/\1/p')
rss_after=$(printf '%s' "$paged" | sed -n 's/.*RSS \([0-9.]*\) -> \([0-9.]*\) MB.*/\2/p')
check "start: the daemon gives back its start-up pages (user disco, the unit's filters)" "less than half" \
  "$(awk -v b="${rss_before:-0}" -v a="${rss_after:-0}" 'BEGIN { print (b > 0 && a < b / 2) ? "less than half" : "not given back: " b " -> " a }')"
echo "BENCH systemd ${paged#*gave back } (RssShmem here: the root file system is a tmpfs); now $(grep -E "^(VmRSS|RssAnon|RssShmem)" /proc/"$(prop MainPID)"/status | tr -s " \t\n" " ")"

# --- reload: a good config, then a bad one (refused: the daemon keeps running, same PID)
pid=$(prop MainPID)
good b
timeout 60 systemctl reload disco.service; rc=$?
check "reload (good config): systemctl reload exits 0" 0 "$rc"
check "reload (good config): same process" "$pid" "$(prop MainPID)"
check "reload (good config): active" active "$(systemctl is-active disco.service)"
printf '[daemon]\nbogus_key = 1\n' >> /etc/disco.toml   # an unknown key
timeout 60 systemctl reload disco.service 2>/tmp/reload.err; rc=$?
check "reload (bad config): systemctl reload fails" 1 "$([ "$rc" -ne 0 ] && echo 1 || echo 0)"
check "reload (bad config): the daemon keeps running" active "$(systemctl is-active disco.service)"
check "reload (bad config): same process" "$pid" "$(prop MainPID)"
wait_for 5 log_has bogus_key
contains "reload (bad config): the journal names the problem" "bogus_key" "$(journalctl -u disco.service --no-pager -o cat | tail -20)"
good c   # the next restarts run ExecStartPre's config check

# --- kill -9: systemd restarts it
pid=$(prop MainPID)
kill -9 "$pid"
wait_for 30 sh -c "[ \"\$(systemctl show -p MainPID --value disco.service)\" != $pid ] && [ \"\$(systemctl show -p MainPID --value disco.service)\" != 0 ] && [ \"\$(systemctl is-active disco.service)\" = active ]"
check "kill -9: restarted and active" active "$(systemctl is-active disco.service)"
check "kill -9: a new process" 1 "$([ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && echo 1 || echo 0)"
check "kill -9: NRestarts is 1" 1 "$(prop NRestarts)"

# --- SIGSTOP: no WATCHDOG=1 any more, so the watchdog kills and restarts it
pid=$(prop MainPID)
t0=$(ms)
kill -STOP "$pid"
wait_for 40 sh -c "[ \"\$(systemctl show -p MainPID --value disco.service)\" != $pid ] && [ \"\$(systemctl show -p MainPID --value disco.service)\" != 0 ] && [ \"\$(systemctl is-active disco.service)\" = active ]"
t1=$(ms)
echo "BENCH systemd watchdog SIGSTOP-to-active-again ms=$((t1 - t0)) (WatchdogSec=4s)"
check "SIGSTOP: restarted and active" active "$(systemctl is-active disco.service)"
check "SIGSTOP: a new process" 1 "$([ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && echo 1 || echo 0)"
contains "SIGSTOP: systemd logged the watchdog timeout" "Watchdog timeout" "$(journalctl -u disco.service --no-pager -o cat 2>&1)"
# A stopped process that was healthy until SIGSTOP: the watchdog did not fire before it.
check "the watchdog never fired while the daemon ran (one timeout only)" 1 "$(journalctl -u disco.service --no-pager -o cat | grep -c 'Watchdog timeout')"

# --- stop: the daemon says goodbye; the second disco sees a leave, not a failure
: > /tmp/hosts.mark; lines=$(wc -l < /tmp/hosts.ndjson)
timeout 60 systemctl stop disco.service
check "stop: inactive" inactive "$(systemctl is-active disco.service)"
wait_for 5 sh -c "tail -n +$((lines + 1)) /tmp/hosts.ndjson | grep -q '\"leave\".*vm-daemon'"
contains "stop: the second disco sees the goodbye (leave)" '"leave"' "$(tail -n +$((lines + 1)) /tmp/hosts.ndjson)"
lacks "stop: not a failure (no 'failed' event)" '"failed"' "$(tail -n +$((lines + 1)) /tmp/hosts.ndjson)"
check "stop: exit status 0 (a clean stop)" 0 "$(prop ExecMainStatus)"
fi
kill "$HOSTS" 2>/dev/null

# --- uninstall
out=$(sh /opt/disco/uninstall.sh 2>&1); rc=$?
check "uninstall.sh exits 0" 0 "$rc"
check "uninstall.sh: no unit any more" 1 "$(systemctl cat disco.service >/dev/null 2>&1 && echo 0 || echo 1)"
check "uninstall.sh: the config stays" yes "$([ -f /etc/disco.toml ] && echo yes || echo no)"

echo "--- journal of disco.service (last 60 lines)"
journalctl -u disco.service --no-pager -o short-monotonic | tail -60
echo "T+$(up)s VMTEST-DONE"
