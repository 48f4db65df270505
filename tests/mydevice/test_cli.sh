#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `ioctl` tool itself (tools/ioctl.c): decoding, argument parsing,
# usage errors, value encodings, stdin input, hex output, -N with legacy
# numbers, --fd, error messages and exit statuses.  Expected outputs are
# worked out by hand from the ioctl bit layout.
. /tests/lib/tap.sh
cd /root
rmmod mydevice 2>/dev/null
D=/dev/mydevice
tmp=$(mktemp -d)

# usage_fails "what" ARGS...: exit status 64 and a message on stderr only
usage_fails() {
	local what=$1 out err
	shift
	out=$(ioctl "$@" 2>$tmp/err)
	rc=$?
	err=$(head -n 1 $tmp/err)
	[ "$rc" = 64 ] && [ -z "$out" ] && [ -n "$err" ] &&
		grep -q "^Try 'ioctl --help'" $tmp/err
	ok $? "usage error, exit 64: $what (${err#ioctl: })"
}

# ---- help and --decode (no module needed)
out=$(ioctl --help)
ok $? "--help exits 0"
echo "$out" | head -n 1 | grep -q '^Usage: ioctl FILE -t TYPE -n NR'
ok $? "--help prints the usage on stdout"
echo "$out" | grep -q '(25 for ENOTTY)'
ok $? "--help documents the exit status"

is "$(ioctl --decode 0)" "dir=none size=0 type=0x00 nr=0" "--decode 0"
is "$(ioctl --decode 0xffffffff)" "dir=read-write size=16383 type=0xff nr=255" \
	"--decode 0xffffffff: every field at its maximum, type not printable"
is "$(ioctl --decode 1074022914)" "dir=write size=4 type='J' (0x4a) nr=2" \
	"--decode in decimal: 1074022914 = 0x40044a02"
is "$(ioctl --decode 0XC0084A03)" "dir=read-write size=8 type='J' (0x4a) nr=3" \
	"--decode with upper-case hex"
usage_fails "--decode 0x100000000 (33 bits)" --decode 0x100000000
usage_fails "--decode zz" --decode zz
usage_fails "--decode -1" --decode -1
usage_fails "--decode 0x" --decode 0x
usage_fails "--decode ' 5'" --decode ' 5'
usage_fails "--decode with a second argument" --decode 1 2
usage_fails "--decode with -t" --decode 1 -t J

# ---- usage errors
usage_fails "no arguments"
usage_fails "no FILE" -t J -n 1
usage_fails "FILE and --fd" $D --fd 0 -t J -n 1
usage_fails "no -n" $D -t J
usage_fails "no -t" $D -n 1
usage_fails "-d sideways" $D -t J -n 1 -d sideways
usage_fails "-d read without -s" $D -t J -n 1 -d read
usage_fails "-s 16384 (14 bits)" $D -t J -n 1 -d read -s 16384
usage_fails "-n 256" $D -t J -n 256
usage_fails "-t JJ" $D -t JJ -n 1
usage_fails "-t 256" $D -t 256 -n 1
usage_fails "-t ''" $D -t '' -n 1
usage_fails "-v 41x" $D -t J -n 0 -d read-write -s 4 -v 41x
usage_fails "-v with -d read" $D -t J -n 1 -d read -s 4 -v 1
usage_fails "-v with -s 3" $D -t J -n 0 -d read-write -s 3 -v 1
usage_fails "-v 4294967296 with -s 4" $D -t J -n 0 -d read-write -s 4 -v 4294967296
usage_fails "-v 256 with -s 1" $D -t J -n 0 -d read-write -s 1 -v 256
usage_fails "-v -129 with -s 1" $D -t J -n 0 -d read-write -s 1 -v -129
usage_fails "-v 18446744073709551616 with -s 8" $D -t J -n 3 -d read-write -s 8 \
	-v 18446744073709551616
usage_fails "-N with -t" $D -N 0x80044a01 -t J
usage_fails "unknown option -q" $D -t J -n 1 -q
usage_fails "unknown option --bogus" $D -t J -n 1 --bogus
usage_fails "-s without its argument" $D -t J -n 1 -s
usage_fails "a second file" $D $D -t J -n 1

# ---- open and ioctl errors (no module needed)
out=$(ioctl /nonexistent -t J -n 0 2>&1)
is "$?" 2 "a missing file: exit status 2 (ENOENT)"
is "$out" "ioctl: cannot open /nonexistent: ENOENT (errno 2, No such file or directory)" \
	"a missing file: the message names ENOENT"
