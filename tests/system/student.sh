#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The real-system tier, in the guest (tests/system/run boots it): a user
# "student" with sudo, on a Debian sid system with the running kernel's
# headers, types the seeds' commands, verbatim, in a clone of this
# repository (~/rustmods), and this checks what they print against what
# the seeds say the reader sees:
#   seed 002: make clean && make in rustqueue/, insmod, the walkthrough
#     with its dmesg lines, rmmod, and the 20-writes walkthrough;
#   seed 004: make clean && make in rustecho/, the lecture's
#     test_rustecho.sh (only its Rust-only check adapted), make clean;
#   seed 003: "modprobe rust_proc_ram_file" and its echo/cat steps, after
#     make && sudo make install in rust_proc_ram_file/; sudo make
#     install-tools at the top puts ioctl and rq on the PATH; then both
#     uninstalled (the top-level "make install", which builds every
#     module, is tests/host/test_install.sh's, not repeated here);
#   the packages: apt install of the two .deb files (DKMS builds the
#     modules), modprobe, the node's group and mode from the udev rules,
#     access through the group; seeds 000/001's ioctl command lines with
#     the package's ioctl and the DKMS-built mydevice; apt remove and
#     purge leaving nothing.
# Seed 003 and the /proc file are the root shell's in the lecture (its
# guest has only root); the file's mode is 0666, so the student's shell
# runs its echo/cat lines as they are, and modprobe with sudo.
. ~/rustmods/tests/lib/tap.sh
cd ~/rustmods || exit 1
rel=$(uname -r)

# the kernel log since a mark, without timestamps (dmesg is root's here)
mark() { sudo dmesg | wc -l; }
since() { sudo dmesg | tail -n +$(($1 + 1)) | sed 's/^\[[ 0-9.]*\] //'; }
# is_in "$text" "$lines" "what": every line of $lines is in $text, in order
is_in() {
	local rest=$1 line
	while IFS= read -r line; do
		case "$rest" in
		*"$line"*) rest=${rest#*"$line"} ;;
		*) is "$1" "$2" "$3"; return ;;
		esac
	done <<< "$2"
	ok 0 "$3"
}

# where the tier's time goes: "# STEP took Ns (guest clock)" lines
t_step=$SECONDS
took() {
	echo "# $1 took $((SECONDS - t_step))s (guest clock)"
	t_step=$SECONDS
}

# --- seed 002 ------------------------------------------------------------
cd ~/rustmods/rustqueue || exit 1
ls | grep -qx Makefile && ls | grep -qx README.md
ok $? "seed 002: ls shows Makefile and README.md"
out=$(make clean && make 2>&1)
ok $? "seed 002: make clean && make"
took "seed 002: make clean && make"
[ -f rustqueue.ko ]
ok $? "seed 002: rustqueue.ko built beside the sources"
echo "$out" | grep -q 'CC \[M\] .*dev\.o$'
ok $? "seed 002: by kbuild, for the running kernel's headers"
m=$(mark)
sudo insmod rustqueue.ko
ok $? "seed 002: sudo insmod rustqueue.ko"
ls -la /dev/rustqueue | grep -q '^crw------- 1 root root '
ok $? "seed 002: ls -la /dev/rustqueue: crw------- 1 root root"
echo "first message" | sudo tee /dev/rustqueue > /dev/null &&
echo "second message" | sudo tee /dev/rustqueue > /dev/null &&
echo "third message" | sudo tee /dev/rustqueue > /dev/null
ok $? "seed 002: three messages through sudo tee"
is "$(sudo cat /dev/rustqueue)" "first message" "seed 002: sudo cat -> first message"
is "$(sudo cat /dev/rustqueue)" "second message" "seed 002: sudo cat -> second message"
is "$(sudo cat /dev/rustqueue)" "third message" "seed 002: sudo cat -> third message"
is "$(sudo cat /dev/rustqueue | wc -c)" 0 "seed 002: sudo cat -> (empty, EOF)"
is_in "$(sudo dmesg | tail -10)" "rustqueue: module loaded (capacity 16 messages)
rustqueue: enqueued 14 bytes (1 in queue)
rustqueue: enqueued 15 bytes (2 in queue)
rustqueue: enqueued 14 bytes (3 in queue)
rustqueue: dequeued (2 remaining)
rustqueue: dequeued (1 remaining)
rustqueue: dequeued (0 remaining)" "seed 002: sudo dmesg | tail -10 shows the seed's seven lines"
sudo rmmod rustqueue
ok $? "seed 002: sudo rmmod rustqueue"
is "$(since "$m" | tail -n 1)" "rustqueue: module unloaded (0 queued messages freed)" \
	"seed 002: dmesg: module unloaded"
