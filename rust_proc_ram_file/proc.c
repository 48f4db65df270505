// SPDX-License-Identifier: GPL-2.0
/*
 * rust_proc_ram_file - /proc/rust-proc-file, a regular file held in RAM
 *
 * The C counterpart of the course's Rust module (seed 003), grown into a
 * file that behaves as one on tmpfs does: reads and writes at any offset,
 * holes that read as zeros and cost nothing, SEEK_DATA/SEEK_HOLE,
 * O_APPEND, O_TRUNC, and a size that stat() shows.
 *
 * This file is the module's /proc side: the proc_ops, open with O_TRUNC,
 * the write limits (max_size, RLIMIT_FSIZE, O_LARGEFILE), publishing the
 * size to inodes, /proc/rust-proc-file-info, the parameter, load and
 * unload.  The bytes live in the page store (store.c, store.h): an
 * xarray of pages indexed by page number, charged to the writer's memory
 * cgroup, that operates under a lock its callers take.
 *
 * Locking: st->lock, an rw_semaphore, protects the store's pages, size
 * and page count.  Readers (read, lseek, the info file) hold it shared
 * and writers (write, an O_TRUNC open) exclusively for the whole call,
 * user copies included, so a read never sees half of a concurrent write,
 * and an O_APPEND write finds the end of the file and writes there
 * atomically.  Nothing that could call back into this file runs under the
 * lock (there is no mmap, so a faulting user buffer cannot be backed by
 * our own pages).
 *
 * Lifetime: procfs counts the callers inside our proc_ops; proc_remove()
 * at unload waits for them and makes later calls on old file descriptors
 * fail (EIO for read and write), and new opens get ENOENT.  After that
 * nothing can reach the store, and it is freed.
 *
 * fsync: procfs gives its files file operations of its own, which have no
 * fsync (fsync() would be EINVAL), and proc_ops has no hook for one.  So
 * an open replaces the file's operations with a copy of procfs's plus
 * tmpfs's fsync, noop_fsync() (rpf_fops below).  Every function in the
 * copy is the kernel's, none ours, because an open file may outlive the
 * module: its calls then reach procfs, which answers EIO as before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kmod_compat.h"
#include "store.h"

#define RPF_NAME	"rust-proc-file"
#define RPF_INFO	"rust-proc-file-info"
#define RPF_VERSION	"1.0"
/*
 * World-writable on purpose: seed 003 creates the file 0666, a scratch
 * file anyone may use.  Its size is bounded by max_size and its pages are
 * charged to whoever writes them.
 */
#define RPF_MODE	0666

static unsigned long long max_size = 64ULL << 20;
module_param(max_size, ullong, 0444);
MODULE_PARM_DESC(max_size,
		 "Largest file size in bytes; writes past it get EFBIG (default 64 MiB)");

/* The file: its store and its two /proc entries. */
struct rpf {
	struct rpf_store st;		/* st.lock also covers pde's setting */
	struct proc_dir_entry *pde;	/* set under st.lock before any op */
	struct proc_dir_entry *info;
};

static struct rpf rpf_file;

/*
 * The operations of our open files: procfs's (rpf_procfs_fops, as the
 * first open finds them) with .fsync set, allocated by the first open and
 * never changed after.  rpf_fops_users counts the open files that use it.
 * A file's last close gives it procfs's operations back.  Files still
 * open at unload keep the copy, so then it is not freed but left to them:
 * one table per unload that happens with the file open.  All three, and
 * rpf_unloading (set when the unload begins), under rpf_file.st.lock.
 */
static const struct file_operations *rpf_fops;
static const struct file_operations *rpf_procfs_fops;
static unsigned long rpf_fops_users;
static bool rpf_unloading;

static struct rpf *rpf_of(struct inode *inode)
{
	return pde_data(inode);
}

/* Make stat() show the new size: this file's inode and later ones. */
static void rpf_publish_size(struct rpf *rpf, struct inode *inode)
{
	i_size_write(inode, rpf->st.size);
	proc_set_size(rpf->pde, rpf->st.size);
}

/*
 * The checks generic_write_checks() makes for a regular file: the
 * caller's RLIMIT_FSIZE (SIGXFSZ and EFBIG at or past it), 2 GiB for
 * opens without O_LARGEFILE, and our max_size in place of the file
 * system's s_maxbytes.  A write that starts below the limit and crosses
 * it is cut short at the limit; one that starts at or past it fails.
 */
