#!/bin/sh
# CLI end-to-end checks inside the VM: the real dist/disco against gpio-sim, compared with the simulator's
# sysfs. Usage: test.sh CHIP SIM_DIR
CHIP=$1; SIM=$2
echo "CLI placeholder chip=$CHIP"