out=$(ioctl --fd 9 -t J -n 0 2>&1)
is "$?" 9 "--fd 9, not open: exit status 9 (EBADF)"
is "$out" "ioctl: ioctl 0x00004a00 on fd 9: EBADF (errno 9, Bad file descriptor)" \
	"--fd 9: the message names EBADF"
out=$(ioctl /dev/null -t J -n 0 -d read-write -s 4 -v 41 2>&1)
is "$?" 25 "an ioctl /dev/null does not know: exit status 25"
is "$out" "ioctl: ioctl 0xc0044a00 on /dev/null: ENOTTY (errno 25, Inappropriate ioctl for device)" \
	"and the message names ENOTTY"

# ---- -N with a legacy number that encodes neither direction nor size:
# FIONREAD (0x541B) stores an int, the bytes left in a regular file
printf hello > $tmp/f
is "$(ioctl --fd 0 -N 0x541B -d read -s 4 < $tmp/f)" 5 \
	"-N 0x541B -d read -s 4 (FIONREAD) on a 5-byte file: 5"
is "$(ioctl --fd 0 -N 0x541B -d read -s 2 < $tmp/f)" 5 "the same as a 2-byte integer: 5"
is "$(ioctl --fd 0 -N 0x541B -d read -s 1 < $tmp/f)" 5 "the same as a 1-byte integer: 5"
is "$(ioctl --fd 0 -N 0x541B -d read -s 8 < $tmp/f)" 5 \
	"the same as an 8-byte integer: 5 (the upper bytes stay zero)"
is "$(ioctl --fd 0 -N 0x541B -d read -s 6 < $tmp/f)" 050000000000 \
	"size 6, not an integer size: hex, memory order"
is "$(ioctl --fd 0 -N 0x541B -d read -s 40 < $tmp/f)" \
	"$(printf '05%062d\n%016d' 0 0)" "size 40: 32 bytes a line"
is "$(ioctl --fd 0 -N 0x541B -d read -s 4 -x < $tmp/f)" 05000000 "-x: hex for size 4"

# ---- with the module
insmod mydevice.ko
ok $? "insmod mydevice.ko"
is "$(ioctl $D -t 0x4a -n 1 -d read -s 4)" 1 "-t 0x4a is J: GET_VERSION prints 1"
is "$(ioctl $D -t 74 -n 1 -d read -s 4)" 1 "-t 74 is J too"
is "$(ioctl $D --type J --nr 1 --dir read --size 4)" 1 "long options"
is "$(ioctl $D -N 0x80044a01)" 1 "-N 0x80044a01: direction and size from the number"
is "$(ioctl $D -N 0xc0044a00 -v 41)" 42 "-N 0xc0044a00 -v 41: 42"
is "$(ioctl $D -t J -n 0 -d read-write -s 4 -v 0x29)" 42 "-v 0x29 (hex): 42"
is "$(ioctl $D -t J -n 0 -d read-write -s 4 -v 4294967295)" 0 \
	"-v 4294967295: wraps to 0"
is "$(ioctl $D -t J -n 0 -d read-write -s 4 -v -1)" 0 "-v -1 (two's complement): 0"
is "$(ioctl $D -t J -n 0 -d read-write -s 4 -v 41 -x)" 2a000000 "-x: 42 as hex bytes"
is "$(printf '\x29\x00\x00\x00' | ioctl $D -t J -n 0 -d read-write -s 4)" 42 \
	"without -v, 4 bytes from stdin: 41 -> 42"
out=$(printf 'abc' | ioctl $D -t J -n 0 -d read-write -s 4 2>&1)
is "$?" 65 "3 bytes on stdin for -s 4: exit status 65"
is "$out" "ioctl: standard input holds 3 bytes, not 4" "and says why"
out=$(printf 'abcde' | ioctl $D -t J -n 0 -d read-write -s 4 2>&1)
is "$?" 65 "5 bytes on stdin for -s 4: exit status 65"
is "$out" "ioctl: standard input holds more than 4 bytes" "and says why"
out=$(ioctl $D -N 0x40104a04 -d none -v 0 2>&1)
is "$?" 14 "-d none -v 0: COPY_BUF gets 0 as its argument: EFAULT"
out=$(ioctl $D -t J -n 1 -d write -s 4 -v 123456 2>&1)
is "$out:$(ioctl $D -t J -n 2 -d read -s 4)" ":123456" \
	"SET_COUNTER prints nothing; GET_COUNTER prints 123456"
rmmod mydevice
ok $? "rmmod mydevice"
rm -rf "$tmp"

done_testing
