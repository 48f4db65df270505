# SPDX-License-Identifier: GPL-2.0
#
# The rules of every module directory's own Makefile (rustqueue/Makefile
# and its siblings include this): that module on its own, built beside its
# sources for the running kernel, as the course does it.
#
#   make clean && make                       # <module>.ko here
#   make KDIR=/lib/modules/<release>/build   # for another installed kernel
#
# What is compiled, and from which files, is in the directory's Kbuild:
# kbuild reads that file, not the Makefile, so no Makefile names a source.

KDIR ?= /lib/modules/$(shell uname -r)/build

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

kdir:
	@[ -f $(KDIR)/Makefile ] || { \
		echo "no kernel build directory at $(KDIR):" \
			"install the headers of kernel $$(uname -r)" \
			"(Debian, Ubuntu: linux-headers-$$(uname -r))," \
			"or pass KDIR=<the kernel's build directory>" >&2; \
		exit 1; }

.PHONY: all modules clean kdir
