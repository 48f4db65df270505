// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue - a bounded FIFO message queue behind a misc device
 *
 * The C counterpart of the course's Rust module.  By default it behaves
 * exactly as that module does, as seen from user space: each write()
 * enqueues one message; the first read() of an open file dequeues the
 * message at the head and keeps it for that open file; later reads stream
 * the rest of it, then end-of-file.  On top of that, per open file and by
 * ioctl: waiting (blocking) reads and writes, packet mode (one read, one
 * message), poll, statistics, flush and resize; several queues; and
 * /proc/rustqueue.  The interface is described in
 * include/uapi/linux/rustqueue.h.
 *
 * The queue itself (its slots, spare buffers, statistics, wait queues and
 * their locking) is in queue.c.  This file is the device around it: the
 * misc devices, the file operations, the ioctls, /proc/rustqueue and the
 * module parameters.
 *
 * Locking
 *
 * rf->lock, a spinlock, protects an open file's mode and the stream-mode
 * message it holds.  Nothing under it sleeps, and no user copy happens
 * under it (a page fault can wait for ever on userfaultfd or FUSE): a
 * stream read takes its message under it and copies the message out
 * without it, so FIONREAD, SET_FLAGS and GET_FLAGS never wait for a
 * message or for another thread's copy, and an IOCB_NOWAIT read never
 * sleeps on it (on PREEMPT_RT, where a spinlock is a mutex, it waits a
 * moment at most).  rf->read_lock, a mutex taken first, gives the open
 * file's stream readers their turn at the message, one at a time: its
 * holder alone moves the message's position or gives it back, so the
 * copy needs no other lock.  It is held across no wait but the copy's page
 * faults (a reader behind a stalled copy waits for it, interruptibly, as
 * with a pipe).  Lock order: rf->read_lock, rf->lock, then the queue's
 * q->lock (taken inside the queue's functions).
 *
 * A read decides its mode under rf->lock, where SET_FLAGS changes it: a
 * stream read takes its message with the lock held and the mode checked,
 * so no message is ever taken as a stream read by a packet-mode file,
 * and SET_FLAGS(PACKET) refuses while a taken message is held.
 *
 * Stream readers of one open file share its message.  While one of them
 * waits for a message on the queue (rf->waiting), the others wait their
 * turn on rf->turn and take nothing from the queue: the message that
 * wakes the first is taken by it for all of them, and each of them then
 * proceeds.  Sleepers follow queue.c's pass-on rule.
 *
 * A read or write with IOCB_NOWAIT (RWF_NOWAIT, io_uring) never sleeps:
 * not to wait, not for another read's turn (mutex_trylock()), not to
 * reclaim memory
 * (RQ_GFP_NOWAIT).  It fails with EAGAIN instead, having changed nothing;
 * io_uring then waits for poll to say the queue can make progress.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/ioctls.h>
#include <linux/rustqueue.h>

#include "kmod_compat.h"
#include "queue.h"

#define RQ_VERSION "2.0"

static unsigned int max_messages = RUSTQUEUE_DEF_MAX_MESSAGES;
module_param(max_messages, uint, 0444);
MODULE_PARM_DESC(max_messages,
		 "Capacity of each queue in messages, 1-65536 (default 16)");

static unsigned int max_msg_size = RUSTQUEUE_DEF_MAX_MSG_SIZE;
module_param(max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Largest message in bytes, 1-4194304 (default 4096)");

static unsigned int instances = 1;
module_param(instances, uint, 0444);
MODULE_PARM_DESC(instances,
		 "Number of queues, 1-64 (default 1: /dev/rustqueue; N>1: /dev/rustqueue0 ... /dev/rustqueue<N-1>)");

/*
 * The parameters writable at run time are read without a lock: the kernel
 * sets them under its parameter lock only, so they are set here with
 * WRITE_ONCE() and read everywhere with READ_ONCE().
 */
static int rq_param_set_bool(const char *val, const struct kernel_param *kp)
{
	bool v;
	int ret = kstrtobool(val ?: "1", &v);	/* a bare name means Y */

	if (!ret)
		WRITE_ONCE(*(bool *)kp->arg, v);
	return ret;
}

static const struct kernel_param_ops rq_bool_ops = {
	.flags	= KERNEL_PARAM_OPS_FL_NOARG,
	.set	= rq_param_set_bool,
	.get	= param_get_bool,
};

static bool blocking;
module_param_cb(blocking, &rq_bool_ops, &blocking, 0644);
__MODULE_PARM_TYPE(blocking, "bool");
MODULE_PARM_DESC(blocking,
		 "New opens wait for a message or for room instead of failing (default N)");

static bool verbose = true;
module_param_cb(verbose, &rq_bool_ops, &verbose, 0644);
__MODULE_PARM_TYPE(verbose, "bool");
MODULE_PARM_DESC(verbose,
		 "Log every enqueue, dequeue and rejection (default Y)");

struct rq_dev {
	struct miscdevice misc;
	struct rq_queue q;
	unsigned int index;
	char name[24];
};

/* Per open file */
struct rq_file {
	struct rq_dev *dev;
	struct mutex read_lock;		/* a stream read's turn: see Locking */
	spinlock_t lock;		/* see Locking; protects the rest */
	unsigned int flags;		/* RUSTQUEUE_F_*; also read locklessly */
	struct rq_msg *msg;		/* stream mode: the message we took */
	size_t pos;			/* how much of it has been read */
	bool done;			/* msg was read to its end, given back */
	bool waiting;			/* a stream reader waits on the queue */
	wait_queue_head_t turn;		/* the others wait here meanwhile */
	wait_queue_head_t pollq;	/* its pollers, also on q->pollq */
};

static struct rq_dev *rq_devs;
static unsigned int rq_ndevs;
static bool rq_live;		/* the load can no longer fail: opens work */

static __printf(2, 3) void rq_log_named(const char *name, const char *fmt,
					  ...)
{
	struct va_format vaf = { .fmt = fmt };
	va_list args;

	va_start(args, fmt);
	vaf.va = &args;
	pr_info("%s: %pV", name, &vaf);
	va_end(args);
}

/*
 * Per-message log lines, worded as the seed words them; with several
 * queues they name the queue.  With one, the line is the format alone:
 * no conversions for an empty name, which printk would make twice (once
 * to size the record): 1,400 instructions per message of the seeds' path.
 */
#define rq_log(dev, ...)						\
	do {								\
		if (!READ_ONCE(verbose))				\
			break;						\
		if (rq_ndevs > 1)					\
			rq_log_named((dev)->name, __VA_ARGS__);		\
		else							\
			pr_info(__VA_ARGS__);				\
	} while (0)

static int rq_set_capacity(struct rq_dev *dev, unsigned int capacity)
{
	unsigned int old;
	int ret;

	if (!capacity || capacity > RUSTQUEUE_LIMIT_MAX_MESSAGES)
		return -EINVAL;
	ret = rq_resize(&dev->q, capacity, &old);
	if (!ret)
		pr_info("%s: capacity changed from %u to %u messages\n",
			dev->name, old, capacity);
	return ret;
}

static ssize_t rq_reject(struct rq_dev *dev, int err)
{
	rq_count_reject(&dev->q, err);
	if (err == -ENOSPC)
		rq_log(dev, "queue full, rejecting write\n");
	return err;
}

/*
 * Whether a read or write that finds nothing to do may wait: in blocking
 * mode, unless the file is O_NONBLOCK or this call must not sleep
 * (IOCB_NOWAIT: io_uring's first attempt, or RWF_NOWAIT).
 */
static bool rq_may_wait(struct kiocb *iocb, unsigned int flags)
{
	return (flags & RUSTQUEUE_F_BLOCK) &&
	       !(iocb->ki_filp->f_flags & O_NONBLOCK) &&
	       !(iocb->ki_flags & IOCB_NOWAIT);
}

/*
 * User copies of up to 128 bytes go through a buffer on the stack.  The
 * hardened usercopy check (CONFIG_HARDENED_USERCOPY, on in distribution
 * kernels) then checks a stack object, a few instructions, where the
 * message's own slab object costs it a slab lookup on every copy (about
 * 185 instructions in the 6.12 guest): a 16-byte copy costs about 90
 * fewer this way, the extra memcpy() included; at 256 bytes the memcpy()
 * takes back what the check saves (README, Performance).  The memcpy()
 * stays within both buffers: @len never exceeds the bounce buffer here,
 * nor the message's (rq_msg_alloc() made it at least msg->len long).
 */
#define RQ_BOUNCE	128

static bool rq_copy_from_iter(void *to, size_t len, struct iov_iter *from)
{
	u8 buf[RQ_BOUNCE] __uninitialized;

	if (len > sizeof(buf))
		return copy_from_iter_full(to, len, from);
	if (!copy_from_iter_full(buf, len, from))
		return false;
	memcpy(to, buf, len);
	return true;
}

static size_t rq_copy_to_iter(const void *from, size_t len,
			      struct iov_iter *to)
{
	u8 buf[RQ_BOUNCE] __uninitialized;

	if (len > sizeof(buf))
		return copy_to_iter(from, len, to);
	memcpy(buf, from, len);
	return copy_to_iter(buf, len, to);
}

/* As the two above, for the batches: 0 or -EFAULT, all or nothing */
static int rq_copy_from_user(void *to, const void __user *from, size_t len)
{
	u8 buf[RQ_BOUNCE] __uninitialized;

	if (len > sizeof(buf))
		return copy_from_user(to, from, len) ? -EFAULT : 0;
	if (copy_from_user(buf, from, len))
		return -EFAULT;
	memcpy(to, buf, len);
	return 0;
}

static int rq_copy_to_user(void __user *to, const void *from, size_t len)
{
	u8 buf[RQ_BOUNCE] __uninitialized;

	if (len > sizeof(buf))
		return copy_to_user(to, from, len) ? -EFAULT : 0;
	memcpy(buf, from, len);
	return copy_to_user(to, buf, len) ? -EFAULT : 0;
}

static ssize_t rq_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct rq_file *rf = file->private_data;
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	unsigned int flags = READ_ONCE(rf->flags);
	bool wait = flags & RUSTQUEUE_F_BLOCK;
	bool nowait = iocb->ki_flags & IOCB_NOWAIT;
	size_t len = iov_iter_count(from);
	bool woken = false;
	struct rq_msg *msg;
	unsigned int count;
	ssize_t ret;

	/* Cheap early answers, before anything is allocated. */
	if (!wait && !rq_has_room(q))
		return rq_reject(dev, -ENOSPC);
	if (len > q->max_msg_size)
		return rq_reject(dev, -EINVAL);
	/*
	 * In blocking mode, a write that may not wait: EAGAIN.  (In
	 * non-blocking mode, a queue that filled since the check above
	 * gives ENOSPC, from the enqueue below.)
	 */
	if (wait && !rq_may_wait(iocb, flags) && !rq_has_room(q))
		return -EAGAIN;

	/* without direct reclaim under IOCB_NOWAIT: EAGAIN, try again */
	msg = rq_get_buffer(q, len, nowait ? RQ_GFP_NOWAIT : GFP_KERNEL_ACCOUNT);
	if (!msg)
		return nowait ? -EAGAIN : -ENOMEM;
	if (!rq_copy_from_iter(msg->data, len, from)) {
		ret = -EFAULT;
		goto out;
	}

	while (!(count = rq_enqueue(q, msg))) {
		if (!wait) {
			ret = rq_reject(dev, -ENOSPC);
			goto out;
		}
		if (!rq_may_wait(iocb, flags)) {
			ret = -EAGAIN;
			goto out;
		}
		ret = rq_wait_writable(q);
		if (ret)
			goto out;
		woken = true;
	}
	msg = NULL;
	rq_log(dev, "enqueued %zu bytes (%u in queue)\n", len, count);
	ret = len;
out:
	rq_pass_on_write(q, &woken);
	if (msg)
		rq_msg_free(msg);
	return ret;
}

/* Packet mode: one read, one whole message. */
static ssize_t rq_read_packet(struct kiocb *iocb, struct rq_file *rf,
			      struct iov_iter *to, bool woken)
{
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	struct rq_msg *msg;
	unsigned int left;
	ssize_t ret;

	for (;;) {
		msg = rq_take(q, iov_iter_count(to));
		ret = PTR_ERR_OR_ZERO(msg);
		if (ret != -EAGAIN || !rq_may_wait(iocb, READ_ONCE(rf->flags)))
			break;
		ret = rq_wait_readable(q);
		if (ret)
			break;
		woken = true;
	}
	/* a wake-up it does not need goes on before the copy, which may stall */
	rq_pass_on_read(q, &woken);
	if (!ret) {
		ret = msg->len;
		if (rq_copy_to_iter(msg->data, msg->len, to) != msg->len) {
			rq_untake(q, msg);
			ret = -EFAULT;
		} else {
			left = rq_release(q, msg, true);
			rq_log(dev, "dequeued (%u remaining)\n", left);
		}
	}
	return ret;
}

/*
 * Stream mode (the seed's), rf->lock held: the first read of an open file
 * takes the head message for it (and sets *taken: the caller, with no
 * lock held, then frees its slot); later reads stream it by position,
 * then end-of-file.  Returns the message to read from, NULL at
 * end-of-file, or ERR_PTR(-EAGAIN) if there is nothing to take or another
 * reader of this open file is waiting for a message (and will take it for
 * both).
 */
static struct rq_msg *rq_stream_msg_locked(struct rq_file *rf, bool *taken)
{
	struct rq_queue *q = &rf->dev->q;
	struct rq_msg *msg = rf->msg;

	if (msg || rf->done)
		return msg;
	if (READ_ONCE(rf->waiting))
		return ERR_PTR(-EAGAIN);
	msg = rq_take(q, SIZE_MAX);
	if (IS_ERR(msg))
		return msg;
	WRITE_ONCE(rf->msg, msg);
	rf->pos = 0;
	*taken = true;
	return msg;
}

/*
 * Copy the next part of the open file's message, with rf->read_lock held
 * but not rf->lock: a copy to user memory can wait for ever on a page
 * fault (userfaultfd, FUSE), and rf->lock's other holders (FIONREAD,
 * SET_FLAGS) must not wait with it.  Only a holder of rf->read_lock moves
 * rf->pos or gives the message back (rq_recycle()), so neither changes
 * under the copy.
 */
static ssize_t rq_stream_copy(struct rq_file *rf, struct rq_msg *msg,
			      struct iov_iter *to, bool *changed)
{
	size_t n = min(iov_iter_count(to), msg->len - rf->pos);
	size_t copied = rq_copy_to_iter(msg->data + rf->pos, n, to);

	if (n && !copied)
		return -EFAULT;		/* the message stays with this open */
	spin_lock(&rf->lock);
	rf->pos += copied;
	if (rf->pos == msg->len) {
		WRITE_ONCE(rf->done, true);
		WRITE_ONCE(rf->msg, NULL);
		*changed = true;
	} else {
		msg = NULL;
	}
	spin_unlock(&rf->lock);
	if (msg)
		rq_recycle(&rf->dev->q, msg);
	return copied;
}

/*
 * What poll() says of this open file changed by the file's own doing (in
 * stream mode it took a message, or read it to its end; its mode
 * changed), not by a message or slot of the queue: wake its own pollers,
 * all of them, EPOLLEXCLUSIVE or not, with no key, so that each asks
 * rq_poll() again; the pollers of other files are not disturbed.  No
 * lock held: an io_uring read of this file that the wake-up retries takes
 * the locks this one may hold.
 */
static void rq_file_changed(struct rq_file *rf)
{
	if (wq_has_sleeper(&rf->pollq))
		__wake_up(&rf->pollq, TASK_INTERRUPTIBLE, 0, NULL);
}

/* Wait while another stream reader of this open file waits on the queue */
static int rq_wait_turn(struct rq_file *rf)
{
	struct rq_queue *q = &rf->dev->q;
	int ret;

	atomic_inc(&q->waiting_readers);
	ret = wait_event_interruptible(rf->turn, !READ_ONCE(rf->waiting) ||
				       (READ_ONCE(rf->flags) & RUSTQUEUE_F_PACKET));
	atomic_dec(&q->waiting_readers);
	return ret;
}

/* Wait on the queue for this open file's stream readers, then let them go */
static int rq_wait_stream(struct rq_file *rf)
{
	int ret = rq_wait_readable(&rf->dev->q);

	spin_lock(&rf->lock);
	WRITE_ONCE(rf->waiting, false);
	spin_unlock(&rf->lock);
	wake_up_interruptible_all(&rf->turn);
	return ret;
}

/*
 * A stream read's turn at its open file's message.  IOCB_NOWAIT never
 * sleeps, not even for a moment on a contended mutex: EAGAIN, try again.
 * A reader woken from the queue that must wait here (behind a copy that
 * may stall) passes its wake-up on first: the message that woke it may
 * be one of several.
 */
static int rq_read_turn(struct rq_file *rf, bool nowait, bool *woken)
{
	if (mutex_trylock(&rf->read_lock))
		return 0;
	if (nowait)
		return -EAGAIN;
	rq_pass_on_read(&rf->dev->q, woken);
	return mutex_lock_interruptible(&rf->read_lock) ? -ERESTARTSYS : 0;
}

static ssize_t rq_read_stream(struct kiocb *iocb, struct rq_file *rf,
			      struct iov_iter *to)
{
	unsigned int flags = 0;
	bool woken = false;
	bool wait, first, changed;
	struct rq_msg *msg;
	unsigned int left;
	ssize_t ret;

	for (;;) {
		ret = rq_read_turn(rf, iocb->ki_flags & IOCB_NOWAIT, &woken);
		if (ret == -EAGAIN)	/* IOCB_NOWAIT: its first round */
			return ret;
		if (ret)
			break;
		spin_lock(&rf->lock);
		flags = rf->flags;
		if (flags & RUSTQUEUE_F_PACKET) {	/* changed meanwhile */
			spin_unlock(&rf->lock);
			mutex_unlock(&rf->read_lock);
			return rq_read_packet(iocb, rf, to, woken);
		}
		changed = false;
		msg = rq_stream_msg_locked(rf, &changed);
		ret = PTR_ERR_OR_ZERO(msg);
		wait = ret == -EAGAIN && rq_may_wait(iocb, flags);
		first = !READ_ONCE(rf->waiting);
		if (wait && first)
			WRITE_ONCE(rf->waiting, true);
		spin_unlock(&rf->lock);
		if (changed) {	/* its slot, and the wake-up of a writer */
			left = rq_release(&rf->dev->q, msg, false);
			rq_log(rf->dev, "dequeued (%u remaining)\n", left);
		}
		/* as in rq_read_packet(): before the copy */
		rq_pass_on_read(&rf->dev->q, &woken);
		if (!IS_ERR_OR_NULL(msg))
			ret = rq_stream_copy(rf, msg, to, &changed);
		mutex_unlock(&rf->read_lock);
		if (changed)
			rq_file_changed(rf);

		if (!wait)
			break;
		ret = first ? rq_wait_stream(rf) : rq_wait_turn(rf);
		if (ret)
			break;
		woken |= first;
	}
	if (ret == -EAGAIN && !(flags & RUSTQUEUE_F_BLOCK))
		ret = 0;			/* end-of-file, as the seed */
	rq_pass_on_read(&rf->dev->q, &woken);
	return ret;
}

static ssize_t rq_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct rq_file *rf = iocb->ki_filp->private_data;

	/* A zero-length read never takes a message off the queue. */
	if (!iov_iter_count(to))
		return 0;
	/* stream mode is checked again under rf->lock */
	if (READ_ONCE(rf->flags) & RUSTQUEUE_F_PACKET)
		return rq_read_packet(iocb, rf, to, false);
	return rq_read_stream(iocb, rf, to);
}

