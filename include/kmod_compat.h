/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility shims for the kernels we build against (Debian's 6.1 and
 * 6.12 series and our 6.12 debug kernel).  Every difference between those
 * kernels that our modules meet is handled here, so module code never
 * tests LINUX_VERSION_CODE itself.
 */
#ifndef KMOD_COMPAT_H
#define KMOD_COMPAT_H

#include <linux/compiler.h>
#include <linux/version.h>

/* (empty so far: rustqueue needs nothing that differs) */

#include <linux/fs.h>
#include <linux/mount.h>

/*
 * struct renamedata names the id mapping of the mount a rename happens on:
 * a struct user_namespace up to 6.2, a struct mnt_idmap since 6.3.
 * (rustecho: both ends of the rename are on the mount MNT.)
 */
static inline void kc_renamedata_set_mnt(struct renamedata *rd,
					 struct vfsmount *mnt)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	rd->old_mnt_idmap = mnt_idmap(mnt);
	rd->new_mnt_idmap = mnt_idmap(mnt);
#else
	rd->old_mnt_userns = mnt_user_ns(mnt);
	rd->new_mnt_userns = mnt_user_ns(mnt);
#endif
}

/*
 * Set an inode's mtime and ctime to now, as a write does: the timestamps
 * are fields up to 6.6 and private behind accessors since 6.7.
 * (rust_proc_ram_file)
 */
static inline void kc_inode_set_mtime_ctime_now(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
#else
	inode->i_mtime = current_time(inode);
	inode->i_ctime = inode->i_mtime;
#endif
}

#endif /* KMOD_COMPAT_H */
