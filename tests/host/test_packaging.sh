#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_packaging.sh (host): the examples in packaging/ stay true.
#   modprobe.d/rustmods.conf: modprobe reads every (commented) options line
#     once uncommented; every parameter it names exists in that module
#     (modinfo of the 6.12 build), and every parameter of every module is
#     shown there.
#   udev/99-rustmods.rules: udev's own parser accepts every line (udevadm
#     test reads the rules and reports bad keys; it is pointed at a device
#     that does not exist, so it applies nothing); the rules' KERNEL globs
#     match every node name the modules create and no other.
# Needs root only for the udev parse (a rules file in /etc/udev/rules.d for
# the duration of the test, removed on exit).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

conf=packaging/modprobe.d/rustmods.conf
rules=packaging/udev/99-rustmods.rules
tmp=$(mktemp -d)
probe=
trap 'rm -rf "$tmp"; [ -n "$probe" ] && rm -f "$probe"' EXIT
trap 'exit 130' INT TERM

# --- modprobe.d --------------------------------------------------------
eval "$(tests/vm/kernels 6.12)" || { echo "Bail out! no 6.12 kernel (scripts/deps)"; exit 1; }
make -s modules KDIR="$KDIR" >/dev/null 2>&1
sed -n 's/^#options /options /p' "$conf" > "$tmp/rustmods.conf"
[ -s "$tmp/rustmods.conf" ]
ok $? "$conf: has options lines"

# modprobe -C reads our file (and the system's own, in /lib/modprobe.d);
# --showconfig prints what it understood
mods=$(for d in */Kbuild; do printf '%s|' "${d%/Kbuild}"; done)
got=$(modprobe -C "$tmp/rustmods.conf" --showconfig 2>&1 |
	grep -E "^options (${mods%|}) " | sort)
is "$got" "$(sort "$tmp/rustmods.conf")" "$conf: modprobe --showconfig reads back every options line"

bad=
while read -r _ mod args; do
	ko=build/$KREL/$mod/$mod.ko
	if [ ! -f "$ko" ]; then
		bad="$bad $mod(no such module)"
		continue
	fi
	for a in $args; do
		modinfo -F parmtype "$ko" | grep -q "^${a%%=*}:" || bad="$bad $mod.${a%%=*}"
	done
done < "$tmp/rustmods.conf"
[ -z "$bad" ]
ok $? "$conf: every parameter it sets exists${bad:+ (not:$bad)}"

missing=
for d in */Kbuild; do
	m=${d%/Kbuild}
	while IFS=: read -r p _; do
		grep -qE "^options $m .*\b$p=" "$tmp/rustmods.conf" || missing="$missing $m.$p"
	done < <(modinfo -F parmtype "build/$KREL/$m/$m.ko" 2>/dev/null)
done
[ -z "$missing" ]
ok $? "$conf: shows every parameter of every module${missing:+ (not:$missing)}"

# --- udev ---------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v udevadm >/dev/null; then
	probe=/etc/udev/rules.d/99-rustmods-test-$$.rules
	cp "$rules" "$probe"
	out=$(udevadm test /sys/devices/virtual/misc/rustmods-test-no-such-device 2>&1)
	grep -q "Reading rules file: $probe" <<<"$out"
	ok $? "udevadm test reads $rules"
	# the group is the admin's to create (groupadd, in the rules' comment)
	errs=$(grep -F "$probe:" <<<"$out" | grep -v "Unknown group 'rustmods'")
	[ -z "$errs" ]
	ok $? "udevadm: no complaint about any line of $rules${errs:+ -- $errs}"
	rm -f "$probe"
	probe=
else
	ok 0 "# SKIP udevadm test reads the rules: needs root and udev"
	ok 0 "# SKIP udevadm: no complaint: needs root and udev"
fi

# KERNEL=="a|b" is a list of fnmatch globs, as bash's [[ == ]] matches them
matches() {		# matches NAME: does a rule's KERNEL glob match NAME?
	local g pats
	while read -r pats; do
		IFS='|' read -ra g <<<"$pats"
		for pat in "${g[@]}"; do
			# shellcheck disable=SC2053
			[[ $1 == $pat ]] && return 0
		done
	done < <(sed -n 's/.*KERNEL=="\([^"]*\)".*GROUP="rustmods".*/\1/p' "$rules")
	return 1
}
miss=
for n in rustqueue rustqueue0 rustqueue63 rustecho rustecho0 rustecho63 mydevice; do
	matches "$n" || miss="$miss $n"
done
[ -z "$miss" ]
ok $? "$rules: a rule for every node (rustqueue, rustqueueN, rustecho, rustechoN, mydevice)${miss:+ (not:$miss)}"
extra=
for n in rustqueuex rustecho_skeleton mydevice0 null kvm rust-proc-file; do
	matches "$n" && extra="$extra $n"
done
[ -z "$extra" ]
ok $? "$rules: no rule for other nodes${extra:+ (matches:$extra)}"

done_testing