static __poll_t rq_poll(struct file *file, poll_table *wait)
{
	struct rq_file *rf = file->private_data;
	struct rq_queue *q = &rf->dev->q;
	__poll_t mask = 0;
	bool stream;

	poll_wait(file, &q->pollq, wait);
	/*
	 * A stream-mode file's answer also depends on the file itself: wait
	 * on its own queue too, whatever the mode now (it may change while
	 * we wait, and epoll registers only once).
	 */
	poll_wait(file, &rf->pollq, wait);
	/*
	 * Our entries are seen by a waker before we read the state it
	 * changed, the mode too: pairs with
	 * wq_has_sleeper() in queue.c's rq_wake_pollers() and in
	 * rq_file_changed() (poll_wait() has no barrier of its own on older
	 * kernels).
	 */
	smp_mb();
	stream = !(READ_ONCE(rf->flags) & RUSTQUEUE_F_PACKET);

	if (stream && READ_ONCE(rf->msg))
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (stream && READ_ONCE(rf->done))
		mask |= EPOLLHUP;
	else if (READ_ONCE(q->listed))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (rq_has_room(q))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* FIONREAD: the most bytes the next read() of this open file can return */
static int rq_next_size(struct rq_file *rf, int __user *argp)
{
	size_t n;

	spin_lock(&rf->lock);
	if (!(rf->flags & RUSTQUEUE_F_PACKET) && (rf->msg || rf->done))
		n = rf->msg ? rf->msg->len - rf->pos : 0;
	else
		n = rq_head_len(&rf->dev->q);
	spin_unlock(&rf->lock);
	/* at most RUSTQUEUE_LIMIT_MAX_MSG_SIZE */
	return put_user(n, argp);
}

static int rq_set_flags(struct rq_file *rf, u32 flags)
{
	bool packet = flags & RUSTQUEUE_F_PACKET;
	bool moved = false;
	int ret = 0;

	if (flags & ~RUSTQUEUE_F_ALL)
		return -EINVAL;
	spin_lock(&rf->lock);
	/* a half-read stream message would be stranded by packet mode */
	if (packet && rf->msg) {
		ret = -EBUSY;
	} else {
		moved = (rf->flags ^ flags) & RUSTQUEUE_F_PACKET;
		WRITE_ONCE(rf->flags, flags);
	}
	spin_unlock(&rf->lock);
	/* readers waiting their turn for stream mode read packets now */
	if (!ret && packet)
		wake_up_interruptible_all(&rf->turn);
	/* what poll() says of this file depends on its mode */
	if (moved)
		rq_file_changed(rf);
	return ret;
}

static void rq_get_info(struct rq_file *rf, struct rustqueue_info *info)
{
	struct rq_stats st;

	rq_get_stats(&rf->dev->q, &st);
	memset(info, 0, sizeof(*info));
	info->count = st.count;
	info->capacity = st.capacity;
	info->max_msg_size = st.max_msg_size;
	info->bytes = st.bytes;
	info->enqueued = st.enqueued;
	info->dequeued = st.dequeued;
	info->rejected_full = st.rejected_full;
	info->rejected_size = st.rejected_size;
	info->flushed = st.flushed;
	info->high_watermark = st.high_watermark;
	info->flags = READ_ONCE(rf->flags);
	info->waiting_readers = st.waiting_readers;
	info->waiting_writers = st.waiting_writers;
	info->instance = rf->dev->index;
}

/*
 * The batch ioctls work through their descriptors in groups of
 * RQ_BATCH_GROUP, on the stack: one group is built or taken, and linked
 * in or released, under one acquisition of the queue's lock each, with
 * one wake-up call.  Between groups a pending signal ends a batch that
 * has done something.
 */
#define RQ_BATCH_GROUP	16

/* Whether a batch that finds nothing to do may wait (cf. rq_may_wait()) */
static bool rq_batch_may_wait(struct file *file, unsigned int flags,
			      const struct rustqueue_batch *b)
{
	return (flags & RUSTQUEUE_F_BLOCK) &&
	       !(file->f_flags & O_NONBLOCK) &&
	       !(b->flags & RUSTQUEUE_BATCH_NONBLOCK);
}

/*
 * Whether a user address passed in a __u64 fits this kernel's pointers:
 * on a 32-bit kernel u64_to_user_ptr() would drop the high bits and make
 * it another address of the caller's.  One that does not fit is answered
 * with EFAULT, what a 64-bit kernel gives for an address the caller
 * cannot have.
 */
static bool rq_uptr_fits(u64 addr)
{
	return (unsigned long)addr == addr;
}

/*
 * Copy in up to @n descriptors from @u: how many came whole.  Fewer than
 * @n means the next one faults.
 */
static unsigned int rq_get_descs(struct rustqueue_msg *d,
				 const struct rustqueue_msg __user *u,
				 unsigned int n)
{
	size_t left = copy_from_user(d, u, n * sizeof(*d));

	return n - DIV_ROUND_UP(left, sizeof(*d));
}

/*
 * One group of a send batch: build up to @n messages from @d (stopping at
 * the first that cannot be built: *@err says why), and link them in, in
 * order, waiting for room if @wait.  Returns how many went in; those
 * after are freed, *@err saying why they did not.
 */
static unsigned int rq_send_group(struct rq_dev *dev, const struct rustqueue_msg *d,
				  unsigned int n, bool block, bool wait,
				  bool *woken, int *err)
{
	struct rq_queue *q = &dev->q;
	struct rq_msg *msgs[RQ_BATCH_GROUP];
	size_t lens[RQ_BATCH_GROUP];
	unsigned int i, sent = 0, resv = 0, count, k;
	int ret;

	for (i = 0; i < n; i++) {
		if (d[i].result) {
			*err = -EINVAL;
			break;
		}
		if (d[i].len > q->max_msg_size) {
			*err = -EMSGSIZE;	/* too long: EINVAL, counted */
			break;
		}
		if (!rq_uptr_fits(d[i].ptr)) {
			*err = -EFAULT;
			break;
		}
		lens[i] = d[i].len;
	}
	n = i;
	/*
	 * As write(): a message's own errors first, then a full queue.  A
	 * full queue is waited for before the messages are built: buffers
	 * got while it is full are new ones, and the spares the reader gives
	 * back meanwhile would be freed as these go in.  Woken, it reserves
	 * the slot that woke it before its copies, which may stall (one: a
	 * stalled copy holds no more than a stalled reader's does), and
	 * passes the wake-up on at once for any room left.
	 */
	if (n && !rq_has_room(q)) {
		if (!wait) {
			*err = block ? -EAGAIN : -ENOSPC;
			return 0;
		}
		do {
			ret = rq_wait_writable(q);
			if (ret) {
				*err = ret;
				return 0;
			}
			*woken = true;
			resv = rq_reserve(q, 1);
		} while (!resv);
		rq_pass_on_write(q, woken);
	}
	k = rq_get_buffers(q, lens, n, msgs, GFP_KERNEL_ACCOUNT);
	if (k < n) {
		*err = -ENOMEM;
		n = k;
	}
	for (i = 0; i < n; i++) {
		if (rq_copy_from_user(msgs[i]->data, u64_to_user_ptr(d[i].ptr),
				      lens[i])) {
			*err = -EFAULT;
			break;
		}
	}
	rq_free_msgs(msgs + i, n - i);
	n = i;

	if (resv) {
		sent = min(n, resv);
		count = rq_enqueue_reserved(q, msgs, sent, resv);
		if (sent)
			rq_log(dev, "enqueued %u messages (%u in queue)\n",
			       sent, count);
	}
	while (sent < n) {
		k = rq_enqueue_batch(q, msgs + sent, n - sent, &count);
		if (k)
			rq_log(dev, "enqueued %u messages (%u in queue)\n",
			       k, count);
		sent += k;
		/*
		 * A wake-up this batch used may be one of several: pass it
		 * on now, not after the copies of the groups still to come.
		 */
		if (k)
			rq_pass_on_write(q, woken);
		if (sent == n)
			break;
		if (!wait) {
			*err = block ? -EAGAIN : -ENOSPC;
			break;
		}
		ret = rq_wait_writable(q);
		if (ret) {
			*err = ret;
			break;
		}
		*woken = true;
	}
	rq_free_msgs(msgs + sent, n - sent);
	return sent;
}

static long rq_send_batch(struct file *file, struct rq_file *rf,
			  const struct rustqueue_batch *b)
{
	struct rustqueue_msg __user *u = u64_to_user_ptr(b->msgs);
	struct rustqueue_msg d[RQ_BATCH_GROUP];
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	unsigned int flags = READ_ONCE(rf->flags);
	bool block = flags & RUSTQUEUE_F_BLOCK;
	bool wait = rq_batch_may_wait(file, flags, b);
	unsigned int done = 0, n, nd, sent;
	bool woken = false;
	int err = 0;

	/* the cheap early answer write() gives first */
	if (!block && !rq_has_room(q))
		return rq_reject(dev, -ENOSPC);

	while (done < b->count && !err) {
		if (done && signal_pending(current))
			break;
		n = min(b->count - done, RQ_BATCH_GROUP);
		nd = rq_get_descs(d, u + done, n);
		if (nd < n)
			err = -EFAULT;
		sent = rq_send_group(dev, d, nd, block, wait, &woken, &err);
		done += sent;
		if (sent < nd)
			break;
		cond_resched();
	}
	rq_pass_on_write(q, &woken);
	if (done)
		return done;
	if (err == -ENOSPC || err == -EMSGSIZE)
		return rq_reject(dev, err == -ENOSPC ? -ENOSPC : -EINVAL);
	return err;
}

/*
 * One group of a receive batch: take up to @n messages for @d (waiting
 * for the first if @wait), copy them out and write their lengths to @u.
 * Returns how many were received, or an error if none was; a message
 * whose copy faulted goes back to the head with those after it.
 */
static int rq_recv_group(struct rq_dev *dev, const struct rustqueue_msg *d,
			 struct rustqueue_msg __user *u, unsigned int n,
			 bool wait, bool *woken)
{
	struct rq_queue *q = &dev->q;
	struct rq_msg *msgs[RQ_BATCH_GROUP];
	size_t room[RQ_BATCH_GROUP];
	unsigned int i, left, taken;
	int k;

	for (i = 0; i < n; i++)
		room[i] = d[i].len;
	for (;;) {
		k = rq_take_batch(q, room, n, msgs);
		if (k != -EAGAIN || !wait)
			break;
		k = rq_wait_readable(q);
		if (k)
			break;
		*woken = true;
	}
	if (k <= 0)
		return k;
	taken = k;
	/* as in rq_send_group(): pass a wake-up on before the copies */
	rq_pass_on_read(q, woken);
	for (i = 0; i < taken; i++) {
		if (!rq_uptr_fits(d[i].ptr) ||
		    rq_copy_to_user(u64_to_user_ptr(d[i].ptr), msgs[i]->data,
				    msgs[i]->len) ||
		    put_user((u32)msgs[i]->len, &u[i].result))
			break;
	}
	rq_untake_batch(q, msgs + i, taken - i);
	if (!i)
		return -EFAULT;
	left = rq_release_batch(q, msgs, i);
	rq_log(dev, "dequeued %u messages (%u remaining)\n", i, left);
	return i;
}

static long rq_recv_batch(struct file *file, struct rq_file *rf,
			  const struct rustqueue_batch *b)
{
	struct rustqueue_msg __user *u = u64_to_user_ptr(b->msgs);
	struct rustqueue_msg d[RQ_BATCH_GROUP];
	bool wait = rq_batch_may_wait(file, READ_ONCE(rf->flags), b);
	unsigned int done = 0, n, nd, listed;
	bool woken = false;
	int ret = 0;

	/* the rest of a stream message comes first, by read() */
	if (READ_ONCE(rf->msg))
		return -EBUSY;
	while (done < b->count) {
		if (done && signal_pending(current))
			break;
		/*
		 * Descriptors for the messages listed, not more: only the
		 * first message is waited for, and none after it if none is
		 * listed.
		 */
		listed = READ_ONCE(rf->dev->q.listed);
		if (done && !listed)
			break;
		n = min(b->count - done, RQ_BATCH_GROUP);
		if (listed)
			n = min(n, listed);
		nd = rq_get_descs(d, u + done, n);
		if (!nd) {
			ret = -EFAULT;
			break;
		}
		/* only the first message is waited for */
		ret = rq_recv_group(rf->dev, d, u + done, nd, wait && !done,
				    &woken);
		if (ret <= 0)
			break;
		done += ret;
		if ((unsigned int)ret < n)
			break;
		cond_resched();
	}
	rq_pass_on_read(&rf->dev->q, &woken);
	return done ?: ret;
}

static long rq_ioctl_batch(struct file *file, unsigned int cmd,
			   void __user *argp)
{
	bool send = cmd == RUSTQUEUE_IOC_SEND_BATCH;
	struct rustqueue_batch b;

	/* what write() or read() gives on a file not opened for it */
	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if ((b.flags & ~RUSTQUEUE_BATCH_ALL) || b.count > RUSTQUEUE_BATCH_MAX)
		return -EINVAL;
	if (!rq_uptr_fits(b.msgs))
		return -EFAULT;
	if (!b.count)
		return 0;
	if (send)
		return rq_send_batch(file, file->private_data, &b);
	return rq_recv_batch(file, file->private_data, &b);
}

static long rq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rq_file *rf = file->private_data;
	void __user *argp = (void __user *)arg;
	struct rustqueue_info info;
	u32 val;

	switch (cmd) {
	case RUSTQUEUE_IOC_GET_INFO:
		rq_get_info(rf, &info);
		return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
	case RUSTQUEUE_IOC_SET_FLAGS:
		if (get_user(val, (u32 __user *)argp))
			return -EFAULT;
		return rq_set_flags(rf, val);
	case RUSTQUEUE_IOC_GET_FLAGS:
		return put_user(READ_ONCE(rf->flags), (u32 __user *)argp);
	case RUSTQUEUE_IOC_FLUSH:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return rq_flush(&rf->dev->q);
	case RUSTQUEUE_IOC_SET_CAPACITY:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (get_user(val, (u32 __user *)argp))
			return -EFAULT;
		return rq_set_capacity(rf->dev, val);
	case RUSTQUEUE_IOC_SEND_BATCH:
	case RUSTQUEUE_IOC_RECV_BATCH:
		return rq_ioctl_batch(file, cmd, argp);
	case FIONREAD:
		return rq_next_size(rf, argp);
	default:
		return -ENOTTY;
	}
}

