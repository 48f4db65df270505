/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a small TAP producer for our in-guest tests
 *
 *	ok(cond, "what");		one test result
 *	is_int(got, want, "what");	integers; prints both on failure
 *	is_errno(ret, ERRNO, "what");	ret == -1 and errno == ERRNO
 *	skip("why", "what");		a skipped test
 *	diag("fmt", ...);		a "# " comment line
 *	return done_testing();		prints the plan, exit status
 *
 * Output is flushed after every line, so forked children and a crash
 * lose nothing that was printed.  A test that forks must report only from
 * one process.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failures;

static void tap_vline(int pass, const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		tap_failures++;
}

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		fflush(stdout);
	}
	return pass;
}

__attribute__((format(printf, 1, 2)))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) ({					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	int _p = tap_ok(_g == _w, __FILE__, __LINE__, __VA_ARGS__);	\
	if (!_p)							\
		diag("  got %lld, want %lld", _g, _w);			\
	_p;								\
})

#define is_errno(ret, err, ...) ({					\
	long long _r = (long long)(ret);				\
	int _e = errno;							\
	int _p = tap_ok(_r == -1 && _e == (err), __FILE__, __LINE__,	\
			__VA_ARGS__);					\
	if (!_p)							\
		diag("  got %lld (%s), want -1 (%s)", _r,		\
		     _r == -1 ? strerror(_e) : "no error", strerror(err)); \
	_p;								\
})

#define skip(why, ...) do {						\
	printf("ok %d - ", ++tap_count);				\
	printf(__VA_ARGS__);						\
	printf(" # SKIP %s\n", why);					\
	fflush(stdout);							\
} while (0)

/* A setup step a test cannot go on without. */
#define bail_out(...) do {						\
	printf("Bail out! ");						\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
	exit(2);							\
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failures ? 1 : 0;
}

#endif /* TESTS_TAP_H */