took "seed 002: the walkthrough"

sudo insmod rustqueue.ko
out=$(for i in {1..20}; do echo "message $i" | sudo tee /dev/rustqueue > /dev/null || echo "write $i FAILED"; done 2>&1)
is "$(echo "$out" | grep FAILED)" "write 17 FAILED
write 18 FAILED
write 19 FAILED
write 20 FAILED" "seed 002: 20 writes: 17-20 FAILED"
is "$(echo "$out" | grep -c '^tee: /dev/rustqueue: No space left on device$')" 4 \
	"seed 002: tee says No space left on device for each"
tail20=$(sudo dmesg | tail -20)
is "$(echo "$tail20" | grep -c 'rustqueue: enqueued')" 16 \
	"seed 002: sudo dmesg | tail -20: 16 successful enqueues"
is "$(echo "$tail20" | grep -c 'rustqueue: queue full, rejecting write$')" 4 \
	"seed 002: ... followed by 4 rejected writes"
sudo rmmod rustqueue
ok $? "seed 002: sudo rmmod rustqueue (16 messages queued)"
took "seed 002: the 20 writes"

# --- seed 004 ------------------------------------------------------------
cd ~/rustmods/rustecho || exit 1
before=$(ls -A | sort)
cp ~/rustmods/tests/system/test_rustecho.sh . && chmod +x test_rustecho.sh
out=$(./test_rustecho.sh 2>&1)
ok $? "seed 004: ./test_rustecho.sh exits 0"
took "seed 004: test_rustecho.sh"
section() {	# the lines of section $1 of the script's output
	echo "$out" | sed -n "/^=== $1 ===\$/,/^\$/p" | sed '1d;$d'
}
section "Building Rust module" | grep -q 'CC \[M\] .*dev\.o$'
ok $? "seed 004: the script builds rustecho.ko (rm -f rustecho.c deletes nothing of ours)"
section "Loading module" | grep -q '\] rustecho: module loaded$'
ok $? "seed 004: Loading module: rustecho: module loaded"
section "Checking device node" | grep -q '^crw------- 1 root root .* /dev/rustecho$'
ok $? "seed 004: Checking device node: crw------- 1 root root"
is "$(section "Reading from device")" "hello from user space" \
	"seed 004: Reading from device: hello from user space"
section "Tracing syscalls" | grep -q '^openat(AT_FDCWD, "/dev/rustecho", O_RDONLY) = 3$'
ok $? "seed 004: Tracing syscalls: cat opens /dev/rustecho"
section "Tracing syscalls" | grep -q '^read(3, "hello from user space\\n", [0-9]*) = 22$'
ok $? "seed 004: Tracing syscalls: the read of 22 bytes"
section "Kernel log" | grep -q '\] rustecho: wrote 22 bytes$' &&
	section "Kernel log" | grep -q '\] rustecho: read 22 bytes$'
ok $? "seed 004: Kernel log: wrote 22 bytes, read 22 bytes"
section "Unloading module" | grep -q '\] rustecho: module unloaded$'
ok $? "seed 004: Unloading module: rustecho: module unloaded (our line: the seed's Rust module logs none; rustecho/README.md)"
is "$(section "Verifying cleanup")" "ls: cannot access '/dev/rustecho': No such file or directory
/dev/rustecho removed — clean.
Module not in lsmod — clean." "seed 004: Verifying cleanup"
is "$(echo "$out" | tail -n 1)" "=== Done ===" "seed 004: === Done ==="
rm -f test_rustecho.sh
make clean > /dev/null 2>&1
ok $? "seed 004: make clean"
is "$(ls -A | sort)" "$before" "seed 004: make clean leaves only the sources"

