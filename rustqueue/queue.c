// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue's queue: a bounded FIFO of messages, with its slots, its
 * spare buffers, its statistics and its wait queues.  It knows nothing
 * of files or user memory; dev.c builds the device on it, and
 * rustqueue_kunit.c tests it on its own.
 *
 * Locking
 *
 * q->lock, a spinlock, protects a queue's lists, counters and statistics.
 * It is never held across an allocation, a user copy or a wait: writers
 * build the message first and link it in with rq_enqueue(); readers
 * unlink with rq_take() and copy afterwards.
 *
 * q->count counts slots: messages on the list, plus messages a reader has
 * taken but not yet released, plus slots a writer reserved for messages
 * it has yet to build (rq_reserve()).  A reader releases its slot with
 * rq_release() only once its copy succeeded; if the copy faults,
 * rq_untake() puts the message back at the head, without the queue ever
 * exceeding its capacity.
 *
 * Buffer reuse: rq_release(..., true), or rq_recycle() for a message its
 * taker kept, hands the message's buffer to the queue's spare list
 * instead of freeing it, and rq_get_buffer() for a similar size takes it
 * from there: the hot path then does no allocation.  Spares count
 * against the capacity (count + nspare <= capacity), so a queue never
 * holds more than capacity buffers; they stay charged to the cgroup that
 * allocated them, and flush, resize and unload free them.  (A buffer a
 * writer holds while it copies or waits is the writer's, as a freshly
 * allocated one would be.  A reserved slot holds no buffer: while it is
 * not filled, count + nspare may exceed the capacity by it, and the
 * spares are trimmed back as it is filled.)
 *
 * Wake-ups: blocked readers sleep exclusively on q->readq and blocked
 * writers on q->writeq.  An enqueued message wakes one blocked reader,
 * a released slot one blocked writer, synchronously (the waker is about
 * to return or block, the woken one takes over), unless a reader
 * (writer) woken before has not looked yet, for a tick or two at most:
 * it will find the message, or pass the wake-up on.  A busy reader whose
 * next read takes the message first would otherwise leave a second
 * woken task nothing to do but sleep again (rq_wake_up()).  Pollers
 * (poll, select, epoll, io_uring) wait apart, on q->pollq, and are woken
 * with them: all that wait for that condition, but epoll instances
 * added with EPOLLEXCLUSIVE only one per message or slot.  A wake-up is
 * only sent where a sleeper can make progress: a message for readers
 * (to take, or to refuse with EMSGSIZE), a slot for writers.
 *
 * The pass-on rule: a sleeper that was woken may leave without using
 * what woke it (a packet reader whose buffer is too small, a stream
 * reader that finds its open file holds data already), or two wake-ups
 * may reach the same sleeper before it runs, or one woken task stands for
 * several messages (slots).  So every caller that was woken calls
 * rq_pass_on_read() or rq_pass_on_write() as soon as it has taken what
 * it came for, before any user copy or further wait, or as it leaves
 * without: if what it waited for is still there, the next sleeper is
 * woken.  (A send batch woken on a full queue takes the slot that woke
 * it with rq_reserve() before it copies its messages in.)  No message
 * sits listed, and no slot free, while a blocked task that could use it
 * sleeps on, for longer than a clock tick or two (rq_wake_up(); on
 * PREEMPT_RT, if no further message comes, for as long as q->rewake's
 * thread is kept from its CPU: rq_rewake()).  (Pollers
 * are not part of this: an EPOLLEXCLUSIVE instance woken for a message
 * it does not act on is epoll's contract.)
 * A stream-mode open file's own state (the message it holds, its end of
 * file, its mode) changes what poll() says of that file alone: its
 * pollers also wait on a queue of that file's own (dev.c).
 *
 * Batches (the *_batch() functions and rq_get_buffers()) do the same
 * for several messages under one acquisition of q->lock, with one
 * wake-up call for as many sleepers as messages or slots, and one for
 * the pollers.
 *
 * q->count, q->listed, q->capacity and q->nspare are written under
 * q->lock with WRITE_ONCE() and also read without it, with READ_ONCE()
 * (wait conditions, poll, the spare-buffer fast path).
 */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kmod_compat.h"

#include "queue.h"

