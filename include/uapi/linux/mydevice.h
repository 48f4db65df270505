/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mydevice - the lab misc device of the course's ioctl and read/write labs
 *
 * User-space interface of mydevice.ko, /dev/mydevice.
 *
 * ioctls, all with magic 'J'.  Each command is recognised by its whole
 * number (direction, size, type and nr together); any other number,
 * including a known nr with another direction or size, fails with ENOTTY.
 * An argument pointer that faults gives EFAULT and changes nothing.  The
 * structures have one layout for 32-bit and 64-bit programs.
 *
 * The commands that change state every open file shares
 * (MYDEVICE_IOC_SET_COUNTER, MYDEVICE_IOC_COPY_BUF and its alias) need a
 * file opened for writing, as write() does: on an open without write
 * access they fail with EBADF and change nothing.  The others work on
 * any open, MYDEVICE_IOC_SET_VALUE too: it changes only the caller's own
 * open file.
 *
 * read() and write() use a byte buffer of MYDEVICE_BUF_SIZE bytes shared
 * by every open file: write() appends as many bytes as fit and returns
 * that count, or fails with ENOSPC if the buffer is full; read() takes
 * bytes from the front and returns 0 (end of file) when it is empty.
 * The device is a stream: lseek(), pread() and pwrite() give ESPIPE.
 *
 * Each open file has a value (see MYDEVICE_IOC_SET_VALUE), which also
 * appears in /proc/<pid>/fdinfo/<fd> as a line "value:\t<N>".
 */
#ifndef _UAPI_LINUX_MYDEVICE_H
#define _UAPI_LINUX_MYDEVICE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MYDEVICE_DEVICE		"/dev/mydevice"

/* What GET_VERSION reports */
#define MYDEVICE_VERSION	1

/* Size of the byte buffer behind read(), write() and COPY_BUF */
#define MYDEVICE_BUF_SIZE	256

#define MYDEVICE_IOC_MAGIC	'J'

/**
 * struct mydevice_point - a point, for MYDEVICE_IOC_NEGATE_POINT
 * @x: the x coordinate
 * @y: the y coordinate
 */
struct mydevice_point {
	__s32 x;
	__s32 y;
};

/**
 * struct mydevice_userbuf - bytes in the caller's memory, for
 * MYDEVICE_IOC_COPY_BUF
 * @ptr: their address
 * @len: how many; at most MYDEVICE_BUF_SIZE of them are used
 */
struct mydevice_userbuf {
	__u64 ptr;
	__u64 len;
};

/* The ioctl lab (seed 001) */

/**
 * MYDEVICE_IOC_PING - do nothing, successfully
 *
 * The argument is ignored.
 */
#define MYDEVICE_IOC_PING	  _IO(MYDEVICE_IOC_MAGIC, 0)
/**
 * MYDEVICE_IOC_GET_VERSION - read the interface version
 *
 * Stores a __u32, MYDEVICE_VERSION.
 */
#define MYDEVICE_IOC_GET_VERSION  _IOR(MYDEVICE_IOC_MAGIC, 1, __u32)
/**
 * MYDEVICE_IOC_SET_VALUE - set this open file's value
 *
 * Takes a __u32.  Every open file has its own value, 0 after open().
 * Logs "mydevice: received value: N".
 */
#define MYDEVICE_IOC_SET_VALUE	  _IOW(MYDEVICE_IOC_MAGIC, 2, __u32)
/**
 * MYDEVICE_IOC_TRANSFORM - double a number
 *
 * Replaces the __u32 with twice its value, modulo 2^32.
 */
#define MYDEVICE_IOC_TRANSFORM	  _IOWR(MYDEVICE_IOC_MAGIC, 3, __u32)
/**
 * MYDEVICE_IOC_GET_VALUE - read this open file's value
 *
 * Stores a __u32: what MYDEVICE_IOC_SET_VALUE last set on this open file.
 * The lab gives it no number; _IOR('J', 2, __u32), the natural one, is
 * MYDEVICE_IOC_GET_COUNTER of the other lab on this same device, so it
 * takes the first free nr, 5.
 */
#define MYDEVICE_IOC_GET_VALUE	  _IOR(MYDEVICE_IOC_MAGIC, 5, __u32)

/* The reading and writing lab (seed 000), part 1 */

/**
 * MYDEVICE_IOC_INCREMENT - add one to a number
 *
 * Replaces the __u32 with its value plus one, modulo 2^32.
 */
#define MYDEVICE_IOC_INCREMENT	  _IOWR(MYDEVICE_IOC_MAGIC, 0, __u32)
/**
 * MYDEVICE_IOC_SET_COUNTER - set the counter shared by every open file
 *
 * Takes a __u32.  The counter is 0 when the module loads.  Needs an open
 * for writing (EBADF otherwise).
 */
#define MYDEVICE_IOC_SET_COUNTER  _IOW(MYDEVICE_IOC_MAGIC, 1, __u32)
/**
 * MYDEVICE_IOC_GET_COUNTER - read the counter shared by every open file
 *
 * Stores a __u32.
 */
#define MYDEVICE_IOC_GET_COUNTER  _IOR(MYDEVICE_IOC_MAGIC, 2, __u32)
/**
 * MYDEVICE_IOC_NEGATE_POINT - negate both coordinates of a point
 *
 * Replaces a &struct mydevice_point with its negation, in two's
 * complement: -2^31 stays -2^31.
 */
#define MYDEVICE_IOC_NEGATE_POINT _IOWR(MYDEVICE_IOC_MAGIC, 3, struct mydevice_point)
/**
 * MYDEVICE_IOC_COPY_BUF - fill the byte buffer from the caller's memory
 *
 * Takes a &struct mydevice_userbuf and replaces the contents of the byte
 * buffer behind read() with the first min(len, MYDEVICE_BUF_SIZE) bytes
 * at ptr; len 0 empties it.  A ptr that faults, or that a 32-bit kernel
 * cannot hold (2^32 or more): EFAULT, and the buffer is unchanged.  Needs
 * an open for writing (EBADF otherwise).
 *
 * Return: the number of bytes stored.
 */
#define MYDEVICE_IOC_COPY_BUF	  _IOW(MYDEVICE_IOC_MAGIC, 4, struct mydevice_userbuf)
/**
 * MYDEVICE_IOC_COPY_BUF_U64 - MYDEVICE_IOC_COPY_BUF by seed 000's number
 *
 * The reading and writing lab defines its command 4 "with a data size of
 * u64" and passes the same (ptr, len) struct: this number,
 * _IOW('J', 4, __u64), does exactly what MYDEVICE_IOC_COPY_BUF does, with
 * the same &struct mydevice_userbuf argument (16 bytes, whatever the
 * size field says), so that programs written to the lab's text work.
 */
#define MYDEVICE_IOC_COPY_BUF_U64 _IOW(MYDEVICE_IOC_MAGIC, 4, __u64)

#endif /* _UAPI_LINUX_MYDEVICE_H */
