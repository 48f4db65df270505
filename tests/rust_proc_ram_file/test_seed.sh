#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 003's manual test, command for command (the guest is root; its
# modules are in /root, so "modprobe" becomes insmod), then what the issue
# adds: ls -l, wc, tail and cp see a regular file of the right size.
. /tests/lib/tap.sh
cd /root
rmmod rust_proc_ram_file 2>/dev/null
F=/proc/rust-proc-file

kmark
sudo insmod rust_proc_ram_file.ko
ok $? "insmod rust_proc_ram_file.ko"
is "$(ksince | grep '^rust_proc_ram_file: Loaded')" \
	"rust_proc_ram_file: Loaded /proc/rust-proc-file" "dmesg: Loaded /proc/rust-proc-file"
ls -l $F | grep -q '^-rw-rw-rw- *1 root *root *0 '
ok $? "ls -l: -rw-rw-rw- root root, size 0"
is "$(cat $F | wc -c)" 0 "cat: empty after load"

echo "abcd" > $F && is "$(cat $F)" "abcd" 'echo "abcd" > file; cat -> abcd'
echo "defg" > $F && is "$(cat $F)" "defg" 'echo "defg" > file; cat -> defg (replaced)'
echo "abcd" >> $F && is "$(cat $F)" "defg
abcd" 'echo "abcd" >> file; cat -> defg, abcd (appended)'

ls -l $F | grep -q '^-rw-rw-rw- *1 root *root *10 '
ok $? "ls -l shows the size, 10"
is "$(stat -c %s $F)" 10 "stat -c %s: 10"
is "$(wc -c < $F)" 10 "wc -c: 10"
is "$(wc -l < $F)" 2 "wc -l: 2"
is "$(tail -n 1 $F)" "abcd" "tail -n 1: abcd"
is "$(tail -c 3 $F | od -An -c | tr -d ' ')" 'cd\n' "tail -c 3: cd\\n"

head -c 300000 /dev/urandom > /tmp/rand
cp /tmp/rand $F
ok $? "cp a 300000-byte file onto it"
cmp -s /tmp/rand $F
ok $? "cmp: same contents"
is "$(stat -c %s $F)" 300000 "size 300000"
cp $F /tmp/back && cmp -s /tmp/rand /tmp/back
ok $? "cp it back: same contents"
dd if=/dev/zero of=$F bs=1 count=1 seek=1048575 conv=notrunc 2>/dev/null
ok $? "dd writes one byte at 1 MiB - 1"
is "$(stat -c %s $F)" 1048576 "size 1048576"
is "$(dd if=$F bs=4096 skip=100 count=1 2>/dev/null | tr -d '\0' | wc -c)" 0 \
	"the hole between reads as zeros"
: > $F
is "$(stat -c %s $F)" 0 ": > file empties it"
# issue 13: programs that fsync what they write
dd if=/tmp/rand of=$F bs=4096 count=10 conv=fsync 2>/tmp/dd.err
ok $? "dd conv=fsync succeeds ($(tr '\n' ' ' < /tmp/dd.err))"
cmp -s -n 40960 /tmp/rand $F
ok $? "and wrote the data"
: > $F

sudo rmmod rust_proc_ram_file
ok $? "rmmod rust_proc_ram_file"
[ ! -e $F ]
ok $? "$F is gone"
sudo insmod rust_proc_ram_file.ko && is "$(cat $F | wc -c)" 0 "reloaded: empty"
sudo rmmod rust_proc_ram_file
rm -f /tmp/rand /tmp/back /tmp/dd.err
done_testing
