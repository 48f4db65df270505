#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_kerneldoc.sh (host): the UAPI headers (include/uapi/linux/*.h) carry
# kernel-doc comments, and the kernel's own checker finds nothing wrong in
# them.  For each header:
#   - scripts/kernel-doc -none -Wall (from the 6.12 headers package) prints
#     no warning: every member and parameter described, names matching
#   - every struct, union and enum it defines has a kernel-doc comment
#     ("/**" then " * struct NAME - ...")
#   - every ioctl command it defines (#define X _IO/_IOR/_IOW/_IOWR(...))
#     has one (" * X - ...")
# Without the last two, a header with no kernel-doc at all would pass.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

kd=$(ls -1 /usr/src/linux-headers-6.12*-common/scripts/kernel-doc 2>/dev/null |
	sort -V | tail -n 1)
if [ -z "$kd" ]; then
	echo "Bail out! no scripts/kernel-doc in /usr/src/linux-headers-6.12*-common (scripts/deps)"
	exit 1
fi

# documented FILE: the names kernel-doc comments document, one a line
# ("struct foo", "enum bar", "FOO_IOC_X"): the first line of each /** block
documented() {
	awk '/^\/\*\*/ { getline; sub(/^ \* /, ""); sub(/ - .*/, "");
			 sub(/\(\)$/, ""); print }' "$1"
}

for h in include/uapi/linux/*.h; do
	out=$(perl "$kd" -none -Wall "$h" 2>&1)
	if [ -z "$out" ]; then
		ok 0 "$h: kernel-doc -Wall: no warnings"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		ok 1 "$h: kernel-doc -Wall: $(grep -c . <<<"$out") warnings (above)"
	fi

	docs=$(documented "$h")
	missing=
	while read -r kind tag; do
		grep -qxF "$kind $tag" <<<"$docs" || missing="$missing $kind $tag,"
	done < <(sed -n 's/^[[:space:]]*\(struct\|union\|enum\)[[:space:]]\+\([A-Za-z_0-9]\+\)[[:space:]]*{.*/\1 \2/p' "$h")
	[ -z "$missing" ]
	ok $? "$h: every struct, union and enum has a kernel-doc comment${missing:+ (not:${missing%,})}"

	missing=
	while read -r ioc; do
		grep -qxF "$ioc" <<<"$docs" || missing="$missing $ioc"
	done < <(sed -n 's/^#define[[:space:]]\+\([A-Za-z_0-9]\+\)[[:space:]]\+_IO[RW]*[[:space:]]*(.*/\1/p' "$h")
	[ -z "$missing" ]
	ok $? "$h: every ioctl command has a kernel-doc comment${missing:+ (not:$missing)}"
done

done_testing
