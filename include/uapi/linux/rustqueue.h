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
 * RUSTQUEUE_IOC_SEND_BATCH and RUSTQUEUE_IOC_RECV_BATCH send or receive
 * up to RUSTQUEUE_BATCH_MAX messages in one call, as sendmmsg() and
 * recvmmsg() do (see below).
 *
 * Without waiting, an empty queue reads as end-of-file in stream mode and
 * fails with EAGAIN in packet mode (where 0 is a valid, empty message);
 * a full queue fails writes with ENOSPC in both modes.
 *
 * poll()/select()/epoll: EPOLLIN when a read would return data, EPOLLOUT
 * when the queue has room; EPOLLHUP on a stream-mode file whose message
 * has been read to its end (it reads end-of-file from then on).  They
describe read(): RUSTQUEUE_IOC_RECV_BATCH on a stream-mode file can still
receive after EPOLLHUP, and fails with EBUSY while EPOLLIN reports a
half-read message; to wait for batches with poll, use packet mode.
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
 *   EBADF    RUSTQUEUE_IOC_SEND_BATCH (or FLUSH) on a file not open for
 *            writing, RUSTQUEUE_IOC_RECV_BATCH on one not open for reading
 *   EBUSY    RUSTQUEUE_IOC_RECV_BATCH while a stream message is half read
 *   ENOMEM   RUSTQUEUE_IOC_SEND_BATCH could not allocate its first message
 *            (write() gives the same)
 * The batch ioctls give, when nothing was done, the error of their first
 * message as read() or write() would, and EINVAL for unknown flags or a
 * count over RUSTQUEUE_BATCH_MAX.
 *   ENOTTY   unknown ioctl
 *   ENODEV   open() while the module is still loading its queues
 *
 * No call waits for another task's read or write: FIONREAD and the
 * RUSTQUEUE_IOC_* ioctls (the batches wait only as read() and write()
 * do, for a message or for room) return at once beside a reader
 * sleeping in the same open file.
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
 * @count: messages in the queue (including those being copied out, and
 *	slots a woken send batch reserved for the messages it is copying in)
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
 * @waiting_readers: tasks waiting in read() or RECV_BATCH right now
 * @waiting_writers: tasks waiting in write() or SEND_BATCH right now
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

/* Most descriptors one RUSTQUEUE_IOC_SEND_BATCH or RECV_BATCH takes */
#define RUSTQUEUE_BATCH_MAX	1024

/* Flags of &struct rustqueue_batch */
#define RUSTQUEUE_BATCH_NONBLOCK 0x1	/* never wait, as O_NONBLOCK would */
#define RUSTQUEUE_BATCH_ALL	RUSTQUEUE_BATCH_NONBLOCK

/**
 * struct rustqueue_msg - one message of a batch
 * @ptr: the message's data (send) or the buffer for it (receive), as a
 *	__u64 (``(__u64)(uintptr_t)buf``)
 * @len: bytes to send, or room in the receive buffer
 * @result: send: reserved, must be 0 (else the batch stops there, EINVAL
 *	if it is the first); receive: set to the length of the message
 *	received into @ptr (its value going in is ignored)
 *
 * 16 bytes, the same layout for 32-bit and 64-bit callers.
 */
struct rustqueue_msg {
	__u64 ptr;
	__u32 len;
	__u32 result;
};

/**
 * struct rustqueue_batch - the argument of the batch ioctls
 * @msgs: an array of @count &struct rustqueue_msg, as a __u64
 * @count: how many, 0-RUSTQUEUE_BATCH_MAX (more: EINVAL)
 * @flags: RUSTQUEUE_BATCH_* (unknown bits: EINVAL)
 *
 * 16 bytes, the same layout for 32-bit and 64-bit callers.
 */
struct rustqueue_batch {
	__u64 msgs;
	__u32 count;
	__u32 flags;
};

/**
 * RUSTQUEUE_IOC_SEND_BATCH - enqueue several messages, as sendmmsg() does
 *
 * Sends @msgs[0], @msgs[1] ... in order, each as one write() of it would
 * (interleaved, perhaps, with other writers' messages), and returns how
 * many were sent.  It fails only if none was: with the error that message
 * got, as write() would give it (ENOSPC, EAGAIN, EINVAL for a message
 * longer than max_msg_size, EFAULT, EINTR).  A message that cannot be
 * sent (a faulting @ptr or descriptor, too long, nonzero @result, the
 * queue full and not waiting, a signal while waiting) ends the batch
 * there: it and the ones after it are not queued, and the count of those
 * before it is returned.  In blocking mode (RUSTQUEUE_F_BLOCK, and
 * neither O_NONBLOCK nor RUSTQUEUE_BATCH_NONBLOCK) a full queue is waited
 * for before each message, as sendmmsg() blocks per message.  Unlike
 * write(), which reads its message before it waits, a batch that finds
 * the queue full waits for a free slot before it reads its next messages
 * (up to 16) from user memory: a faulting @ptr fails only once there is
 * room (or the wait ends in EINTR).  A signal
 * pending between groups of messages also ends a batch that has sent
 * some.  Needs a file open for writing (else EBADF).  The statistics
 * count a rejection (rejected_full, rejected_size) only when the whole
 * call fails with it.
 */
#define RUSTQUEUE_IOC_SEND_BATCH _IOW(RUSTQUEUE_IOC_MAGIC, 5, struct rustqueue_batch)
/**
 * RUSTQUEUE_IOC_RECV_BATCH - dequeue several messages, as recvmmsg() does
 *
 * Receives whole messages in order into @msgs[0], @msgs[1] ..., writing
 * each one's length to its @result, and returns how many were received.
 * Like recvmmsg() with MSG_WAITFORONE: in blocking mode it waits for the
 * first message (unless O_NONBLOCK or RUSTQUEUE_BATCH_NONBLOCK), then
 * takes only what is queued, never waiting again.  Each message goes
 * whole to one descriptor, as in packet mode, whatever the open file's
 * mode.  The batch ends at the first message longer than its
 * descriptor's @len (EMSGSIZE if it is the first; it stays at the head
 * of the queue), at a faulting @ptr, descriptor or @result (EFAULT if it
 * is the first; the message stays at the head), when the queue is empty
 * (EAGAIN if nothing was received and not waiting; EINTR for a signal
 * while waiting), or on a signal pending between groups of messages.
 * No message is lost.  A stream-mode open file still holding the rest of
 * a message it read fails with EBUSY (read it to its end first).  Needs
 * a file open for reading (else EBADF).
 */
#define RUSTQUEUE_IOC_RECV_BATCH _IOW(RUSTQUEUE_IOC_MAGIC, 6, struct rustqueue_batch)

/*
 * FIONREAD (int): the most bytes the next read() of this open file can
 * return: the size of the next message, or in stream mode what is left of
 * the message this open file holds; 0 when there is nothing to read.
 */

#endif /* _UAPI_LINUX_RUSTQUEUE_H */
