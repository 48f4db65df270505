#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own promises, on the default kernel: the command's
# output and exit status come back; a failing command shows the guest's
# dmesg; a hung guest is killed and reported, not waited on.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vmrun=$top/tests/vm/vmrun
n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

out=$("$vmrun" --no-build -t 120 -- 'echo "out: $((6 * 7))"; echo "err" >&2' 2>&1); rc=$?
[ "$rc" = 0 ] && grep -qx 'out: 42' <<<"$out" && grep -qx 'err' <<<"$out"
ok $? "vmrun: a command's stdout and stderr come back, status 0"
! grep -q 'guest dmesg' <<<"$out"
ok $? "vmrun: no dmesg dump when the command succeeds"

out=$("$vmrun" --no-build -t 120 -- 'echo marker-in-kmsg > /dev/kmsg; exit 7' 2>&1); rc=$?
[ "$rc" = 7 ]
ok $? "vmrun: the command's exit status (7) is vmrun's"
grep -q -- '----- guest dmesg -----' <<<"$out" && grep -q 'marker-in-kmsg' <<<"$out"
ok $? "vmrun: a failing command shows the guest's dmesg"

start=$(date +%s)
out=$("$vmrun" --no-build -t 24 -- 'sleep 1000' 2>&1); rc=$?
took=$(( $(date +%s) - start ))
# the guest's watchdog reports it with dmesg; on a loaded host the guest
# clock may lag, and then the host's timeout kills the machine first
[ "$rc" = 124 ] && grep -qE 'timed out in the guest|hung: killed' <<<"$out"
ok $? "vmrun: a command that never ends is reported (status 124)"
[ "$took" -lt 60 ]
ok $? "vmrun: ... within its timeout, not waited on (${took}s for -t 24)"

# a kernel that stops dead (no guest watchdog can run): the host kills it
start=$(date +%s)
out=$("$vmrun" --no-build -t 20 -- 'echo 1 > /proc/sys/kernel/sysrq; echo 0 > /proc/sys/kernel/panic; echo c > /proc/sysrq-trigger' 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" = 124 ] || [ "$rc" = 125 ]
ok $? "vmrun: a crashed guest is reported (status $rc: hung or no exit status)"
[ "$took" -lt 60 ]
ok $? "vmrun: ... and killed, not waited on (${took}s for -t 20)"

# make shell: an interactive guest shell on the terminal; answer its prompt
coproc GUEST { timeout 120 "$vmrun" --no-build --shell 2>&1; }
prompt=1 seen=1
while IFS= read -r -d '#' -t 100 chunk <&"${GUEST[0]}"; do
	case "$chunk" in *'guest:~') prompt=0; break ;; esac
done
if [ "$prompt" = 0 ]; then
	echo 'echo shell-works-$((2 + 3))' >&"${GUEST[1]}"
	while IFS= read -r -t 60 line <&"${GUEST[0]}"; do
		# the guest's readline (it has terminfo) wraps each command
		# in bracketed-paste switches: what a terminal is sent, not seen
		line=$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' <<<"$line")
		case "$line" in shell-works-5*) seen=0; break ;; esac
	done
	echo exit >&"${GUEST[1]}"
fi
wait "$GUEST_PID" 2>/dev/null
ok "$prompt" "vmrun --shell: a guest shell prompt on the terminal"
ok "$seen" "vmrun --shell: runs what is typed at it"

# --system boots the sid system, whose kernel is 7's: another is refused
# before anything is built or booted (the tier itself: tests/system/run)
out=$("$vmrun" --system -k 6.12 -- true 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q -- '--system boots kernel 7 only' <<<"$out"
ok $? "vmrun --system -k 6.12: refused (status 2), says why"

echo "1..$n"
[ "$failed" = 0 ]
