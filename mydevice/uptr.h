/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mydevice's conversion of a user address held in a __u64 (struct
 * mydevice_userbuf's ptr) into a user pointer.
 *
 * Self-contained on purpose: besides dev.c and the KUnit suite, the
 * in-guest test tests/mydevice/test_mydevice.c compiles this header as a
 * 32-bit and a 64-bit program (with stand-ins for u64, __user and
 * u64_to_user_ptr()), so that the 32-bit case is checked although every
 * kernel we test is 64-bit.
 */
#ifndef MYDEVICE_UPTR_H
#define MYDEVICE_UPTR_H

#include <linux/errno.h>
#include <linux/kernel.h>

/**
 * mydev_user_ptr() - turn a user address passed as a __u64 into a pointer
 * @addr: the address, as user space passed it
 * @p: where to store the pointer
 *
 * A 32-bit kernel's pointers have 32 bits: u64_to_user_ptr() alone would
 * turn 2^32 + X into X, another address of the caller's, and read from
 * there.  An address that does not fit is refused instead, with the
 * errno a 64-bit kernel gives for it (no such address in a 32-bit
 * process).  On a 64-bit kernel every value fits; the user copy then
 * refuses what is not a user address.
 *
 * Return: 0 with *@p set; -EFAULT, *@p untouched, if @addr does not fit.
 */
static inline int mydev_user_ptr(u64 addr, void __user **p)
{
	if ((unsigned long)addr != addr)
		return -EFAULT;
	*p = u64_to_user_ptr(addr);
	return 0;
}

#endif /* MYDEVICE_UPTR_H */
