/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility shims for the kernels we build against (Debian's 6.1 and
 * 6.12 series, sid's 7.x, and our debug kernels built from 7.x source).
 * Every difference between those kernels that our modules meet is handled
 * here, so module code never tests LINUX_VERSION_CODE itself.
 */
#ifndef KMOD_COMPAT_H
#define KMOD_COMPAT_H

#include <linux/compiler.h>
#include <linux/version.h>

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/timer.h>

/*
 * Typed allocation of one object, kzalloc_obj(*p, gfp): 7.0 added these
 * (and checkpatch asks for them over kzalloc(sizeof(*p), ...)).  Before,
 * the same thing spelled out; GFP is always given here.
 */
#ifndef kmalloc_obj
#define kmalloc_obj(P, GFP)	kmalloc(sizeof(P), GFP)
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

/*
 * Stop a timer for good, waiting for its function to finish (rustqueue's
 * re-wake timer, when a queue goes away).  6.2 added timer_shutdown_sync(),
 * which also keeps it from being armed again; before, del_timer_sync(),
 * with no user left to arm it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define kc_timer_shutdown_sync(T)	timer_shutdown_sync(T)
#else
#define kc_timer_shutdown_sync(T)	del_timer_sync(T)
#endif

/*
 * Renaming a file within its own directory, replacing what the target name
 * holds (rustecho's save).  kc_start_renaming() locks DIR, checks that OLD
 * (a dentry on MNT) is still a child of DIR, looks NAME up there and fills
 * RD for vfs_rename(); kc_end_renaming() undoes it.  Errors: -EINVAL if
 * OLD was moved or removed meanwhile, or what the lookup gave.
 *
 * What changed, by kernel version:
 *  - 6.3: struct renamedata's mount id mappings became struct mnt_idmap
 *    (before: struct user_namespace, old_/new_mnt_userns);
 *  - 6.16: lookup_one_len() became lookup_noperm(), which takes a qstr;
 *  - 6.17: struct renamedata holds the parent dentries (old_parent,
 *    new_parent; before: the parent inodes old_dir, new_dir) and one
 *    mnt_idmap for both ends (before: old_ and new_mnt_idmap);
 *  - 6.19: start_renaming_dentry()/end_renaming() do the locking, the
 *    lookup and the checks in one call, and since 7.1 they are the only
 *    way: lock_rename()/unlock_rename() are no longer exported.
 * Before 6.19 the same steps are spelt out with lock_rename().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
static inline int kc_start_renaming(struct renamedata *rd,
				    struct vfsmount *mnt, struct dentry *dir,
				    struct dentry *old, const char *name)
{
	struct qstr last = QSTR(name);

	*rd = (struct renamedata){
		.mnt_idmap = mnt_idmap(mnt),
		.old_parent = dir,
		.new_parent = dir,
	};
	return start_renaming_dentry(rd, 0, old, &last);
}

static inline void kc_end_renaming(struct renamedata *rd)
{
	end_renaming(rd);
}
#else
/* Look NAME up in DIR, which the caller has locked; no permission check. */
static inline struct dentry *kc_lookup_noperm(const char *name,
					      struct dentry *dir)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
	return lookup_noperm(&QSTR(name), dir);
#else
	return lookup_one_len(name, dir, strlen(name));
#endif
}

static inline int kc_start_renaming(struct renamedata *rd,
				    struct vfsmount *mnt, struct dentry *dir,
				    struct dentry *old, const char *name)
{
	struct dentry *new;

	lock_rename(dir, dir);
	if (old->d_parent != dir || d_unhashed(old)) {
		unlock_rename(dir, dir);
		return -EINVAL;
	}
	new = kc_lookup_noperm(name, dir);
	if (IS_ERR(new)) {
		unlock_rename(dir, dir);
		return PTR_ERR(new);
	}
	*rd = (struct renamedata){
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
		.mnt_idmap = mnt_idmap(mnt),
		.old_parent = dir,
		.new_parent = dir,
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
		.old_mnt_idmap = mnt_idmap(mnt),
		.new_mnt_idmap = mnt_idmap(mnt),
		.old_dir = d_inode(dir),
		.new_dir = d_inode(dir),
#else
		.old_mnt_userns = mnt_user_ns(mnt),
		.new_mnt_userns = mnt_user_ns(mnt),
		.old_dir = d_inode(dir),
		.new_dir = d_inode(dir),
#endif
		.old_dentry = old,
		.new_dentry = new,
	};
	return 0;
}

