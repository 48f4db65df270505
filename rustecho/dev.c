// SPDX-License-Identifier: GPL-2.0
/*
 * rustecho - a character device that echoes back what was last written
 *
 * The C counterpart of the course's Rust module (seed 004), with its six
 * extensions: every write() replaces the device's buffer, every read()
 * streams the buffer from the file position without consuming it, and all
 * opens of one device share its buffer.  This file is the device side; the
 * buffers and the state file are in state.c.
 *
 * Locking: each device's current buffer (dev->buf, a pointer to an
 * immutable, reference-counted struct re_buf) is protected by a
 * reader/writer spinlock, dev->lock, held only to take a reference
 * (readers, shared) or to swap the pointer (writers, exclusive); nobody
 * holds it while copying to or from user memory.  A reader copies from the
 * buffer it took a reference on, so it returns bytes of one version even
 * if writers replace the buffer meanwhile, and a reader stuck in a page
 * fault delays nobody.  A writer copies the user's bytes into a new buffer
 * before it takes the lock.  When the lock cannot be taken at once, that
 * is a contention event: counted, and logged rate-limited.  Statistics are
 * atomics.
 *
 * Loading: the devices, then /proc/rustecho are registered last, and opens
 * are refused (ENODEV) until the load has succeeded, so a load that fails
 * part way has handed out nothing it then frees.  Module exit runs only
 * when no file is open (the file operations hold a module reference).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/rustecho.h>

#include "kmod_compat.h"
#include "state.h"

#define RE_VERSION "1.0"

static unsigned int max_size = RUSTECHO_DEF_MAX_SIZE;
module_param(max_size, uint, 0444);
MODULE_PARM_DESC(max_size,
		 "Capacity of each buffer in bytes, 1-67108864 (default 1 MiB)");

static unsigned int instances = 1;
module_param(instances, uint, 0444);
MODULE_PARM_DESC(instances,
		 "Number of devices, 1-64 (default 1: /dev/rustecho; N>1: /dev/rustecho0..N-1)");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Mode of the device nodes, 0001-0777 (default 0600)");

static char *persist_path = "";
module_param(persist_path, charp, 0444);
MODULE_PARM_DESC(persist_path,
		 "Absolute path of the state file: restored at load, saved at unload (default: none)");

/*
 * verbose may change at any time through sysfs while reads and writes test
 * it: it is stored with WRITE_ONCE() and read with READ_ONCE().  (The
 * sysfs read of it, param_get_bool(), runs under the parameter lock, as
 * every store does.)
 */
static bool verbose = true;