static int rpf_write_limits(struct file *file, loff_t pos, size_t *count)
{
	loff_t limit = rlimit(RLIMIT_FSIZE);
	loff_t max = max_size;

	if (limit != RLIM_INFINITY) {
		if (pos >= limit) {
			send_sig(SIGXFSZ, current, 0);
			return -EFBIG;
		}
		*count = min_t(loff_t, *count, limit - pos);
	}
	if (!(file->f_flags & O_LARGEFILE))
		max = min_t(loff_t, max, MAX_NON_LFS);
	if (pos >= max)
		return -EFBIG;
	*count = min_t(loff_t, *count, max - pos);
	return 0;
}

static ssize_t rpf_write(struct file *file, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct inode *inode = file_inode(file);
	struct rpf *rpf = rpf_of(inode);
	struct rpf_store *st = &rpf->st;
	loff_t pos, old_size;
	ssize_t ret;

	if (!count)
		return 0;
	if (!access_ok(buf, count))	/* vfs_write() checked; we rely on it */
		return -EFAULT;
	if (down_write_killable(&st->lock))
		return -EINTR;

	old_size = st->size;
	pos = (file->f_flags & O_APPEND) ? st->size : *ppos;
	ret = rpf_write_limits(file, pos, &count);
	if (!ret)
		ret = rpf_store_write(st, buf, count, pos);
	if (ret > 0) {
		if (st->size != old_size)
			rpf_publish_size(rpf, inode);
		kc_inode_set_mtime_ctime_now(inode);
		*ppos = pos + ret;
	}
	up_write(&st->lock);
	return ret;
}

static ssize_t rpf_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct rpf_store *st = &rpf_of(file_inode(iocb->ki_filp))->st;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	if (down_read_killable(&st->lock))
		return -EINTR;
	ret = rpf_store_read(st, iocb->ki_pos, to);
	if (ret > 0)
		iocb->ki_pos += ret;
	up_read(&st->lock);
	return ret;
}

static loff_t rpf_lseek(struct file *file, loff_t offset, int whence)
{
	struct rpf_store *st = &rpf_of(file_inode(file))->st;
	loff_t ret;

	if (down_read_killable(&st->lock))
		return -EINTR;
	switch (whence) {
	case SEEK_DATA:
	case SEEK_HOLE:
		ret = rpf_store_seek_data_hole(st, offset, whence);
		if (ret >= 0)
			ret = vfs_setpos(file, ret, MAX_LFS_FILESIZE);
		break;
	default:
		ret = generic_file_llseek_size(file, offset, whence,
					       MAX_LFS_FILESIZE, st->size);
		break;
	}
	up_read(&st->lock);
	return ret;
}

/*
 * The first open makes rpf_fops from the operations procfs gave it
 * (under st->lock, before the open has changed anything).
 */
static int rpf_make_fops(struct file *file)
{
	struct file_operations *const fops = rpf_fops ? NULL :
		kmemdup(file->f_op, sizeof(*file->f_op), GFP_KERNEL);

	if (rpf_fops)
		return 0;
	if (!fops)
		return -ENOMEM;
	fops->fsync = noop_fsync;	/* RAM: nothing to flush */
	rpf_procfs_fops = file->f_op;
	rpf_fops = fops;
	return 0;
}

/*
 * Give an opening file rpf_fops in place of procfs's operations (under
 * st->lock, before the file is installed anywhere).  The owner of both is
 * NULL (procfs is built in), so no module reference is taken or dropped.
 * A file whose operations are not the ones the first open saw keeps its
 * own (no fsync): that would be a change in procfs.
 */
static void rpf_use_fops(struct file *file)
{
	if (WARN_ON_ONCE(file->f_op != rpf_procfs_fops || rpf_fops->owner))
		return;
	replace_fops(file, rpf_fops);
	rpf_fops_users++;
}

static int rpf_open(struct inode *inode, struct file *file)
{
	struct rpf *rpf = rpf_of(inode);
	struct rpf_store *st = &rpf->st;
	int ret;

	/* before O_TRUNC: an open refused later must not have emptied it */
	ret = kc_odirect_as_tmpfs(file);
	if (ret)
		return ret;
	if (down_write_killable(&st->lock))
		return -EINTR;
	ret = rpf_make_fops(file);
	if (!ret && !(file->f_flags & O_LARGEFILE) && st->size > MAX_NON_LFS)
		ret = -EOVERFLOW;	/* as generic_file_open() */
	if (!ret && (file->f_flags & O_TRUNC))
		rpf_store_free_all(st);
	/* also refreshes an inode that another mount of /proc left stale */
	rpf_publish_size(rpf, inode);
	if (!ret)
		rpf_use_fops(file);
	up_write(&st->lock);
	return ret;
}

