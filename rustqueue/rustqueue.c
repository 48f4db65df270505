// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue - a bounded FIFO message queue behind a misc device
 *
 * The C counterpart of the course's Rust module, with the same behaviour
 * as seen from user space: each write() enqueues one message; the first
 * read() of an open file dequeues the message at the head and keeps it for
 * that open file; later reads of the same open file stream the rest of it,
 * then return end-of-file.
 *
 * Locking: q->lock, a spinlock, protects the message list and count.  It is
 * never held across an allocation or a user copy: a writer copies the
 * message into a fresh buffer first and only links it in under the lock.
 * rf->lock, a mutex, serialises the readers of one open file around the
 * message that open file has dequeued.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/rustqueue.h>

#include "kmod_compat.h"

static unsigned int max_messages = RUSTQUEUE_DEF_MAX_MESSAGES;
module_param(max_messages, uint, 0444);
MODULE_PARM_DESC(max_messages,
		 "Queue capacity in messages, 1-65536 (default 16)");

static unsigned int max_msg_size = RUSTQUEUE_DEF_MAX_MSG_SIZE;
module_param(max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Largest message in bytes, 1-4194304 (default 4096)");

static bool verbose = true;
module_param(verbose, bool, 0644);
MODULE_PARM_DESC(verbose,
		 "Log every enqueue, dequeue and rejection (default Y)");

struct rq_msg {
	struct list_head node;
	size_t len;
	u8 data[];
};

struct rq_queue {
	spinlock_t lock;		/* protects msgs and count */
	struct list_head msgs;
	unsigned int count;		/* written under lock, peeked without */
	unsigned int capacity;
	size_t max_msg_size;
};

struct rq_dev {
	struct miscdevice misc;
	struct rq_queue q;
};

/* Per open file */
struct rq_file {
	struct rq_queue *q;
	struct mutex lock;		/* protects everything below */
	struct rq_msg *msg;		/* the message this open dequeued */
	size_t pos;			/* how much of it has been read */
	bool done;			/* msg was read to its end and freed */
};

static struct rq_dev rq_dev;

static struct rq_msg *rq_msg_alloc(size_t len)
{
	struct rq_msg *msg;

	msg = kvmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
	if (msg)
		msg->len = len;
	return msg;
}

static void rq_queue_init(struct rq_queue *q, unsigned int capacity,
			  size_t max_msg_size)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->msgs);
	q->count = 0;
	q->capacity = capacity;
	q->max_msg_size = max_msg_size;
}

/* Free every queued message; returns how many there were. */
static unsigned int rq_queue_purge(struct rq_queue *q)
{
	struct rq_msg *msg, *tmp;
	unsigned int n = 0;
	LIST_HEAD(doomed);

	spin_lock(&q->lock);
	list_splice_init(&q->msgs, &doomed);
	WRITE_ONCE(q->count, 0);
	spin_unlock(&q->lock);

	list_for_each_entry_safe(msg, tmp, &doomed, node) {
		kvfree(msg);
		n++;
	}
	return n;
}

static struct rq_msg *rq_dequeue(struct rq_queue *q)
{
	unsigned int left = 0;
	struct rq_msg *msg;

	spin_lock(&q->lock);
	msg = list_first_entry_or_null(&q->msgs, struct rq_msg, node);
	if (msg) {
		list_del(&msg->node);
		left = q->count - 1;
		WRITE_ONCE(q->count, left);
	}
	spin_unlock(&q->lock);

	if (msg && verbose)
		pr_info("dequeued (%u remaining)\n", left);
	return msg;
}

static ssize_t rq_reject_full(void)
{
	if (verbose)
		pr_info("queue full, rejecting write\n");
	return -ENOSPC;
}

