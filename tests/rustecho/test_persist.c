// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustecho.ko's state file (persist_path): a round trip
 * across rmmod/insmod, the file's format, and every kind of bad file,
 * each of which must be reported and leave every buffer empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "rustecho_test.h"

#define DIR_ "/tmp/rustecho-persist"
#define STATE DIR_ "/state"
#define TMP STATE ".tmp"
#define PARAMS "persist_path=" STATE
#define EMPTY "; starting with empty buffers"

static ssize_t slurp(const char *path, unsigned char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size &&
	       (n = read(fd, buf + total, size - total)) > 0)
		total += n;
	close(fd);
	return total;
}

static bool all_empty(unsigned int n)
{
	char path[32];
	unsigned int i;

	if (n == 1)
		return holds(DEV, "");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/dev/rustecho%u", i);
		if (!holds(path, ""))
			return false;
	}
	return true;
}

/*
 * Load with PARAMS (and the state file as it is now): the module must load,
 * report WHY in dmesg and start with N empty buffers.  Unloads again, and
 * removes what the unload saved.
 */
static void refused(const char *params, unsigned int n, const char *why,
		    const char *what)
{
	int k = kmsg_open();
	char want[512], *log;
	int ret;

	mod_ensure_unloaded(MOD);
	ret = mod_load(MOD, params);
	log = kmsg_collect(k);
	snprintf(want, sizeof(want), "rustecho: %s: %s%s", STATE, why, EMPTY);
	ok(ret == 0 && log_count(log, want) == 1 && all_empty(n),
	   "%s: loads, says \"%s\", buffers empty", what, why);
	if (!log_has(log, want))
		diag("log was:\n%s", log ? log : "(none)");
	free(log);
	close(k);
	if (ret == 0)
		unload_or_bail();
	unlink(STATE);
}

static void test_missing(void)
{
	int k = kmsg_open();
	char *log;

	unlink(STATE);
	unlink(TMP);
	load_or_bail(PARAMS);
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: " STATE ": no saved state, starting with empty buffers"),
	       1, "missing file: reported, loads empty");
	ok(log_count(log, "rustecho: module loaded") == 1 && holds(DEV, ""),
	   "the module is loaded and the buffer empty");
	free(log);
	close(k);
	unload_or_bail();
	unlink(STATE);
}

static unsigned char img[1 << 21];	/* a saved state file */
static ssize_t img_len;

static void test_round_trip(void)
{
	struct rustecho_state_hdr h;
	unsigned char *bin = malloc(1 << 20);
	char *back = malloc((1 << 20) + 1);
	struct stat st;
	uint32_t crc;
	char *log;
	int k, i;

	if (!bin || !back)
		bail_out("malloc");
	for (i = 0; i < 1 << 20; i++)
		bin[i] = (unsigned char)(i * 7 + (i >> 9));

	load_or_bail("instances=3 " PARAMS);
	is_int(put_str("/dev/rustecho0", "alpha\n"), 6, "write alpha to rustecho0");
	is_int(put("/dev/rustecho2", bin, 1 << 20), 1 << 20,
	       "write 1 MiB of binary data to rustecho2; rustecho1 stays empty");
	k = kmsg_open();
	unload_or_bail();
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: " STATE ": saved 3 buffers, 1048582 bytes"),
	       1, "unload: dmesg says the 3 buffers were saved");
	free(log);
	close(k);
	ok(stat(STATE, &st) == 0 && S_ISREG(st.st_mode) &&
	   (st.st_mode & 0777) == 0600, "the state file exists, mode 0600");
	ok(access(TMP, F_OK) == -1 && errno == ENOENT, "no temporary file is left");

	img_len = slurp(STATE, img, sizeof(img));
	is_int(img_len, sizeof(h) + 3 * 8 + 6 + (1 << 20), "the file's size");
	memcpy(&h, img, sizeof(h));
	ok(!memcmp(h.magic, "RUSTECHO", 8) && h.version == 1 && h.count == 3 &&
	   h.payload == (uint64_t)img_len - sizeof(h) && h.reserved == 0,
	   "header: magic RUSTECHO, version 1, 3 buffers, payload size");
	crc = h.crc;
	memset(img + offsetof(struct rustecho_state_hdr, crc), 0, 4);
	is_int(crc32_ieee(0, img, img_len), crc, "the CRC-32 matches (zlib's)");
	memcpy(img + offsetof(struct rustecho_state_hdr, crc), &crc, 4);

	k = kmsg_open();
	load_or_bail("instances=3 " PARAMS);
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: " STATE ": restored 3 buffers, 1048582 bytes"),
	       1, "load: dmesg says the 3 buffers were restored");
	free(log);
	close(k);
	ok(holds("/dev/rustecho0", "alpha\n"), "rustecho0 holds alpha again");
	ok(holds("/dev/rustecho1", ""), "rustecho1 is empty again");
	ok(cat("/dev/rustecho2", back, (1 << 20) + 1) == 1 << 20 &&
	   !memcmp(back, bin, 1 << 20), "rustecho2 holds the same 1 MiB");
	is_int(put_str("/dev/rustecho1", "beta\n"), 5, "write beta to rustecho1");
	unload_or_bail();
	load_or_bail("instances=3 " PARAMS);
	ok(holds("/dev/rustecho0", "alpha\n") && holds("/dev/rustecho1", "beta\n"),
	   "a second round trip keeps both");
	unload_or_bail();
	unlink(STATE);
	free(bin);
	free(back);
}

