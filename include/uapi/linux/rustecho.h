/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rustecho - a character device that echoes back what was last written
 *
 * User-space interface of rustecho.ko.  Every write() replaces the
 * device's buffer; read() streams the buffer from the file position and
 * leaves it in place, so every open sees the last write.  With the default
 * parameters there is one device, /dev/rustecho; with instances=N (N > 1)
 * there are /dev/rustecho0 ... /dev/rustecho<N-1>, each with its own
 * buffer.  /proc/rustecho reports statistics, one "key: value" a line.
 *
 * Errors:
 *   ENOSPC  write() of more than max_size bytes (the buffer is unchanged)
 *   EFAULT  write() from or read() into memory that faults; a faulting
 *           write leaves the buffer unchanged
 *   EPERM   open() for writing without CAP_SYS_ADMIN
 *   ENODEV  open() while the module is still loading
 *   EINVAL  lseek() outside 0..(current buffer length)
 */
#ifndef _UAPI_LINUX_RUSTECHO_H
#define _UAPI_LINUX_RUSTECHO_H

#include <linux/types.h>

/* Path of the device when the module runs a single instance. */
#define RUSTECHO_DEVICE			"/dev/rustecho"
/* Statistics */
#define RUSTECHO_PROC			"/proc/rustecho"

/* Default capacity in bytes (module parameter max_size): 1 MiB */
#define RUSTECHO_DEF_MAX_SIZE		(1U << 20)
/* Largest accepted max_size: 64 MiB */
#define RUSTECHO_LIMIT_MAX_SIZE		(64U << 20)
/* Largest accepted number of instances */
#define RUSTECHO_LIMIT_INSTANCES	64

/*
 * The state file (module parameter persist_path), all integers little
 * endian: a header, then hdr.count records, one per instance in minor
 * order, each a __le64 length followed by that many bytes of data.
 * hdr.payload is the size of everything after the header, hdr.crc the
 * CRC-32 (the zlib/IEEE 802.3 one) of the header with crc set to 0,
 * followed by the payload.
 */
#define RUSTECHO_STATE_MAGIC		"RUSTECHO"
#define RUSTECHO_STATE_VERSION		1

/**
 * struct rustecho_state_hdr - header of the state file
 * @magic: RUSTECHO_STATE_MAGIC, not NUL-terminated
 * @version: RUSTECHO_STATE_VERSION
 * @count: number of records that follow, one per instance
 * @payload: size in bytes of everything after the header
 * @crc: CRC-32 of the header with @crc set to 0, then the payload
 * @reserved: 0
 */
struct rustecho_state_hdr {
	__u8	magic[8];
	__le32	version;
	__le32	count;
	__le64	payload;
	__le32	crc;
	__le32	reserved;
};

#endif /* _UAPI_LINUX_RUSTECHO_H */
