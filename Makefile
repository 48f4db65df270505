# SPDX-License-Identifier: GPL-2.0
#
#   make modules [KDIR=...]    build every module against a kernel build dir
#                              [MODULES='a b' builds only those]
#   make check                 lints + the test suite on every kernel (CI)
#   make demo                  the seeds' walkthroughs in a guest
#   make vm-run CMD='...'      run a command in a guest   [KERNEL=6.1|6.12|6.12-rt|debug]
#   make shell                 interactive guest shell     [KERNEL=6.1|6.12|6.12-rt|debug]
#   make debug-kernel          build (once, cached) the kernel with KASAN & co.
#   make lint                  checkpatch --strict, sparse, W=1 only
#   make bench                 benchmarks against Linux's own mechanisms
#   make deps                  install what the above need (Debian 12)
#   make install [KDIR=...]    modules into /lib/modules/<release>/extra/ + depmod
#   make uninstall [KDIR=...]  take them out again (or KREL=<release>)
#   make dkms-install          the sources under DKMS, built for every kernel
#   make dkms-remove           out of DKMS again
#
# Modules are built out of the source tree, one directory per kernel:
# build/<kernelrelease>/<module>/<module>.ko.

KDIR	?= /lib/modules/$(shell uname -r)/build
KERNEL	?= 6.12
KERNELS	?= 6.1 6.12 6.12-rt debug

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
TEST_SRC := $(filter-out tests/lib/% tests/vm/% tests/host/%,$(wildcard tests/*/*.c))
TEST_BIN := $(patsubst tests/%.c,$(GUEST)/tests/%,$(TEST_SRC))
# sources that say TEST_ALSO_M32 are also built as 32-bit programs, *_m32,
# to exercise the modules' compat_ioctl paths
M32_SRC	 := $(shell grep -l TEST_ALSO_M32 $(TEST_SRC) /dev/null)
TEST_BIN += $(patsubst tests/%.c,$(GUEST)/tests/%_m32,$(M32_SRC))
TEST_SH  := $(patsubst tests/%,$(GUEST)/tests/%,\
	    $(filter-out tests/vm/% tests/host/%,$(wildcard tests/*/*.sh)))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(GUEST)/bench/%,$(BENCH_SRC))
TOOL_SRC := $(wildcard tools/*.c)
TOOL_BIN := $(patsubst tools/%.c,$(GUEST)/bin/%,$(TOOL_SRC))
HDRS	 := $(wildcard include/uapi/linux/*.h tests/lib/*.h tests/*/*.h)

.PHONY: all modules guest-programs tools check lint demo vm-run shell deps bench \
	clean debug-kernel install uninstall dkms-install dkms-remove

all: modules guest-programs

modules:
	@test -f $(KDIR)/Makefile || { \
		echo "no kernel build directory at $(KDIR): pass KDIR=..." >&2; \
		exit 1; }
	@mkdir -p $(MODOUT)
	@find $(MODOUT) -xtype l -delete	# links to sources since moved
	@find Kbuild include $(MODULE_DIRS) -type f \
		\( -name '*.[ch]' -o -name Kbuild \) | while read -r f; do \
		mkdir -p "$(MODOUT)/$$(dirname "$$f")"; \
		ln -sfn "$(CURDIR)/$$f" "$(MODOUT)/$$f"; done
	$(MAKE) -C $(KDIR) M=$(MODOUT) modules

guest-programs: $(TEST_BIN) $(TEST_SH) $(GUEST)/tests/run-all $(TOOL_BIN) \
		$(BENCH_BIN) $(GUEST)/bench/run

tools: $(TOOL_BIN)

$(GUEST)/tests/%: tests/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS)

$(GUEST)/tests/%_m32: tests/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(UCFLAGS) -o $@ $< $(ULDFLAGS)

$(GUEST)/tests/%.sh: tests/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/tests/run-all: tests/vm/run-all
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/bench/%: bench/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS) -lrt

$(GUEST)/bench/run: bench/run
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST)/bin/%: tools/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -o $@ $< $(ULDFLAGS)

# make install: kbuild's modules_install puts every module at
# $(INSTALL_MOD_PATH)/lib/modules/<release>/$(INSTALL_MOD_DIR)/<module>/
# (compressed as the kernel's own modules are), for KDIR's kernel; then
# depmod, which kbuild skips for a headers-only KDIR, so that modprobe
# finds them.  INSTALL_MOD_PATH=DIR stages them under DIR instead.  (A
# kernel with KUnit also gets the <module>_kunit.ko test modules.)
# make uninstall removes exactly those files; it needs only the release
# (KREL=..., read from KDIR by default).
INSTALL_MOD_DIR	?= extra
# Debian's headers have no signing key: kbuild's attempt to sign (6.12)
# fails with a screenful of SSL errors.  Unsigned modules load where
# signatures are not enforced; use DKMS (which signs) where they are.
NOSIGN	= $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
INSTALLED	= $(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
DEPMOD		= depmod $(if $(INSTALL_MOD_PATH),-b $(abspath $(INSTALL_MOD_PATH))) $(KREL)

install: modules
	$(MAKE) -C $(KDIR) M=$(MODOUT) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH)) $(NOSIGN) \
		modules_install
	$(DEPMOD)

uninstall:
	@test -n "$(KREL)" || { \
		echo "no kernel release: pass KDIR=... or KREL=..." >&2; exit 1; }
	@for m in $(MODULE_DIRS); do \
		rm -fv "$(INSTALLED)/$$m/$$m.ko" "$(INSTALLED)/$$m/$$m.ko."* \
			"$(INSTALLED)/$$m/$${m}_kunit.ko"*; \
		rmdir "$(INSTALLED)/$$m" 2>/dev/null || true; done
	@rmdir "$(INSTALLED)" 2>/dev/null || true
	$(DEPMOD)

# DKMS (dkms.conf): builds and installs for every kernel with headers now,
# and for kernels installed later
dkms-install: deps
	scripts/rustmods-dkms install

dkms-remove:
	scripts/rustmods-dkms remove

deps:
	scripts/deps

debug-kernel: deps
	tests/vm/debug-kernel

check: deps
	tests/check $(KERNELS)

lint: deps $(if $(filter debug,$(KERNELS)),debug-kernel)
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
