// SPDX-License-Identifier: GPL-2.0
/*
 * mydevice - the lab misc device of the course's ioctl and read/write labs
 *
 * The C counterpart of the labs' Rust driver, with the same interface as
 * seen from user space (include/uapi/linux/mydevice.h): a handful of 'J'
 * ioctls, a value per open file, a counter shared by all open files, and
 * a 256-byte ring buffer behind read() and write(), shared as well.
 *
 * This file is the device: the misc device, its file operations and
 * ioctls, and the locking.  The ring buffer's data operations are in
 * ring.c; they take no lock, the callers here hold dev->lock.
 *
 * Access: the ioctls that change what every open file shares (the
 * counter, the ring) need an open for writing, as write() does; the
 * others work on any open.
 *
 * Locking: dev->lock, a mutex, protects the ring buffer (dev->ring).
 * It is held across the user copies of read() and write(), as a pipe's
 * mutex is, so that bytes are taken off the ring only once they have
 * reached the reader and added only once they have all arrived; the wait
 * for it is interruptible.  The shared counter and each open file's value
 * are single u32 words that are only ever stored or loaded whole, never
 * read-modified-written, so READ_ONCE()/WRITE_ONCE() is all they need.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/mydevice.h>

#include "kmod_compat.h"
#include "ring.h"
#include "uptr.h"

struct mydev {
	struct miscdevice misc;
	struct mutex lock;		/* protects ring */
	struct mydev_ring ring;
	u32 counter;			/* shared by all open files */
};

/* Per open file */
struct mydev_file {
	struct mydev *dev;
	u32 value;
};

static struct mydev mydev;

static struct mydev *mydev_of(struct file *file)
{
	struct mydev_file *mf = file->private_data;

	return mf->dev;
}

static ssize_t mydev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mydev *dev = mydev_of(iocb->ki_filp);
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	ret = mydev_ring_write(&dev->ring, from);
	mutex_unlock(&dev->lock);
	return ret;
}

static ssize_t mydev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mydev *dev = mydev_of(iocb->ki_filp);
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	ret = mydev_ring_read(&dev->ring, to);
	mutex_unlock(&dev->lock);
	return ret;
}

static long mydev_negate_point(void __user *argp)
{
	struct mydevice_point p;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	/* In two's complement, as Rust's wrapping_neg(): -S32_MIN == S32_MIN */
	p.x = (s32)(0U - (u32)p.x);
	p.y = (s32)(0U - (u32)p.y);
	if (copy_to_user(argp, &p, sizeof(p)))
		return -EFAULT;
	return 0;
}

/*
 * Replace the ring's contents with user bytes.  The descriptor is copied
 * once, then the bytes once, into a bounce buffer: a fault anywhere
 * leaves the ring as it was.
 */
static long mydev_copy_buf(struct mydev *dev, void __user *argp)
{
	struct mydevice_userbuf ub;
	u8 bounce[MYDEV_RING_SIZE];
	void __user *src;
	size_t n;

	if (copy_from_user(&ub, argp, sizeof(ub)))
		return -EFAULT;
	if (mydev_user_ptr(ub.ptr, &src))
		return -EFAULT;
	n = min_t(u64, ub.len, MYDEV_RING_SIZE);
	if (copy_from_user(bounce, src, n))
		return -EFAULT;

	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	n = mydev_ring_replace(&dev->ring, bounce, n);
	mutex_unlock(&dev->lock);
	return n;
}

