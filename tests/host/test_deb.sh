#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_deb.sh (host): "make deb" builds the two Debian packages, and they
# hold what they should:
#   rustmods-dkms_<version>_all.deb: the sources DKMS builds from in
#     /usr/src/rustmods-<version>/ (exactly what scripts/rustmods-dkms
#     copies, and dkms.conf: test_dkms.sh runs the whole DKMS cycle on
#     that copy); the udev rules in /lib/udev/rules.d and the
#     modprobe.d example in /etc/modprobe.d (a conffile), as packaging/ has
#     them; a postinst that creates the group the rules name and then runs
#     DKMS's; a dependency on dkms;
#   rustmods-tools_<version>_<arch>.deb: ioctl and rq in /usr/bin (they
#     run), their man pages in section 1;
#   <version> is dkms.conf's PACKAGE_VERSION and debian/changelog's;
#   lintian (with --pedantic, info tags shown) reports nothing at all.
# Installing them (apt install ./...deb, which builds the modules through
# DKMS for every kernel with headers) is the real-system tier's part; this
# host is left alone.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/tap.sh"
cd "$top"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
is "$(dpkg-parsechangelog -S Version)" "$version" \
	"debian/changelog's version is dkms.conf's PACKAGE_VERSION ($version)"

out=$(make -s deb 2>&1)
st=$?
ok $st "make deb"
[ $st = 0 ] || { tail -n 30 <<<"$out" | sed 's/^/#   /'; }
arch=$(dpkg --print-architecture)
dkms_deb=build/deb/rustmods-dkms_${version}_all.deb
tools_deb=build/deb/rustmods-tools_${version}_$arch.deb
[ -f "$dkms_deb" ] && [ -f "$tools_deb" ]
ok $? "build/deb/ has rustmods-dkms_${version}_all.deb and rustmods-tools_${version}_$arch.deb"
if [ ! -f "$dkms_deb" ] || [ ! -f "$tools_deb" ]; then
	done_testing
	exit 1
fi

# --- rustmods-dkms ---------------------------------------------------------
d=$tmp/dkms
dpkg-deb -x "$dkms_deb" "$d"
dpkg-deb -e "$dkms_deb" "$d/DEBIAN"
src=$d/usr/src/rustmods-$version
scripts/rustmods-dkms src "$tmp/want"
cp dkms.conf "$tmp/want/"
is "$(cd "$src" 2>/dev/null && find . -type f | sort)" "$(cd "$tmp/want" && find . -type f | sort)" \
	"rustmods-dkms: /usr/src/rustmods-$version holds the DKMS sources, no more, no fewer"
diff -r "$tmp/want" "$src" >/dev/null
ok $? "rustmods-dkms: ... byte for byte"

cmp -s packaging/udev/99-rustmods.rules "$d/lib/udev/rules.d/99-rustmods.rules"
ok $? "rustmods-dkms: /lib/udev/rules.d/99-rustmods.rules is packaging/udev/99-rustmods.rules"
cmp -s packaging/modprobe.d/rustmods.conf "$d/etc/modprobe.d/rustmods.conf"
ok $? "rustmods-dkms: /etc/modprobe.d/rustmods.conf is packaging/modprobe.d/rustmods.conf"
grep -qx /etc/modprobe.d/rustmods.conf "$d/DEBIAN/conffiles" 2>/dev/null
ok $? "rustmods-dkms: ... a conffile (an admin's changes survive upgrades)"
dpkg-deb -f "$dkms_deb" Depends | grep -qE '(^|, )dkms( |,|$)'
ok $? "rustmods-dkms: depends on dkms ($(dpkg-deb -f "$dkms_deb" Depends))"
bad=
for s in postinst prerm postrm; do
	[ -f "$d/DEBIAN/$s" ] || { bad="$bad $s(missing)"; continue; }
	sh -n "$d/DEBIAN/$s" || bad="$bad $s(syntax)"
done
[ -z "$bad" ]
ok $? "rustmods-dkms: postinst, prerm, postrm are there and parse${bad:+ -- not:$bad}"
# the group first, so that the nodes of modules DKMS loads get it
group=$(grep -n 'addgroup --system.* rustmods' "$d/DEBIAN/postinst" | cut -d: -f1 | head -n 1)
dkms=$(grep -n 'common.postinst' "$d/DEBIAN/postinst" | cut -d: -f1 | head -n 1)
[ -n "$group" ] && [ -n "$dkms" ] && [ "$group" -lt "$dkms" ]
ok $? "rustmods-dkms: postinst creates the group rustmods (the udev rules') before DKMS builds"
grep -q 'GROUP="rustmods"' "$d/lib/udev/rules.d/99-rustmods.rules"
ok $? "rustmods-dkms: ... the group the rules give the nodes"

# --- rustmods-tools --------------------------------------------------------
t=$tmp/tools
dpkg-deb -x "$tools_deb" "$t"
bad=
for tool in tools/*.c; do
	tool=$(basename "$tool" .c)
	"$t/usr/bin/$tool" --help >/dev/null 2>&1 || bad="$bad $tool"
	[ -f "$t/usr/share/man/man1/$tool.1.gz" ] || bad="$bad $tool.1"
done
[ -z "$bad" ]
ok $? "rustmods-tools: every tool in /usr/bin runs (--help), its man page in /usr/share/man/man1${bad:+ -- not:$bad}"

# --- lintian ---------------------------------------------------------------
out=$(lintian -I -E --pedantic --tag-display-limit 0 \
	build/deb/rustmods_"${version}"_"$arch".changes 2>&1 |
	grep -v 'running with root privileges is not recommended')
[ -z "$out" ]
ok $? "lintian -I -E --pedantic: nothing to say about either package"
[ -n "$out" ] && sed 's/^/#   /' <<<"$out"

done_testing
