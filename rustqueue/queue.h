/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bounded message queue at the heart of rustqueue (queue.c): what the
 * device side (dev.c) and the KUnit tests (rustqueue_kunit.c) see of it.
 */
#ifndef RUSTQUEUE_QUEUE_H
#define RUSTQUEUE_QUEUE_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>

/**
 * struct rq_msg - one message, or a spare buffer for one
 * @node: on the queue's message list or its spare list, or on none while
 *	a writer fills it or a reader copies it out
 * @len: bytes of message in @data
 * @cap: room in @data
 * @data: @inline_data, or a separate allocation
 * @inline_data: header and data in one allocation
 */
struct rq_msg {
	struct list_head node;
	size_t len;
	size_t cap;
	u8 *data;
	u8 inline_data[];
};

/**
 * struct rq_queue - a bounded FIFO of messages
 * @lock: protects everything but the atomics and the wait queues
 * @msgs: the messages, oldest first
 * @spare: buffers kept for reuse
 * @nspare: buffers on @spare
 * @count: slots used: messages listed, plus taken ones not yet released,
 *	plus reserved ones not yet filled
 * @listed: messages on @msgs
 * @capacity: most slots; count + nspare never exceeds it, but for
 *	reserved slots (which hold no buffer) until they are filled
 * @max_msg_size: longest message accepted, in bytes
 * @bytes: bytes in the used slots
 * @enqueued: messages ever enqueued
 * @dequeued: messages ever released
 * @rejected_full: writes refused for want of room
 * @rejected_size: writes refused for being too long
 * @flushed: messages dropped by rq_flush()
 * @high_watermark: the most slots ever used at once
 * @waiting_readers: tasks waiting to read (rq_wait_readable(), or for
 *	their turn behind another reader of their open file: dev.c)
 * @waiting_writers: tasks in rq_wait_writable()
 * @readers_woken: when a blocked reader was woken that has not looked
 *	yet (jiffies, low bit set), or 0 (rq_wake_up() in queue.c)
 * @writers_woken: likewise for blocked writers
 * @rewake: a timer, armed when a wake-up is held back for a woken task
 *	that has not looked yet: a tick or two later it sends them anyway
 * @readq: readers wait here for @listed > 0
 * @writeq: writers wait here for @count < @capacity
 * @pollq: poll, select, epoll and io_uring's poll wait here, for either
 *
 * @count, @listed, @capacity and @nspare are also read without the lock
 * (wait conditions, poll, the spare-buffer fast path): they are written
 * with WRITE_ONCE().
 */
struct rq_queue {
	spinlock_t lock;		/* see above */
	struct list_head msgs;
	struct list_head spare;
	unsigned int nspare;
	unsigned int count;
	unsigned int listed;
	unsigned int capacity;
	size_t max_msg_size;
	u64 bytes;
	u64 enqueued;
	u64 dequeued;
	u64 rejected_full;
	u64 rejected_size;
	u64 flushed;
	unsigned int high_watermark;
	atomic_t waiting_readers;
	atomic_t waiting_writers;
	unsigned long readers_woken;
	unsigned long writers_woken;
	struct timer_list rewake;
	wait_queue_head_t readq;
	wait_queue_head_t writeq;
	wait_queue_head_t pollq;
};

/**
 * struct rq_stats - a consistent copy of a queue's state and counters
 * @count: see struct rq_queue; likewise the others
 * @capacity: most slots
 * @max_msg_size: longest message
 * @bytes: bytes queued
 * @enqueued: messages ever enqueued
 * @dequeued: messages ever dequeued
 * @rejected_full: writes refused, queue full
 * @rejected_size: writes refused, too long
 * @flushed: messages flushed
 * @high_watermark: most slots used at once
 * @waiting_readers: readers waiting now
 * @waiting_writers: writers waiting now
 */
struct rq_stats {
	unsigned int count;
	unsigned int capacity;
	size_t max_msg_size;
	u64 bytes;
	u64 enqueued;
	u64 dequeued;
	u64 rejected_full;
	u64 rejected_size;
	u64 flushed;
	unsigned int high_watermark;
	int waiting_readers;
	int waiting_writers;
};

static inline bool rq_has_room(struct rq_queue *q)
{
	return READ_ONCE(q->count) < READ_ONCE(q->capacity);
}

/*
 * Allocation flags for a message buffer where the caller must not sleep
 * (a read or write with IOCB_NOWAIT): no direct reclaim, no warning, and
 * charged to the caller's memory cgroup as GFP_KERNEL_ACCOUNT is.
 */
#define RQ_GFP_NOWAIT	(GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT)

struct rq_msg *rq_msg_alloc(size_t len, gfp_t gfp);
void rq_msg_free(struct rq_msg *msg);

void rq_queue_init(struct rq_queue *q, unsigned int capacity,
		   size_t max_msg_size);
unsigned int rq_queue_destroy(struct rq_queue *q);
int rq_wait_readable(struct rq_queue *q);
int rq_wait_writable(struct rq_queue *q);
void rq_pass_on_read(struct rq_queue *q, bool *woken);
void rq_pass_on_write(struct rq_queue *q, bool *woken);
struct rq_msg *rq_get_buffer(struct rq_queue *q, size_t len, gfp_t gfp);
unsigned int rq_get_buffers(struct rq_queue *q, const size_t *lens,
			    unsigned int n, struct rq_msg **msgs, gfp_t gfp);
void rq_free_msgs(struct rq_msg **msgs, unsigned int n);
unsigned int rq_enqueue(struct rq_queue *q, struct rq_msg *msg);
unsigned int rq_enqueue_batch(struct rq_queue *q, struct rq_msg **msgs,
			      unsigned int n, unsigned int *count);
unsigned int rq_reserve(struct rq_queue *q, unsigned int n);
unsigned int rq_enqueue_reserved(struct rq_queue *q, struct rq_msg **msgs,
				 unsigned int n, unsigned int reserved);
int rq_take_batch(struct rq_queue *q, const size_t *room, unsigned int n,
		  struct rq_msg **msgs);
void rq_untake_batch(struct rq_queue *q, struct rq_msg **msgs, unsigned int n);
unsigned int rq_release_batch(struct rq_queue *q, struct rq_msg **msgs,
			      unsigned int n);
struct rq_msg *rq_take(struct rq_queue *q, size_t room);
void rq_untake(struct rq_queue *q, struct rq_msg *msg);
unsigned int rq_release(struct rq_queue *q, struct rq_msg *msg, bool recycle);
void rq_recycle(struct rq_queue *q, struct rq_msg *msg);
unsigned int rq_flush(struct rq_queue *q);
int rq_resize(struct rq_queue *q, unsigned int capacity, unsigned int *old);
void rq_count_reject(struct rq_queue *q, int err);
size_t rq_head_len(struct rq_queue *q);
void rq_get_stats(struct rq_queue *q, struct rq_stats *st);

#endif /* RUSTQUEUE_QUEUE_H */