/*
 * procfs calls this once per open file: at its last close, in the task
 * that runs __fput() and reads f_op after us, or at unload for the files
 * still open then, from rmmod's task.  Only in the first case may the
 * operations change back: at unload, a file whose last close is under way
 * in another task has a count of 0 too, and that __fput() reads f_op
 * meanwhile (KCSAN saw it).  So once the unload has begun, no file's
 * operations change: they keep rpf_fops, and rpf_exit() leaves the table
 * to them.
 */
static int rpf_release(struct inode *inode, struct file *file)
{
	struct rpf_store *st = &rpf_of(inode)->st;

	down_write(&st->lock);
	if (!rpf_unloading && file->f_op == rpf_fops && !file_count(file)) {
		file->f_op = rpf_procfs_fops;
		rpf_fops_users--;
	}
	up_write(&st->lock);
	return 0;
}

/* No mmap: say so as for any file that cannot be mapped. */
static int rpf_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

static const struct proc_ops rpf_proc_ops = {
	.proc_open	= rpf_open,
	.proc_release	= rpf_release,
	.proc_read_iter	= rpf_read_iter,
	.proc_write	= rpf_write,
	.proc_lseek	= rpf_lseek,
	.proc_mmap	= rpf_mmap,
};

/* /proc/rust-proc-file-info: the module's version and the store's state */
static int rpf_info_show(struct seq_file *m, void *v)
{
	struct rpf_store *st = &((struct rpf *)m->private)->st;

	if (down_read_killable(&st->lock))
		return -EINTR;
	seq_printf(m, "version: %s\nsize: %lld\npages: %lu\nmax_size: %llu\n",
		   RPF_VERSION, st->size, st->nr_pages, max_size);
	up_read(&st->lock);
	return 0;
}

static int __init rpf_init(void)
{
	struct rpf_store *st = &rpf_file.st;

	if (!max_size || max_size > MAX_LFS_FILESIZE) {
		pr_err("max_size=%llu is out of range 1-%lld\n",
		       max_size, (long long)MAX_LFS_FILESIZE);
		return -EINVAL;
	}

	rpf_store_init(st);
	rpf_file.info = proc_create_single_data(RPF_INFO, 0444, NULL,
						rpf_info_show, &rpf_file);
	if (!rpf_file.info) {
		pr_err("cannot create /proc/%s\n", RPF_INFO);
		return -ENOMEM;
	}
	/*
	 * Last, because through it users create state (pages): once it is
	 * there nothing may fail.  It can be opened before proc_create_data()
	 * returns; the lock makes such an open wait until rpf_file.pde is set.
	 */
	down_write(&st->lock);
	rpf_file.pde = proc_create_data(RPF_NAME, RPF_MODE, NULL,
					&rpf_proc_ops, &rpf_file);
	up_write(&st->lock);
	if (!rpf_file.pde) {
		pr_err("cannot create /proc/%s\n", RPF_NAME);
		proc_remove(rpf_file.info);
		return -ENOMEM;
	}
	pr_info("Loaded /proc/%s\n", RPF_NAME);
	return 0;
}

static void __exit rpf_exit(void)
{
	struct rpf_store *st = &rpf_file.st;
	unsigned long n;

	/*
	 * The file first, the reverse of init.  Each proc_remove() waits for
	 * the callers inside that entry's operations; none can enter after.
	 */
	down_write(&st->lock);
	rpf_unloading = true;
	up_write(&st->lock);
	proc_remove(rpf_file.pde);
	proc_remove(rpf_file.info);
	down_write(&st->lock);	/* uncontended: for the store's lockdep check */
	n = rpf_store_free_all(st);
	if (rpf_fops_users)
		/* open files still point at it: theirs now (rpf_fops) */
		kmemleak_not_leak(rpf_fops);
	else
		kfree(rpf_fops);
	up_write(&st->lock);
	pr_info("Removed /proc/%s (%lu pages freed)\n", RPF_NAME, n);
}

module_init(rpf_init);
module_exit(rpf_exit);

MODULE_DESCRIPTION("Rust proc ram file example");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RPF_VERSION);
