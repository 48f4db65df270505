#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every exercise of seeds 001 (ioctl lab) and 000 (reading and writing lab)
# from the command line, with the `ioctl` tool and the shell, using the
# seeds' own command lines where they give them.  Expected results are the
# seeds' (41 -> 42, 100, hello, ...) or worked out by hand.
. /tests/lib/tap.sh
cd /root
rmmod mydevice 2>/dev/null
D=/dev/mydevice
tmp=$(mktemp -d)

kmark
sudo insmod mydevice.ko
ok $? "sudo insmod mydevice.ko"
ls -la $D | grep -q '^crw------- *1 root *root *10, '
ok $? "ls -la $D: crw------- root root, major 10"

# ---- seed 001
out=$(ioctl $D -t J -n 0 -d none 2>&1)
ok $? "001 ex1: PING (-n 0 -d none) succeeds"
is "$out" "" "001 ex1: and prints nothing"
is "$(ioctl $D -t J -n 1 -d read -s 4)" 1 "001 ex2: GET_VERSION prints 1"
out=$(ioctl $D -t J -n 2 -d write -s 4 -v 42 2>&1)
ok $? "001 ex3: SET_VALUE 42 succeeds"
is "$out" "" "001 ex3: and prints nothing"
is "$(ksince | grep -c '^mydevice: received value: 42$')" 1 \
	"001 ex3: dmesg: mydevice: received value: 42"
is "$(ioctl $D -t J -n 3 -d read-write -s 4 -v 21)" 42 "001 ex4: TRANSFORM 21 prints 42"
is "$(ioctl $D -t J -n 3 -d read-write -s 4 -v 4294967295)" 4294967294 \
	"001 ex4: TRANSFORM 4294967295 prints 4294967294"

out=$(ioctl $D -t J -n 99 -d none 2>&1)
rc=$?
is "$rc" 25 "001 ex5: an unknown command: exit status 25 (ENOTTY)"
is "$(ksince | grep -c '^mydevice: Unknown ioctl: type=0x4a nr=99 size=0$')" 1 \
	"001 ex5: dmesg: mydevice: Unknown ioctl: type=0x4a nr=99 size=0 (the decoder listing's line)"
is "$out" "ioctl: ioctl 0x00004a63 on $D: ENOTTY (errno 25, Inappropriate ioctl for device)" \
	"001 ex5: the message names ENOTTY and errno 25"
ioctl $D -t J -n 1 -d read -s 8 > /dev/null 2>&1
is $? 25 "001 ex5: GET_VERSION's nr with size 8: ENOTTY"
ioctl $D -t K -n 1 -d read -s 4 > /dev/null 2>&1
is $? 25 "001 ex5: GET_VERSION's nr with magic K: ENOTTY"
ioctl $D -t J -n 2 -d read-write -s 4 -v 1 > /dev/null 2>&1
is $? 25 "001 ex5: SET_VALUE's nr as read-write: ENOTTY"

line=$(ksince | grep '^mydevice: GET_VERSION = ')
is "$line" "mydevice: GET_VERSION = 0x80044a01: dir=read size=4 type='J' (0x4a) nr=1" \
	"001 ex6: dmesg at load: GET_VERSION = 0x80044a01 and its fields"
num=$(echo "$line" | sed -n 's/.* = \(0x[0-9a-f]*\):.*/\1/p')
is "$(ioctl --decode "$num")" "dir=read size=4 type='J' (0x4a) nr=1" \
	"001 ex6: ioctl --decode of that number gives the same fields"
is "$(ioctl --decode 0x82187201)" "dir=read size=536 type='r' (0x72) nr=1" \
	"001 ex6: the guide's example 0x82187201 (VFAT_IOCTL_READDIR_BOTH)"

# ex7: each ioctl run opens the device anew, so a value set by one run is
# not seen by the next; --fd keeps one open file across runs.
ioctl $D -t J -n 2 -d write -s 4 -v 5
is "$(ioctl $D -t J -n 5 -d read -s 4)" 0 \
	"001 ex7: a separate run is a separate open: GET_VALUE prints 0"
