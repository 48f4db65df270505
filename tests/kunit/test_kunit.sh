#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The modules' KUnit tests, in the guest: load each test module
# (/root/<module>_kunit.ko, built only against a kernel with KUnit),
# read the results KUnit keeps in debugfs for each suite the module
# brought, turn every test case into a TAP line "<suite>.<case>", and
# unload it.  A suite whose cases did not all report (a crash), a missing
# test module or one that will not load or unload is a failure of its own.
# On a kernel without KUnit (Debian's) there is nothing to run: one skip.
. /tests/lib/tap.sh
cd /root || exit 1

# the test modules the tree builds (a module dropped from a Kbuild file
# must not silently take its tests with it)
expected="mydevice_kunit rust_proc_ram_file_kunit rustecho_kunit rustqueue_kunit"
kunit=/sys/kernel/debug/kunit

if [ ! -d $kunit ]; then
	if ls ./*_kunit.ko >/dev/null 2>&1; then
		ok 1 "KUnit test modules were built, but $kunit is missing"
	else
		ok 0 "# SKIP $(uname -r) has no KUnit (CONFIG_KUNIT); the tests run on the debug kernel"
	fi
	done_testing
	exit
fi

# the suites KUnit has now, by name
suites() {
	local d

	for d in "$kunit"/*/; do
		[ -d "$d" ] && basename "$d"
	done
}

# report_suite SUITE: one TAP line per case of SUITE's results
report_suite() {
	local suite=$1 res=$kunit/$1/results line plan='' cases=0 failed=0
	local re_case='^    (not )?ok [0-9]+ ([^ #]+)( # SKIP.*)?$'

	if [ ! -r "$res" ]; then
		ok 1 "$suite: results readable"
		return
	fi
	while IFS= read -r line; do
		if [[ $line =~ ^\ \ \ \ 1\.\.([0-9]+)$ ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re_case ]]; then
			cases=$((cases + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				failed=$((failed + 1))
				ok 1 "$suite.${BASH_REMATCH[2]}"
			elif [ -n "${BASH_REMATCH[3]}" ]; then
				ok 0 "$suite.${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
			else
				ok 0 "$suite.${BASH_REMATCH[2]}"
			fi
		elif [[ $line =~ ^\ \ \ \ #\ ([a-z_0-9]+:.*)$ ]]; then
			echo "# ${BASH_REMATCH[1]}"
		fi
	done < "$res"
	if [ -z "$plan" ] || [ "$plan" != "$cases" ]; then
		ok 1 "$suite: ${plan:-no} cases planned, $cases reported"
		failed=1
	fi
	# a suite-level failure (its init, say) with no failing case
	if [ "$failed" = 0 ] && grep -q '^not ok ' "$res"; then
		ok 1 "$suite: suite result"
		failed=1
	fi
	[ "$failed" = 0 ] || sed 's/^/#   /' "$res"
}

for m in $expected; do
	if [ ! -e "$m.ko" ]; then
		ok 1 "$m.ko was built"
		continue
	fi
	before=" $(suites) "
	if ! insmod "$m.ko"; then
		ok 1 "$m: loads"
		continue
	fi
	suites=
	for s in $(suites); do
		[[ $before == *" $s "* ]] || suites="$suites $s"
	done
	if [ -z "$suites" ]; then
		ok 1 "$m: brings at least one KUnit suite"
	fi
	for s in $suites; do
		report_suite "$s"
	done
	rmmod "$m"
	ok $? "$m: unloads"
done
for ko in ./*_kunit.ko; do
	[ -e "$ko" ] || continue
	m=$(basename "$ko" .ko)
	case " $expected " in
	*" $m "*) ;;
	*) ok 1 "$m.ko is run (add it to this script's list)" ;;
	esac
done
done_testing