# --- seed 003, and make install -------------------------------------------
cd ~/rustmods/rust_proc_ram_file || exit 1
out=$( (make && sudo make install) 2>&1)
st=$?
ok $st "rust_proc_ram_file: make && sudo make install"
[ $st = 0 ] || echo "$out" | tail -n 20 | sed 's/^/#   /'
took "seed 004 checks, make clean; rust_proc_ram_file: make && sudo make install"
ls "/lib/modules/$rel/extra/rust_proc_ram_file/rust_proc_ram_file.ko"* > /dev/null
ok $? "make install: /lib/modules/$rel/extra/rust_proc_ram_file/rust_proc_ram_file.ko(.xz)"
cd ~/rustmods && out=$(sudo make install-tools 2>&1)
ok $? "sudo make install-tools (at the top)"
took "sudo make install-tools"
is "$(command -v ioctl) $(command -v rq)" "/usr/local/bin/ioctl /usr/local/bin/rq" \
	"make install-tools: ioctl and rq on the PATH"
cd ~ || exit 1
sudo modprobe rust_proc_ram_file && cat /proc/rust-proc-file > out.txt
ok $? "seed 003: modprobe rust_proc_ram_file && cat /proc/rust-proc-file"
is "$(wc -c < out.txt)" 0 "seed 003: nothing is there"
is "$(echo "abcd" > /proc/rust-proc-file && cat /proc/rust-proc-file)" "abcd" \
	"seed 003: echo abcd > /proc/rust-proc-file && cat: abcd"
is "$(echo "defg" > /proc/rust-proc-file && cat /proc/rust-proc-file)" "defg" \
	"seed 003: echo defg > ...: only defg"
is "$(echo "abcd" >> /proc/rust-proc-file && cat /proc/rust-proc-file)" "defg
abcd" "seed 003: echo abcd >> ...: defg, abcd"
sudo modprobe -r rust_proc_ram_file && [ ! -e /proc/rust-proc-file ]
ok $? "seed 003: modprobe -r rust_proc_ram_file removes the file"

ioctl --help | grep -q /dev/mydevice
ok $? "ioctl --help"
cd ~/rustmods/rust_proc_ram_file && sudo make uninstall > /dev/null 2>&1
ok $? "rust_proc_ram_file: sudo make uninstall"
cd ~/rustmods && sudo make uninstall-tools > /dev/null 2>&1
ok $? "sudo make uninstall-tools"
left=$(find "/lib/modules/$rel" -name 'rustqueue*.ko*' -o -name 'mydevice*.ko*' \
	-o -name 'rust_proc_ram_file*.ko*' -o -name 'rustecho*.ko*'; ls /usr/local/bin)
is "$left" "" "make uninstall: no module and no tool left"
sudo modprobe -n rust_proc_ram_file 2>/dev/null
ok $(( $? == 0 )) "make uninstall: modprobe finds no rust_proc_ram_file"

