#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_install.sh (host): make install and make uninstall, without DKMS.
#   1. staged: DESTDIR=<temporary dir> PREFIX=/usr, against the 6.12
#      headers: the modules under DESTDIR/lib/modules/<release>/extra/, the
#      tools (ioctl, rq: they run and answer --help) in DESTDIR/usr/bin and
#      their man pages in DESTDIR/usr/share/man/man1; make uninstall
#      leaves only depmod's index.  PREFIX's default is /usr/local.
#      INSTALL_MOD_PATH=<dir> still stages the modules alone.
#   2. for real, as root, the modules (make install-modules) into
#      /lib/modules/<release>/extra/ of the 6.1 kernel, which is installed
#      but not running here: modprobe's index (modules.dep, read with
#      modinfo -k) finds every module after install, none after
#      make uninstall-modules.  Nothing is loaded.
# Leaves nothing behind, also when it fails or is interrupted.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

mapfile -t modules < <(for d in */Kbuild; do echo "${d%/Kbuild}"; done)

# One at a time on this machine: another make check (maybe in another
# checkout) may be running test_dkms.sh or test_install.sh right now, and
# both change the same /lib/modules/<release> (and the dkms tree).
exec 9>/run/lock/rustmods-host-install.lock
if ! flock -w 1800 9; then
	echo "Bail out! another install test held /run/lock/rustmods-host-install.lock for 30 minutes"
	exit 1
