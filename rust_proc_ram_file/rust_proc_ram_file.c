// SPDX-License-Identifier: GPL-2.0
/*
 * rust_proc_ram_file - /proc/rust-proc-file, a regular file held in RAM
 *
 * The C counterpart of the course's Rust module (seed 003), grown into a
 * file that behaves as one on tmpfs does: reads and writes at any offset,
 * holes that read as zeros and cost nothing, SEEK_DATA/SEEK_HOLE,
 * O_APPEND, O_TRUNC, and a size that stat() shows.
 *
 * Storage: an xarray of pages indexed by page number.  A page exists only
 * where something was written, so holes take no memory, and every
 * operation touches only the pages it covers.  Pages and xarray nodes are
 * allocated with GFP_KERNEL_ACCOUNT: they are charged to the memory cgroup
 * of the task that writes them.
 *
 * Locking: st->lock, an rw_semaphore, protects the page array, the size
 * and the page count.  Readers hold it shared and writers exclusively for
 * the whole call, user copies included, so a read never sees half of a
 * concurrent write, and an O_APPEND write finds the end of the file and
 * writes there atomically.  Nothing that could call back into this file
 * runs under the lock (there is no mmap, so a faulting user buffer cannot
 * be backed by our own pages).
 *
 * Lifetime: procfs counts the callers inside our proc_ops; proc_remove()
 * at unload waits for them and makes later calls on old file descriptors
 * fail (EIO for read and write), and new opens get ENOENT.  After that
 * nothing can reach the store, and it is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include "kmod_compat.h"

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

struct rpf_store {
	struct rw_semaphore lock;	/* protects everything below */
	struct xarray pages;		/* page index -> struct page */
	loff_t size;
	unsigned long nr_pages;
	struct proc_dir_entry *pde;	/* set under lock before any op */
	struct proc_dir_entry *info;
};

static struct rpf_store rpf_store;

static struct rpf_store *rpf_of(struct file *file)
{
	return pde_data(file_inode(file));
}

/* Make stat() show the new size: this file's inode and later ones. */
static void rpf_publish_size(struct rpf_store *st, struct inode *inode)
{
	i_size_write(inode, st->size);
	proc_set_size(st->pde, st->size);
}

/* Free every page; returns how many there were.  Caller excludes others. */
static unsigned long rpf_free_pages(struct rpf_store *st)
{
	unsigned long n = st->nr_pages;
	struct page *page;
	unsigned long idx;

	xa_for_each(&st->pages, idx, page)
		__free_page(page);
	xa_destroy(&st->pages);
	st->nr_pages = 0;
	return n;
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

/*
 * Copy COUNT bytes from BUF into the store at POS.  Returns how many were
 * copied, or -errno if none were.  Called with st->lock held for writing.
 */
static ssize_t rpf_store_write(struct rpf_store *st, const char __user *buf,
			       size_t count, loff_t pos)
{
	size_t done = 0;
	int err = 0;

	while (done < count) {
		pgoff_t idx = pos >> PAGE_SHIFT;
		size_t off = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = xa_load(&st->pages, idx);
		bool fresh = !page;
		size_t left;
		void *kaddr;

		if (fresh) {
			page = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!page) {
				err = -ENOMEM;
				break;
			}
			if (n < PAGE_SIZE)
				clear_highpage(page);
		}

		/*
		 * Not copy_from_user(): on a fault it zeroes what it could
		 * not copy, which here would be file data.  The caller has
		 * checked access_ok().
		 */
		kaddr = kmap_local_page(page);
		left = __copy_from_user(kaddr + off, buf + done, n);
		kunmap_local(kaddr);

		if (fresh) {
			if (left == n) {
				__free_page(page);
				err = -EFAULT;
				break;
			}
			if (left)	/* keep the page as tmpfs would: zeros */
				memzero_page(page, off + n - left, left);
			err = xa_err(xa_store(&st->pages, idx, page,
					      GFP_KERNEL_ACCOUNT));
			if (err) {
				__free_page(page);
				break;
			}
			st->nr_pages++;
		}
		done += n - left;
		pos += n - left;
		if (left) {
			err = -EFAULT;
			break;
		}
	}
	return done ? done : err;
}

static ssize_t rpf_write(struct file *file, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct rpf_store *st = rpf_of(file);
	struct inode *inode = file_inode(file);
	ssize_t ret;
	loff_t pos;

	if (!count)
		return 0;
	if (!access_ok(buf, count))	/* vfs_write() checked; we rely on it */
		return -EFAULT;
	if (down_write_killable(&st->lock))
		return -EINTR;

	pos = (file->f_flags & O_APPEND) ? st->size : *ppos;
	ret = rpf_write_limits(file, pos, &count);
	if (!ret)
		ret = rpf_store_write(st, buf, count, pos);
	if (ret > 0) {
		pos += ret;
		if (pos > st->size) {
			st->size = pos;
			rpf_publish_size(st, inode);
		}
		kc_inode_set_mtime_ctime_now(inode);
		*ppos = pos;
	}
	up_write(&st->lock);
	return ret;
}

