#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_module_dirs.sh (host): every module directory is a complete
# out-of-tree module, built as the course builds one (seed 002: "ls shows
# Makefile, README and the source ... make clean && make ... sudo insmod
# rustqueue.ko"; seed 004: "cd ~/rustecho && make clean && make").
# In a copy of the sources (what a clone holds), for kernel 6.12 and 7
# (HOST_KERNELS overrides):
#   1. each directory has its Makefile, Kbuild and README.md;
#   2. "make clean && make KDIR=<the kernel's build dir>" there puts
#      <module>.ko beside the sources, for that kernel (vermagic);
#   3. in a guest of that kernel, "cd <module> && insmod <module>.ko"
#      loads that file, and rmmod unloads it;
#   4. "make clean" leaves exactly the files the directory had before.
# And, once: without KDIR, make builds for the running kernel or, with no
# headers for it, says so and fails; a build in a module's directory does
# not disturb the top-level "make modules" (its *.mod.c is not taken for a
# source).  Nothing is loaded into this machine's kernel.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

mapfile -t modules < <(for d in */Kbuild; do echo "${d%/Kbuild}"; done)
read -ra kernels <<<"${HOST_KERNELS:-6.12 7}"
# in /tmp: the 7.x build root (scripts/sid-root) sees it at the same path
tmp=$(mktemp -d /tmp/test_module_dirs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# copy_tree DIR: the sources as a clone has them: the top-level Makefile
# and Kbuild, include/ (headers, module.mk), and each module's Makefile, Kbuild, README.md and
# C files (nothing a build in this checkout may have left)
copy_tree() {
	local f
	{
		printf '%s\n' Makefile Kbuild
		find include -type f \( -name '*.h' -o -name '*.mk' \)
		for m in "${modules[@]}"; do
			find "$m" -maxdepth 1 -type f \( -name Makefile -o \
				-name Kbuild -o -name README.md -o -name '*.[ch]' \) \
				! -name '*.mod.c'
		done
	} | while read -r f; do
		install -D -m 0644 "$f" "$1/$f"
	done
}

listing() { (cd "$1" && ls -A | sort | tr '\n' ' '); }

first=1
t0=$(date +%s)
for k in "${kernels[@]}"; do
	if ! info=$(tests/vm/kernels "$k" 2>&1); then
		ok 1 "kernel $k: available ($info)"
		continue
	fi
	eval "$info"
	kmake=(make)
	[ -n "${KCHROOT:-}" ] && kmake=("$top/scripts/sid-root" run make)
	src=$tmp/$k
	copy_tree "$src"

	missing=
	declare -A before=()
	for m in "${modules[@]}"; do
		for f in Makefile Kbuild README.md; do
			[ -f "$src/$m/$f" ] || missing="$missing $m/$f"
		done
		before[$m]=$(listing "$src/$m")
	done
	[ -z "$missing" ]
	ok $? "kernel $k: every module directory has a Makefile, Kbuild and README.md${missing:+ -- missing:$missing}"

	# make clean && make, two directories at a time
	for m in "${modules[@]}"; do
		(cd "$src/$m" && "${kmake[@]}" clean KDIR="$KDIR" &&
			"${kmake[@]}" KDIR="$KDIR") > "$tmp/$k-$m.log" 2>&1 &
		[ "$(jobs -rp | wc -l)" -ge 2 ] && wait -n
	done
	wait
	bad=
	for m in "${modules[@]}"; do
		ko=$src/$m/$m.ko
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
		if [ ! -f "$ko" ] || [ "${vm%% *}" != "$KREL" ]; then
			bad="$bad $m"
			sed 's/^/#   /' "$tmp/$k-$m.log" | tail -n 15
		fi
	done
	[ -z "$bad" ]
	echo "# kernel $k: built at $(( $(date +%s) - t0 ))s"
	ok $? "kernel $k: make clean && make KDIR=<$KREL> in each directory puts <module>.ko there, vermagic $KREL${bad:+ -- not:$bad}"

	# the guest loads those very files, from their directories
	script='for m in '"${modules[*]}"'; do
		(cd "/root/$m" && insmod "./$m.ko" && [ -d "/sys/module/$m" ] &&
			rmmod "$m" && [ ! -e "/sys/module/$m" ]) && echo "loaded-from-dir $m"
	done'
	copies=()
	for m in "${modules[@]}"; do copies+=(--copy "$src/$m"); done
	tests/vm/vmrun -k "$k" --no-build -t 180 -q -l "$tmp/guest.log" \
		"${copies[@]}" -- "$script" > "$tmp/vmrun.err" 2>&1
	out=$(cat "$tmp/guest.log" "$tmp/vmrun.err" 2>/dev/null)
	bad=
	for m in "${modules[@]}"; do
		grep -qx "loaded-from-dir $m" <<<"$out" || bad="$bad $m"
	done
	[ -z "$bad" ]
	echo "# kernel $k: guest done at $(( $(date +%s) - t0 ))s"
	ok $? "kernel $k guest: cd <module> && insmod <module>.ko && rmmod <module>, every module${bad:+ -- failed:$bad}"
	[ -n "$bad" ] && tail -n 20 <<<"$out" | sed 's/^/#   /'

	if [ "$first" = 1 ]; then
		# a top-level build beside a build in rustqueue/: kbuild's
		# rustqueue.mod.c of the one is not a source of the other
		cp "$src/rustqueue/rustqueue.mod.c" "$tmp/mod.c"
		out=$(cd "$src" && "${kmake[@]}" -s modules KDIR="$KDIR" MODULES=rustqueue 2>&1)
		st=$?
		mod_c=$src/build/$KREL/rustqueue/rustqueue.mod.c
		[ $st = 0 ] && [ -f "$mod_c" ] && [ ! -L "$mod_c" ] &&
			cmp -s "$tmp/mod.c" "$src/rustqueue/rustqueue.mod.c" &&
			[ -f "$src/build/$KREL/rustqueue/rustqueue.ko" ]
		ok $? "kernel $k: top-level make modules beside a build in rustqueue/ builds, and leaves that one's rustqueue.mod.c alone"
		[ $st = 0 ] || sed 's/^/#   /' <<<"$out" | tail -n 15
		rm -rf "$src/build"
	fi

	bad=
	for m in "${modules[@]}"; do
		(cd "$src/$m" && "${kmake[@]}" clean KDIR="$KDIR") >/dev/null 2>&1 ||
			bad="$bad $m(status)"
		[ "$(listing "$src/$m")" = "${before[$m]}" ] || bad="$bad $m($(listing "$src/$m"))"
	done
	[ -z "$bad" ]
	ok $? "kernel $k: make clean leaves each directory as it was${bad:+ -- not:$bad}"
	unset before

	if [ "$first" = 1 ]; then
		# no KDIR: the running kernel's build directory
		run_kdir=/lib/modules/$(uname -r)/build
		out=$(cd "$src/rustecho_skeleton" && make 2>&1)
		st=$?
		if [ -f "$run_kdir/Makefile" ]; then
			vm=$(modinfo -F vermagic "$src/rustecho_skeleton/rustecho_skeleton.ko" 2>/dev/null)
			[ $st = 0 ] && [ "${vm%% *}" = "$(uname -r)" ]
			ok $? "make without KDIR builds for the running kernel, $(uname -r)"
			(cd "$src/rustecho_skeleton" && make clean >/dev/null 2>&1)
		else
			[ $st != 0 ] && grep -qF "no kernel build directory at $run_kdir" <<<"$out" &&
				grep -qF "KDIR=" <<<"$out"
			ok $? "make without KDIR and no headers for the running kernel: fails, naming $run_kdir and KDIR=${out:+ ($(head -n 1 <<<"$out"))}"
			out=$(cd "$src/rustecho_skeleton" && make clean 2>&1)
			ok $? "... and make clean still works there"
		fi
		first=0
	fi
done

done_testing
