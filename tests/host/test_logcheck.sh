#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_logcheck.sh (host): the guest's kernel-log check (tests/vm/run-all
# --log FILE) fails on every report of ours and only excuses what it
# says it does.  Each case is a kernel log: after the guest's init line,
# one report; the KCSAN ones are shaped as the kcsan kernel prints them.
#   - KCSAN, both accesses in the kernel, no module of ours: a note
#   - KCSAN, device_del() under our unload racing the scheduler's
#     kthread_is_per_cpu() (seen in the kcsan fuzzer, 2026-12-02): a note
#   - KCSAN, one access in our module: a failure
#   - KCSAN, an access in the kernel's user copy on behalf of our read
#     (our module only second on the stack): a failure
#   - KCSAN, kthread_is_per_cpu() racing a write in our module: a failure
#   - a WARNING after init: a failure; the same before init: a note
#   - an injected fault's stack: excused; a second stack: a failure
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

init='[    8.452047] vmrun: guest init running'

# kcsan TITLE_A TITLE_B FRAME_A... -- FRAME_B...: a KCSAN report
kcsan() {
	local a=$1 b=$2 f
	shift 2
	echo "=================================================================="
	echo "[   85.942708] BUG: KCSAN: data-race in $a / $b"
	echo "[   85.942789] "
	echo "[   85.942831] write to 0xff1100000032bc2c of 4 bytes by task 65 on cpu 0:"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		echo "[   85.942882]  $1"
		shift
	done
	shift
	echo "[   85.948862] "
	echo "[   85.948862] read to 0xff1100000032bc2c of 4 bytes by interrupt on cpu 1:"
	for f in "$@"; do
		echo "[   85.949094]  $f"
	done
	echo "[   85.949859] "
	echo "[   85.949859] value changed: 0x00480140 -> 0x00400140"
	echo "[   85.950067] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Tainted: G           O        7.2.13-kmods-kcsan #1 PREEMPT"
	echo "[   85.950169] =================================================================="
}

# check WHAT WANT_STATUS WANT_NOTE: run the check on $tmp/log
check() {
	local out st
	out=$(bash "$top/tests/vm/run-all" --log "$tmp/log" 2>&1)
	st=$?
	if [ "$2" = 0 ]; then
		echo "$out" | grep -q '^ok - kernel log has no'
		ok $(( $? || st )) "$1: passes"
	else
		echo "$out" | grep -q '^not ok - kernel log has reports'
		ok $(( $? || !st )) "$1: fails"
	fi
	[ $st = "$2" ] || echo "$out" | sed 's/^/#   /'
	if [ -n "${3:-}" ]; then
		echo "$out" | grep -q "^# note: not in our modules: .*$3"
		ok $? "$1: shown as a note"
	fi
}

{ echo "$init"; kcsan d_alloc_parallel path_openat \
	'd_alloc_parallel+0x1a/0x4f0' 'path_openat+0x3a2/0x900' -- \
	'path_openat+0x9a/0x900' 'do_filp_open+0x5a/0xf0'; } > "$tmp/log"
check "KCSAN in the kernel's dcache, none of our modules on a stack" 0 \
	'data-race in d_alloc_parallel / path_openat'

{ echo "$init"; kcsan device_del kthread_is_per_cpu \
	'device_del+0x3a2/0x4f0' 'device_destroy+0x54/0x80' \
	'misc_deregister+0xa7/0x100' 're_exit+0x51/0xdb0 [rustecho]' \
	'__do_sys_delete_module.isra.0+0x1fa/0x350' -- \
	'kthread_is_per_cpu+0xd/0x60' 'can_migrate_task+0x9a/0x480' \
	'sched_balance_rq+0x5a2/0xf50'; } > "$tmp/log"
check "KCSAN device_del / kthread_is_per_cpu under our unload" 0 \
	'data-race in device_del / kthread_is_per_cpu'

{ echo "$init"; kcsan rq_enqueue rq_poll \
	'rq_enqueue+0x3a/0x100 [rustqueue]' 'rq_write_iter+0x54/0x280 [rustqueue]' -- \
	'rq_poll+0xd/0x60 [rustqueue]' 'do_sys_poll+0x9a/0x480'; } > "$tmp/log"
check "KCSAN in rustqueue" 1

{ echo "$init"; kcsan _copy_to_user rpf_write \
	'_copy_to_user+0x22/0x60' 'rpf_read+0x54/0x180 [rust_proc_ram_file]' \
	'proc_reg_read+0x5a/0xf0' -- \
	'rpf_write+0xd/0x60 [rust_proc_ram_file]' 'vfs_write+0x9a/0x480'; } > "$tmp/log"
check "KCSAN in the user copy of our read" 1

{ echo "$init"; kcsan rq_release kthread_is_per_cpu \
	'rq_release+0x3a2/0x4f0 [rustqueue]' -- \
	'kthread_is_per_cpu+0xd/0x60' 'can_migrate_task+0x9a/0x480'; } > "$tmp/log"
check "KCSAN kthread_is_per_cpu against a write in rustqueue" 1

printf '%s\n' "$init" '[   90.1] WARNING: CPU: 0 PID: 70 at mm/slub.c:100 kfree+0x1/0x2' \
	'[   90.1] Call Trace:' > "$tmp/log"
check "a WARNING after init" 1

printf '%s\n' '[    0.009] BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x1/0x2' \
	'[    0.009] Call Trace:' "$init" > "$tmp/log"
check "a report while the kernel boots, before init" 0 'during boot'

printf '%s\n' "$init" '[   91.0] FAULT_INJECTION: forcing a failure.' \
	'[   91.0] Call Trace:' '[   91.0]  should_fail_ex+0x1/0x2' > "$tmp/log"
check "an injected fault's stack" 0
printf '%s\n' '[   92.0] Call Trace:' >> "$tmp/log"
check "an injected fault's stack, then another" 1

done_testing
