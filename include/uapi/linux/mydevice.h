/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mydevice - the lab misc device of the course's ioctl and read/write labs
 *
 * User-space interface of mydevice.ko, /dev/mydevice.
 *
 * ioctls, all with magic 'J'.  Each command is recognised by its whole
 * number (direction, size, type and nr together); any other number,
 * including a known nr with another direction or size, fails with ENOTTY.
 *
 *   PING          does nothing and succeeds
 *   GET_VERSION   stores MYDEVICE_VERSION
 *   SET_VALUE     sets the value of this open file (each open() has its
 *                 own, initially 0); logs "mydevice: received value: N"
 *   GET_VALUE     stores the value of this open file
 *   TRANSFORM     replaces the u32 with twice its value (modulo 2^32)
 *   INCREMENT     replaces the u32 with its value plus one (modulo 2^32)
 *   SET_COUNTER   sets the counter shared by every open file (initially 0)
 *   GET_COUNTER   stores the shared counter
 *   NEGATE_POINT  negates both coordinates; -2^31 stays -2^31
 *   COPY_BUF      replaces the contents of the byte buffer (the one read()
 *                 drains) with the first min(len, MYDEVICE_BUF_SIZE) bytes
 *                 at ptr; returns how many bytes it stored.  len 0 empties
 *                 the buffer.
 *
 * An argument pointer, or COPY_BUF's ptr, that faults gives EFAULT and
 * changes nothing.
 *
 * read() and write() use a byte buffer of MYDEVICE_BUF_SIZE bytes shared
 * by every open file: write() appends as many bytes as fit and returns
 * that count, or fails with ENOSPC if the buffer is full; read() takes
 * bytes from the front and returns 0 (end of file) when it is empty.
 * The device is a stream: lseek(), pread() and pwrite() give ESPIPE.
 *
 * The value of an open file also appears in /proc/<pid>/fdinfo/<fd> as a
 * line "value:\t<N>".
 *
 * The structures have one layout for 32-bit and 64-bit programs.
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

struct mydevice_point {
	__s32 x;
	__s32 y;
};

struct mydevice_userbuf {
	__u64 ptr;		/* user address of the bytes */
	__u64 len;		/* how many; at most MYDEVICE_BUF_SIZE are used */
};

/* The ioctl lab (seed 001) */
#define MYDEVICE_IOC_PING	  _IO(MYDEVICE_IOC_MAGIC, 0)
#define MYDEVICE_IOC_GET_VERSION  _IOR(MYDEVICE_IOC_MAGIC, 1, __u32)
#define MYDEVICE_IOC_SET_VALUE	  _IOW(MYDEVICE_IOC_MAGIC, 2, __u32)
#define MYDEVICE_IOC_TRANSFORM	  _IOWR(MYDEVICE_IOC_MAGIC, 3, __u32)
#define MYDEVICE_IOC_GET_VALUE	  _IOR(MYDEVICE_IOC_MAGIC, 5, __u32)

/* The reading and writing lab (seed 000), part 1 */
#define MYDEVICE_IOC_INCREMENT	  _IOWR(MYDEVICE_IOC_MAGIC, 0, __u32)
#define MYDEVICE_IOC_SET_COUNTER  _IOW(MYDEVICE_IOC_MAGIC, 1, __u32)
#define MYDEVICE_IOC_GET_COUNTER  _IOR(MYDEVICE_IOC_MAGIC, 2, __u32)
#define MYDEVICE_IOC_NEGATE_POINT _IOWR(MYDEVICE_IOC_MAGIC, 3, struct mydevice_point)
#define MYDEVICE_IOC_COPY_BUF	  _IOW(MYDEVICE_IOC_MAGIC, 4, struct mydevice_userbuf)

#endif /* _UAPI_LINUX_MYDEVICE_H */