/*
 * kvmalloc() where @gfp may sleep; where it may not (RQ_GFP_NOWAIT),
 * kmalloc() alone: vmalloc() needs to sleep, and kvmalloc() is not meant
 * for such flags.  Either way kvfree() frees it.
 */
static void *rq_kvmalloc(size_t size, gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp))
		return kvmalloc(size, gfp);
	return kmalloc(size, gfp);
}

/*
 * Header and data share one allocation, unless the header would push it
 * into a larger size class than the data needs alone (a 4 KiB message
 * would take 8 KiB): then the data gets an allocation of its own.  @gfp
 * is GFP_KERNEL_ACCOUNT, or RQ_GFP_NOWAIT for a caller that must not
 * sleep (no direct reclaim, no vmalloc(): large messages fail sooner).
 */
struct rq_msg *rq_msg_alloc(size_t len, gfp_t gfp)
{
	size_t whole = struct_size((struct rq_msg *)NULL, inline_data, len);
	struct rq_msg *msg;

	if (len < 256 || kmalloc_size_roundup(whole) <= kmalloc_size_roundup(len)) {
		msg = rq_kvmalloc(whole, gfp);
		if (!msg)
			return NULL;
		msg->data = msg->inline_data;
	} else {
		msg = kmalloc_obj(*msg, gfp);
		if (!msg)
			return NULL;
		msg->data = rq_kvmalloc(len, gfp);
		if (!msg->data) {
			kfree(msg);
			return NULL;
		}
	}
	msg->len = len;
	msg->cap = len;
	return msg;
}

void rq_msg_free(struct rq_msg *msg)
{
	if (msg->data != msg->inline_data)
		kvfree(msg->data);
	kvfree(msg);
}

static void rq_rewake(struct timer_list *t);

void rq_queue_init(struct rq_queue *q, unsigned int capacity,
		   size_t max_msg_size)
{
	memset(q, 0, sizeof(*q));
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->msgs);
	INIT_LIST_HEAD(&q->spare);
	q->capacity = capacity;
	q->max_msg_size = max_msg_size;
	init_waitqueue_head(&q->readq);
	init_waitqueue_head(&q->writeq);
	init_waitqueue_head(&q->pollq);
	/*
	 * Pinned: q->rewake runs on the CPU that armed it.  Unpinned, an
	 * idle CPU's timers may be run by a busy one, on PREEMPT_RT in that
	 * CPU's timer thread: the one a spinning task may keep from running.
	 */
	timer_setup(&q->rewake, rq_rewake, TIMER_PINNED);
}

/*
 * The queue goes away (nobody uses it any more): stop its timer, free
 * its messages and spares; returns how many messages were listed.
 */
unsigned int rq_queue_destroy(struct rq_queue *q)
{
	kc_timer_shutdown_sync(&q->rewake);
	return rq_flush(q);
}

/*
 * Wake up to @n of the blocked tasks on @wq, no more than @avail (the
 * messages listed, or the slots free), in one call; one alone is woken
 * synchronously from a task (the waker is about to return or block, the
 * woken one takes over).  But while a task woken before has not looked
 * yet (*@woken is set, less than a clock tick or two ago), a single new
 * message (slot) wakes no other: that one will find it, or pass the
 * wake-up on (see the pass-on rule above); a task that already runs and
 * takes it first (a busy reader's next read) would leave a second woken
 * task nothing to do but sleep again.  A woken task kept from running
 * (a higher-priority task on its CPU, a throttled cgroup) so holds the
 * others back for a tick or two at most: the next wake-up after that is
 * sent, and if none comes, q->rewake sends them.
 *
 * *@woken is the time of that wake-up (jiffies, low bit set), or 0.  It
 * is set here and cleared, without the lock, by every blocked task as it
 * looks (rq_readable(), rq_writable()) and as its wait ends
 * (rq_wait_readable(), rq_wait_writable()), and by q->rewake: clearing
 * is always safe, a task too many is woken later, never one too few.
 * The caller has made its change visible and seen a sleeper with
 * wq_has_sleeper(), whose barrier pairs with the one in a blocked task's
 * prepare_to_wait_event() and with the one after it clears *@woken.
 */
