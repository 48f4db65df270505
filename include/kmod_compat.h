/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility shims for the kernels we build against (Debian's 6.1 and
 * 6.12 series and our 6.12 debug kernel).  Every difference between those
 * kernels that our modules meet is handled here, so module code never
 * tests LINUX_VERSION_CODE itself.
 */
#ifndef KMOD_COMPAT_H
#define KMOD_COMPAT_H

#include <linux/compiler.h>
#include <linux/version.h>

/* (empty so far: rustqueue needs nothing that differs) */

#endif /* KMOD_COMPAT_H */
