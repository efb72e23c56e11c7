/*
 * Small helpers: aborting allocators, string copies, clocks, constant-time
 * compare and random bytes. Any thread.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include <voicegate/util.h>

/* Out of memory: nothing sensible is left to do (tmux's rule). */
static void
vg_oom(size_t size)
{
	fprintf(stderr, "voicegate: out of memory allocating %zu bytes\n",
	    size);
	abort();
}

/* calloc that aborts on failure. */
void *
vg_xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		vg_oom(n * size);
	return (p);
}

/* malloc that aborts on failure. */
void *
vg_xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		vg_oom(size);
	return (p);
}

/* realloc that aborts on failure. */
void *
vg_xrealloc(void *p, size_t size)
{
	void *q;

	if ((q = realloc(p, size == 0 ? 1 : size)) == NULL)
		vg_oom(size);
	return (q);
}

/* strdup that aborts on failure. */
char *
vg_xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		vg_oom(strlen(s) + 1);
	return (p);
}

/* strndup that aborts on failure. */
char *
vg_xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		vg_oom(n + 1);
	return (p);
}

/* asprintf that aborts on failure. */
char *
vg_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n == -1)
		vg_oom(strlen(fmt));
	return (p);
}

/* Bounded, always-terminated copy. Returns strlen(SRC). */
size_t
vg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}

/* Monotonic nanoseconds. */
uint64_t
vg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

/* Monotonic milliseconds. */
uint64_t
vg_now_ms(void)
{
	return (vg_now_ns() / 1000000u);
}

/* Wall-clock milliseconds since the epoch. */
uint64_t
vg_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* Constant-time compare: the time taken depends on LEN only. */
int
vg_memcmp_const(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *pa = a, *pb = b;
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= pa[i] ^ pb[i];
	return (acc);
}

/* Random bytes from the kernel. */
int
vg_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}
