#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustecho's access rules: the node's mode comes from the mode parameter
# (default 0600); whoever may open it may read, but only CAP_SYS_ADMIN may
# open it for writing: others get EPERM, logged rate-limited with uid, pid
# and command.  /proc/rustecho is readable by anyone.
. /tests/lib/tap.sh
cd /root
RUNAS=/tests/rustecho/runas
NOBODY=65534
rmmod rustecho 2>/dev/null

stat_of() { sed -n "s/^$1: //p" /proc/rustecho; }

insmod rustecho.ko
ok $? "insmod rustecho.ko (default mode)"
echo "root's data" | tee /dev/rustecho > /dev/null
ok $? "root writes"
is "$($RUNAS $NOBODY cat /dev/rustecho 2>&1)" \
	"cat: can't open '/dev/rustecho': Permission denied" \
	"mode 0600: nobody cannot even open it for reading (EACCES)"
is "$($RUNAS $NOBODY cat /proc/rustecho | grep -c '^rustecho\.')" 7 \
	"nobody reads /proc/rustecho"
kmark
is "$($RUNAS -n tee /dev/rustecho < /dev/null 2>&1)" \
	"tee: /dev/rustecho: Operation not permitted" \
	"root without CAP_SYS_ADMIN: open for writing gets EPERM"
is "$($RUNAS -n cat /dev/rustecho)" "root's data" \
	"root without CAP_SYS_ADMIN still reads"
ksince | grep -q '^rustecho: /dev/rustecho: write access denied to uid 0 pid [0-9]* (tee)$'
ok $? "dmesg: write access denied to uid 0 ... (tee)"
rmmod rustecho
ok $? "rmmod"

insmod rustecho.ko mode=0666
ok $? "insmod rustecho.ko mode=0666"
ls -la /dev/rustecho | grep -q '^crw-rw-rw- *1 root *root '
ok $? "ls -la /dev/rustecho: crw-rw-rw- root root"
echo "from root" | sudo tee /dev/rustecho > /dev/null
ok $? "root (CAP_SYS_ADMIN) writes"
is "$($RUNAS $NOBODY cat /dev/rustecho)" "from root" "nobody reads it"

kmark
out=$($RUNAS $NOBODY sh -c 'echo $$; exec tee /dev/rustecho < /dev/null' 2>&1)
pid=$(echo "$out" | head -n 1)
is "$(echo "$out" | tail -n +2)" "tee: /dev/rustecho: Operation not permitted" \
	"nobody opening it for writing (O_WRONLY) gets EPERM"
is "$(ksince | grep 'write access denied')" \
	"rustecho: /dev/rustecho: write access denied to uid $NOBODY pid $pid (tee)" \
	"dmesg: the denial, with uid, pid and command"
$RUNAS $NOBODY sh -c ': <> /dev/rustecho' 2> /tmp/err
ok $(( $? == 0 )) "nobody opening it read-write (O_RDWR) is refused"
grep -q 'Operation not permitted' /tmp/err
ok $? "with EPERM"
$RUNAS $NOBODY sh -c 'echo evil > /dev/rustecho' 2> /tmp/err
grep -q 'Operation not permitted' /tmp/err
ok $? "a shell redirect as nobody: EPERM"
is "$(cat /dev/rustecho)" "from root" "the buffer is unchanged"
is "$(stat_of rustecho.denied_writes)" 3 "/proc: rustecho.denied_writes: 3"
is "$(stat_of rustecho.writes)" 1 "/proc: rustecho.writes: 1"

rmmod rustecho
ok $? "rmmod"

# A burst of 40 denied opens from one shell, well within one rate-limit
# interval (5 s) of a freshly loaded module: all counted, 10 logged.
insmod rustecho.ko mode=0666
kmark
$RUNAS $NOBODY sh -c 'i=0; while [ $i -lt 40 ]; do true > /dev/rustecho; i=$((i + 1)); done' 2>/dev/null
is "$(stat_of rustecho.denied_writes)" 40 "40 denials in a burst are all counted"
is "$(ksince | grep -c 'write access denied')" 10 \
	"but only the first 10 are logged (rate limit)"
rmmod rustecho
ok $? "rmmod"
rm -f /tmp/err

done_testing