static int re_set_verbose(const char *val, const struct kernel_param *kp)
{
	bool v;
	int ret = kstrtobool(val ? val : "1", &v);	/* "verbose" alone: on */

	if (ret)
		return ret;
	WRITE_ONCE(*(bool *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops re_verbose_ops = {
	.flags	= KERNEL_PARAM_OPS_FL_NOARG,
	.set	= re_set_verbose,
	.get	= param_get_bool,
};
module_param_cb(verbose, &re_verbose_ops, &verbose, 0644);
__MODULE_PARM_TYPE(verbose, "bool");
MODULE_PARM_DESC(verbose, "Log every read and write (default Y)");

struct re_stats {
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t bytes_read;
	atomic64_t bytes_written;
	atomic64_t denied_writes;
	atomic64_t contentions;
};

struct re_dev {
	struct miscdevice misc;
	char name[20];			/* "rustecho" or "rustecho<N>" */
	rwlock_t lock;			/* protects buf (the pointer) */
	struct re_buf *buf;		/* NULL when empty */
	struct re_stats stats;
};

static struct re_dev *re_devs;
/* set once the load has succeeded: until then opens are refused */
static bool re_ready;

static struct re_dev *re_dev_of(struct file *file)
{
	/* misc_open() sets private_data to our struct miscdevice */
	return container_of(file->private_data, struct re_dev, misc);
}

static void re_contended(struct re_dev *dev, const char *who)
{
	s64 n = atomic64_inc_return(&dev->stats.contentions);

	pr_info_ratelimited("/dev/%s: lock contention, a %s waits (%lld so far)\n",
			    dev->name, who, n);
}

/* A reference on the device's current buffer (NULL: empty). */
static struct re_buf *re_take(struct re_dev *dev)
{
	struct re_buf *buf;

	if (!read_trylock(&dev->lock)) {
		re_contended(dev, "reader");
		read_lock(&dev->lock);
	}
	buf = re_buf_get(dev->buf);
	read_unlock(&dev->lock);
	return buf;
}

/* Make BUF the device's buffer; returns the one it replaces. */
static struct re_buf *re_swap(struct re_dev *dev, struct re_buf *buf)
{
	struct re_buf *old;

	if (!write_trylock(&dev->lock)) {
		re_contended(dev, "writer");
		write_lock(&dev->lock);
	}
	old = dev->buf;
	dev->buf = buf;
	write_unlock(&dev->lock);
	return old;
}

/* The current buffer's length, for lseek() and /proc (not counted). */
static size_t re_size(struct re_dev *dev)
{
	size_t len;

	read_lock(&dev->lock);
	len = re_buf_len(dev->buf);
	read_unlock(&dev->lock);
	return len;
}

static int re_open(struct inode *inode, struct file *file)
{
	struct re_dev *dev = re_dev_of(file);

	/*
	 * Pairs with the release in re_init(): a device of a load that is
	 * still under way (and may yet fail and free it) cannot be opened.
	 */
	if (!smp_load_acquire(&re_ready))
		return -ENODEV;
	if ((file->f_mode & FMODE_WRITE) && !capable(CAP_SYS_ADMIN)) {
		atomic64_inc(&dev->stats.denied_writes);
		pr_notice_ratelimited("/dev/%s: write access denied to uid %u pid %d (%s)\n",
				      dev->name,
				      from_kuid(&init_user_ns, current_uid()),
				      task_pid_nr(current), current->comm);
		return -EPERM;
	}
	return 0;
}

static ssize_t re_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct re_dev *dev = re_dev_of(iocb->ki_filp);
	size_t want = iov_iter_count(to);
	loff_t pos = iocb->ki_pos;
	size_t n = 0, copied = 0;
	struct re_buf *buf;

	buf = re_take(dev);
	/* no lock held: this copy may fault and sleep as long as it likes */
	if (buf && pos < buf->len) {
		n = min_t(size_t, want, buf->len - pos);
		copied = copy_to_iter(buf->data + pos, n, to);
	}
	re_buf_put(buf);

	if (n && !copied)
		return -EFAULT;
	iocb->ki_pos = pos + copied;
	atomic64_inc(&dev->stats.reads);
	atomic64_add(copied, &dev->stats.bytes_read);
	if (READ_ONCE(verbose))
		pr_info("read %zu bytes\n", copied);
	return copied;
}

static ssize_t re_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct re_dev *dev = re_dev_of(iocb->ki_filp);
	size_t len = iov_iter_count(from);
	struct re_buf *buf = NULL;

	if (len > max_size) {
		atomic64_inc(&dev->stats.denied_writes);
		pr_info_ratelimited("/dev/%s: write of %zu bytes rejected, max_size is %u\n",
				    dev->name, len, max_size);
		return -ENOSPC;
	}
	if (len) {
		buf = re_buf_alloc(len);
		if (!buf)
			return -ENOMEM;
		if (!copy_from_iter_full(buf->data, len, from)) {
			re_buf_put(buf);
			return -EFAULT;
		}
	}
	/* readers still copying from the old buffer keep it until they end */
	re_buf_put(re_swap(dev, buf));

	/* as in the seed: a read on this open file starts from the top */
	iocb->ki_pos = 0;
	atomic64_inc(&dev->stats.writes);
	atomic64_add(len, &dev->stats.bytes_written);
	if (READ_ONCE(verbose))
		pr_info("wrote %zu bytes\n", len);
	return len;
}

static loff_t re_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, re_size(re_dev_of(file)));
}

static const struct file_operations re_fops = {
	.owner		= THIS_MODULE,
	.open		= re_open,
	.read_iter	= re_read_iter,
	.write_iter	= re_write_iter,
	.llseek		= re_llseek,
};

/* /proc/rustecho */

static int re_proc_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_puts(m, "version: " RE_VERSION "\n");
	seq_printf(m, "instances: %u\n", instances);
	seq_printf(m, "max_size: %u\n", max_size);
	for (i = 0; i < instances; i++) {
		struct re_dev *dev = &re_devs[i];
		struct re_stats *s = &dev->stats;

		seq_printf(m, "%s.size: %zu\n", dev->name, re_size(dev));
		seq_printf(m, "%s.reads: %lld\n", dev->name,
			   atomic64_read(&s->reads));
		seq_printf(m, "%s.writes: %lld\n", dev->name,
			   atomic64_read(&s->writes));
		seq_printf(m, "%s.bytes_read: %lld\n", dev->name,
			   atomic64_read(&s->bytes_read));
		seq_printf(m, "%s.bytes_written: %lld\n", dev->name,
			   atomic64_read(&s->bytes_written));
		seq_printf(m, "%s.denied_writes: %lld\n", dev->name,
			   atomic64_read(&s->denied_writes));
		seq_printf(m, "%s.lock_contentions: %lld\n", dev->name,
			   atomic64_read(&s->contentions));
	}
	return 0;
}