static int rq_open(struct inode *inode, struct file *file)
{
	struct rq_dev *dev = container_of(file->private_data, struct rq_dev,
					  misc);
	struct rq_file *rf;

	/* a load that fails after this queue's registration frees it */
	if (!READ_ONCE(rq_live))
		return -ENODEV;
	rf = kzalloc_obj(*rf, GFP_KERNEL_ACCOUNT);
	if (!rf)
		return -ENOMEM;
	rf->dev = dev;
	rf->flags = READ_ONCE(blocking) ? RUSTQUEUE_F_BLOCK : 0;
	mutex_init(&rf->read_lock);
	spin_lock_init(&rf->lock);
	init_waitqueue_head(&rf->turn);
	init_waitqueue_head(&rf->pollq);
	file->private_data = rf;
	/*
	 * Reads and writes honour IOCB_NOWAIT (EAGAIN rather than any
	 * sleep): RWF_NOWAIT works, and io_uring completes them inline or
	 * when poll says so, without handing them to a worker thread.
	 */
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

static int rq_release_file(struct inode *inode, struct file *file)
{
	struct rq_file *rf = file->private_data;

	if (rf->msg)
		rq_msg_free(rf->msg);
	mutex_destroy(&rf->read_lock);
	kfree(rf);
	return 0;
}

static const struct file_operations rq_fops = {
	.owner		= THIS_MODULE,
	.open		= rq_open,
	.release	= rq_release_file,
	.read_iter	= rq_read_iter,
	.write_iter	= rq_write_iter,
	.poll		= rq_poll,
	.unlocked_ioctl	= rq_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static int rq_proc_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_puts(m, "version: " RQ_VERSION "\n");
	seq_puts(m, "queue count capacity max_msg_size bytes enqueued dequeued rejected_full rejected_size flushed high_watermark waiting_readers waiting_writers\n");
	for (i = 0; i < rq_ndevs; i++) {
		struct rq_stats st;

		rq_get_stats(&rq_devs[i].q, &st);
		seq_printf(m, "%s %u %u %zu %llu %llu %llu %llu %llu %llu %u %d %d\n",
			   rq_devs[i].name, st.count, st.capacity,
			   st.max_msg_size, st.bytes, st.enqueued, st.dequeued,
			   st.rejected_full, st.rejected_size, st.flushed,
			   st.high_watermark, st.waiting_readers,
			   st.waiting_writers);
	}
	return 0;
}

/* Tear every queue down (their messages freed); returns how many were queued. */
static unsigned int rq_purge_all(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < rq_ndevs; i++)
		n += rq_queue_destroy(&rq_devs[i].q);
	return n;
}

