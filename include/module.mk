# SPDX-License-Identifier: GPL-2.0
#
# The rules of every module directory's own Makefile (rustqueue/Makefile
# and its siblings include this): that module on its own, built beside its
# sources for the running kernel, as the course does it.
#
#   make clean && make                       # <module>.ko here
#   make KDIR=/lib/modules/<release>/build   # for another installed kernel
#   sudo make install                        # into /lib/modules/<release>/extra/
#                                            # <module>/, then depmod: modprobe finds it
#   sudo make uninstall                      # out again
#
# install puts the module where the top-level "make install" does, so
# either undoes the other.  INSTALL_MOD_PATH=<dir> stages it there.
#
# What is compiled, and from which files, is in the directory's Kbuild:
# kbuild reads that file, not the Makefile, so no Makefile names a source.

KDIR ?= /lib/modules/$(shell uname -r)/build
MODNAME := $(notdir $(CURDIR))
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# Debian's headers have no signing key: do not try to sign (see ../Makefile)
NOSIGN = $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(abspath $(INSTALL_MOD_PATH))) $(KREL)

all modules: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# without the kernel's build directory, remove what kbuild would
clean:
	@if [ -f $(KDIR)/Makefile ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; \
	else \
		rm -rf *.o .*.o *.ko *.mod *.mod.c .*.cmd .*.d .tmp_versions \
			Module.symvers modules.order; \
	fi

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra/$(MODNAME) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH))) \
		$(NOSIGN) modules_install
	$(DEPMOD)

uninstall: kdir
	rm -fv $(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KREL)/extra/$(MODNAME)/*.ko*
	-rmdir $(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KREL)/extra/$(MODNAME) \
		$(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KREL)/extra 2>/dev/null
	$(DEPMOD)

kdir:
	@[ -f $(KDIR)/Makefile ] || { \
		echo "no kernel build directory at $(KDIR):" \
			"install the headers of kernel $$(uname -r)" \
			"(Debian, Ubuntu: linux-headers-$$(uname -r))," \
			"or pass KDIR=<the kernel's build directory>" >&2; \
		exit 1; }

.PHONY: all modules clean install uninstall kdir
