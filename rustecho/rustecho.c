// SPDX-License-Identifier: GPL-2.0
/*
 * rustecho - a character device that echoes back what was last written
 *
 * The C counterpart of the course's Rust module (seed 004), with its six
 * extensions: every write() replaces the device's buffer, every read()
 * streams the buffer from the file position without consuming it, and all
 * opens of one device share its buffer.
 *
 * Locking: each instance's buffer (data, len) is protected by a sleeping
 * reader/writer lock, dev->lock.  Readers hold it shared while they copy
 * to user memory (which may fault and sleep), so any number of them run
 * at once and each read() sees one version of the buffer.  A writer copies
 * the user's data into a fresh buffer first, without the lock, and holds
 * the lock exclusively only to swap the new buffer in.  When a lock cannot
 * be taken at once, that is a contention event: counted, and logged
 * rate-limited.  Statistics are atomics, updated outside the lock.
 *
 * Module exit runs only when no file is open (the file operations hold a
 * module reference), so it touches the buffers without locking.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/crc32.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/proc_fs.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/rustecho.h>

#include "kmod_compat.h"

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

static bool verbose = true;
module_param(verbose, bool, 0644);
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
	struct rw_semaphore lock;	/* protects data and len */
	u8 *data;			/* kvmalloc()ed, NULL when empty */
	size_t len;			/* also peeked at without the lock */
	struct re_stats stats;
};

static struct re_dev *re_devs;

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

static int re_lock_read(struct re_dev *dev)
{
	if (down_read_trylock(&dev->lock))
		return 0;
	re_contended(dev, "reader");
	return down_read_killable(&dev->lock);
}

static int re_lock_write(struct re_dev *dev)
{
	if (down_write_trylock(&dev->lock))
		return 0;
	re_contended(dev, "writer");
	return down_write_killable(&dev->lock);
}

static int re_open(struct inode *inode, struct file *file)
{
	struct re_dev *dev = re_dev_of(file);

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
	int ret;

	ret = re_lock_read(dev);
	if (ret)
		return ret;
	if (pos < dev->len) {
		n = min_t(size_t, want, dev->len - pos);
		copied = copy_to_iter(dev->data + pos, n, to);
	}
	up_read(&dev->lock);

	if (n && !copied)
		return -EFAULT;
	iocb->ki_pos = pos + copied;
	atomic64_inc(&dev->stats.reads);
	atomic64_add(copied, &dev->stats.bytes_read);
	if (verbose)
		pr_info("read %zu bytes\n", copied);
	return copied;
}

static ssize_t re_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct re_dev *dev = re_dev_of(iocb->ki_filp);
	size_t len = iov_iter_count(from);
	u8 *data = NULL, *old;
	int ret;

	if (len > max_size) {
		atomic64_inc(&dev->stats.denied_writes);
		pr_info_ratelimited("/dev/%s: write of %zu bytes rejected, max_size is %u\n",
				    dev->name, len, max_size);
		return -ENOSPC;
	}
	if (len) {
		data = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!data)
			return -ENOMEM;
		if (!copy_from_iter_full(data, len, from)) {
			kvfree(data);
			return -EFAULT;
		}
	}

	ret = re_lock_write(dev);
	if (ret) {
		kvfree(data);
		return ret;
	}
	old = dev->data;
	dev->data = data;
	WRITE_ONCE(dev->len, len);
	up_write(&dev->lock);
	kvfree(old);

	/* as in the seed: a read on this open file starts from the top */
	iocb->ki_pos = 0;
	atomic64_inc(&dev->stats.writes);
	atomic64_add(len, &dev->stats.bytes_written);
	if (verbose)
		pr_info("wrote %zu bytes\n", len);
	return len;
}

