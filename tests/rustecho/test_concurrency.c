// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustecho.ko's reader/writer lock:
 *  - many readers race a writer that keeps replacing the buffer with
 *    versions of different content and length: every read() must return
 *    one whole version, never a mix of two;
 *  - with userfaultfd, a reader is parked inside its copy to user memory
 *    (holding the lock shared): a second reader still gets through, a
 *    writer has to wait, which is counted and logged as contention.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>

#include "rustecho_test.h"

#define READERS 4
#define VERSIONS 26
#define RUN_SECONDS 3

/* version v: VLEN(v) bytes of 'a' + v */
#define VLEN(v) (1000 + (v) * 2999)
#define VMAX VLEN(VERSIONS - 1)

static atomic_int stop;
static atomic_long reads_done, mixed, wrong_len, versions_seen_mask;

static void *reader(void *arg)
{
	char *buf = malloc(VMAX + 1);
	int fd = open(DEV, O_RDONLY);

	(void)arg;
	if (!buf || fd < 0)
		bail_out("reader setup: %s", strerror(errno));
	while (!atomic_load(&stop)) {
		ssize_t n = pread(fd, buf, VMAX + 1, 0), i;
		int v;

		if (n <= 0) {
			atomic_fetch_add(&wrong_len, 1);
			continue;
		}
		v = buf[0] - 'a';
		if (v < 0 || v >= VERSIONS || n != VLEN(v))
			atomic_fetch_add(&wrong_len, 1);
		for (i = 1; i < n; i++)
			if (buf[i] != buf[0]) {
				atomic_fetch_add(&mixed, 1);
				break;
			}
		if (v >= 0 && v < VERSIONS)
			atomic_fetch_or(&versions_seen_mask, 1L << v);
		atomic_fetch_add(&reads_done, 1);
	}
	close(fd);
	free(buf);
	return NULL;
}

static void test_readers_see_whole_versions(void)
{
	pthread_t th[READERS];
	char *ver = malloc(VMAX);
	long writes = 0, bad_writes = 0, lines;
	long long contentions;
	int fd, i, k, v = 0;
	time_t end;
	char *log;

	if (!ver)
		bail_out("malloc");
	load_or_bail("verbose=0");
	memset(ver, 'a', VLEN(0));
	if (put(DEV, ver, VLEN(0)) != VLEN(0))
		bail_out("first write: %s", strerror(errno));
	k = kmsg_open();
	for (i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	fd = open(DEV, O_WRONLY);
	end = time(NULL) + RUN_SECONDS;
	while (time(NULL) < end) {
		v = (v + 7) % VERSIONS;
		memset(ver, 'a' + v, VLEN(v));
		if (write(fd, ver, VLEN(v)) == VLEN(v))
			writes++;
		else
			bad_writes++;
	}
	close(fd);
	atomic_store(&stop, 1);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	log = kmsg_collect(k);

	diag("%ld writes, %ld reads, %lld contention events", writes,
	     atomic_load(&reads_done), stat_of("rustecho.lock_contentions"));
	ok(writes > 100 && bad_writes == 0, "the writer replaced the buffer %ld times",
	   writes);
	ok(atomic_load(&reads_done) > 100, "%d readers read it %ld times",
	   READERS, atomic_load(&reads_done));
	ok(__builtin_popcountl(atomic_load(&versions_seen_mask)) > 1,
	   "the readers saw %d different versions",
	   __builtin_popcountl(atomic_load(&versions_seen_mask)));
	is_int(atomic_load(&mixed), 0, "no read mixed bytes of two versions");
	is_int(atomic_load(&wrong_len), 0,
	       "every read returned the whole length of its version");

	contentions = stat_of("rustecho.lock_contentions");
	lines = 0;
	for (char *p = log; p && (p = strstr(p, "lock contention, a ")); p++)
		lines++;
	if (contentions > 20)
		ok(lines <= 20 && lines < contentions,
		   "contention is logged rate-limited: %ld lines for %lld events",
		   lines, contentions);
	else
		skip("too little contention in this run", "rate limit");
	free(log);
	free(ver);
	unload_or_bail();
}

/* ---- a reader parked in a page fault, with userfaultfd ---- */

struct park {
	char *dst;
	ssize_t ret;
	atomic_int done;
};

static void *parked_reader(void *arg)
{
	struct park *p = arg;
	int fd = open(DEV, O_RDONLY);

	p->ret = pread(fd, p->dst, 8192, 0);
	close(fd);
	atomic_store(&p->done, 1);
	return NULL;
}

static void *waiting_writer(void *arg)
{
	struct park *p = arg;
	char y[100];

	memset(y, 'Y', sizeof(y));
	p->ret = put(DEV, y, sizeof(y));
	atomic_store(&p->done, 1);
	return NULL;
}

static void test_parked_reader(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_copy copy;
	struct uffd_msg msg;
	struct park r = { 0 }, w = { 0 };
	pthread_t rt, wt;
	char x[8192], buf[8192];
	struct pollfd pfd;
	char *map, *src;
	int uffd, fd, i, k;
	ssize_t n;
	char *log;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		skip("no userfaultfd", "parked reader tests");
		return;
	}
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || src == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(map + page, 0, page);	/* only the first page will fault */
	memset(src, 0, page);
	reg.range.start = (unsigned long)map;
	reg.range.len = 2 * page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		bail_out("UFFDIO_REGISTER: %s", strerror(errno));

	load_or_bail(NULL);
	memset(x, 'X', sizeof(x));
	is_int(put(DEV, x, sizeof(x)), 8192, "write 8192 x X");

	k = kmsg_open();
	r.dst = map;
	pthread_create(&rt, NULL, parked_reader, &r);
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 10000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	   msg.event == UFFD_EVENT_PAGEFAULT,
	   "reader 1 is parked in a page fault inside read(), holding the lock");

	fd = open(DEV, O_RDONLY);
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	ok(n == 8192 && !memcmp(buf, x, 8192),
	   "reader 2 reads the whole buffer meanwhile: readers share the lock");
	is_int(stat_of("rustecho.lock_contentions"), 0, "without contention");

	pthread_create(&wt, NULL, waiting_writer, &w);
	for (i = 0; i < 1000 && stat_of("rustecho.lock_contentions") < 1; i++)
		usleep(10000);
	is_int(stat_of("rustecho.lock_contentions"), 1,
	       "a writer finds the lock taken: 1 contention event");
	usleep(200000);
	ok(!atomic_load(&w.done), "and waits for the reader");
	ok(!atomic_load(&r.done), "(reader 1 is still parked)");

	copy.dst = (unsigned long)map;
	copy.src = (unsigned long)src;
	copy.len = page;
	copy.mode = 0;
	ok(ioctl(uffd, UFFDIO_COPY, &copy) == 0, "resolve the page fault");
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	ok(r.ret == 8192 && !memcmp(map, x, 8192),
	   "reader 1 completes with the old version, all 8192 X");
	is_int(w.ret, 100, "then the writer completes");
	memset(buf, 'Y', 100);
	n = cat(DEV, x, sizeof(x));
	ok(n == 100 && !memcmp(x, buf, 100), "the buffer is the writer's 100 Y");
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: /dev/rustecho: lock contention, a writer waits (1 so far)"),
	       1, "dmesg: rustecho: /dev/rustecho: lock contention, a writer waits (1 so far)");
	free(log);
	close(k);
	unload_or_bail();
	munmap(map, 2 * page);
	munmap(src, page);
	close(uffd);
}

int main(void)
{
	test_readers_see_whole_versions();
	test_parked_reader();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
