#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_manpages.sh (host): every tool (tools/<tool>.c) has a man page,
# tools/<tool>.1, that man renders without a warning (as lintian checks
# them: man --warnings), whose NAME is the tool, and that documents exactly
# the long options the tool's --help lists: an option added to one and not
# the other fails here.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

out=$(make -s tools 2>&1)
ok $? "make tools${out:+ -- $out}"

# long_opts TEXT: the --options TEXT names, sorted, one a line
long_opts() { grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u; }

for src in tools/*.c; do
	t=$(basename "$src" .c)
	page=tools/$t.1
	if [ ! -f "$page" ]; then
		ok 1 "$t: has a man page ($page)"
		continue
	fi
	ok 0 "$t: has a man page ($page)"
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	[ -z "$warn" ]
	ok $? "$t.1: man --warnings renders it without a warning${warn:+ -- $warn}"
	text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null)
	grep -A1 '^NAME' <<<"$text" | grep -qE "^ +$t - "
	ok $? "$t.1: NAME says '$t - ...'"
	grep -q "^${t^^}(1) " <<<"$text"
	ok $? "$t.1: section 1"
	help=$("build/tools/$t" --help 2>&1)
	is "$(long_opts <<<"$text" | tr '\n' ' ')" "$(long_opts <<<"$help" | tr '\n' ' ')" \
		"$t.1 documents the long options $t --help lists, no more, no fewer"
done

done_testing