exec 3<>$D
ioctl --fd 3 -t J -n 2 -d write -s 4 -v 77
ok $? "001 ex7: SET_VALUE 77 on an open held by the shell (fd 3)"
is "$(ioctl --fd 3 -t J -n 5 -d read -s 4)" 77 "001 ex7: GET_VALUE on fd 3 prints 77"
is "$(grep '^value:' /proc/$$/fdinfo/3)" "$(printf 'value:\t77')" \
	"001 ex7: /proc/\$\$/fdinfo/3 shows value: 77"

# ex8: two processes, each with its own open
mkfifo $tmp/a $tmp/b
(
	exec 4<>$D
	ioctl --fd 4 -t J -n 2 -d write -s 4 -v 1111
	echo set > $tmp/a
	read -r _ < $tmp/b
	ioctl --fd 4 -t J -n 5 -d read -s 4 > $tmp/first
	grep '^value:' /proc/$BASHPID/fdinfo/4 > $tmp/first.fdinfo
) &
pid=$!
read -r _ < $tmp/a
ioctl --fd 3 -t J -n 2 -d write -s 4 -v 2222
ok $? "001 ex8: the second process sets 2222 while the first holds 1111"
is "$(grep '^value:' /proc/$pid/fdinfo/4)" "$(printf 'value:\t1111')" \
	"001 ex8: /proc/<first>/fdinfo/4 shows value: 1111"
echo go > $tmp/b
wait $pid
is "$(cat $tmp/first)" 1111 "001 ex8: the first process reads back 1111"
is "$(cat $tmp/first.fdinfo)" "$(printf 'value:\t1111')" \
	"001 ex8: its fdinfo still says 1111"
is "$(ioctl --fd 3 -t J -n 5 -d read -s 4)" 2222 "001 ex8: the second reads back 2222"

# ---- seed 000, part 1
is "$(ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41)" 42 \
	"000 ex1: ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41 prints 42"
out=$(ioctl /dev/mydevice -t J -n 1 -d write -s 4 -v 100 2>&1)
ok $? "000 ex2: ioctl /dev/mydevice -t J -n 1 -d write -s 4 -v 100"
is "$out" "" "000 ex2: prints nothing"
is "$(ioctl /dev/mydevice -t J -n 2 -d read -s 4)" 100 \
	"000 ex2: ioctl /dev/mydevice -t J -n 2 -d read -s 4 prints 100 (shared by every open)"
# struct point {x = 3, y = -4}: little-endian bytes 03000000 fcffffff
is "$(printf '\x03\x00\x00\x00\xfc\xff\xff\xff' |
	ioctl $D -t J -n 3 -d read-write -s 8 -x)" "fdffffff04000000" \
	"000 ex3: point {3, -4} from stdin -> {-3, 4} (fdffffff 04000000)"
# the same as one 8-byte integer: y=-4, x=3 is 0xfffffffc00000003
is "$(ioctl $D -t J -n 3 -d read-write -s 8 -v 0xfffffffc00000003)" 21474836477 \
	"000 ex3: as an integer: 0xfffffffc00000003 -> 0x00000004fffffffd"
# ex4 needs a pointer into the caller's memory, which a command line
# cannot give; the C test copies real bytes.  Here: the CLI path reaches
# COPY_BUF, a NULL ptr faults, and len 0 empties the buffer.
echo -n abc > $D
out=$(printf '\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00' |
	ioctl $D -t J -n 4 -d write -s 16 2>&1)
is "$?" 14 "000 ex4: COPY_BUF {ptr 0, len 5}: exit status 14 (EFAULT)"
is "$out" "ioctl: ioctl 0x40104a04 on $D: EFAULT (errno 14, Bad address)" \
	"000 ex4: the message names EFAULT"
is "$(cat $D)" abc "000 ex4: the faulting COPY_BUF left the buffer alone"
echo -n abc > $D
head -c 16 /dev/zero | ioctl $D -t J -n 4 -d write -s 16
ok $? "000 ex4: COPY_BUF {ptr 0, len 0} succeeds"
is "$(cat $D | wc -c)" 0 "000 ex4: and empties the buffer"
# the lab's own number: _IOW with a data size of u64, the same struct
echo -n abc > $D
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00' |
	ioctl $D -N 0x40084a04 -s 16 > $tmp/seednr.out 2>&1