static void rq_wake_up(struct rq_queue *q, wait_queue_head_t *wq,
		       unsigned long *woken, unsigned int avail, unsigned int n,
		       __poll_t events)
{
	unsigned long since = READ_ONCE(*woken);

	n = min(n, avail);
	if (!n)
		return;
	if (n == 1 && since && time_before(jiffies, since + 1)) {
		if (!timer_pending(&q->rewake))
			mod_timer(&q->rewake, jiffies + 2);
		return;
	}
	WRITE_ONCE(*woken, jiffies | 1);
	if (n == 1 && in_task())
		wake_up_interruptible_sync_poll(wq, events);
	else
		__wake_up(wq, TASK_INTERRUPTIBLE, n, poll_to_key(events));
}

static void rq_wake_blocked_readers(struct rq_queue *q, unsigned int n)
{
	if (n && wq_has_sleeper(&q->readq))
		rq_wake_up(q, &q->readq, &q->readers_woken,
			   READ_ONCE(q->listed), n, EPOLLIN | EPOLLRDNORM);
}

static void rq_wake_blocked_writers(struct rq_queue *q, unsigned int n)
{
	unsigned int capacity, count;

	if (!n || !wq_has_sleeper(&q->writeq))
		return;
	capacity = READ_ONCE(q->capacity);
	count = READ_ONCE(q->count);
	if (count < capacity)
		rq_wake_up(q, &q->writeq, &q->writers_woken, capacity - count,
			   n, EPOLLOUT | EPOLLWRNORM);
}

/*
 * The pollers wait apart, on q->pollq, so that an EPOLLEXCLUSIVE epoll
 * waiter, which takes a wake-up as a blocked task does, takes none meant
 * for a blocked task.  All those interested in @events are woken (of
 * the EPOLLEXCLUSIVE ones, @n).
 */
static void rq_wake_pollers(struct rq_queue *q, unsigned int n, __poll_t events)
{
	if (!n || !wq_has_sleeper(&q->pollq))
		return;
	if (n == 1)
		wake_up_interruptible_sync_poll(&q->pollq, events);
	else
		__wake_up(&q->pollq, TASK_INTERRUPTIBLE, n, poll_to_key(events));
}

/* @n messages came: wake the readers that can take them, and the pollers */
static void rq_wake_readers(struct rq_queue *q, unsigned int n)
{
	rq_wake_blocked_readers(q, n);
	rq_wake_pollers(q, n, EPOLLIN | EPOLLRDNORM);
}

/* @n slots came free: likewise for writers */
static void rq_wake_writers(struct rq_queue *q, unsigned int n)
{
	rq_wake_blocked_writers(q, n);
	rq_wake_pollers(q, n, EPOLLOUT | EPOLLWRNORM);
}

/*
 * A woken reader took its message, or leaves without one: if *@woken
 * (the caller was woken and has not passed it on yet), clear it and wake
 * the next blocked reader if a message is still listed.  The pollers
 * were told of it when it came.
 */
void rq_pass_on_read(struct rq_queue *q, bool *woken)
{
	if (!*woken)
		return;
	*woken = false;
	rq_wake_blocked_readers(q, 1);
}

/* A woken writer leaves: likewise, if a slot is free. */
void rq_pass_on_write(struct rq_queue *q, bool *woken)
{
	if (!*woken)
		return;
	*woken = false;
	rq_wake_blocked_writers(q, 1);
}

/*
 * q->rewake: wake-ups were held back a tick or two ago for a woken task
 * that had not looked yet, and may have been the last.  Forget the woken
 * tasks, and send them all: wake as many blocked readers as messages are
 * listed, and writers as slots are free (rq_wake_up() holds back no
 * wake-up of several).  Waking one would not do: the next in line may be
 * kept from running too.  (On a kernel that runs timers in a thread,
 * PREEMPT_RT, this waits for that thread like any task: for as long as
 * a higher-priority task keeps its CPU, if no message comes.)
 */
static void rq_rewake(struct timer_list *t)
{
	struct rq_queue *q = container_of(t, struct rq_queue, rewake);

	WRITE_ONCE(q->readers_woken, 0);
	WRITE_ONCE(q->writers_woken, 0);
	rq_wake_blocked_readers(q, UINT_MAX);
	rq_wake_blocked_writers(q, UINT_MAX);
}

/*
 * A blocked task looks at the queue: it is no longer one to be woken.
 * The barrier orders the clearing before the look, and pairs with the
 * one in wq_has_sleeper() before rq_wake_up() reads the count: either
 * the waker sees it cleared and wakes a task, or the task sees the
 * waker's message (slot) and does not sleep.
 */
