// SPDX-License-Identifier: GPL-2.0
/*
 * Files over 2 GiB (sparse: one page each), and the rules for opens
 * without O_LARGEFILE, compared with tmpfs.  TEST_ALSO_M32: the 32-bit
 * build is what can open without O_LARGEFILE (a 64-bit open always
 * gets it), and runs the compat system calls.  The open of a file over
 * 2 GiB without O_LARGEFILE gives EOVERFLOW on both kernels, as on
 * 6.12's tmpfs; 6.1's tmpfs lets it open (a documented difference).
 */
#include <sys/sendfile.h>
#include <sys/syscall.h>

#include "tap.h"
#include "guest.h"

#define MOD	"rust_proc_ram_file"
#define F	"/proc/rust-proc-file"
#define REF	"/tmp/rpf-large"
#define GIB	(1LL << 30)

static const char *const files[] = { F, REF };

/* open without adding O_LARGEFILE, whatever the C library would do */
static int raw_open(const char *path, int flags)
{
	return syscall(SYS_open, path, flags, 0666);
}

int main(void)
{
	long long r[2][4];
	bool m32 = sizeof(long) == 4;
	int i, ret;

	mod_ensure_unloaded(MOD);
	ret = mod_load(MOD, "max_size=4294967296");
	if (ret)
		bail_out("cannot load %s: %s", MOD, strerror(-ret));

	for (i = 0; i < 2; i++) {
		int fd = raw_open(files[i], O_RDWR | O_CREAT | O_TRUNC);

		/* a small file: a non-LFS open works, and stops at 2 GiB - 1 */
		r[i][0] = pwrite64(fd, "ab", 2, 2 * GIB - 2);
		r[i][1] = pwrite64(fd, "ab", 2, 2 * GIB - 1) < 0 ? -errno : 0;
		close(fd);
		fd = raw_open(files[i], O_RDWR | O_LARGEFILE);
		r[i][2] = pwrite64(fd, "x", 1, 3 * GIB);
		close(fd);
		/* now over 2 GiB: a non-LFS open fails */
		fd = raw_open(files[i], O_RDONLY);
		r[i][3] = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	if (m32) {
		is_int(r[0][0], 1, "non-LFS fd: a write across 2 GiB - 1 is cut short");
		is_int(r[0][1], -EFBIG, "non-LFS fd: a write at 2 GiB - 1 gives EFBIG");
		is_int(r[0][3], -EOVERFLOW, "non-LFS open of a file over 2 GiB: EOVERFLOW");
	} else {
		is_int(r[0][0], 2, "64-bit: a write across 2 GiB - 1");
		is_int(r[0][1], 0, "64-bit: a write at 2 GiB - 1");
		is_int(r[0][3], 0, "64-bit: opens always get O_LARGEFILE");
	}
	is_int(r[0][2], 1, "O_LARGEFILE: a byte at 3 GiB");
	/*
	 * tmpfs checks the size at open only since 6.6 (shmem_file_open()
	 * calls generic_file_open()); we do it on every kernel, as POSIX
	 * and 6.12's tmpfs do.
	 */
	diag("tmpfs: non-LFS open of a file over 2 GiB: %s",
	     r[1][3] ? strerror(-r[1][3]) : "opens");
	if (!ok(!memcmp(r[0], r[1], 3 * sizeof(r[0][0])),
		"writes as on tmpfs"))
		for (i = 0; i < 2; i++)
			diag("%s: %lld %lld %lld %lld", files[i], r[i][0],
			     r[i][1], r[i][2], r[i][3]);

	/*
	 * procfs's superblock limit, 2^31 - 1: sendfile refuses offsets past
	 * the smaller limit of its two files (a documented difference);
	 * splice and pread reach the byte at 3 GiB, as the README advises.
	 */
	if (!m32) {
		int fd = open(F, O_RDONLY), p[2];
		off_t off = 3 * GIB;
		loff_t loff = 3 * GIB;
		char c = 0;

		if (fd < 0 || pipe(p))
			bail_out("open/pipe: %s", strerror(errno));
		is_errno(sendfile(p[1], fd, &off, 1), EOVERFLOW,
			 "sendfile from the byte at 3 GiB: EOVERFLOW (procfs's 2 GiB - 1 limit)");
		is_int(splice(fd, &loff, p[1], NULL, 1, 0), 1,
		       "splice from it works");
		ok(read(p[0], &c, 1) == 1 && c == 'x', "and brings the byte");
		ok(pread(fd, &c, 1, 3 * GIB) == 1 && c == 'x', "so does pread");
		close(p[0]);
		close(p[1]);
		close(fd);
	}

	unlink(REF);
	is_int(mod_unload(MOD), 0, "unloads");
	return done_testing();
}
