#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every module with an interface reports its version there, the same as
# modinfo's (MODULE_VERSION, which the kernel shows in
# /sys/module/<module>/version once it is loaded):
#   rustqueue            /proc/rustqueue has a line "version: <version>"
#   rustecho             /proc/rustecho has a line "version: <version>"
#   rust_proc_ram_file   its only file is the data file; a line in a /proc
#                        file of its own, /proc/rust-proc-file-info, or an
#                        ioctl would do: we look for the /proc line
#   mydevice             GET_VERSION (seed 001's ioctl) returns the major
#                        number of <version>
# rustecho_skeleton has no interface at all (the seed's Stage 1): exempt.
# (Issue 8: "the version also reported by each module's version ioctl or
# /proc file".)
. /tests/lib/tap.sh
cd /root

# loaded M: load module M alone; prints its /sys/module version
loaded() {
	rmmod "$1" 2>/dev/null
	insmod "$1.ko" || return 1
	cat "/sys/module/$1/version" 2>/dev/null
}

# has_version_line FILE VERSION
has_version_line() {
	grep -qiE "^version:?[[:space:]]+$2\$" "$1" 2>/dev/null
}

for m in rustqueue:/proc/rustqueue rustecho:/proc/rustecho \
	 rust_proc_ram_file:/proc/rust-proc-file-info; do
	mod=${m%%:*} file=${m#*:}
	v=$(loaded "$mod")
	[ -n "$v" ]
	ok $? "$mod: loads, /sys/module/$mod/version is '$v'"
	has_version_line "$file" "$v"
	ok $? "$mod: $file has a line 'version: $v'"
	rmmod "$mod"
done

v=$(loaded mydevice)
[ -n "$v" ]
ok $? "mydevice: loads, /sys/module/mydevice/version is '$v'"
got=$(ioctl /dev/mydevice -t J -n 1 -d read -s 4)
is "$got" "${v%%.*}" "mydevice: GET_VERSION returns the major number of '$v'"
rmmod mydevice

done_testing
