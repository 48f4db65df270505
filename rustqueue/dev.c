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
 * rf->lock, a mutex, serialises the stream-mode readers of one open file
 * around the message that open file holds.  Lock order: rf->lock, then
 * the queue's q->lock (taken inside the queue's functions).  No lock of
 * ours is held across a user copy except rf->lock, which only the open
 * file's own readers and ioctls take.
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

static bool blocking;
module_param(blocking, bool, 0644);
MODULE_PARM_DESC(blocking,
		 "New opens wait for a message or for room instead of failing (default N)");

static bool verbose = true;
module_param(verbose, bool, 0644);
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
	unsigned int flags;		/* RUSTQUEUE_F_*; read locklessly */
	struct mutex lock;		/* protects msg, pos, done */
	struct rq_msg *msg;		/* stream mode: the message we took */
	size_t pos;			/* how much of it has been read */
	bool done;			/* msg was read to its end and freed */
};

static struct rq_dev *rq_devs;
static unsigned int rq_ndevs;

/*
 * Per-message log lines, worded as the seed words them; with several
 * queues they name the queue.
 */
#define rq_log(dev, fmt, ...)						\
	do {								\
		if (verbose)						\
			pr_info("%s%s" fmt,				\
				rq_ndevs > 1 ? (dev)->name : "",	\
				rq_ndevs > 1 ? ": " : "", ##__VA_ARGS__); \
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

static ssize_t rq_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct rq_file *rf = file->private_data;
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	bool wait = READ_ONCE(rf->flags) & RUSTQUEUE_F_BLOCK;
	size_t len = iov_iter_count(from);
	struct rq_msg *msg;
	unsigned int count;
	int ret;

	/* Cheap early answers, before anything is allocated. */
	if (!wait && !rq_has_room(q))
		return rq_reject(dev, -ENOSPC);
	if (len > q->max_msg_size)
		return rq_reject(dev, -EINVAL);

	msg = rq_get_buffer(q, len);
	if (!msg)
		return -ENOMEM;
	if (!copy_from_iter_full(msg->data, len, from)) {
		ret = -EFAULT;
		goto fail;
	}

	while (!(count = rq_enqueue(q, msg))) {
		if (!wait) {
			ret = rq_reject(dev, -ENOSPC);
			goto fail;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto fail;
		}
		ret = rq_wait_writable(q);
		if (ret)
			goto fail;
	}
	rq_log(dev, "enqueued %zu bytes (%u in queue)\n", len, count);
	return len;

fail:
	rq_msg_free(msg);
	return ret;
}

/* Packet mode: one read, one whole message. */
static ssize_t rq_read_packet(struct file *file, struct rq_file *rf,
			      struct iov_iter *to, bool wait)
{
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	struct rq_msg *msg;
	unsigned int left;
	size_t len;
	int ret;

	for (;;) {
		msg = rq_take(q, iov_iter_count(to));
		if (!IS_ERR(msg))
			break;
		if (PTR_ERR(msg) != -EAGAIN || !wait ||
		    (file->f_flags & O_NONBLOCK))
			return PTR_ERR(msg);
		ret = rq_wait_readable(q);
		if (ret)
			return ret;
	}

	len = msg->len;
	if (copy_to_iter(msg->data, len, to) != len) {
		rq_untake(q, msg);
		return -EFAULT;
	}
	left = rq_release(q, msg, true);
	rq_log(dev, "dequeued (%u remaining)\n", left);
	return len;
}

/* Stream mode (the seed's): one message per open file, read by position. */
static ssize_t rq_read_stream(struct file *file, struct rq_file *rf,
			      struct iov_iter *to, bool wait)
{
	struct rq_dev *dev = rf->dev;
	struct rq_queue *q = &dev->q;
	size_t n, copied;
	ssize_t ret = 0;

	if (mutex_lock_interruptible(&rf->lock))
		return -ERESTARTSYS;

	while (!rf->msg && !rf->done) {
		struct rq_msg *msg = rq_take(q, SIZE_MAX);

		if (!IS_ERR(msg)) {
			unsigned int left = rq_release(q, msg, false);

			WRITE_ONCE(rf->msg, msg);
			rf->pos = 0;
			rq_log(dev, "dequeued (%u remaining)\n", left);
			break;
		}
		if (!wait)
			goto out;		/* end-of-file, as the seed */
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = rq_wait_readable(q);
		if (ret)
			goto out;
	}
	if (!rf->msg)
		goto out;

	n = min(iov_iter_count(to), rf->msg->len - rf->pos);
	copied = copy_to_iter(rf->msg->data + rf->pos, n, to);
	if (n && !copied) {
		ret = -EFAULT;		/* the message stays with this open */
		goto out;
	}
	rf->pos += copied;
	ret = copied;
	if (rf->pos == rf->msg->len) {
		rq_msg_free(rf->msg);
		WRITE_ONCE(rf->msg, NULL);
		WRITE_ONCE(rf->done, true);
	}
out:
	mutex_unlock(&rf->lock);
	return ret;
}

static ssize_t rq_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct rq_file *rf = file->private_data;
	unsigned int flags = READ_ONCE(rf->flags);
	bool wait = flags & RUSTQUEUE_F_BLOCK;

	/* A zero-length read never takes a message off the queue. */
	if (!iov_iter_count(to))
		return 0;
	if (flags & RUSTQUEUE_F_PACKET)
		return rq_read_packet(file, rf, to, wait);
	return rq_read_stream(file, rf, to, wait);
}