is "$?" 14 "000 ex4: the seed's _IOW('J',4,u64) = 0x40084a04 {ptr 0, len 5}: EFAULT, a known command"
is "$(cat $tmp/seednr.out)" "ioctl: ioctl 0x40084a04 on $D: EFAULT (errno 14, Bad address)" \
	"000 ex4: the tool sent 0x40084a04 with 16 bytes"
echo -n abc > $D
head -c 16 /dev/zero | ioctl $D -N 0x40084a04 -s 16
ok $? "000 ex4: 0x40084a04 {ptr 0, len 0} succeeds"
is "$(cat $D | wc -c)" 0 "000 ex4: and empties the buffer"

# the shared counter and buffer change only through an open for writing
exec 8<$D
ioctl --fd 8 -t J -n 1 -d write -s 4 -v 5 > $tmp/ro.out 2>&1
is "$?" 9 "SET_COUNTER through a read-only open (exec 8<$D): EBADF (errno 9)"
is "$(cat $tmp/ro.out)" "ioctl: ioctl 0x40044a01 on fd 8: EBADF (errno 9, Bad file descriptor)" \
	"the tool names EBADF"
is "$(ioctl --fd 8 -t J -n 2 -d read -s 4)" 100 \
	"GET_COUNTER through the read-only open works: still 100"
exec 8<&-

out=$(ioctl /dev/mydevice -t J -n 99 -d none 2>&1)
is "$?" 25 "000 ex5: ioctl /dev/mydevice -t J -n 99 -d none fails with ENOTTY (errno 25)"
echo "$out" | grep -q 'ENOTTY (errno 25'
ok $? "000 ex5: and says so"

# ---- seed 000, part 2
echo -n "hello" > /dev/mydevice
ok $? "000 ex6: echo -n \"hello\" > /dev/mydevice"
is "$(cat /dev/mydevice)" hello "000 ex7: cat /dev/mydevice prints hello"
is "$(cat /dev/mydevice | wc -c)" 0 "000 ex7: a second cat: empty (EOF)"

err=$(head -c 300 /dev/zero | tr '\0' 'A' 2>&1 > /dev/mydevice)
ok $((! $?)) "000 ex8: head -c 300 /dev/zero | tr '\\0' 'A' > /dev/mydevice fails"
echo "$err" | grep -q 'No space left on device'
ok $? "000 ex8: with ENOSPC ($err)"
is "$(cat /dev/mydevice)" "$(printf 'A%.0s' {1..256})" "000 ex8: the device took exactly 256 x A"
echo -n 12345 > $D
head -c 300 /dev/zero | tr '\0' 'A' > /dev/mydevice 2>/dev/null
is "$(cat /dev/mydevice | wc -c)" 256 "000 ex8: after 5 bytes, 251 more fit (256 in all)"
echo -n 12345 > $D
echo -n 678 > $D
is "$(cat $D)" 12345678 "000 ex6-7: two writes append; cat reads both"

echo -n abcdefghij > $D
is "$(dd if=$D bs=3 count=1 2>/dev/null)" abc "000 ex9: dd bs=3 count=1 reads abc"
is "$(dd if=$D bs=1 count=2 2>/dev/null)" de "000 ex9: dd bs=1 count=2 reads de"
is "$(cat $D)" fghij "000 ex9: cat reads the rest, fghij"

exec 5<>$D 6<>$D 7<>$D
echo -n "round trip" >&5
is "$(cat <&6)" "round trip" "000 ex10: written through fd 5, read through fd 6"
echo -n third >&7
is "$(cat <&5)" third "000 ex10: written through fd 7, read through fd 5"
is "$(cat <&6 | wc -c)" 0 "000 ex10: fd 6 then finds the buffer empty"

# ---- unload
out=$(sudo rmmod mydevice 2>&1)
ok $((! $?)) "rmmod while files are open: refused ($out)"
grep -q '^mydevice ' /proc/modules
ok $? "the module is still loaded"
exec 3<&- 5<&- 6<&- 7<&-
sudo rmmod mydevice
ok $? "after closing them, sudo rmmod mydevice"
[ ! -e $D ]
ok $? "$D is gone"
rm -rf "$tmp"

done_testing