fi
stage=$(mktemp -d)
real_dir=
cleanup() {
	rm -rf "$stage"
	[ -n "$real_dir" ] && make -s uninstall-modules KREL="$real_rel" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# indexed MODDIR MODULE: MODULE's path in MODDIR/modules.dep (relative to
# MODDIR), nothing when it is not indexed
indexed() {
	sed -n "s|^\([^:]*/$2\.ko[.a-z]*\):.*|\1|p" "$1/modules.dep"
}

# check_installed MODDIR RELEASE WHAT: every module under MODDIR/extra,
# with RELEASE's vermagic, and in MODDIR/modules.dep
check_installed() {
	local dir=$1 rel=$2 m ko vm bad=
	for m in "${modules[@]}"; do
		ko=$(ls "$dir/extra/$m/$m.ko"* 2>/dev/null | head -n 1)
		if [ -z "$ko" ]; then
			bad="$bad $m(missing)"
			continue
		fi
		vm=$(modinfo -F vermagic "$ko")
		[ "${vm%% *}" = "$rel" ] || bad="$bad $m(vermagic '$vm')"
		[ "$(indexed "$dir" "$m")" = "${ko#"$dir"/}" ] || bad="$bad $m(not in modules.dep)"
	done
	[ -z "$bad" ]
	ok $? "$3: every module in $dir/extra/<module>/, vermagic $rel, in modules.dep${bad:+ -- wrong:$bad}"
}

# check_removed MODDIR WHAT: none of it left, files or index entries
check_removed() {
	local dir=$1 m left=
	for m in "${modules[@]}"; do
		ls "$dir/extra/$m/$m.ko"* >/dev/null 2>&1 && left="$left $m.ko"
		[ -n "$(indexed "$dir" "$m")" ] && left="$left $m(modules.dep)"
	done
	[ ! -e "$dir/extra" ] || left="$left extra/"
	[ -z "$left" ]
	ok $? "$2: nothing left in $dir (extra/ gone, modules.dep without them)${left:+ -- left:$left}"
}

mapfile -t tools < <(for t in tools/*.c; do t=${t#tools/}; echo "${t%.c}"; done)

# check_tools DIR PREFIX: each tool in DIR/PREFIX/bin runs and answers
# --help, its man page in DIR/PREFIX/share/man/man1
check_tools() {
	local t bad=
	for t in "${tools[@]}"; do
		[ -x "$1$2/bin/$t" ] && "$1$2/bin/$t" --help >/dev/null 2>&1 ||
			bad="$bad $t"
		[ -f "$1$2/share/man/man1/$t.1" ] || bad="$bad $t.1"
	done
	[ -z "$bad" ]
	ok $? "tools in <dir>$2/bin (--help works), man pages in <dir>$2/share/man/man1${bad:+ -- not:$bad}"
}

# --- 1. staged ----------------------------------------------------------
eval "$(tests/vm/kernels 6.12)" || { echo "Bail out! no 6.12 kernel (scripts/deps)"; exit 1; }
make -s install KDIR="$KDIR" DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1
st=$?
ok $st "make install KDIR=<6.12> DESTDIR=<dir> PREFIX=/usr"
[ $st = 0 ] || sed 's/^/#   /' "$stage.log"
check_installed "$stage/lib/modules/$KREL" "$KREL" "staged"
check_tools "$stage" /usr
make -s uninstall KDIR="$KDIR" DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1
st=$?
ok $st "make uninstall KDIR=<6.12> DESTDIR=<dir> PREFIX=/usr"
[ $st = 0 ] || sed 's/^/#   /' "$stage.log"
check_removed "$stage/lib/modules/$KREL" "staged"
left=$(cd "$stage" && find . -type f ! -path "./lib/modules/$KREL/modules.*")
[ -z "$left" ]
ok $? "make uninstall: no file left in <dir> but depmod's index${left:+ -- left: $left}"
rm -rf "${stage:?}"/*

make -s install-tools DESTDIR="$stage" >"$stage.log" 2>&1
ok $? "make install-tools DESTDIR=<dir>: PREFIX is /usr/local by default"
check_tools "$stage" /usr/local
make -s uninstall-tools DESTDIR="$stage" >"$stage.log" 2>&1
left=$(cd "$stage" && find . -type f)
[ -z "$left" ]
ok $? "make uninstall-tools DESTDIR=<dir>: nothing left${left:+ -- left: $left}"
rm -rf "${stage:?}"/*

make -s install-modules KDIR="$KDIR" INSTALL_MOD_PATH="$stage" >"$stage.log" 2>&1
ok $? "make install-modules KDIR=<6.12> INSTALL_MOD_PATH=<dir>"
check_installed "$stage/lib/modules/$KREL" "$KREL" "staged by INSTALL_MOD_PATH"
make -s uninstall-modules KDIR="$KDIR" INSTALL_MOD_PATH="$stage" >"$stage.log" 2>&1
ok $? "make uninstall-modules KDIR=<6.12> INSTALL_MOD_PATH=<dir>"
check_removed "$stage/lib/modules/$KREL" "staged by INSTALL_MOD_PATH"
rm -f "$stage.log"

# --- 2. for real, into a kernel that is not running ------------------------
eval "$(tests/vm/kernels 6.1)" || { echo "Bail out! no 6.1 kernel (scripts/deps)"; exit 1; }
real_rel=$KREL
dir=/lib/modules/$real_rel
if [ "$(id -u)" != 0 ]; then
	for i in 1 2 3 4 5; do ok 0 "# SKIP real install: needs root"; done
elif [ "$real_rel" = "$(uname -r)" ]; then
	# never touch the running kernel's modules
	for i in 1 2 3 4 5; do ok 0 "# SKIP real install: $real_rel is running"; done
elif [ -e "$dir/extra" ]; then
	ok 1 "$dir/extra does not exist yet (someone's installation: make uninstall KREL=$real_rel)"
	done_testing
	exit 1
else
	real_dir=$dir
	out=$(make -s install-modules KDIR="$KDIR" 2>&1)
	st=$?
	ok $st "make install-modules KDIR=<6.1> (not the running kernel)"
	[ $st = 0 ] || sed 's/^/#   /' <<<"$out"
	check_installed "$dir" "$real_rel" "6.1"
	bad=
	for m in "${modules[@]}"; do
		modinfo -k "$real_rel" -F filename "$m" 2>/dev/null | grep -q "^$dir/extra/" ||
			bad="$bad $m"
	done
	[ -z "$bad" ]
	ok $? "modinfo -k $real_rel <module> finds every module in extra/${bad:+ -- not:$bad}"
	# uninstall needs only the release, not the headers
	out=$(make -s uninstall-modules KREL="$real_rel" 2>&1)
	st=$?
	ok $st "make uninstall-modules KREL=$real_rel"
	[ $st = 0 ] || sed 's/^/#   /' <<<"$out"
	real_dir=
	check_removed "$dir" "6.1"
fi

done_testing
