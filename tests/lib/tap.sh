# SPDX-License-Identifier: GPL-2.0
# tap.sh - TAP lines from in-guest shell tests (sourced).
#   ok COND_STATUS "what"    e.g.  [ "$a" = b ]; ok $? "a is b"
#   is "$got" "$want" "what"
#   done_testing            prints the plan; returns non-zero on failure
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:"
		printf '%s\n' "$1" | sed 's/^/#     /'
		echo "#   want:"
		printf '%s\n' "$2" | sed 's/^/#     /'
	fi
}

# kmark: remember this point of the kernel log; ksince: the log's lines
# since, without timestamps.  (busybox dmesg reads only 16 KiB unless -s.)
kmark() {
	tap_kmark="tap-mark-$$-$RANDOM-$tap_n"
	echo "$tap_kmark" > /dev/kmsg
}
ksince() {
	dmesg -s 8388608 | sed -n "/$tap_kmark\$/,\$p" | sed '1d; s/^\[[ 0-9.]*\] //'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}
