#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_rustqueue_lockless.sh (host): rustqueue's lockless accesses come in
# pairs (issue 13 finding 7).  A value read without its lock is read with
# READ_ONCE(); every write to it then must be a WRITE_ONCE() (or an
# atomic), except where the object is not yet shared: the functions that
# initialise it.  A module parameter writable at run time is set by the
# kernel's parameter code at any moment, so it needs a setter that writes
# with WRITE_ONCE() and readers that read with READ_ONCE().
#
# A source check, not a run: a plain write beside a READ_ONCE() is a data
# race the compiler may tear or fuse, but one no test in a guest can
# catch (KCSAN takes plain aligned writes of a word for atomic).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top/rustqueue"

# functions where the object being set up is not shared yet (and file-scope
# definitions: static initialisers)
init_fns='rq_queue_init|rq_open|rq_init'

# "file:line: text" of every plain write to what is read with READ_ONCE():
# a field as the code names it ("q->nspare", "rf->msg") or a variable
plain=$(perl -ne '
	BEGIN { $init = qr/^(?:'"$init_fns"')$/ }
	if ($ARGV ne $file) { $file = $ARGV; push @files, $file }
	push @{$lines{$file}}, $_;
	while (/READ_ONCE\(\s*(\w+(?:->|\.)\w+|\w+)\s*\)/g) {
		$read{$1} = 1;
	}
	END {
		for my $f (@files) {
			my ($fn, $n) = ("", 0);
			for (@{$lines{$f}}) {
				$n++;
				$fn = $1 if /^\w[\w\s\*]*?\b(\w+)\(/ && !/;\s*$/;
				next if $fn =~ $init || /WRITE_ONCE|atomic_/;
				next if /^\s*(\*|\/\*|\/\/)/;
				next if /^static\b/;	# a definition
				for my $v (keys %read) {
					my $e = qr/(?<![\w>.])\Q$v\E\b/;
					if (/$e\s*(?:[-+|&]?=(?!=)|\+\+|--)/ ||
					    /(?:\+\+|--)\s*$e/) {
						print "$f:$n: $_";
					}
				}
			}
		}
	}' ./*.c ./*.h)
[ -z "$plain" ]
ok $? "rustqueue: every value read with READ_ONCE() is written with WRITE_ONCE() once shared"
[ -n "$plain" ] && echo "$plain" | sed 's/^/#   /'

# module parameters writable at run time: "name perm" pairs
mapfile -t params < <(perl -ne '
	print "$1 $2\n" if /module_param(?:_cb|_named)?\(\s*(\w+)\s*,[^;]*,\s*(0[0-7]+|S_\w+)\s*\)/' dev.c)
writable=()
for p in "${params[@]}"; do
	name=${p% *} perm=${p#* }
	[[ $perm =~ ^0[0-7]*[2367][0-7]*$|S_IW ]] && writable+=("$name")
done
[ ${#writable[@]} -gt 0 ]
ok $? "rustqueue: has parameters writable at run time (${writable[*]})"
for v in "${writable[@]}"; do
	grep -qE "module_param_cb\($v, &rq_[a-z_]*ops," dev.c
	ok $? "rustqueue: parameter $v is set through our setter (WRITE_ONCE), not the kernel's plain one"
	# uses of the variable outside its declaration and registration
	bad=$(grep -nwE "$v" dev.c | grep -vE "READ_ONCE\($v\)|module_param|MODULE_PARM|^[0-9]+:static [a-z ]+ $v( =|;)|^[0-9]+:\s*(\*|/\*)")
	[ -z "$bad" ]
	ok $? "rustqueue: parameter $v is read with READ_ONCE() only"
	[ -n "$bad" ] && echo "$bad" | sed 's/^/#   /'
done

done_testing