# --- the packages -----------------------------------------------------------
cd ~/packages || exit 1
debs=$(ls ./rustmods-dkms_*_all.deb ./rustmods-tools_*.deb)
# apt, as a user types it (its "no stable CLI" warning goes to stderr)
out=$(sudo apt install -y $debs 2>&1)
st=$?
ok $st "sudo apt install ./rustmods-dkms_*.deb ./rustmods-tools_*.deb"
[ $st = 0 ] || echo "$out" | tail -n 30 | sed 's/^/#   /'
took "seed 003, uninstalls; apt install of the packages (DKMS builds)"
ver=$(dpkg-query -W -f '${Version}' rustmods-dkms)
sudo dkms status | grep -q "^rustmods/$ver, $rel, x86_64: installed"
ok $? "dkms status: rustmods/$ver built and installed for $rel"
[ -f /etc/modprobe.d/rustmods.conf ] && [ -f /lib/udev/rules.d/99-rustmods.rules ]
ok $? "apt install: /etc/modprobe.d/rustmods.conf and the udev rules in place"
sudo modprobe rustqueue
ok $? "sudo modprobe rustqueue (the DKMS-built module)"
sudo modinfo -n rustqueue | grep -q "/lib/modules/$rel/updates/dkms/rustqueue\.ko"
ok $? "modinfo -n rustqueue: DKMS's copy"
ls -l /dev/rustqueue | grep -q '^crw-rw---- 1 root rustmods '
ok $? "udev: /dev/rustqueue is crw-rw---- root rustmods"
echo "not a member" > /dev/rustqueue 2>/dev/null
ok $(( $? == 0 )) "a user outside the group rustmods cannot write it"
sudo gpasswd -a student rustmods > /dev/null
# a new login of the student's (sudo -u sets up the groups afresh)
is "$(sudo -u student sh -c 'echo "from the group" > /dev/rustqueue && cat /dev/rustqueue')" \
	"from the group" "a member of rustmods writes and reads it without sudo"
is "$(rq --help 2>&1 | head -n 1 | cut -c1-6)" "usage:" "rustmods-tools: rq on the PATH"
# seeds 000 and 001: the ioctl lines, with the module DKMS built and the
# package's ioctl
sudo modprobe mydevice
ok $? "seed 000: sudo modprobe mydevice"
is "$(command -v ioctl)" /usr/bin/ioctl "rustmods-tools: ioctl in /usr/bin"
is "$(sudo ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41)" 42 \
	"seed 000: ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41: 42"
out=$(sudo ioctl /dev/mydevice -t J -n 1 -d write -s 4 -v 100 2>&1)
ok $? "seed 000: ioctl /dev/mydevice -t J -n 1 -d write -s 4 -v 100"
is "$(sudo ioctl /dev/mydevice -t J -n 2 -d read -s 4)" 100 \
	"seed 000: ioctl /dev/mydevice -t J -n 2 -d read -s 4: 100"
out=$(sudo ioctl /dev/mydevice -t J -n 99 -d none 2>&1)
is "$?" 25 "seed 000: ioctl /dev/mydevice -t J -n 99 -d none: ENOTTY (25)"
echo "$out" | grep -q ENOTTY
ok $? "seed 000: ... and says ENOTTY"
sudo modprobe -r mydevice
ok $? "sudo modprobe -r mydevice"
sudo modprobe -r rustqueue
files=$(dpkg -L rustmods-dkms rustmods-tools | sort -u)
sudo gpasswd -d student rustmods > /dev/null
out=$(sudo apt remove -y rustmods-dkms rustmods-tools 2>&1)
ok $? "sudo apt remove rustmods-dkms rustmods-tools"
left=$(find "/lib/modules/$rel" /var/lib/dkms -name 'rustqueue*' -o -name 'rustmods*')
is "$left" "" "apt remove: DKMS's modules and tree are gone"
sudo modprobe -n rustqueue 2>/dev/null
ok $(( $? == 0 )) "apt remove: modprobe finds no rustqueue"
out=$(sudo apt purge -y rustmods-dkms rustmods-tools 2>&1)
ok $? "sudo apt purge rustmods-dkms rustmods-tools"
left=$(while read -r f; do
	[ -e "$f" ] && [ ! -d "$f" ] && echo "$f"
	done <<< "$files")
is "$left" "" "apt purge: none of the packages' files is left"
getent group rustmods > /dev/null
ok $(( $? == 0 )) "apt purge: the group rustmods is gone"
is "$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' 'rustmods*' 2>/dev/null |
	grep -v ' not-installed$')" "" "dpkg: no rustmods package is installed any more"
took "the packages' checks, apt remove and purge"

done_testing