/*
 * Persistence: the state file is state.c's.  re_state is where the buffers
 * travel between it and the devices (allocated at load, so that the save
 * at unload needs no memory).
 */
static struct re_buf **re_state;

static void re_restore(void)
{
	unsigned int i;

	re_state_restore(persist_path, instances, max_size, re_state);
	for (i = 0; i < instances; i++)
		re_devs[i].buf = re_state[i];
}

static void re_save(void)
{
	unsigned int i;

	/* no file is open any more: nobody swaps a buffer now */
	for (i = 0; i < instances; i++)
		re_state[i] = re_devs[i].buf;
	re_state_save(persist_path, re_state, instances);
}

static int __init re_check_params(void)
{
	const char *name;

	if (!max_size || max_size > RUSTECHO_LIMIT_MAX_SIZE) {
		pr_err("max_size=%u is out of range 1-%u\n", max_size,
		       RUSTECHO_LIMIT_MAX_SIZE);
		return -EINVAL;
	}
	if (!instances || instances > RUSTECHO_LIMIT_INSTANCES) {
		pr_err("instances=%u is out of range 1-%u\n", instances,
		       RUSTECHO_LIMIT_INSTANCES);
		return -EINVAL;
	}
	if (!mode || mode > 0777) {
		pr_err("mode=%#o is out of range 0001-0777\n", mode);
		return -EINVAL;
	}
	if (!persist_path)
		persist_path = "";
	if (!persist_path[0])
		return 0;
	name = strrchr(persist_path, '/');
	if (persist_path[0] != '/' || strlen(persist_path) > PATH_MAX - 5 ||
	    !strcmp(name, "/") || !strcmp(name, "/.") || !strcmp(name, "/..")) {
		pr_err("persist_path=%s is not an absolute path to a file\n",
		       persist_path);
		return -EINVAL;
	}
	return 0;
}

static void re_free_buffers(void)
{
	unsigned int i;

	for (i = 0; i < instances; i++)
		re_buf_put(re_devs[i].buf);
}

static int __init re_init(void)
{
	unsigned int i;
	int ret;

	ret = re_check_params();
	if (ret)
		return ret;
	re_devs = kcalloc(instances, sizeof(*re_devs), GFP_KERNEL);
	re_state = kcalloc(instances, sizeof(*re_state), GFP_KERNEL);
	if (!re_devs || !re_state) {
		ret = -ENOMEM;
		goto free;
	}
	for (i = 0; i < instances; i++) {
		struct re_dev *dev = &re_devs[i];

		rwlock_init(&dev->lock);
		if (instances == 1)
			strscpy(dev->name, "rustecho", sizeof(dev->name));
		else
			snprintf(dev->name, sizeof(dev->name), "rustecho%u", i);
		dev->misc.minor = MISC_DYNAMIC_MINOR;
		dev->misc.name = dev->name;
		dev->misc.fops = &re_fops;
		dev->misc.mode = mode;
	}
	if (persist_path[0])
		re_restore();

	/* what users see, last: the devices (not openable yet), /proc */
	for (i = 0; i < instances; i++) {
		ret = misc_register(&re_devs[i].misc);
		if (ret) {
			pr_err("cannot register /dev/%s: %d\n", re_devs[i].name,
			       ret);
			goto unregister;
		}
	}
	if (!proc_create_single("rustecho", 0444, NULL, re_proc_show)) {
		pr_err("cannot create /proc/rustecho\n");
		ret = -ENOMEM;
		goto unregister;
	}
	/* open for business: pairs with the acquire in re_open() */
	smp_store_release(&re_ready, true);
	pr_info("module loaded\n");
	return 0;

unregister:
	while (i--)
		misc_deregister(&re_devs[i].misc);
	/* opens that raced with this were refused: wait until they are gone */
	kc_wait_refused_opens(THIS_MODULE);
	re_free_buffers();
free:
	kfree(re_state);
	kfree(re_devs);
	return ret;
}

static void __exit re_exit(void)
{
	unsigned int i;

	/* No file is open: each open file holds a reference on us. */
	remove_proc_entry("rustecho", NULL);
	for (i = 0; i < instances; i++)
		misc_deregister(&re_devs[i].misc);
	if (persist_path[0])
		re_save();
	re_free_buffers();
	kfree(re_state);
	kfree(re_devs);
	pr_info("module unloaded\n");
}

module_init(re_init);
module_exit(re_exit);

MODULE_DESCRIPTION("rustecho — a character device that echoes data back");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RE_VERSION);