static bool rq_readable(struct rq_queue *q)
{
	smp_store_mb(q->readers_woken, 0);	/* see above */
	return READ_ONCE(q->listed);
}

static bool rq_writable(struct rq_queue *q)
{
	smp_store_mb(q->writers_woken, 0);	/* see above */
	return rq_has_room(q);
}

/*
 * Sleep until a message is listed: 0, or -ERESTARTSYS on a signal.  A
 * wake-up can reach a task between its last look and the end of its
 * wait, while it is still on the wait queue: that task clears the flag
 * the waker set for it here, as it would have on looking, or it would
 * hold back the next wake-ups (rq_wake_up()).
 */
int rq_wait_readable(struct rq_queue *q)
{
	int ret;

	atomic_inc(&q->waiting_readers);
	ret = wait_event_interruptible_exclusive(q->readq, rq_readable(q));
	smp_store_mb(q->readers_woken, 0);	/* as in rq_readable() */
	atomic_dec(&q->waiting_readers);
	return ret;
}

/* Sleep until a slot is free: 0, or -ERESTARTSYS on a signal.  Likewise */
int rq_wait_writable(struct rq_queue *q)
{
	int ret;

	atomic_inc(&q->waiting_writers);
	ret = wait_event_interruptible_exclusive(q->writeq, rq_writable(q));
	smp_store_mb(q->writers_woken, 0);	/* as in rq_writable() */
	atomic_dec(&q->waiting_writers);
	return ret;
}

/*
 * A buffer for a @len-byte message: a spare of about that size, or new,
 * allocated with @gfp (see rq_msg_alloc()).
 */
struct rq_msg *rq_get_buffer(struct rq_queue *q, size_t len, gfp_t gfp)
{
	struct rq_msg *msg = NULL;

	if (READ_ONCE(q->nspare)) {
		spin_lock(&q->lock);
		msg = list_first_entry_or_null(&q->spare, struct rq_msg, node);
		if (msg && msg->cap >= len && msg->cap <= 2 * len + 256) {
			list_del(&msg->node);
			WRITE_ONCE(q->nspare, q->nspare - 1);
		} else {
			msg = NULL;
		}
		spin_unlock(&q->lock);
	}
	if (!msg)
		return rq_msg_alloc(len, gfp);
	msg->len = len;
	return msg;
}

/*
 * Buffers for @n messages of @lens[i] bytes into @msgs[]: spares of about
 * those sizes, taken under one lock, and new ones allocated with @gfp for
 * the rest.  Returns how many, in order: if an allocation fails at i,
 * @msgs[i] onwards are NULL (and whatever was got for them is freed).
 */
unsigned int rq_get_buffers(struct rq_queue *q, const size_t *lens,
			    unsigned int n, struct rq_msg **msgs, gfp_t gfp)
{
	struct rq_msg *msg;
	unsigned int i;

	memset(msgs, 0, n * sizeof(*msgs));
	if (READ_ONCE(q->nspare)) {
		spin_lock(&q->lock);
		/* as rq_get_buffer(): the first spare, if its size fits */
		for (i = 0; i < n && q->nspare; i++) {
			msg = list_first_entry(&q->spare, struct rq_msg, node);
			if (msg->cap < lens[i] || msg->cap > 2 * lens[i] + 256)
				continue;
			list_del(&msg->node);
			WRITE_ONCE(q->nspare, q->nspare - 1);
			msg->len = lens[i];
			msgs[i] = msg;
		}
		spin_unlock(&q->lock);
	}
	for (i = 0; i < n; i++) {
		if (!msgs[i])
			msgs[i] = rq_msg_alloc(lens[i], gfp);
		if (!msgs[i])
			break;
	}
	rq_free_msgs(msgs + i, n - i);
	return i;
}

/* Free the (non-NULL) messages of @msgs[0..@n), and set them to NULL. */
void rq_free_msgs(struct rq_msg **msgs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (msgs[i])
			rq_msg_free(msgs[i]);
		msgs[i] = NULL;
	}
}

/*
 * Keep @msg's buffer as a spare if used slots and spares leave room for
 * it (count + nspare stays within the capacity): true if kept, false if
 * the caller is to free it.  q->lock held.
 */