/* a small valid image: instances=2, "hi\n" and "" */
static void small_image(void)
{
	load_or_bail("instances=2 " PARAMS);
	put_str("/dev/rustecho0", "hi\n");
	unload_or_bail();
	img_len = slurp(STATE, img, sizeof(img));
	if (img_len != (ssize_t)sizeof(struct rustecho_state_hdr) + 16 + 3)
		bail_out("unexpected state file size %zd", img_len);
}

static void test_truncated(void)
{
	char why[128];
	ssize_t len;
	int good = 0, loaded = 0;

	small_image();
	spill(STATE, img, 0, 0600);
	refused("instances=2 " PARAMS, 2,
		"truncated: 0 bytes, shorter than the header", "empty file");
	spill(STATE, img, 31, 0600);
	refused("instances=2 " PARAMS, 2,
		"truncated: 31 bytes, shorter than the header", "31-byte file");
	spill(STATE, img, img_len - 1, 0600);
	snprintf(why, sizeof(why), "truncated: %zd bytes, the header says %zd",
		 img_len - 1, img_len);
	refused("instances=2 " PARAMS, 2, why, "last byte missing");

	/* a save cut short anywhere is never accepted */
	for (len = 0; len < img_len; len++) {
		int k = kmsg_open();
		char *log;

		spill(STATE, img, len, 0600);
		mod_ensure_unloaded(MOD);
		if (mod_load(MOD, "instances=2 " PARAMS) == 0) {
			loaded++;
			log = kmsg_collect(k);
			good += log_has(log, EMPTY "\n") &&
				!log_has(log, "restored") && all_empty(2);
			free(log);
			mod_unload(MOD);
		}
		close(k);
	}
	is_int(loaded, img_len, "every truncation of the file (0..%zd bytes) loads",
	       img_len - 1);
	is_int(good, img_len, "and every one is refused, all buffers empty");
	unlink(STATE);
}