static loff_t re_llseek(struct file *file, loff_t offset, int whence)
{
	struct re_dev *dev = re_dev_of(file);

	return fixed_size_llseek(file, offset, whence, READ_ONCE(dev->len));
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

		seq_printf(m, "%s.size: %zu\n", dev->name, READ_ONCE(dev->len));
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

/* Persistence */

static int re_kernel_read(struct file *f, void *buf, size_t len, loff_t *pos)
{
	while (len) {
		ssize_t n = kernel_read(f, buf, len, pos);

		if (n < 0)
			return n;
		if (!n)
			return -ENODATA;	/* the file shrank under us */
		buf += n;
		len -= n;
	}
	return 0;
}

static int re_kernel_write(struct file *f, const void *buf, size_t len,
			   loff_t *pos)
{
	while (len) {
		ssize_t n = kernel_write(f, buf, len, pos);

		if (n < 0)
			return n;
		if (!n)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

__printf(1, 2)
static void re_restore_failed(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn("%s: %pV; starting with empty buffers\n", persist_path, &vaf);
	va_end(args);
}

/*
 * Read and check the whole state file; install the buffers only if all of
 * it is sound.  Runs before the devices are registered.
 */
static void re_restore(void)
{
	struct rustecho_state_hdr hdr;
	u8 **data = NULL;
	size_t *len = NULL;
	u64 payload, total = 0;
	u32 crc, stored_crc, count, i;
	loff_t size, pos = 0;
	struct file *f;
	int ret;

	f = filp_open(persist_path, O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(f)) {
		if (PTR_ERR(f) == -ENOENT)
			pr_info("%s: no saved state, starting with empty buffers\n",
				persist_path);
		else
			re_restore_failed("cannot open it (error %ld)",
					  PTR_ERR(f));
		return;
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		re_restore_failed("not a regular file");
		goto out;
	}
	size = i_size_read(file_inode(f));
	if (size < (loff_t)sizeof(hdr)) {
		re_restore_failed("truncated: %lld bytes, shorter than the header",
				  size);
		goto out;
	}
	ret = re_kernel_read(f, &hdr, sizeof(hdr), &pos);
	if (ret) {
		re_restore_failed("cannot read it (error %d)", ret);
		goto out;
	}
	if (memcmp(hdr.magic, RUSTECHO_STATE_MAGIC, sizeof(hdr.magic))) {
		re_restore_failed("not a rustecho state file (bad magic)");
		goto out;
	}
	if (le32_to_cpu(hdr.version) != RUSTECHO_STATE_VERSION) {
		re_restore_failed("unsupported version %u (this module reads %u)",
				  le32_to_cpu(hdr.version),
				  RUSTECHO_STATE_VERSION);
		goto out;
	}
	payload = le64_to_cpu(hdr.payload);
	if (size - sizeof(hdr) < payload) {
		re_restore_failed("truncated: %lld bytes, the header says %llu",
				  size, payload + sizeof(hdr));
		goto out;
	}
	if (size - sizeof(hdr) > payload) {
		re_restore_failed("corrupt: %lld bytes, the header says %llu",
				  size, payload + sizeof(hdr));
		goto out;
	}
	count = le32_to_cpu(hdr.count);
	if (count != instances) {
		re_restore_failed("holds %u buffers, but instances=%u",
				  count, instances);
		goto out;
	}

	stored_crc = le32_to_cpu(hdr.crc);
	hdr.crc = 0;
	crc = crc32_le(~0U, (u8 *)&hdr, sizeof(hdr));

	data = kcalloc(count, sizeof(*data), GFP_KERNEL);
	len = kcalloc(count, sizeof(*len), GFP_KERNEL);
	if (!data || !len) {
		re_restore_failed("out of memory");
		goto out;
	}
	for (i = 0; i < count; i++) {
		__le64 rec;
		u64 n;

		if (payload - total < sizeof(rec)) {
			re_restore_failed("corrupt: record %u runs past the end",
					  i);
			goto out;
		}
		ret = re_kernel_read(f, &rec, sizeof(rec), &pos);
		if (ret) {
			re_restore_failed("cannot read it (error %d)", ret);
			goto out;
		}
		total += sizeof(rec);
		n = le64_to_cpu(rec);
		if (n > max_size) {
			re_restore_failed("buffer %u holds %llu bytes, more than max_size=%u",
					  i, n, max_size);
			goto out;
		}
		if (payload - total < n) {
			re_restore_failed("corrupt: record %u runs past the end",
					  i);
			goto out;
		}
		crc = crc32_le(crc, (u8 *)&rec, sizeof(rec));
		if (n) {
			data[i] = kvmalloc(n, GFP_KERNEL_ACCOUNT);
			if (!data[i]) {
				re_restore_failed("out of memory");
				goto out;
			}
			ret = re_kernel_read(f, data[i], n, &pos);
			if (ret) {
				re_restore_failed("cannot read it (error %d)",
						  ret);
				goto out;
			}
			crc = crc32_le(crc, data[i], n);
		}
		len[i] = n;
		total += n;
	}
	if (total != payload) {
		re_restore_failed("corrupt: %llu bytes after the last record",
				  payload - total);
		goto out;
	}
	if (~crc != stored_crc) {
		re_restore_failed("corrupt: checksum mismatch");
		goto out;
	}

	for (i = 0; i < count; i++) {
		re_devs[i].data = data[i];
		re_devs[i].len = len[i];
		data[i] = NULL;
	}
	pr_info("%s: restored %u buffer%s, %llu bytes\n", persist_path, count,
		count == 1 ? "" : "s", total - count * sizeof(__le64));
out:
	if (data)
		for (i = 0; i < instances; i++)
			kvfree(data[i]);
	kfree(data);
	kfree(len);
	filp_close(f, NULL);
}

/*
 * Rename the file at TMP to NAME in the same directory, replacing what is
 * there: the last step of a save, so that the state file is either the old
 * one or the complete new one.
 */
static int re_rename_tmp(const struct path *tmp, const char *name)
{
	struct renamedata rd = {};
	struct dentry *parent, *target;
	int ret;

	ret = mnt_want_write(tmp->mnt);
	if (ret)
		return ret;
	parent = dget_parent(tmp->dentry);
	/* what lock_rename() does for a rename within one directory */
	inode_lock_nested(d_inode(parent), I_MUTEX_PARENT);
	if (tmp->dentry->d_parent != parent || d_unhashed(tmp->dentry)) {
		ret = -ENOENT;		/* moved or removed since we wrote it */
		goto unlock;
	}
	target = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		goto unlock;
	}
	kc_renamedata_set_mnt(&rd, tmp->mnt);
	rd.old_dir = d_inode(parent);
	rd.old_dentry = tmp->dentry;
	rd.new_dir = d_inode(parent);
	rd.new_dentry = target;
	ret = vfs_rename(&rd);
	dput(target);
unlock:
	inode_unlock(d_inode(parent));
	dput(parent);
	mnt_drop_write(tmp->mnt);
	return ret;
}

static int re_save_to(struct file *f, u64 *payload)
{
	struct rustecho_state_hdr hdr = {};
	loff_t pos = 0;
	unsigned int i;
	u32 crc;
	int ret;

	*payload = 0;
	for (i = 0; i < instances; i++)
		*payload += sizeof(__le64) + re_devs[i].len;
	memcpy(hdr.magic, RUSTECHO_STATE_MAGIC, sizeof(hdr.magic));
	hdr.version = cpu_to_le32(RUSTECHO_STATE_VERSION);
	hdr.count = cpu_to_le32(instances);
	hdr.payload = cpu_to_le64(*payload);

	crc = crc32_le(~0U, (u8 *)&hdr, sizeof(hdr));
	for (i = 0; i < instances; i++) {
		__le64 rec = cpu_to_le64(re_devs[i].len);

		crc = crc32_le(crc, (u8 *)&rec, sizeof(rec));
		if (re_devs[i].len)
			crc = crc32_le(crc, re_devs[i].data, re_devs[i].len);
	}
	hdr.crc = cpu_to_le32(~crc);

	ret = re_kernel_write(f, &hdr, sizeof(hdr), &pos);
	for (i = 0; !ret && i < instances; i++) {
		__le64 rec = cpu_to_le64(re_devs[i].len);

		ret = re_kernel_write(f, &rec, sizeof(rec), &pos);
		if (!ret && re_devs[i].len)
			ret = re_kernel_write(f, re_devs[i].data,
					      re_devs[i].len, &pos);
	}
	return ret ?: vfs_fsync(f, 0);
}

/* Write every buffer to persist_path.tmp, then rename it to persist_path. */
static void re_save(void)
{
	const char *name = strrchr(persist_path, '/') + 1;
	char *tmp_path;
	struct file *f;
	u64 payload;
	int ret;

	tmp_path = kasprintf(GFP_KERNEL, "%s.tmp", persist_path);
	if (!tmp_path) {
		ret = -ENOMEM;
		goto fail;
	}
	f = filp_open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		      O_LARGEFILE, 0600);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto fail;
	}
	ret = re_save_to(f, &payload);
	if (!ret)
		ret = re_rename_tmp(&f->f_path, name);
	filp_close(f, NULL);
	if (ret)
		goto fail;
	pr_info("%s: saved %u buffer%s, %llu bytes\n", persist_path, instances,
		instances == 1 ? "" : "s", payload - instances * sizeof(__le64));
	kfree(tmp_path);
	return;
fail:
	pr_err("%s: cannot save the buffers (error %d), the file is unchanged\n",
	       persist_path, ret);
	kfree(tmp_path);
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
		kvfree(re_devs[i].data);
}