static bool rq_keep_spare(struct rq_queue *q, struct rq_msg *msg)
{
	if (q->count + q->nspare >= q->capacity)
		return false;
	list_add(&msg->node, &q->spare);
	WRITE_ONCE(q->nspare, q->nspare + 1);
	return true;
}

/* Unlink a spare if count + nspare exceeds the capacity; q->lock held */
static struct rq_msg *rq_trim_spare(struct rq_queue *q)
{
	struct rq_msg *msg;

	if (q->count + q->nspare <= q->capacity)
		return NULL;
	msg = list_first_entry(&q->spare, struct rq_msg, node);
	list_del(&msg->node);
	WRITE_ONCE(q->nspare, q->nspare - 1);
	return msg;
}

/*
 * Link @msgs[0..@n) in at the tail, in order, into slots q->count already
 * counts, and move to @drop the spares count + nspare no longer leaves
 * room for (the caller frees them, without the lock); q->lock held.
 */
static void rq_link_locked(struct rq_queue *q, struct rq_msg **msgs,
			   unsigned int n, struct list_head *drop)
{
	struct rq_msg *msg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		list_add_tail(&msgs[i]->node, &q->msgs);
		q->bytes += msgs[i]->len;
	}
	WRITE_ONCE(q->listed, q->listed + n);
	q->enqueued += n;
	while ((msg = rq_trim_spare(q)))
		list_add(&msg->node, drop);
}

/* Link @msg in at the tail if there is room: the new count, or 0 if full. */
unsigned int rq_enqueue(struct rq_queue *q, struct rq_msg *msg)
{
	struct rq_msg *drop = NULL;
	unsigned int count = 0;

	spin_lock(&q->lock);
	if (q->count < q->capacity) {
		list_add_tail(&msg->node, &q->msgs);
		count = q->count + 1;
		WRITE_ONCE(q->count, count);
		WRITE_ONCE(q->listed, q->listed + 1);
		q->bytes += msg->len;
		q->enqueued++;
		if (count > q->high_watermark)
			q->high_watermark = count;
		drop = rq_trim_spare(q);
	}
	spin_unlock(&q->lock);
	if (drop)
		rq_msg_free(drop);
	if (count)
		rq_wake_readers(q, 1);
	return count;
}

/*
 * Link @msgs[0..@n) in at the tail, in order, as many as there is room
 * for, under one lock, with one wake-up call for the readers: how many
 * went in (the first ones; the caller keeps the others).  *@count is set
 * to the count after.
 */
unsigned int rq_enqueue_batch(struct rq_queue *q, struct rq_msg **msgs,
			      unsigned int n, unsigned int *count)
{
	struct rq_msg *msg, *tmp;
	LIST_HEAD(drop);

	spin_lock(&q->lock);
	/* a resize never takes the capacity below the count */
	n = min(n, q->capacity - q->count);
	if (n) {
		WRITE_ONCE(q->count, q->count + n);
		if (q->count > q->high_watermark)
			q->high_watermark = q->count;
		rq_link_locked(q, msgs, n, &drop);
	}
	*count = q->count;
	spin_unlock(&q->lock);
	list_for_each_entry_safe(msg, tmp, &drop, node)
		rq_msg_free(msg);
	rq_wake_readers(q, n);
	return n;
}

/*
 * Reserve up to @n free slots for messages still to be built: how many,
 * 0 if the queue is full.  A send batch woken on a full queue takes the
 * slot that woke it this way before it copies its messages in (a copy
 * that may stall), as a reader takes its message before it copies it
 * out.  Reserved slots count as used (and in the high watermark) until
 * rq_enqueue_reserved().  They hold no buffer; the reserver gets its
 * buffers as any writer does.
 */
unsigned int rq_reserve(struct rq_queue *q, unsigned int n)
{
	spin_lock(&q->lock);
	n = min(n, q->capacity - q->count);
	WRITE_ONCE(q->count, q->count + n);
	if (q->count > q->high_watermark)
		q->high_watermark = q->count;
	spin_unlock(&q->lock);
	return n;
}

/*
 * Link @msgs[0..@n) in, in order, into @n of the @reserved slots
 * rq_reserve() gave (@n <= @reserved), and give back the others, under
 * one lock; wake as many readers, and writers.  Returns the count after.
 */
