/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rustqueue - a bounded FIFO message queue character device
 *
 * User-space interface of rustqueue.ko.  With the default parameters the
 * module creates one queue, /dev/rustqueue; with instances=N (N > 1) it
 * creates /dev/rustqueue0 ... /dev/rustqueue<N-1>, each independent.
 *
 * Each write() (or writev()) enqueues one message.  How reads behave
 * depends on the open file's mode, set with RUSTQUEUE_IOC_SET_FLAGS:
 *
 * Stream mode (the default; seed 002's behaviour): the first read() of an
 * open file dequeues the message at the head of the queue and keeps it
 * for that open file; later reads of the same open file stream the rest
 * of it, then return end-of-file.
 *
 * Packet mode (RUSTQUEUE_F_PACKET): every read() dequeues and returns one
 * whole message, as SOCK_SEQPACKET and mq_receive() do.  A buffer smaller
 * than the next message gets EMSGSIZE and the message stays at the head
 * (a reader waiting for it too: the next waiting reader then gets it).
 *
 * Waiting (RUSTQUEUE_F_BLOCK, or module parameter blocking=1): a reader
 * with nothing to read waits for a message, a writer facing a full queue
 * waits for room.  Waits are interruptible and lose nothing.  With
 * O_NONBLOCK such a call fails with EAGAIN instead of waiting.
 *
 * Without waiting, an empty queue reads as end-of-file in stream mode and
 * fails with EAGAIN in packet mode (where 0 is a valid, empty message);
 * a full queue fails writes with ENOSPC in both modes.
 *
 * poll()/select()/epoll: EPOLLIN when a read would return data, EPOLLOUT
 * when the queue has room; EPOLLHUP on a stream-mode file whose message
 * has been read to its end (it reads end-of-file from then on).
 *
 * Errors:
 *   ENOSPC   write() to a full queue, not waiting (nothing is enqueued)
 *   EAGAIN   would wait, but O_NONBLOCK; or packet read of an empty queue
 *   EINVAL   write() of more than the queue's max_msg_size bytes
 *   EMSGSIZE packet-mode read() with a buffer smaller than the message
 *   EFAULT   faulting user memory: a write enqueues nothing, a read keeps
 *            the message (at the head of the queue, or with the open file)
 *   EINTR    a wait was interrupted by a signal (or the call restarts)
 *   ESPIPE   lseek(), pread(), pwrite(): the device is a stream
 *   ENOTTY   unknown ioctl
 *   ENODEV   open() while the module is still loading its queues
 *
 * No call waits for another task's read or write: FIONREAD and the
 * RUSTQUEUE_IOC_* ioctls return at once beside a reader sleeping in the
 * same open file.
 */
#ifndef _UAPI_LINUX_RUSTQUEUE_H
#define _UAPI_LINUX_RUSTQUEUE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Path of the queue when the module runs a single instance. */
#define RUSTQUEUE_DEVICE		"/dev/rustqueue"

/* Default capacity (module parameter max_messages) */
#define RUSTQUEUE_DEF_MAX_MESSAGES	16
/* Default largest message in bytes (module parameter max_msg_size) */
#define RUSTQUEUE_DEF_MAX_MSG_SIZE	4096
/* Largest accepted max_messages, and capacity set by ioctl */
#define RUSTQUEUE_LIMIT_MAX_MESSAGES	65536
/* Largest accepted max_msg_size: 4 MiB */
#define RUSTQUEUE_LIMIT_MAX_MSG_SIZE	(4U << 20)
/* Largest accepted number of instances */
#define RUSTQUEUE_LIMIT_INSTANCES	64

/* Per open file mode flags */
#define RUSTQUEUE_F_BLOCK	0x1	/* wait for a message / for room */
#define RUSTQUEUE_F_PACKET	0x2	/* one read() returns one message */
#define RUSTQUEUE_F_ALL		(RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET)

/**
 * struct rustqueue_info - a queue's state and statistics
 * @count: messages in the queue (including one being copied out)
 * @capacity: the most messages the queue holds
 * @max_msg_size: the largest message accepted, in bytes
 * @flags: the calling open file's mode (RUSTQUEUE_F_*)
 * @bytes: bytes held by the queued messages
 * @enqueued: messages accepted since load
 * @dequeued: messages taken off the queue since load
 * @rejected_full: writes refused because the queue was full
 * @rejected_size: writes refused because they exceeded max_msg_size
 * @flushed: messages dropped by RUSTQUEUE_IOC_FLUSH
 * @high_watermark: the largest @count seen since load
 * @waiting_readers: tasks waiting in read() right now
 * @waiting_writers: tasks waiting in write() right now
 * @instance: the queue's number (0 for /dev/rustqueue)
 *
 * The layout is the same for 32-bit and 64-bit callers.
 */
struct rustqueue_info {
	__u32 count;
	__u32 capacity;
	__u32 max_msg_size;
	__u32 flags;
	__u64 bytes;
	__u64 enqueued;
	__u64 dequeued;
	__u64 rejected_full;
	__u64 rejected_size;
	__u64 flushed;
	__u32 high_watermark;
	__u32 waiting_readers;
	__u32 waiting_writers;
	__u32 instance;
};

#define RUSTQUEUE_IOC_MAGIC	0xB9

/**
 * RUSTQUEUE_IOC_GET_INFO - read the queue's state and statistics
 *
 * Fills a &struct rustqueue_info; its flags are the calling open file's.
 */
#define RUSTQUEUE_IOC_GET_INFO	_IOR(RUSTQUEUE_IOC_MAGIC, 0, struct rustqueue_info)
/**
 * RUSTQUEUE_IOC_SET_FLAGS - set this open file's mode
 *
 * Takes a __u32 of RUSTQUEUE_F_* bits; unknown bits: EINVAL.
 */
#define RUSTQUEUE_IOC_SET_FLAGS	_IOW(RUSTQUEUE_IOC_MAGIC, 1, __u32)
/**
 * RUSTQUEUE_IOC_GET_FLAGS - read this open file's mode
 *
 * Stores a __u32 of RUSTQUEUE_F_* bits.
 */
#define RUSTQUEUE_IOC_GET_FLAGS	_IOR(RUSTQUEUE_IOC_MAGIC, 2, __u32)
/**
 * RUSTQUEUE_IOC_FLUSH - drop every queued message
 *
 * Needs a file open for writing (else EBADF).
 *
 * Return: how many messages were dropped.
 */
#define RUSTQUEUE_IOC_FLUSH	_IO(RUSTQUEUE_IOC_MAGIC, 3)
/**
 * RUSTQUEUE_IOC_SET_CAPACITY - change the queue's capacity
 *
 * Takes a __u32, 1-65536 (else EINVAL).  Needs CAP_SYS_ADMIN (else
 * EPERM).  Shrinking below the number of queued messages fails with EBUSY
 * and changes nothing: no queued message is ever dropped by a resize.
 */
#define RUSTQUEUE_IOC_SET_CAPACITY _IOW(RUSTQUEUE_IOC_MAGIC, 4, __u32)

/*
 * FIONREAD (int): the most bytes the next read() of this open file can
 * return: the size of the next message, or in stream mode what is left of
 * the message this open file holds; 0 when there is nothing to read.
 */

#endif /* _UAPI_LINUX_RUSTQUEUE_H */
