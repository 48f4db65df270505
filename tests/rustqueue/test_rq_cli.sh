#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The rq command line tool against rustqueue.ko: output and exit codes.
. /tests/lib/tap.sh
cd /root
rmmod rustqueue 2>/dev/null
insmod rustqueue.ko verbose=0
ok $? "insmod rustqueue.ko"

rq send hello; ok $? "rq send hello: exit 0"
is "$(rq recv)" "hello" "rq recv prints the message"
out=$(rq recv 2>&1); rc=$?
is "$rc:$out" "1:" "rq recv on an empty queue: exit 1, no output"
rq send one two three; ok $? "rq send with three messages"
is "$(rq recv -n 3 | od -An -c | tr -s ' ')" " o n e t w o t h r e e" \
	"rq recv -n 3: the three, byte for byte, in order"
echo "from stdin" | rq send; ok $? "rq send reads one message from stdin"
is "$(rq recv | od -An -c | tr -s ' ')" " f r o m s t d i n \n" "with its newline"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
start=$(now_ms)
rq recv --timeout 300 >/dev/null; rc=$?
ms=$(( $(now_ms) - start ))
is "$rc" 1 "rq recv --timeout 300 on an empty queue: exit 1"
[ "$ms" -ge 280 ]; ok $? "after waiting the timeout (${ms} ms)"
( sleep 0.3; rq send late ) &
is "$(rq recv --wait)" "late" "rq recv --wait gets a message sent later"
wait

rq resize 3; ok $? "rq resize 3"
rq send a b c; ok $? "fill the 3 slots"
out=$(rq send d 2>&1); rc=$?
is "$rc:$out" "1:" "rq send to a full queue: exit 1, no output"
is "$(rq stat | grep -E '^(count|capacity|rejected_full):')" "count: 3
capacity: 3
rejected_full: 0" "rq stat: key: value lines (a waiting-mode refusal is not a rejection)"
is "$(rq flush)" 3 "rq flush prints how many it dropped"
rq send w x y z; is "$?" 1 "rq send of 4 into 3 slots: exit 1"
is "$(rq recv -n 4)" "wxy" "the first 3 went, in order"
rq resize 16
rq send $(seq 1 16); ok $? "rq send of 16 messages in one batch"
is "$(rq stat | sed -n "s/^enqueued: //p")" 28 "enqueued: 12 before, 16 more"
is "$(rq recv -n 16 | tr -d '\n')" "$(seq 1 16 | tr -d '\n')" "in order"
rq resize 3
is "$(rq stat | sed -n 's/^count: //p')" 0 "the queue is empty"

out=$(rq -d /dev/nonexistent recv 2>&1); rc=$?
is "$rc:$out" "2:rq: /dev/nonexistent: No such file or directory" "a missing device: exit 2 and why"
out=$(rq resize 0 2>&1); rc=$?
is "$rc:$out" "2:rq: resize: Invalid argument" "rq resize 0: exit 2, EINVAL"
rq bogus 2>/dev/null; is "$?" 64 "an unknown command: usage, exit 64"
rq --help | grep -q '^usage: rq'; ok $? "rq --help prints the usage"

rmmod rustqueue; ok $? "rmmod rustqueue"
done_testing