unsigned int rq_enqueue_reserved(struct rq_queue *q, struct rq_msg **msgs,
				 unsigned int n, unsigned int reserved)
{
	struct rq_msg *msg, *tmp;
	unsigned int count;
	LIST_HEAD(drop);

	spin_lock(&q->lock);
	count = q->count - (reserved - n);
	WRITE_ONCE(q->count, count);
	rq_link_locked(q, msgs, n, &drop);
	spin_unlock(&q->lock);
	list_for_each_entry_safe(msg, tmp, &drop, node)
		rq_msg_free(msg);
	rq_wake_readers(q, n);
	rq_wake_writers(q, reserved - n);
	return count;
}

/*
 * Unlink the head message if it fits in @room bytes: ERR_PTR(-EAGAIN) if
 * there is none, ERR_PTR(-EMSGSIZE) if it is longer.  Its slot stays used
 * until rq_release() (or rq_untake() puts it back).
 */
struct rq_msg *rq_take(struct rq_queue *q, size_t room)
{
	struct rq_msg *msg;

	spin_lock(&q->lock);
	msg = list_first_entry_or_null(&q->msgs, struct rq_msg, node);
	if (!msg) {
		msg = ERR_PTR(-EAGAIN);
	} else if (msg->len > room) {
		msg = ERR_PTR(-EMSGSIZE);
	} else {
		list_del(&msg->node);
		WRITE_ONCE(q->listed, q->listed - 1);
	}
	spin_unlock(&q->lock);
	return msg;
}

/*
 * Unlink up to @n messages from the head under one lock, the i-th only if
 * it fits in @room[i] bytes, into @msgs[]: how many, or -EAGAIN if none
 * is listed, -EMSGSIZE if the head is longer than @room[0].  Their slots
 * stay used until rq_release_batch() (or rq_untake_batch()).
 */
int rq_take_batch(struct rq_queue *q, const size_t *room, unsigned int n,
		  struct rq_msg **msgs)
{
	struct rq_msg *msg = NULL;
	unsigned int i;
	int ret;

	spin_lock(&q->lock);
	for (i = 0; i < n; i++) {
		msg = list_first_entry_or_null(&q->msgs, struct rq_msg, node);
		if (!msg || msg->len > room[i])
			break;
		list_del(&msg->node);
		msgs[i] = msg;
	}
	if (i) {
		WRITE_ONCE(q->listed, q->listed - i);
		ret = i;
	} else {
		ret = msg ? -EMSGSIZE : -EAGAIN;
	}
	spin_unlock(&q->lock);
	return ret;
}

/*
 * Taken messages that could not be copied out: back to the head, in
 * their order, under one lock; one wake-up call for as many readers.
 */
void rq_untake_batch(struct rq_queue *q, struct rq_msg **msgs, unsigned int n)
{
	unsigned int i;

	if (!n)
		return;
	spin_lock(&q->lock);
	for (i = n; i--; )
		list_add(&msgs[i]->node, &q->msgs);
	WRITE_ONCE(q->listed, q->listed + n);
	spin_unlock(&q->lock);
	rq_wake_readers(q, n);
}

/*
 * Taken messages @msgs[0..@n) left the queue for good: free their slots
 * under one lock, their buffers to the spare list (or freed), one wake-up
 * call for as many writers; returns how many slots are still used.
 */
unsigned int rq_release_batch(struct rq_queue *q, struct rq_msg **msgs,
			      unsigned int n)
{
	unsigned int i, left;
	LIST_HEAD(drop);
	struct rq_msg *msg, *tmp;

	spin_lock(&q->lock);
	left = q->count - n;
	WRITE_ONCE(q->count, left);
	q->dequeued += n;
	for (i = 0; i < n; i++) {
		q->bytes -= msgs[i]->len;
		if (!rq_keep_spare(q, msgs[i]))
			list_add(&msgs[i]->node, &drop);
	}
	spin_unlock(&q->lock);
	rq_wake_writers(q, n);
	list_for_each_entry_safe(msg, tmp, &drop, node)
		rq_msg_free(msg);
	return left;
}

/* A taken message could not be copied out: back to the head with it. */
void rq_untake(struct rq_queue *q, struct rq_msg *msg)
{
	spin_lock(&q->lock);
	list_add(&msg->node, &q->msgs);
	WRITE_ONCE(q->listed, q->listed + 1);
	spin_unlock(&q->lock);
	rq_wake_readers(q, 1);
}