static __poll_t rq_poll(struct file *file, poll_table *wait)
{
	struct rq_file *rf = file->private_data;
	struct rq_queue *q = &rf->dev->q;
	bool stream = !(READ_ONCE(rf->flags) & RUSTQUEUE_F_PACKET);
	__poll_t mask = 0;

	poll_wait(file, &q->readq, wait);
	poll_wait(file, &q->writeq, wait);

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
static int rq_next_size(struct rq_file *rf)
{
	size_t n;

	mutex_lock(&rf->lock);
	if (!(rf->flags & RUSTQUEUE_F_PACKET) && (rf->msg || rf->done))
		n = rf->msg ? rf->msg->len - rf->pos : 0;
	else
		n = rq_head_len(&rf->dev->q);
	mutex_unlock(&rf->lock);
	return n;		/* at most RUSTQUEUE_LIMIT_MAX_MSG_SIZE */
}

static int rq_set_flags(struct rq_file *rf, u32 flags)
{
	int ret = 0;

	if (flags & ~RUSTQUEUE_F_ALL)
		return -EINVAL;
	mutex_lock(&rf->lock);
	/* a half-read stream message would be stranded by packet mode */
	if ((flags & RUSTQUEUE_F_PACKET) && rf->msg)
		ret = -EBUSY;
	else
		WRITE_ONCE(rf->flags, flags);
	mutex_unlock(&rf->lock);
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
	case FIONREAD:
		return put_user(rq_next_size(rf), (int __user *)argp);
	default:
		return -ENOTTY;
	}
}

static int rq_open(struct inode *inode, struct file *file)
{
	struct rq_dev *dev = container_of(file->private_data, struct rq_dev,
					  misc);
	struct rq_file *rf;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return -ENOMEM;
	rf->dev = dev;
	rf->flags = READ_ONCE(blocking) ? RUSTQUEUE_F_BLOCK : 0;
	mutex_init(&rf->lock);
	file->private_data = rf;
	return stream_open(inode, file);
}

static int rq_release_file(struct inode *inode, struct file *file)
{
	struct rq_file *rf = file->private_data;

	if (rf->msg)
		rq_msg_free(rf->msg);
	mutex_destroy(&rf->lock);
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

/* Free every queued message of every queue; returns how many. */
static unsigned int rq_purge_all(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < rq_ndevs; i++)
		n += rq_flush(&rq_devs[i].q);
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
		ret = misc_register(&dev->misc);
		if (ret) {
			pr_err("cannot register /dev/%s: %d\n", dev->name, ret);
			goto fail;
		}
	}
	if (!proc_create_single("rustqueue", 0444, NULL, rq_proc_show)) {
		pr_err("cannot create /proc/rustqueue\n");
		ret = -ENOMEM;
		goto fail;
	}

	pr_info("module loaded (capacity %u messages)\n", max_messages);
	if (rq_ndevs > 1)
		pr_info("%u queues: /dev/rustqueue0 ... /dev/rustqueue%u\n",
			rq_ndevs, rq_ndevs - 1);
	return 0;

fail:
	rq_unregister(i);
	kfree(rq_devs);
	return ret;
}

static void __exit rq_exit(void)
{
	unsigned int n;

	/* No file is open: each open file holds a reference on us. */
	remove_proc_entry("rustqueue", NULL);
	rq_unregister(rq_ndevs);
	n = rq_purge_all();
	kfree(rq_devs);
	pr_info("module unloaded (%u queued messages freed)\n", n);
}

module_init(rq_init);
module_exit(rq_exit);

MODULE_DESCRIPTION("rustqueue - a bounded FIFO message queue");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RQ_VERSION);
