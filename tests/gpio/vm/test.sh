#!/bin/sh
# CLI end-to-end checks inside the VM: the real dist/disco (/usr/bin/disco) against gpio-sim, compared with
# what the simulator's sysfs shows. Prints PASS/FAIL lines. Usage: test.sh CHIP SIM_DIR
CHIP=$1; SIM=$2
D=/usr/bin/disco
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS cli: $1"; else echo "FAIL cli: $1: expected '$2' got '$3'"; fi
}
contains() { # contains NAME NEEDLE HAYSTACK
  case "$3" in *"$2"*) echo "PASS cli: $1" ;; *) echo "FAIL cli: $1: '$2' not in: $(echo "$3" | head -c 600)" ;; esac
}
wait_for() { # wait_for COMMAND... : retry up to 10 s (the VM is slow under TCG); returns its status
  i=0; while [ $i -lt 200 ]; do "$@" && return 0; i=$((i+1)); usleep 50000; done; return 1
}
pull() { echo "pull-$2" > "$SIM/sim_gpio$1/pull"; }
simval() { cat "$SIM/sim_gpio$1/value"; }

out=$($D gpio info 2>&1)
contains "info names the chip" "$CHIP [sim-bank0] (8 lines)" "$out"
contains "info shows the hog's consumer" "$(printf '"hog7"       output active-high [used]')" "$out"
out=$($D gpio info --json 2>&1)
contains "info --json has the consumer" '"consumer":"hog7"' "$out"

pull 2 up;   check "get sees pull-up" 1 "$($D gpio get $CHIP:2 2>&1)"
pull 2 down; check "get sees pull-down" 0 "$($D gpio get $CHIP:2 2>&1)"
pull 2 up;   check "get via sysfs driver" 1 "$($D gpio get $CHIP:2 --driver sysfs 2>&1)"
pull 2 down

# Held until told to stop (SIGTERM, as Ctrl-C), not for a fixed time a slow VM could outlast.
$D gpio set $CHIP:3 1 --hold forever 2>/dev/null &
SETPID=$!
wait_for sh -c "[ \"\$(cat $SIM/sim_gpio3/value)\" = 1 ]"
check "set --hold drives the line (sim value)" 1 "$(simval 3)"
out=$($D gpio get $CHIP:3 2>&1); rc=$?
check "get on a held line exits 1" 1 "$rc"
contains "busy message names the consumer" "used by 'disco-set'" "$out"
out=$($D gpio get $CHIP:3 --driver sysfs 2>&1); rc=$?
check "sysfs export of a line held through cdev exits 1" 1 "$rc"
contains "sysfs busy message" "$CHIP line 3 is busy" "$out"
kill -TERM $SETPID
wait $SETPID
check "set --hold exits 0" 0 "$?"
check "released line returns to its pull" 0 "$(simval 3)"

# The default, as gpioset: held until SIGTERM, and it says so.
$D gpio set $CHIP:3 1 2>/tmp/set.err &
SETPID=$!
wait_for sh -c "[ \"\$(cat $SIM/sim_gpio3/value)\" = 1 ]"
check "set without --hold holds the line" 1 "$(simval 3)"
contains "set says it holds until Ctrl-C" "holding until Ctrl-C / SIGTERM" "$(cat /tmp/set.err)"
kill -TERM $SETPID
wait $SETPID
check "set without --hold exits 0 on SIGTERM" 0 "$?"
# --exit: the sysfs driver leaves the line exported, still driven after disco exits; cdev cannot.
out=$($D gpio set $CHIP:0 1 --exit --driver sysfs 2>&1); rc=$?
check "set --exit exits 0 at once" 0 "$rc"
check "set --exit leaves the sysfs line driven" 1 "$(simval 0)"
out=$($D gpio set $CHIP:0 1 --exit --driver cdev 2>&1); rc=$?
check "set --exit with the cdev driver is a usage error" 2 "$rc"
for d in /sys/class/gpio/gpio[0-9]*; do [ -e "$d/value" ] && echo "${d##*/gpio}" > /sys/class/gpio/unexport; done

out=$($D gpio set $CHIP:7 0 2>&1); rc=$?
check "set on the hogged line exits 1" 1 "$rc"
contains "busy hog names its consumer" "used by 'hog7'" "$out"