/*
 * A taken message left the queue for good: free its slot, and return how
 * many slots are still used.  With @recycle its buffer goes to the spare
 * list (or is freed); without, the caller keeps the message.
 */
unsigned int rq_release(struct rq_queue *q, struct rq_msg *msg, bool recycle)
{
	unsigned int left;

	spin_lock(&q->lock);
	left = q->count - 1;
	WRITE_ONCE(q->count, left);
	q->bytes -= msg->len;
	q->dequeued++;
	if (recycle && rq_keep_spare(q, msg))
		msg = NULL;
	spin_unlock(&q->lock);
	rq_wake_writers(q, 1);
	if (recycle && msg)
		rq_msg_free(msg);
	return left;
}

/*
 * A message its taker kept (rq_release() without @recycle) is done with:
 * its buffer to the spare list, as rq_release() would have put it, if
 * spares and used slots leave it room; else freed.
 */
void rq_recycle(struct rq_queue *q, struct rq_msg *msg)
{
	bool kept;

	spin_lock(&q->lock);
	kept = rq_keep_spare(q, msg);
	spin_unlock(&q->lock);
	if (!kept)
		rq_msg_free(msg);
}

/* Drop every listed message, and the spare buffers; returns how many. */
unsigned int rq_flush(struct rq_queue *q)
{
	struct rq_msg *msg, *tmp;
	unsigned int n;
	LIST_HEAD(doomed);

	spin_lock(&q->lock);
	list_splice_init(&q->msgs, &doomed);
	n = q->listed;
	list_for_each_entry(msg, &doomed, node)
		q->bytes -= msg->len;
	list_splice_init(&q->spare, &doomed);
	WRITE_ONCE(q->nspare, 0);
	WRITE_ONCE(q->count, q->count - n);
	WRITE_ONCE(q->listed, 0);
	q->flushed += n;
	spin_unlock(&q->lock);

	list_for_each_entry_safe(msg, tmp, &doomed, node)
		rq_msg_free(msg);
	rq_wake_writers(q, n);
	return n;
}

/*
 * Set the capacity; the old one goes to @old.  -EBUSY, and no change, if
 * more slots than @capacity are in use.  Spares beyond the new capacity
 * are freed.  The caller checks @capacity's range.
 */
int rq_resize(struct rq_queue *q, unsigned int capacity, unsigned int *old)
{
	struct rq_msg *msg, *tmp;
	LIST_HEAD(doomed);

	spin_lock(&q->lock);
	if (capacity < q->count) {
		spin_unlock(&q->lock);
		return -EBUSY;
	}
	*old = q->capacity;
	WRITE_ONCE(q->capacity, capacity);
	while ((msg = rq_trim_spare(q)))
		list_add(&msg->node, &doomed);
	spin_unlock(&q->lock);

	list_for_each_entry_safe(msg, tmp, &doomed, node)
		rq_msg_free(msg);
	if (capacity > *old)
		rq_wake_writers(q, capacity - *old);
	return 0;
}

/* Count a refused write: -ENOSPC for want of room, else for its size. */
void rq_count_reject(struct rq_queue *q, int err)
{
	spin_lock(&q->lock);
	if (err == -ENOSPC)
		q->rejected_full++;
	else
		q->rejected_size++;
	spin_unlock(&q->lock);
}

/* The length of the head message, 0 if there is none. */
size_t rq_head_len(struct rq_queue *q)
{
	struct rq_msg *head;
	size_t n;

	spin_lock(&q->lock);
	head = list_first_entry_or_null(&q->msgs, struct rq_msg, node);
	n = head ? head->len : 0;
	spin_unlock(&q->lock);
	return n;
}

/* A consistent copy of the counters (the waiter counts are a glance). */
void rq_get_stats(struct rq_queue *q, struct rq_stats *st)
{
	spin_lock(&q->lock);
	st->count = q->count;
	st->capacity = q->capacity;
	st->max_msg_size = q->max_msg_size;
	st->bytes = q->bytes;
	st->enqueued = q->enqueued;
	st->dequeued = q->dequeued;
	st->rejected_full = q->rejected_full;
	st->rejected_size = q->rejected_size;
	st->flushed = q->flushed;
	st->high_watermark = q->high_watermark;
	spin_unlock(&q->lock);
	st->waiting_readers = atomic_read(&q->waiting_readers);
	st->waiting_writers = atomic_read(&q->waiting_writers);
}