static int __init re_init(void)
{
	unsigned int i;
	int ret;

	ret = re_check_params();
	if (ret)
		return ret;
	re_devs = kcalloc(instances, sizeof(*re_devs), GFP_KERNEL);
	if (!re_devs)
		return -ENOMEM;
	for (i = 0; i < instances; i++) {
		struct re_dev *dev = &re_devs[i];

		init_rwsem(&dev->lock);
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

	if (!proc_create_single("rustecho", 0444, NULL, re_proc_show)) {
		pr_err("cannot create /proc/rustecho\n");
		ret = -ENOMEM;
		goto free;
	}
	/* the devices last: once registered, they can be opened */
	for (i = 0; i < instances; i++) {
		ret = misc_register(&re_devs[i].misc);
		if (ret) {
			pr_err("cannot register /dev/%s: %d\n", re_devs[i].name,
			       ret);
			goto unregister;
		}
	}
	pr_info("module loaded\n");
	return 0;

unregister:
	while (i--)
		misc_deregister(&re_devs[i].misc);
	remove_proc_entry("rustecho", NULL);
free:
	re_free_buffers();
	kfree(re_devs);
	return ret;
}

static void __exit re_exit(void)
{
	unsigned int i;

	/* No file is open: each open file holds a reference on us. */
	for (i = 0; i < instances; i++)
		misc_deregister(&re_devs[i].misc);
	remove_proc_entry("rustecho", NULL);
	if (persist_path[0])
		re_save();
	re_free_buffers();
	kfree(re_devs);
	pr_info("module unloaded\n");
}

module_init(re_init);
module_exit(re_exit);

MODULE_DESCRIPTION("rustecho - a character device that echoes data back");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RE_VERSION);