out=$($D gpio set $CHIP:3 2 2>&1); rc=$?
check "bad value exits 2" 2 "$rc"
contains "bad value message" "must be 0 or 1" "$out"

out=$($D gpio get gpiochip9:0 2>&1); rc=$?
check "missing chip exits 1" 1 "$rc"
contains "missing chip lists the chips" "not found (available: $CHIP)" "$out"

pull 4 down
$D gpio watch $CHIP:4 --json --count 2 > /tmp/watch.json 2>&1 &
WPID=$!
wait_for grep -q '"initial"' /tmp/watch.json
pull 4 up
wait_for grep -q '"rising"' /tmp/watch.json
pull 4 down
wait $WPID
check "watch --count 2 exits 0" 0 "$?"
contains "watch reports the rising edge" '"line":4,"value":1,"cause":"rising"' "$(cat /tmp/watch.json)"
contains "watch reports the falling edge" '"line":4,"value":0,"cause":"falling"' "$(cat /tmp/watch.json)"

cat > /tmp/disco.toml <<TOML
[[gpio.output]]
name = "pump"
chip = "$CHIP"
line = 6
active_low = true

[[gpio.input]]
name = "door"
chip = "$CHIP"
line = 5
bias = "pull-up"
edge = "both"
debounce_ms = 5
TOML
pull 6 up   # so the line reads 1 unless the active-low output drives it low
$D gpio set pump 1 -c /tmp/disco.toml --hold 3s 2>/dev/null &
SETPID=$!
wait_for sh -c "[ \"\$(cat $SIM/sim_gpio6/value)\" = 0 ]"
check "named active-low output: 1 drives the line low" 0 "$(simval 6)"
wait $SETPID
check "set --hold 3s exits 0 when the time is up" 0 "$?"
check "the held line returns to its pull" 1 "$(simval 6)"
check "named input with bias pull-up reads 1" 1 "$($D gpio get door -c /tmp/disco.toml 2>&1)"
contains "info marks declared lines" "<- door" "$($D gpio info -c /tmp/disco.toml 2>&1)"

# Remote GPIO (issue 10) against the real kernel: disco-server serves the declared lines over the sealed
# control channel on loopback; a remote = true line is driven, a local-only one is refused.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
$D keygen > /tmp/remote.key
cat > /tmp/remote.toml <<TOML
[host]
name = "vm-target"
[discovery]
magic = "vm"
key_file = "/tmp/remote.key"
[[gpio.output]]
name = "rpump"
chip = "$CHIP"
line = 1
remote = true

[[gpio.output]]
name = "rsiren"
chip = "$CHIP"
line = 2
TOML
$D server -c /tmp/remote.toml -p 40000 -l 127.0.0.1 -v 2>/tmp/remote-server.err &
SRVPID=$!
wait_for grep -q "control: listening" /tmp/remote-server.err
R="$D gpio -m vm --key-file /tmp/remote.key --host 127.0.0.1 -t 5"
out=$($R set rpump 1 2>&1); rc=$?
check "remote set of a remote = true line exits 0" 0 "$rc"
check "remote set drives the real line (sim value)" 1 "$(simval 1)"
check "remote get reads it back" 1 "$($R get rpump 2>&1)"
out=$($R set rsiren 1 2>&1); rc=$?
check "remote set of a local-only line exits 2" 2 "$rc"
contains "remote set of a local-only line says why" "does not accept remote writes" "$out"
check "the local-only line is unchanged" 0 "$(simval 2)"
contains "the target logs the remote write with its source" "remote write rpump = 1 from 127.0.0.1" "$(cat /tmp/remote-server.err)"
kill -TERM $SRVPID
wait $SRVPID
check "the serving disco-server exits 0 on SIGTERM" 0 "$?"

echo 'nobody:x:65534:65534:nobody:/:/bin/sh' > /etc/passwd
echo 'nobody:x:65534:' > /etc/group
chmod 600 /dev/$CHIP
out=$(su -s /bin/sh nobody -c "$D gpio get $CHIP:1" 2>&1); rc=$?
check "permission denied exits 1" 1 "$rc"
contains "permission message suggests the gpio group" "add your user to the 'gpio' group" "$out"
echo "CLI-DONE"
