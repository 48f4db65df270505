#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_dkms.sh (host, root): the whole DKMS cycle with Debian's dkms
# package, for every kernel whose headers are installed (the 6.1 and 6.12
# cloud kernels and 6.12-rt at least):
#   sources to /usr/src/rustmods-<version> (scripts/rustmods-dkms src),
#   dkms add, dkms build and dkms install for each kernel; every module's
#   .ko in /lib/modules/<release>/updates/dkms/ with that release's
#   vermagic, and found by modinfo -k (depmod ran); then dkms remove --all
#   and nothing of it left.
# Leaves the machine as it found it, also when interrupted: what it
# created (the dkms tree entry, the source copy, dkms's signing key if
# this run generated it) is removed on exit.  Nothing is loaded.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"

name=rustmods
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
srcdir=/usr/src/$name-$version
# the modules: every directory with a Kbuild file
mapfile -t modules < <(cd "$top" && for d in */Kbuild; do echo "${d%/Kbuild}"; done)

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (dkms installs into /lib/modules)"
	exit 0
fi

# One at a time on this machine: another make check (maybe in another
# checkout) may be running test_dkms.sh or test_install.sh right now, and
# both change the same /lib/modules/<release> (and the dkms tree).
exec 9>/run/lock/rustmods-host-install.lock
if ! flock -w 1800 9; then
	echo "Bail out! another install test held /run/lock/rustmods-host-install.lock for 30 minutes"
	exit 1
fi

# --- dkms.conf names every module, at the place make modules builds it --
# (dkms sources dkms.conf with bash, with $kernelver set: so do we)
conf=$(kernelver=REL kernel_source_dir=KDIR bash -c '
	. "$1/dkms.conf"
	for i in "${!BUILT_MODULE_NAME[@]}"; do
		echo "${BUILT_MODULE_NAME[i]} ${BUILT_MODULE_LOCATION[i]} ${DEST_MODULE_LOCATION[i]}"
	done
	echo "make: ${MAKE[0]}"' _ "$top")
want=$(for m in "${modules[@]}"; do echo "$m build/REL/$m/ /updates/dkms"; done
	echo "make: make modules KDIR=KDIR")
is "$(sort <<<"$conf")" "$(sort <<<"$want")" \
	"dkms.conf: one record per module directory, built at build/<release>/<module>/"
[ -n "$version" ]
ok $? "dkms.conf: PACKAGE_VERSION ($version)"

# --- dkms itself, installed idempotently --------------------------------
"$top/scripts/deps" >/dev/null
command -v dkms >/dev/null && dpkg-query -W -f='${Status}' dkms | grep -q 'ok installed'
ok $? "Debian's dkms package is installed (scripts/deps)"

# the kernels: every release with headers; the matrix's must be among them
mapfile -t releases < <(for d in /lib/modules/*/build/Makefile; do
	[ -e "$d" ] && { d=${d%/build/Makefile}; echo "${d##*/}"; }; done)
missing=
for k in 6.1 6.12 6.12-rt; do
	rel=$(info=$("$top/tests/vm/kernels" "$k" 2>/dev/null) &&
		eval "$info" && echo "$KREL")
	printf '%s\n' "${releases[@]}" | grep -qxF "$rel" || missing="$missing $k"
done
[ -z "$missing" ]
ok $? "headers installed for the matrix's kernels 6.1, 6.12, 6.12-rt${missing:+ (missing:$missing)}"

# --- a clean start ------------------------------------------------------
if [ -n "$(dkms status "$name" 2>/dev/null)" ] || [ -e "$srcdir" ]; then
	# someone's real installation: not ours to remove
	dkms status "$name" 2>/dev/null | sed 's/^/# /'
	ok 1 "$name is not under DKMS already (scripts/rustmods-dkms remove, then rerun)"
	done_testing
	exit 1
fi
ok 0 "$name is not under DKMS already"

key_existed=0
[ -e /var/lib/dkms/mok.key ] && key_existed=1
cleanup() {
	dkms remove "$name/$version" --all >/dev/null 2>&1
	rm -rf "$srcdir"
	# dkms generates a signing key at its first build; if that was ours,
	# take it away again
	[ "$key_existed" = 0 ] && rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}
log=$(mktemp)
trap 'cleanup; rm -f "$log"' EXIT
trap 'exit 130' INT TERM

# run CMD...: run it with its output in $log; show the log's tail if it fails
run() {
	"$@" > "$log" 2>&1 && return 0
	local rc=$?
	tail -n 30 "$log" | sed 's/^/#   /'
	# dkms keeps the build's own log
	local mlog=/var/lib/dkms/$name/$version/build/make.log
	[ -e "$mlog" ] && tail -n 30 "$mlog" | sed 's/^/#   make.log: /'
	return $rc
}

# --- add, build, install --------------------------------------------------
"$top/scripts/rustmods-dkms" src "$srcdir"
[ -f "$srcdir/dkms.conf" ] && [ -f "$srcdir/Makefile" ]
ok $? "scripts/rustmods-dkms src: the sources in $srcdir"

run dkms add "$name/$version"
ok $? "dkms add $name/$version"

for rel in "${releases[@]}"; do
	t0=$(date +%s)
	run dkms build "$name/$version" -k "$rel"
	ok $? "dkms build for $rel ($(( $(date +%s) - t0 ))s)"
	run dkms install "$name/$version" -k "$rel"
	ok $? "dkms install for $rel"
	dkms status "$name/$version" -k "$rel" 2>/dev/null | grep -q ': installed$'
	ok $? "dkms status: installed for $rel"

	dir=/lib/modules/$rel/updates/dkms
	bad=
	for m in "${modules[@]}"; do
		# compressed as the kernel's own modules are (6.12: .ko.xz)
		ko=$(ls "$dir/$m.ko" "$dir/$m.ko".{xz,gz,zst} 2>/dev/null | head -n 1)
		if [ -z "$ko" ]; then
			bad="$bad $m(missing)"
			continue
		fi
		vm=$(modinfo -F vermagic "$ko")
		[ "${vm%% *}" = "$rel" ] || bad="$bad $m(vermagic '$vm')"
		# depmod ran: the kernel's module index finds it there
		[ "$(modinfo -k "$rel" -F filename "$m" 2>/dev/null)" = "$ko" ] ||
			bad="$bad $m(not in modules.dep)"
	done
	[ -z "$bad" ]
	ok $? "$rel: every module in $dir, vermagic $rel, in modules.dep${bad:+ -- wrong:$bad}"
done

# --- remove -------------------------------------------------------------
run dkms remove "$name/$version" --all
ok $? "dkms remove $name/$version --all"
[ -z "$(dkms status "$name" 2>/dev/null)" ]
ok $? "dkms status: $name gone"

left=
for rel in "${releases[@]}"; do
	for m in "${modules[@]}"; do
		ls "/lib/modules/$rel/updates/dkms/$m.ko"* >/dev/null 2>&1 &&
			left="$left $rel/$m.ko"
		modinfo -k "$rel" -F filename "$m" >/dev/null 2>&1 && left="$left $rel:$m(modules.dep)"
	done
done
[ -z "$left" ]
ok $? "no module left in /lib/modules/*/updates/dkms nor in modules.dep${left:+ -- left:$left}"

cleanup
[ ! -e "$srcdir" ] && [ ! -e "/var/lib/dkms/$name" ]
ok $? "clean: no $srcdir, no /var/lib/dkms/$name"

done_testing
