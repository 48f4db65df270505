/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rustqueue - a bounded FIFO message queue character device
 *
 * User-space interface of rustqueue.ko.  With the default parameters the
 * module creates one queue, /dev/rustqueue.  Each write() enqueues one
 * message; the first read() of an open file dequeues the message at the
 * head of the queue and keeps it for that open file, and later reads of
 * the same open file stream the rest of it, then return end-of-file.
 *
 * Errors:
 *   ENOSPC  write() to a full queue (nothing is enqueued)
 *   EINVAL  write() of more than max_msg_size bytes
 *   EFAULT  write() from or read() into memory that faults; a faulting
 *           write enqueues nothing
 *   ESPIPE  lseek(), pread(), pwrite(): the device is a stream
 */
#ifndef _UAPI_LINUX_RUSTQUEUE_H
#define _UAPI_LINUX_RUSTQUEUE_H

/* Path of the queue when the module runs a single instance. */
#define RUSTQUEUE_DEVICE		"/dev/rustqueue"

/* Default capacity (module parameter max_messages) */
#define RUSTQUEUE_DEF_MAX_MESSAGES	16
/* Default largest message in bytes (module parameter max_msg_size) */
#define RUSTQUEUE_DEF_MAX_MSG_SIZE	4096
/* Largest accepted max_messages */
#define RUSTQUEUE_LIMIT_MAX_MESSAGES	65536
/* Largest accepted max_msg_size: 4 MiB */
#define RUSTQUEUE_LIMIT_MAX_MSG_SIZE	(4U << 20)

#endif /* _UAPI_LINUX_RUSTQUEUE_H */