static void test_corrupt(void)
{
	unsigned char bad[256];
	size_t hs = sizeof(struct rustecho_state_hdr);
	char why[128];

	small_image();

	memcpy(bad, img, img_len);
	bad[0] = 'X';
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2,
		"not a rustecho state file (bad magic)", "bad magic");

	memcpy(bad, img, img_len);
	bad[8] = 2;
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2,
		"unsupported version 2 (this module reads 1)", "version 2");

	memcpy(bad, img, img_len);
	bad[hs + 8 + 1] ^= 0x20;		/* "hi\n" -> "hI\n" */
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: checksum mismatch",
		"a flipped data bit");

	memcpy(bad, img, img_len);
	bad[offsetof(struct rustecho_state_hdr, crc)] ^= 1;
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: checksum mismatch",
		"a flipped checksum bit");

	memcpy(bad, img, img_len);
	bad[offsetof(struct rustecho_state_hdr, reserved)] = 1;
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: checksum mismatch",
		"a changed reserved field");

	memcpy(bad, img, img_len);
	bad[img_len] = 0;
	spill(STATE, bad, img_len + 1, 0600);
	snprintf(why, sizeof(why), "corrupt: %zd bytes, the header says %zd",
		 img_len + 1, img_len);
	refused("instances=2 " PARAMS, 2, why, "a byte appended");

	/* well-formed (valid CRC) but inconsistent inside */
	memcpy(bad, img, img_len);
	bad[hs] = 20;				/* record 0 claims 20 bytes */
	fix_crc(bad, img_len);
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: record 0 runs past the end",
		"a record longer than the file, valid CRC");

	memcpy(bad, img, img_len);
	bad[hs] = 1;				/* "h", then 8 bytes of "i\n..." */
	fix_crc(bad, img_len);
	spill(STATE, bad, img_len, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: record 1 runs past the end",
		"record lengths that do not add up, valid CRC");

	memcpy(bad, img, img_len);
	memcpy(bad + img_len, "zz", 2);		/* 2 more payload bytes */
	bad[16] += 2;
	fix_crc(bad, img_len + 2);
	spill(STATE, bad, img_len + 2, 0600);
	refused("instances=2 " PARAMS, 2, "corrupt: 2 bytes after the last record",
		"bytes after the last record, valid CRC");

	/* a sound file that does not fit this load */
	spill(STATE, img, img_len, 0600);
	refused("instances=1 " PARAMS, 1, "holds 2 buffers, but instances=1",
		"saved by 2 instances, loaded with 1");
	spill(STATE, img, img_len, 0600);
	refused("instances=2 max_size=2 " PARAMS, 2,
		"buffer 0 holds 3 bytes, more than max_size=2",
		"over capacity (3 bytes, max_size=2)");
	spill(STATE, img, img_len, 0600);
	{
		int k = kmsg_open();
		char *log;

		load_or_bail("instances=2 max_size=3 " PARAMS);
		log = kmsg_collect(k);
		ok(log_has(log, "restored 2 buffers, 3 bytes") &&
		   holds("/dev/rustecho0", "hi\n"),
		   "exactly at capacity (3 bytes, max_size=3): restored");
		free(log);
		close(k);
		unload_or_bail();
	}

	unlink(STATE);
	if (mkdir(STATE, 0700))
		bail_out("mkdir %s: %s", STATE, strerror(errno));
	{
		int k = kmsg_open();
		char *log;

		load_or_bail("instances=2 " PARAMS);
		log = kmsg_collect(k);
		ok(log_has(log, "rustecho: " STATE ": not a regular file" EMPTY) &&
		   all_empty(2), "a directory at persist_path: refused");
		free(log);
		close(k);
		k = kmsg_open();
		unload_or_bail();
		log = kmsg_collect(k);
		ok(log_has(log, "rustecho: " STATE ": cannot save the buffers (error -21), the file is unchanged"),
		   "and the save at unload fails cleanly (EISDIR)");
		free(log);
		close(k);
		rmdir(STATE);
	}
}

/* Saving goes through STATE.tmp; a leftover temporary file is ignored. */
static void test_save_is_atomic(void)
{
	unsigned char now[256];
	struct stat st;
	int k;
	char *log;

	small_image();

	/* a complete file left at the temporary name is never read */
	unlink(STATE);
	spill(TMP, img, img_len, 0600);
	k = kmsg_open();
	load_or_bail("instances=2 " PARAMS);
	log = kmsg_collect(k);
	ok(log_has(log, "no saved state") && all_empty(2),
	   "a leftover " TMP " is not loaded");
	free(log);
	close(k);
	unload_or_bail();
	ok(access(TMP, F_OK) == -1, "the next save replaces it and renames it away");

	/* when the temporary file cannot be written, the old file stays */
	spill(STATE, img, img_len, 0600);
	load_or_bail("instances=2 " PARAMS);
	put_str("/dev/rustecho0", "a new state that will not be saved\n");
	if (mkdir(TMP, 0700))
		bail_out("mkdir %s: %s", TMP, strerror(errno));
	k = kmsg_open();
	unload_or_bail();
	log = kmsg_collect(k);
	ok(log_has(log, "rustecho: " STATE ": cannot save the buffers (error -21), the file is unchanged"),
	   "a directory at " TMP ": the save fails, dmesg says so");
	free(log);
	close(k);
	ok(slurp(STATE, now, sizeof(now)) == img_len && !memcmp(now, img, img_len),
	   "the old state file is intact");
	rmdir(TMP);

	/* a symlink at the temporary name is removed, never followed */
	if (symlink(DIR_ "/victim", TMP))
		bail_out("symlink: %s", strerror(errno));
	load_or_bail("instances=2 " PARAMS);
	put_str("/dev/rustecho0", "after the symlink\n");
	k = kmsg_open();
	unload_or_bail();
	log = kmsg_collect(k);
	ok(log_has(log, "rustecho: " STATE ": saved 2 buffers, 18 bytes") &&
	   stat(DIR_ "/victim", &st) == -1 && errno == ENOENT,
	   "a symlink at " TMP ": not followed, nothing written there, saved");
	free(log);
	close(k);
	ok(!lstat(STATE, &st) && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	   access(TMP, F_OK) == -1, "the state file is a new regular file");
	unlink(TMP);
	unlink(STATE);
}

int main(void)
{
	mkdir(DIR_, 0700);
	test_missing();
	test_round_trip();
	test_truncated();
	test_corrupt();
	test_save_is_atomic();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