static inline void kc_end_renaming(struct renamedata *rd)
{
	struct dentry *dir = rd->old_dentry->d_parent;

	dput(rd->new_dentry);
	unlock_rename(dir, dir);
}
#endif

/*
 * Set an inode's mtime and ctime to now, as a write does: the timestamps
 * are fields up to 6.5; 6.6 put the ctime behind accessors, 6.7 the mtime.
 * (rust_proc_ram_file)
 */
static inline void kc_inode_set_mtime_ctime_now(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	/* 6.6 made i_ctime private (inode_set_ctime_current); i_mtime not yet */
	inode->i_mtime = inode_set_ctime_current(inode);
#else
	inode->i_mtime = current_time(inode);
	inode->i_ctime = inode->i_mtime;
#endif
}

/*
 * Remove NAME from the directory DIR as unlink(2) does, whatever it names
 * except a directory, without following or opening it (rustecho's save
 * clears the way for its temporary file).  Returns 0, -ENOENT if nothing
 * has that name, or vfs_unlink()'s error (-EISDIR for a directory).  The
 * caller holds write access to DIR's mount.  Since 6.19
 * start_removing_noperm()/end_removing() lock DIR and look NAME up; before,
 * the same is spelt out (with lookup_one_len() up to 6.15, see above).
 * vfs_unlink() takes the mount's struct mnt_idmap since 6.3, its
 * struct user_namespace before.
 */
static inline int kc_unlink_name(const struct path *dir, const char *name)
{
	struct inode *dinode = d_inode(dir->dentry);
	struct dentry *victim;
	int ret;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	struct qstr last = QSTR(name);

	victim = start_removing_noperm(dir->dentry, &last);
	if (IS_ERR(victim))
		return PTR_ERR(victim);
	ret = vfs_unlink(mnt_idmap(dir->mnt), dinode, victim, NULL);
	end_removing(victim);
#else
	inode_lock_nested(dinode, I_MUTEX_PARENT);
	victim = kc_lookup_noperm(name, dir->dentry);
	if (IS_ERR(victim)) {
		ret = PTR_ERR(victim);
	} else {
		if (d_really_is_negative(victim))
			ret = -ENOENT;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
		else
			ret = vfs_unlink(mnt_idmap(dir->mnt), dinode, victim,
					 NULL);
#else
		else
			ret = vfs_unlink(mnt_user_ns(dir->mnt), dinode, victim,
					 NULL);
#endif
		dput(victim);
	}
	inode_unlock(dinode);
#endif
	return ret;
}

/*
 * O_DIRECT on a file with no page cache, answered as tmpfs answers it
 * (rust_proc_ram_file): tmpfs accepts O_DIRECT opens since 6.6 ("trivial
 * support for direct IO": the I/O is the same as without it) and refuses
 * them before, with EINVAL.  To accept, an open sets FMODE_CAN_ODIRECT,
 * which the VFS checks after ->open() (and F_SETFL checks too).  To
 * refuse, the open fails itself, first: the VFS's own refusal would come
 * after ->open() had done its work (emptied the file for O_TRUNC).
 * Return: 0, or -EINVAL for an O_DIRECT open to refuse.
 */
static inline int kc_odirect_as_tmpfs(struct file *file)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	file->f_mode |= FMODE_CAN_ODIRECT;
	return 0;
#else
	return file->f_flags & O_DIRECT ? -EINVAL : 0;
#endif
}

/*
 * A module init that fails after registering a device, and has
 * unregistered it: wait until the opens that raced with it (refused, as
 * the load had not finished) have dropped their reference on the module.
 * The VFS drops it after ->open() returned, reading the file operations'
 * owner in our memory, which the failed load is about to free.  The
 * loader itself holds one reference until init returns.  Without
 * CONFIG_MODULE_UNLOAD modules keep no count (module_put() is empty and
 * reads nothing of ours): there is nothing to wait for.
 */
static inline void kc_wait_refused_opens(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	while (module_refcount(mod) > 1)
		msleep(20);
#endif
}

#endif /* KMOD_COMPAT_H */