static ssize_t rpf_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct rpf_store *st = rpf_of(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	size_t done = 0, count;
	ssize_t ret = 0;

	if (!iov_iter_count(to))
		return 0;
	if (down_read_killable(&st->lock))
		return -EINTR;

	if (pos >= st->size)
		goto out;
	count = min_t(loff_t, iov_iter_count(to), st->size - pos);
	while (done < count) {
		size_t off = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = xa_load(&st->pages, pos >> PAGE_SHIFT);
		size_t copied;

		if (page) {
			/*
			 * Not copy_page_to_iter(): for a pipe (splice,
			 * sendfile) 6.1 would pass a reference to our page,
			 * which the pipe then refuses for having no mapping.
			 */
			void *kaddr = kmap_local_page(page);

			copied = copy_to_iter(kaddr + off, n, to);
			kunmap_local(kaddr);
		} else {
			copied = iov_iter_zero(n, to);
		}
		done += copied;
		pos += copied;
		if (copied < n)
			break;
	}
	iocb->ki_pos = pos;
	ret = done ? done : -EFAULT;
out:
	up_read(&st->lock);
	return ret;
}

/*
 * SEEK_DATA and SEEK_HOLE as tmpfs answers them: a page that exists is
 * data up to the end of the file, a page that does not is a hole, and
 * there is an implicit hole at the end of the file.
 */
static loff_t rpf_seek_data_hole(struct rpf_store *st, loff_t offset,
				 int whence)
{
	pgoff_t idx = offset >> PAGE_SHIFT, last;
	loff_t pos;

	if (offset >= st->size)
		return -ENXIO;
	last = (st->size - 1) >> PAGE_SHIFT;

	if (whence == SEEK_DATA) {
		if (!xa_find(&st->pages, &idx, last, XA_PRESENT))
			return -ENXIO;
		pos = (loff_t)idx << PAGE_SHIFT;
		return max(pos, offset);
	}

	if (!xa_load(&st->pages, idx))
		return offset;
	while (idx < last && xa_load(&st->pages, idx + 1))
		idx++;
	pos = ((loff_t)idx + 1) << PAGE_SHIFT;
	return min(pos, st->size);
}

static loff_t rpf_lseek(struct file *file, loff_t offset, int whence)
{
	struct rpf_store *st = rpf_of(file);
	loff_t ret;

	if (down_read_killable(&st->lock))
		return -EINTR;
	switch (whence) {
	case SEEK_DATA:
	case SEEK_HOLE:
		ret = offset < 0 ? -ENXIO :
		      rpf_seek_data_hole(st, offset, whence);
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

static int rpf_open(struct inode *inode, struct file *file)
{
	struct rpf_store *st = pde_data(inode);
	int ret = 0;

	if (down_write_killable(&st->lock))
		return -EINTR;
	if (!(file->f_flags & O_LARGEFILE) && st->size > MAX_NON_LFS) {
		ret = -EOVERFLOW;	/* as generic_file_open() */
	} else if (file->f_flags & O_TRUNC) {
		rpf_free_pages(st);
		st->size = 0;
	}
	/* also refreshes an inode that another mount of /proc left stale */
	rpf_publish_size(st, inode);
	up_write(&st->lock);
	return ret;
}

/* No mmap: say so as for any file that cannot be mapped. */
static int rpf_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

static const struct proc_ops rpf_proc_ops = {
	.proc_open	= rpf_open,
	.proc_read_iter	= rpf_read_iter,
	.proc_write	= rpf_write,
	.proc_lseek	= rpf_lseek,
	.proc_mmap	= rpf_mmap,
};

/* /proc/rust-proc-file-info: the module's version and the store's state */
static int rpf_info_show(struct seq_file *m, void *v)
{
	struct rpf_store *st = m->private;

	if (down_read_killable(&st->lock))
		return -EINTR;
	seq_printf(m, "version: %s\nsize: %lld\npages: %lu\nmax_size: %llu\n",
		   RPF_VERSION, st->size, st->nr_pages, max_size);
	up_read(&st->lock);
	return 0;
}

static int __init rpf_init(void)
{
	struct rpf_store *st = &rpf_store;

	if (!max_size || max_size > MAX_LFS_FILESIZE) {
		pr_err("max_size=%llu is out of range 1-%lld\n",
		       max_size, (long long)MAX_LFS_FILESIZE);
		return -EINVAL;
	}

	init_rwsem(&st->lock);
	xa_init(&st->pages);
	st->size = 0;
	st->nr_pages = 0;
	/*
	 * The file can be opened before proc_create_data() returns; the
	 * lock makes such an open wait until st->pde is set.
	 */
	down_write(&st->lock);
	st->pde = proc_create_data(RPF_NAME, RPF_MODE, NULL, &rpf_proc_ops, st);
	up_write(&st->lock);
	if (!st->pde) {
		pr_err("cannot create /proc/%s\n", RPF_NAME);
		return -ENOMEM;
	}
	st->info = proc_create_single_data(RPF_INFO, 0444, NULL,
					   rpf_info_show, st);
	if (!st->info) {
		pr_err("cannot create /proc/%s\n", RPF_INFO);
		proc_remove(st->pde);
		return -ENOMEM;
	}
	pr_info("Loaded /proc/%s\n", RPF_NAME);
	return 0;
}

static void __exit rpf_exit(void)
{
	struct rpf_store *st = &rpf_store;
	unsigned long n;

	/* waits for callers inside our proc_ops; none can enter after it */
	proc_remove(st->info);
	proc_remove(st->pde);
	n = rpf_free_pages(st);
	pr_info("Removed /proc/%s (%lu pages freed)\n", RPF_NAME, n);
}

module_init(rpf_init);
module_exit(rpf_exit);

MODULE_DESCRIPTION("rust_proc_ram_file - /proc/rust-proc-file, a regular file in RAM");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(RPF_VERSION);
