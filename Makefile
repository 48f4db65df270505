# SPDX-License-Identifier: GPL-2.0
#
#   make modules [KDIR=...]    build every module against a kernel build dir
#                              [MODULES='a b' builds only those]
#   make check                 lints + the test suite on every kernel (CI)
#   make demo                  the seeds' walkthroughs in a guest
#   make vm-run CMD='...'      run a command in a guest   [KERNEL=6.1|6.12|6.12-rt|7|debug|kcsan]
#   make shell                 interactive guest shell     [KERNEL=...]
#   make debug-kernel          build (once, cached) the kernels with KASAN & co.
#                              and with KCSAN
#   make lint                  checkpatch --strict, sparse, W=1 only
#   make bench                 benchmarks against Linux's own mechanisms
#   make deps                  install what the above need (Debian 12)
#   make install [KDIR=...]    modules into /lib/modules/<release>/extra/ + depmod,
#                              and the tools (ioctl, rq) with their man pages
#                              into PREFIX (/usr/local)   [DESTDIR=... stages]
#   make uninstall [KDIR=...]  take them out again (or KREL=<release>)
#   make install-modules, install-tools, uninstall-modules, uninstall-tools
#                              one half of the above
#   make tools                 build the tools for this machine (build/tools/)
#   make deb                   Debian packages: rustmods-dkms, rustmods-tools
#                              (build/deb/*.deb)
#   make dkms-install          the sources under DKMS, built for every kernel
#   make dkms-remove           out of DKMS again
#
# Modules are built out of the source tree, one directory per kernel:
# build/<kernelrelease>/<module>/<module>.ko.

KDIR	?= /lib/modules/$(shell uname -r)/build
KERNEL	?= 6.12
KERNELS	?= 6.1 6.12 6.12-rt 7 debug kcsan

B	:= build
GUEST	:= $(B)/guest
KREL	= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		  $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODOUT	= $(CURDIR)/$(B)/$(KREL)

# a module is a directory with a Kbuild file
MODULE_DIRS := $(patsubst %/Kbuild,%,$(wildcard */Kbuild))

# in-guest test programs and user-space tools: static, so that the guest
# needs no libraries
UCFLAGS	:= -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
	   -Iinclude/uapi -Itests/lib
ULDFLAGS := -static -pthread
TEST_SRC := $(filter-out tests/lib/% tests/vm/% tests/host/% tests/system/%,$(wildcard tests/*/*.c))
TEST_BIN := $(patsubst tests/%.c,$(GUEST)/tests/%,$(TEST_SRC))
# sources that say TEST_ALSO_M32 are also built as 32-bit programs, *_m32,
# to exercise the modules' compat_ioctl paths
M32_SRC	 := $(shell grep -l TEST_ALSO_M32 $(TEST_SRC) /dev/null)
TEST_BIN += $(patsubst tests/%.c,$(GUEST)/tests/%_m32,$(M32_SRC))
TEST_SH  := $(patsubst tests/%,$(GUEST)/tests/%,\
	    $(filter-out tests/vm/% tests/host/% tests/system/%,$(wildcard tests/*/*.sh)))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(GUEST)/bench/%,$(BENCH_SRC))
