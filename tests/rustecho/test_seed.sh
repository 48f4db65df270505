#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 004's walkthroughs, checked against what the seed says the user
# sees: the Stage-1 C skeleton, the lecture's command sequence, and the
# lecture's test_rustecho.sh (tests/rustecho/seed_test_rustecho.sh, which
# differs from it only in the build step: see there).
. /tests/lib/tap.sh
cd /root
rmmod rustecho 2>/dev/null
rmmod rustecho_skeleton 2>/dev/null

# ---- Stage 1: the C skeleton
kmark
sudo insmod rustecho_skeleton.ko
ok $? "skeleton: sudo insmod rustecho_skeleton.ko"
lsmod | grep -q '^rustecho_skeleton '
ok $? "skeleton: in lsmod"
is "$(ksince | grep '^rustecho: ')" "rustecho: module loaded" \
	"skeleton: dmesg: rustecho: module loaded"
[ ! -e /dev/rustecho ]
ok $? "skeleton: no device node"
sudo rmmod rustecho_skeleton
ok $? "skeleton: sudo rmmod rustecho_skeleton"
is "$(ksince | grep '^rustecho: ')" "rustecho: module loaded
rustecho: module unloaded" "skeleton: dmesg: rustecho: module unloaded"
lsmod | grep -q rustecho_skeleton
ok $(( $? == 0 )) "skeleton: gone from lsmod"

# ---- the lecture's commands
kmark
sudo insmod rustecho.ko && sudo dmesg | tail -5 | grep -q 'rustecho: module loaded$'
ok $? "sudo insmod rustecho.ko && sudo dmesg | tail -5: rustecho: module loaded"
ls -la /dev/rustecho | grep -q '^crw------- *1 root *root .* /dev/rustecho$'
ok $? "ls -la /dev/rustecho: crw------- root root"
echo "hello from user space" | sudo tee /dev/rustecho > /dev/null
ok $? "echo \"hello from user space\" | sudo tee /dev/rustecho"
is "$(sudo cat /dev/rustecho)" "hello from user space" "sudo cat /dev/rustecho"
is "$(sudo cat /dev/rustecho)" "hello from user space" "again: reading does not consume"
trace=$(sudo strace -e openat,read,write,close cat /dev/rustecho 2>&1)
echo "$trace" | grep -q '^openat(AT_FDCWD, "/dev/rustecho", O_RDONLY) = 3$'
ok $? "strace: openat(AT_FDCWD, \"/dev/rustecho\", O_RDONLY) = 3"
echo "$trace" | grep -q '^read(3, "hello from user space\\n", [0-9]*) = 22$'
ok $? "strace: read(3, \"hello from user space\\n\", ...) = 22"
echo "$trace" | grep -q '^read(3, "", [0-9]*) *= 0$'
ok $? "strace: read(3, \"\", ...) = 0"
echo "$trace" | grep -q '^close(3) *= 0$'
ok $? "strace: close(3) = 0"
exec 3< /dev/rustecho
is "$(sudo rmmod rustecho 2>&1)" \
	"rmmod: can't unload module 'rustecho': Resource temporarily unavailable" \
	"rmmod while /dev/rustecho is open: refused"
exec 3<&-
sudo rmmod rustecho && sudo dmesg | tail -5 | grep -q 'rustecho: module unloaded$'
ok $? "sudo rmmod rustecho && sudo dmesg | tail -5: rustecho: module unloaded"
is "$(ksince | grep '^rustecho: ')" "rustecho: module loaded
rustecho: wrote 22 bytes
rustecho: read 22 bytes
rustecho: read 0 bytes
rustecho: read 22 bytes
rustecho: read 0 bytes
rustecho: read 22 bytes
rustecho: read 0 bytes
rustecho: module unloaded" "dmesg: the whole session, line by line"

# ---- the lecture's test_rustecho.sh
out=$(/tests/rustecho/seed_test_rustecho.sh 2>&1)
ok $? "test_rustecho.sh exits 0"
section() {	# the lines of section $1 of the script's output
	echo "$out" | sed -n "/^=== $1 ===\$/,/^\$/p" | sed '1d;$d'
}
section "Loading module" | grep -q '\] rustecho: module loaded$'
ok $? "test_rustecho.sh: Loading module: rustecho: module loaded"
section "Checking device node" | grep -q '^crw------- *1 root *root .* /dev/rustecho$'
ok $? "test_rustecho.sh: Checking device node: crw------- root root"
is "$(section "Reading from device")" "hello from user space" \
	"test_rustecho.sh: Reading from device: hello from user space"
section "Tracing syscalls" | grep -q '^read(3, "hello from user space\\n", [0-9]*) = 22$'
ok $? "test_rustecho.sh: Tracing syscalls: the read of 22 bytes"
section "Kernel log" | grep -q '\] rustecho: wrote 22 bytes$'
ok $? "test_rustecho.sh: Kernel log: rustecho: wrote 22 bytes"
section "Kernel log" | grep -q '\] rustecho: read 22 bytes$'
ok $? "test_rustecho.sh: Kernel log: rustecho: read 22 bytes"
section "Unloading module" | grep -q '\] rustecho: module unloaded$'
ok $? "test_rustecho.sh: Unloading module: rustecho: module unloaded"
is "$(section "Verifying cleanup")" "ls: /dev/rustecho: No such file or directory
/dev/rustecho removed — clean.
Module not in lsmod — clean." "test_rustecho.sh: Verifying cleanup"
echo "$out" | tail -n 1 | grep -q '^=== Done ===$'
ok $? "test_rustecho.sh: === Done ==="
lsmod | grep -q '^rustecho '
ok $(( $? == 0 )) "the module is not loaded afterwards"

done_testing
