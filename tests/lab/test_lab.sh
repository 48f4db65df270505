#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest is the lab's initramfs (issue 14, item 5): what the seeds do in
# theirs works in ours.
#   modprobe (seed 003: "modprobe rust_proc_ram_file"): every module is in
#     /lib/modules/<release>/extra, indexed by the depmod init ran at boot;
#     modprobe loads it by name, with the options /etc/modprobe.d gives,
#     and modprobe -r unloads it; an unknown name fails.
#   tmux (seed 001): a session runs commands side by side in two panes,
#     one waiting in our rq tool until the other sends (so the tools are on
#     the PATH too); a client attached on a "linux" terminal (the serial
#     console's type) draws the session (tmux's terminfo is there).
#   the tools: ioctl and rq are on the PATH and answer --help.
. /tests/lib/tap.sh
cd /root

rel=$(uname -r)
extra=/lib/modules/$rel/extra
modules="mydevice rust_proc_ram_file rustecho rustecho_skeleton rustqueue"
for m in $modules; do rmmod "$m" 2>/dev/null; done

# --- modprobe ------------------------------------------------------------
missing=
for m in $modules; do
	[ -f "$extra/$m.ko" ] || missing="$missing $m.ko"
	grep -q "^extra/$m\.ko:" "/lib/modules/$rel/modules.dep" 2>/dev/null ||
		missing="$missing $m(modules.dep)"
done
[ -z "$missing" ]
ok $? "every module in $extra and in its modules.dep${missing:+ -- not:$missing}"

# seed 003's line
out=$(modprobe rust_proc_ram_file && cat /proc/rust-proc-file); rc=$?
is "$rc:$out" "0:" "modprobe rust_proc_ram_file && cat /proc/rust-proc-file: loaded, the file empty"
modprobe -r rust_proc_ram_file
[ ! -e /sys/module/rust_proc_ram_file ] && [ ! -e /proc/rust-proc-file ]
ok $? "modprobe -r rust_proc_ram_file: unloaded, /proc/rust-proc-file gone"

bad=
for m in $modules; do
	modprobe "$m" && [ -d "/sys/module/$m" ] || bad="$bad $m(load)"
	modprobe -r "$m" && [ ! -e "/sys/module/$m" ] || bad="$bad $m(unload)"
done
[ -z "$bad" ]
ok $? "modprobe and modprobe -r: every module by name${bad:+ -- failed:$bad}"

mkdir -p /etc/modprobe.d
echo "options rustqueue max_messages=5 instances=2" > /etc/modprobe.d/test-lab.conf
modprobe rustqueue
is "$(cat /sys/module/rustqueue/parameters/max_messages 2>&1):$(ls /dev/rustqueue* 2>&1 | tr '\n' ' ')" \
	"5:/dev/rustqueue0 /dev/rustqueue1 " \
	"modprobe rustqueue with options from /etc/modprobe.d: max_messages 5, two queues"
modprobe -r rustqueue
rm -f /etc/modprobe.d/test-lab.conf

modprobe rustqueue max_messages=3
is "$(cat /sys/module/rustqueue/parameters/max_messages 2>&1)" 3 \
	"modprobe rustqueue max_messages=3: options on the command line"
modprobe -r rustqueue

out=$(modprobe no_such_module_here 2>&1); rc=$?
[ "$rc" != 0 ] && [ ! -e /sys/module/no_such_module_here ]
ok $? "modprobe of an unknown module fails (status $rc: $out)"

# --- the tools -----------------------------------------------------------
for t in ioctl rq; do
	p=$(command -v "$t")
	out=$("$t" --help 2>&1); rc=$?
	[ -n "$p" ] && [ "$rc" = 0 ] && grep -qi usage <<<"$out"
	ok $? "$t is on the PATH (${p:-not found}) and answers --help"
done

# --- tmux ----------------------------------------------------------------
p=$(command -v tmux)
[ -n "$p" ]
ok $? "tmux is on the PATH (${p:-not found})"

# wait_for PANE TEXT: up to 20 s for TEXT in PANE's screen
wait_for() {
	local i
	for i in $(seq 200); do
		tmux capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

modprobe rustqueue verbose=0
tmux new-session -d -s lab -x 100 -y 30
ok $? "tmux new-session -d -s lab: the server starts (/tmp for its socket, devpts for the pane)"
# seed 001's way of working: one pane waits, the other acts
tmux split-window -t lab
is "$(tmux list-panes -t lab | wc -l)" 2 "tmux split-window: two panes"
# (rq prints the message as it is, without a newline)
tmux send-keys -t lab:0.0 'rq recv --wait; r=$?; echo; echo "recv-exit=$r"' Enter
sleep 1
tmux send-keys -t lab:0.1 'rq send "hello from the other pane"' Enter
wait_for lab:0.0 "recv-exit=0"
ok $? "pane 0 waited in 'rq recv --wait' until pane 1 sent"
tmux capture-pane -p -t lab:0.0 | grep -qx "hello from the other pane"
ok $? "... and shows the message (tmux capture-pane)"

# a client attached to a terminal of the console's type, "linux": run in
# a pane (a pty of its own), with its own server
tmux send-keys -t lab:0.1 \
	"env -u TMUX TERM=linux tmux -L inner new-session -s inner 'echo inner-client-up; sleep 600'" Enter
wait_for lab:0.1 "inner-client-up"
ok $? "tmux attached on a 'linux' terminal draws its session (terminfo)"
wait_for lab:0.1 "[inner]"
ok $? "... with its status line"
tmux -L inner kill-server
tmux kill-server
modprobe -r rustqueue
[ ! -e /sys/module/rustqueue ]
ok $? "modprobe -r rustqueue after the panes are gone"

done_testing