static long mydev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mydev_file *mf = file->private_data;
	struct mydev *dev = mf->dev;
	void __user *argp = (void __user *)arg;
	u32 __user *up = argp;
	u32 v;

	/*
	 * The shared counter and the ring change only through an open for
	 * writing, as write() requires: EBADF, before the argument is read.
	 */
	switch (cmd) {
	case MYDEVICE_IOC_SET_COUNTER:
	case MYDEVICE_IOC_COPY_BUF:
	case MYDEVICE_IOC_COPY_BUF_U64:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		break;
	}

	/* Whole numbers: another direction or size is another command. */
	switch (cmd) {
	case MYDEVICE_IOC_PING:
		return 0;
	case MYDEVICE_IOC_GET_VERSION:
		return put_user(MYDEVICE_VERSION, up);
	case MYDEVICE_IOC_SET_VALUE:
		if (get_user(v, up))
			return -EFAULT;
		WRITE_ONCE(mf->value, v);
		pr_info("received value: %u\n", v);
		return 0;
	case MYDEVICE_IOC_GET_VALUE:
		return put_user(READ_ONCE(mf->value), up);
	case MYDEVICE_IOC_TRANSFORM:
		if (get_user(v, up))
			return -EFAULT;
		return put_user(v * 2, up);
	case MYDEVICE_IOC_INCREMENT:
		if (get_user(v, up))
			return -EFAULT;
		return put_user(v + 1, up);
	case MYDEVICE_IOC_SET_COUNTER:
		if (get_user(v, up))
			return -EFAULT;
		WRITE_ONCE(dev->counter, v);
		return 0;
	case MYDEVICE_IOC_GET_COUNTER:
		return put_user(READ_ONCE(dev->counter), up);
	case MYDEVICE_IOC_NEGATE_POINT:
		return mydev_negate_point(argp);
	case MYDEVICE_IOC_COPY_BUF:
	case MYDEVICE_IOC_COPY_BUF_U64:
		return mydev_copy_buf(dev, argp);
	default:
		/* seed 001's listing, word for word ({:#x} is 0x%x) */
		pr_warn_ratelimited("Unknown ioctl: type=0x%x nr=%u size=%u\n",
				    _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd));
		return -ENOTTY;
	}
}

static void mydev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mydev_file *mf = file->private_data;

	seq_printf(m, "value:\t%u\n", READ_ONCE(mf->value));
}

static int mydev_open(struct inode *inode, struct file *file)
{
	struct mydev *dev = container_of(file->private_data, struct mydev,
					 misc);
	struct mydev_file *mf;

	mf = kzalloc_obj(*mf, GFP_KERNEL_ACCOUNT);
	if (!mf)
		return -ENOMEM;
	mf->dev = dev;
	file->private_data = mf;
	return stream_open(inode, file);
}

static int mydev_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/*
 * Every argument is a pointer to data with one layout for 32-bit and
 * 64-bit programs (u32, two s32, two u64), so 32-bit callers only need
 * their argument widened to a pointer: compat_ptr_ioctl() does that.
 */
static const struct file_operations mydev_fops = {
	.owner		= THIS_MODULE,
	.open		= mydev_open,
	.release	= mydev_release,
	.read_iter	= mydev_read_iter,
	.write_iter	= mydev_write_iter,
	.unlocked_ioctl	= mydev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= mydev_show_fdinfo,
};

static const char *mydev_dir_name(unsigned int dir)
{
	switch (dir) {
	case _IOC_NONE:
		return "none";
	case _IOC_WRITE:
		return "write";
	case _IOC_READ:
		return "read";
	default:
		return "read-write";
	}
}

static int __init mydev_init(void)
{
	const unsigned int cmd = MYDEVICE_IOC_GET_VERSION;
	int ret;

	mutex_init(&mydev.lock);
	mydev.misc.minor = MISC_DYNAMIC_MINOR;
	mydev.misc.name = "mydevice";
	mydev.misc.fops = &mydev_fops;
	ret = misc_register(&mydev.misc);
	if (ret) {
		pr_err("cannot register /dev/mydevice: %d\n", ret);
		return ret;
	}
	/* The lab's exercise: GET_VERSION's number and its fields */
	pr_info("GET_VERSION = %#010x: dir=%s size=%u type='%c' (%#04x) nr=%u\n",
		cmd, mydev_dir_name(_IOC_DIR(cmd)), _IOC_SIZE(cmd),
		_IOC_TYPE(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd));
	return 0;
}

static void __exit mydev_exit(void)
{
	/* No file is open: each open file holds a reference on us. */
	misc_deregister(&mydev.misc);
	mutex_destroy(&mydev.lock);
}

module_init(mydev_init);
module_exit(mydev_exit);

MODULE_DESCRIPTION("mydevice - the ioctl and read/write lab misc device");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