static ssize_t rq_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct rq_file *rf = iocb->ki_filp->private_data;
	struct rq_queue *q = rf->q;
	size_t len = iov_iter_count(from);
	struct rq_msg *msg;
	unsigned int count;

	/* Cheap early answers; fullness is checked again under the lock. */
	if (READ_ONCE(q->count) >= q->capacity)
		return rq_reject_full();
	if (len > q->max_msg_size)
		return -EINVAL;

	msg = rq_msg_alloc(len);
	if (!msg)
		return -ENOMEM;
	if (!copy_from_iter_full(msg->data, len, from)) {
		kvfree(msg);
		return -EFAULT;
	}

	spin_lock(&q->lock);
	if (q->count >= q->capacity) {
		spin_unlock(&q->lock);
		kvfree(msg);
		return rq_reject_full();
	}
	list_add_tail(&msg->node, &q->msgs);
	count = q->count + 1;
	WRITE_ONCE(q->count, count);
	spin_unlock(&q->lock);

	if (verbose)
		pr_info("enqueued %zu bytes (%u in queue)\n", len, count);
	return len;
}

static ssize_t rq_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct rq_file *rf = iocb->ki_filp->private_data;
	size_t want = iov_iter_count(to);
	size_t n, copied;
	ssize_t ret = 0;

	/* A zero-length read must not take a message off the queue. */
	if (!want)
		return 0;
	if (mutex_lock_interruptible(&rf->lock))
		return -ERESTARTSYS;

	if (!rf->msg && !rf->done)
		rf->msg = rq_dequeue(rf->q);
	if (!rf->msg)
		goto out;

	n = min(want, rf->msg->len - rf->pos);
	copied = copy_to_iter(rf->msg->data + rf->pos, n, to);
	if (n && !copied) {
		ret = -EFAULT;		/* the message stays with this open */
		goto out;
	}
	rf->pos += copied;
	ret = copied;
	if (rf->pos == rf->msg->len) {
		kvfree(rf->msg);
		rf->msg = NULL;
		rf->done = true;
	}
out:
	mutex_unlock(&rf->lock);
	return ret;
}

static int rq_open(struct inode *inode, struct file *file)
{
	struct rq_dev *dev = container_of(file->private_data, struct rq_dev,
					  misc);
	struct rq_file *rf;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return -ENOMEM;
	rf->q = &dev->q;
	mutex_init(&rf->lock);
	file->private_data = rf;
	return stream_open(inode, file);
}

static int rq_release(struct inode *inode, struct file *file)
{
	struct rq_file *rf = file->private_data;

	kvfree(rf->msg);
	mutex_destroy(&rf->lock);
	kfree(rf);
	return 0;
}

static const struct file_operations rq_fops = {
	.owner		= THIS_MODULE,
	.open		= rq_open,
	.release	= rq_release,
	.read_iter	= rq_read_iter,
	.write_iter	= rq_write_iter,
};

static int __init rq_init(void)
{
	int ret;

	if (!max_messages || max_messages > RUSTQUEUE_LIMIT_MAX_MESSAGES) {
		pr_err("max_messages=%u is out of range 1-%u\n",
		       max_messages, RUSTQUEUE_LIMIT_MAX_MESSAGES);
		return -EINVAL;
	}
	if (!max_msg_size || max_msg_size > RUSTQUEUE_LIMIT_MAX_MSG_SIZE) {
		pr_err("max_msg_size=%u is out of range 1-%u\n",
		       max_msg_size, RUSTQUEUE_LIMIT_MAX_MSG_SIZE);
		return -EINVAL;
	}

	rq_queue_init(&rq_dev.q, max_messages, max_msg_size);
	rq_dev.misc.minor = MISC_DYNAMIC_MINOR;
	rq_dev.misc.name = "rustqueue";
	rq_dev.misc.fops = &rq_fops;
	ret = misc_register(&rq_dev.misc);
	if (ret) {
		pr_err("cannot register /dev/rustqueue: %d\n", ret);
		return ret;
	}
	pr_info("module loaded (capacity %u messages)\n", max_messages);
	return 0;
}

static void __exit rq_exit(void)
{
	unsigned int n;

	/* No file is open: each open file holds a reference on us. */
	misc_deregister(&rq_dev.misc);
	n = rq_queue_purge(&rq_dev.q);
	pr_info("module unloaded (%u queued messages freed)\n", n);
}

module_init(rq_init);
module_exit(rq_exit);

MODULE_DESCRIPTION("rustqueue - a bounded FIFO message queue");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