TOOL_SRC := $(wildcard tools/*.c)
TOOL_BIN := $(patsubst tools/%.c,$(GUEST)/bin/%,$(TOOL_SRC))
TOOLS	 := $(patsubst tools/%.c,%,$(TOOL_SRC))
# the tools as installed: for this machine, with the flags a packager
# gives (CFLAGS, CPPFLAGS, LDFLAGS: dpkg-buildflags' hardening)
CFLAGS	?= -O2 -g
TOOL_CFLAGS = -Wall -Wextra -D_GNU_SOURCE -Iinclude/uapi $(CPPFLAGS) $(CFLAGS)
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
HDRS	 := $(wildcard include/uapi/linux/*.h tests/lib/*.h tests/*/*.h \
		     $(addsuffix /*.h,$(MODULE_DIRS)))

.PHONY: all modules guest-programs tools check lint demo vm-run shell deps bench \
	clean debug-kernel install uninstall dkms-install dkms-remove \
	install-modules uninstall-modules install-tools uninstall-tools deb

all: modules guest-programs

# build/<release>/ mirrors the sources with links, and kbuild builds there.
# (A module's directory may also hold a build of its own, by its Makefile:
# its kbuild-made *.mod.c is no source, and a link to it would have this
# build write through to it.)
modules:
	@test -f $(KDIR)/Makefile || { \
		echo "no kernel build directory at $(KDIR): pass KDIR=..." >&2; \
		exit 1; }
	@mkdir -p $(MODOUT)
	@find $(MODOUT) -xtype l -delete	# links to sources since moved
	@find Kbuild include $(MODULE_DIRS) -type f ! -name '*.mod.c' \
		\( -name '*.[ch]' -o -name Kbuild \) | while read -r f; do \
		mkdir -p "$(MODOUT)/$$(dirname "$$f")"; \
		ln -sfn "$(CURDIR)/$$f" "$(MODOUT)/$$f"; done
	$(MAKE) -C $(KDIR) M=$(MODOUT) modules

guest-programs: $(TEST_BIN) $(TEST_SH) $(GUEST)/tests/run-all $(TOOL_BIN) \
		$(BENCH_BIN) $(GUEST)/bench/run

tools: $(patsubst %,$(B)/tools/%,$(TOOLS))

$(B)/tools/%: tools/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -o $@ $< $(LDFLAGS)

$(GUEST)/tests/%: tests/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS) $(ULDLIBS)

# liburing (Debian's liburing-dev), linked in statically as the rest
$(GUEST)/tests/rustqueue/test_uring: ULDLIBS := -luring

$(GUEST)/tests/%_m32: tests/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(UCFLAGS) -o $@ $< $(ULDFLAGS)

$(GUEST)/tests/%.sh: tests/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/tests/run-all: tests/vm/run-all
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/bench/%: bench/%.c bench/bench.h $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS) $(ULDLIBS) -lrt

$(GUEST)/bench/bench_paths: ULDLIBS := -luring

$(GUEST)/bench/run: bench/run
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/bin/%: tools/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS)

# make install-modules: kbuild's modules_install puts every module at
# $(INSTALL_MOD_PATH)/lib/modules/<release>/$(INSTALL_MOD_DIR)/<module>/
# (compressed as the kernel's own modules are), for KDIR's kernel; then
# depmod, which kbuild skips for a headers-only KDIR, so that modprobe
# finds them.  INSTALL_MOD_PATH=DIR stages them under DIR instead.  (A
# kernel with KUnit also gets the <module>_kunit.ko test modules.)
# make uninstall-modules removes exactly those files; it needs only the release
# (KREL=..., read from KDIR by default).
INSTALL_MOD_DIR	?= extra
# DESTDIR stages the modules too, as INSTALL_MOD_PATH does
INSTALL_MOD_PATH ?= $(DESTDIR)
# Debian's headers have no signing key: kbuild's attempt to sign (6.12)
# fails with a screenful of SSL errors.  Unsigned modules load where
# signatures are not enforced; use DKMS (which signs) where they are.
NOSIGN	= $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
INSTALLED	= $(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
DEPMOD		= depmod $(if $(INSTALL_MOD_PATH),-b $(abspath $(INSTALL_MOD_PATH))) $(KREL)

install: install-modules install-tools

uninstall: uninstall-tools uninstall-modules

install-modules: modules
	$(MAKE) -C $(KDIR) M=$(MODOUT) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH)) $(NOSIGN) \
		modules_install
	$(DEPMOD)

uninstall-modules:
	@test -n "$(KREL)" || { \
		echo "no kernel release: pass KDIR=... or KREL=..." >&2; exit 1; }
	@for m in $(MODULE_DIRS); do \
		rm -fv "$(INSTALLED)/$$m/$$m.ko" "$(INSTALLED)/$$m/$$m.ko."* \
			"$(INSTALLED)/$$m/$${m}_kunit.ko"*; \
		rmdir "$(INSTALLED)/$$m" 2>/dev/null || true; done
	@rmdir "$(INSTALLED)" 2>/dev/null || true
	$(DEPMOD)

# the tools and their man pages, section 1; DESTDIR stages them
install-tools: tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(patsubst %,$(B)/tools/%,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(patsubst %,tools/%.1,$(TOOLS)) $(DESTDIR)$(MANDIR)/man1/

uninstall-tools:
	rm -f $(patsubst %,$(DESTDIR)$(BINDIR)/%,$(TOOLS)) \
		$(patsubst %,$(DESTDIR)$(MANDIR)/man1/%.1,$(TOOLS))

# DKMS (dkms.conf): builds and installs for every kernel with headers now,
# and for kernels installed later
dkms-install: deps
	scripts/rustmods-dkms install

dkms-remove:
	scripts/rustmods-dkms remove

# make deb: the packages Debian and Ubuntu users install (debian/):
# rustmods-dkms_<version>_all.deb (the sources for DKMS, which builds the
# modules for every kernel with headers when it is installed; the udev
# rules; the modprobe.d example) and rustmods-tools_<version>_<arch>.deb,
# built by dpkg-buildpackage from a copy of this tree (without what git
# ignores) in build/deb/rustmods-<version>/; the packages land in
# build/deb/.  Needs debhelper and dh-dkms (scripts/deps).
# DEB_OUT=<dir> builds there instead.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version)
DEB_OUT ?= $(B)/deb
deb:
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/rustmods-$(DEB_VERSION)
	tar -c --exclude-vcs --exclude-vcs-ignores --exclude=./build . | \
		tar -x -C $(DEB_OUT)/rustmods-$(DEB_VERSION)
	cd $(DEB_OUT)/rustmods-$(DEB_VERSION) && \
		dpkg-buildpackage -b -us -uc --no-sign
	@ls -1 $(DEB_OUT)/*.deb

deps:
	scripts/deps

debug-kernel: deps
	tests/vm/debug-kernel --flavour debug
	tests/vm/debug-kernel --flavour kcsan

check: deps
	tests/check $(KERNELS)

lint: deps $(if $(filter debug kcsan,$(KERNELS)),debug-kernel)
	tests/lint $(KERNELS)

demo: deps
	tests/vm/vmrun -k $(KERNEL) -t 300 -- /demo/run

# make bench [BENCHES='bench_rpf ...']: the benchmarks (bench/*.c) in one
# 6.12 guest with 2 vCPUs and instruction counting for guest time
# (-icount), so that figures repeat on a busy host.  (6.1 does not boot
# under -icount.)  Not part of make check.
bench: deps
	tests/vm/vmrun -k 6.12 -s 2 --icount -t 3600 -- /bench/run $(BENCHES)

# CMD reaches the shell through the environment, so any quoting survives
vm-run: export CMD := $(CMD)
vm-run: deps
	tests/vm/vmrun -k $(KERNEL) -- "$$CMD"

shell: deps
	tests/vm/vmrun -k $(KERNEL) --shell

clean:
	rm -rf $(B)
