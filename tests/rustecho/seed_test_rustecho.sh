#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 004's test_rustecho.sh, as the lecture gives it, except for its
# build step.  The guest has no compiler: rustecho.ko was built from C
# (rustecho/dev.c, state.c, "CC [M]", not "RUSTC [M]") on the host by
# "make modules" before the guest booted.  So instead of "rm -f rustecho.c;
# make clean && make" and the check that rustecho.rs exists, this shows
# what the module it is about to load is.  Everything after that is the
# lecture's script, line for line.  Run it in /root, where the modules are.

# Best-effort cleanup so a partial run never leaves the module loaded.
cleanup() {
    if lsmod | grep -q '^rustecho '; then
        sudo rmmod rustecho 2>/dev/null || true
    fi
}
trap cleanup EXIT

set -e

echo "=== Building module (done on the host, from C) ==="
if [ ! -f rustecho.ko ]; then
    echo "ERROR: rustecho.ko is missing. Build it with make modules." >&2
    exit 1
fi
strings rustecho.ko | grep -E '^(description|license|vermagic)='

echo ""
echo "=== Loading module ==="
sudo insmod rustecho.ko
sudo dmesg | tail -3

echo ""
echo "=== Checking device node ==="
ls -la /dev/rustecho

echo ""
echo "=== Writing to device ==="
echo "hello from user space" | sudo tee /dev/rustecho > /dev/null

echo ""
echo "=== Reading from device ==="
sudo cat /dev/rustecho

echo ""
echo "=== Tracing syscalls ==="
sudo strace -e openat,read,write,close cat /dev/rustecho 2>&1 | head -15

echo ""
echo "=== Kernel log ==="
sudo dmesg | tail -10

echo ""
echo "=== Unloading module ==="
sudo rmmod rustecho
sudo dmesg | tail -3

echo ""
echo "=== Verifying cleanup ==="
ls /dev/rustecho 2>&1 || echo "/dev/rustecho removed — clean."
lsmod | grep rustecho || echo "Module not in lsmod — clean."

echo ""
echo "=== Done ==="