static void rq_unregister(unsigned int n)
{
	while (n--)
		misc_deregister(&rq_devs[n].misc);
}

static int __init rq_check_param(const char *name, unsigned int val,
				 unsigned int max)
{
	if (val && val <= max)
		return 0;
	pr_err("%s=%u is out of range 1-%u\n", name, val, max);
	return -EINVAL;
}

/*
 * What user space can open is registered last, undone first.  With
 * several queues, the registration of one can still fail after the
 * others': until every one is in, rq_open() refuses (ENODEV), so a
 * failed load strands no open file.
 */
static int __init rq_init(void)
{
	unsigned int i;
	int ret;

	ret = rq_check_param("max_messages", max_messages,
			     RUSTQUEUE_LIMIT_MAX_MESSAGES);
	ret = ret ?: rq_check_param("max_msg_size", max_msg_size,
				    RUSTQUEUE_LIMIT_MAX_MSG_SIZE);
	ret = ret ?: rq_check_param("instances", instances,
				    RUSTQUEUE_LIMIT_INSTANCES);
	if (ret)
		return ret;

	rq_devs = kcalloc(instances, sizeof(*rq_devs), GFP_KERNEL);
	if (!rq_devs)
		return -ENOMEM;
	rq_ndevs = instances;

	for (i = 0; i < rq_ndevs; i++) {
		struct rq_dev *dev = &rq_devs[i];

		if (rq_ndevs == 1)
			strscpy(dev->name, "rustqueue", sizeof(dev->name));
		else
			snprintf(dev->name, sizeof(dev->name), "rustqueue%u", i);
		dev->index = i;
		rq_queue_init(&dev->q, max_messages, max_msg_size);
		dev->misc.minor = MISC_DYNAMIC_MINOR;
		dev->misc.name = dev->name;
		dev->misc.fops = &rq_fops;
	}
	/* its readers are gone once remove_proc_entry() returns */
	if (!proc_create_single("rustqueue", 0444, NULL, rq_proc_show)) {
		pr_err("cannot create /proc/rustqueue\n");
		ret = -ENOMEM;
		goto free;
	}
	for (i = 0; i < rq_ndevs; i++) {
		ret = misc_register(&rq_devs[i].misc);
		if (ret) {
			pr_err("cannot register /dev/%s: %d\n", rq_devs[i].name, ret);
			goto unregister;
		}
	}
	WRITE_ONCE(rq_live, true);

	pr_info("module loaded (capacity %u messages)\n", max_messages);
	if (rq_ndevs > 1)
		pr_info("%u queues: /dev/rustqueue0 ... /dev/rustqueue%u\n",
			rq_ndevs, rq_ndevs - 1);
	return 0;

unregister:
	rq_unregister(i);
	/* opens that raced with this were refused: wait until they are gone */
	kc_wait_refused_opens(THIS_MODULE);
	remove_proc_entry("rustqueue", NULL);
free:
	kfree(rq_devs);
	return ret;
}

static void __exit rq_exit(void)
{
	unsigned int n;

	/* No file is open: each open file holds a reference on us. */
	rq_unregister(rq_ndevs);
	remove_proc_entry("rustqueue", NULL);
	n = rq_purge_all();
	kfree(rq_devs);
	pr_info("module unloaded (%u queued messages freed)\n", n);
}

module_init(rq_init);
module_exit(rq_exit);

MODULE_DESCRIPTION("rustqueue — a bounded FIFO message queue");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RQ_VERSION);
