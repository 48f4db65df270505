#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 002's two walkthroughs, command for command (the guest is root, and
# a "sudo" shim runs its arguments), checked against what the seed says
# the user sees.
. /tests/lib/tap.sh
cd /root
rmmod rustqueue 2>/dev/null

kmark

sudo insmod rustqueue.ko
ok $? "sudo insmod rustqueue.ko"
ls -la /dev/rustqueue | grep -q '^crw------- *1 root *root '
ok $? "ls -la /dev/rustqueue: crw------- root root"
echo "first message" | sudo tee /dev/rustqueue > /dev/null
ok $? "tee first message"
echo "second message" | sudo tee /dev/rustqueue > /dev/null
ok $? "tee second message"
echo "third message" | sudo tee /dev/rustqueue > /dev/null
ok $? "tee third message"
is "$(sudo cat /dev/rustqueue)" "first message" "cat -> first message"
is "$(sudo cat /dev/rustqueue)" "second message" "cat -> second message"
is "$(sudo cat /dev/rustqueue)" "third message" "cat -> third message"
is "$(sudo cat /dev/rustqueue | wc -c)" 0 "cat -> (empty, EOF, no output)"
sudo rmmod rustqueue
ok $? "sudo rmmod rustqueue"
is "$(ksince | grep -E '^rustqueue: (module (un)?loaded|enqueued|dequeued)')" "rustqueue: module loaded (capacity 16 messages)
rustqueue: enqueued 14 bytes (1 in queue)
rustqueue: enqueued 15 bytes (2 in queue)
rustqueue: enqueued 14 bytes (3 in queue)
rustqueue: dequeued (2 remaining)
rustqueue: dequeued (1 remaining)
rustqueue: dequeued (0 remaining)
rustqueue: module unloaded (0 queued messages freed)" "dmesg shows the seed's seven lines"

kmark
sudo insmod rustqueue.ko
out=$(for i in {1..20}; do echo "message $i" | sudo tee /dev/rustqueue > /dev/null || echo "write $i FAILED"; done 2>&1)
is "$(echo "$out" | grep FAILED)" "write 17 FAILED
write 18 FAILED
write 19 FAILED
write 20 FAILED" "20 writes: writes 17-20 FAILED"
is "$(echo "$out" | grep -c '^tee: /dev/rustqueue: No space left on device$')" 4 \
	"tee reports ENOSPC for each of them"
is "$(echo "message 21" 2>&1 > /dev/rustqueue)" \
	"/tests/rustqueue/test_seed.sh: line $LINENO: echo: write error: No space left on device" \
	"a 21st write fails with ENOSPC"
is "$(ksince | grep -c '^rustqueue: enqueued')" 16 "dmesg: 16 successful enqueues"
is "$(ksince | grep -c '^rustqueue: queue full, rejecting write$')" 5 "dmesg: 4 + 1 rejected writes"
sudo rmmod rustqueue
ok $? "sudo rmmod rustqueue"
ksince | grep -q '^rustqueue: module unloaded (16 queued messages freed)$'
ok $? "unload frees the 16 queued messages"

done_testing
