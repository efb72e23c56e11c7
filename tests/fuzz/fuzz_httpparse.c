/*
 * Fuzz harness for the HTTP/1.1 parser (core/httpparse.c). The first input
 * byte, modulo 3, picks what the rest is: 0 ('0') a request head, 1 ('1') a
 * response head, 2 ('2') a chunked body. A head is parsed from a buffer of
 * the exact size (so ASan sees any overread) and what it gives is checked:
 * every string inside the head and NUL-terminated there, the bytes after
 * it untouched, nothing complete one byte early, the target split. A body
 * is decoded at once and again in pseudo-random pieces; both must agree.
 *
 * `make check` links this with tests/fuzz/replay.c, which replays every
 * file of the seed corpus (tests/fuzz/corpus/httpparse, or the folder in
 * argv[1]); an input passes when it is processed without a crash or a
 * broken property. For libFuzzer (clang only), from a configured build
 * tree (for config.h), SRC being the source tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -I. -I$SRC/include -I$SRC/core \
 *       $SRC/tests/fuzz/fuzz_httpparse.c $SRC/core/httpparse.c \
 *       -o fuzz_httpparse
 *   mkdir corpus-work
 *   ./fuzz_httpparse -max_len=4096 corpus-work/ \
 *       $SRC/tests/fuzz/corpus/httpparse
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of LEN bytes of DATA in a buffer of exactly that size. */
static char *
fuzz_copy(const uint8_t *data, size_t len)
{
	char *p;

	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(p, data, len);
	return (p);
}

/* Abort unless S is a string that starts and ends inside [BUF, BUF+LEN). */
static void
fuzz_inside(const char *s, const char *buf, size_t len)
{
	if (s == NULL || s < buf || s >= buf + len ||
	    memchr(s, '\0', buf + len - s) == NULL)
		abort();
}

/* Check what hp_split_target makes of TARGET. */
static void
fuzz_target(const char *target)
{
	char exact[8192], big[8192];
	const char *q, *q2, *p;
	size_t tlen = strlen(target), plen;
	int rc;

	if (tlen >= sizeof(exact))
		return;
	/* Decoding only shrinks: the target's own size always does. */
	rc = hp_split_target(target, exact, tlen + 1, &q);
	if (hp_split_target(target, big, sizeof(big), &q2) != rc)
		abort();
	if (rc == -1)
		return;
	if (strcmp(exact, big) != 0 || q != q2 || exact[0] != '/' ||
	    q < target || q > target + tlen)
		abort();
	plen = strlen(exact);
	for (p = exact; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
	if (strstr(exact, "/../") != NULL || strcmp(exact, "/..") == 0 ||
	    (plen >= 3 && strcmp(exact + plen - 3, "/..") == 0))
		abort();
	/* One byte short never fits. */
	if (hp_split_target(target, big, plen, &q2) != -1)
		abort();
}

/* Parse DATA as a head; check the result. */
static void
fuzz_head(const uint8_t *data, size_t size, int response)
{
	struct hp_head h;
	const char *why = NULL, *v;
	char *buf;
	size_t i;
	uint64_t n;
	int rc;

	buf = fuzz_copy(data, size);
	rc = hp_parse_head(buf, size, response, &h, &why);
	if (rc == 0) {
		if (memcmp(buf, data, size) != 0)
			abort();	/* incomplete must leave BUF alone */
		goto out;
	}
	if (rc == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		goto out;
	}
	if (rc != 1 || h.len == 0 || h.len > size ||
	    memcmp(buf + h.len, data + h.len, size - h.len) != 0 ||
	    h.nhdrs > HP_MAX_HEADERS || (h.minor != 0 && h.minor != 1))
		abort();
	if (response) {
		if (h.status < 100 || h.status > 599 || h.method != NULL)
			abort();
		fuzz_inside(h.reason, buf, h.len);
	} else {
		if (h.reason != NULL)
			abort();
		fuzz_inside(h.method, buf, h.len);
		fuzz_inside(h.target, buf, h.len);
		if (h.method[0] == '\0' || h.target[0] == '\0' ||
		    strpbrk(h.target, " \t\r\n") != NULL)
			abort();
		fuzz_target(h.target);
	}
	for (i = 0; i < h.nhdrs; i++) {
		fuzz_inside(h.hdrs[i].name, buf, h.len);
		fuzz_inside(h.hdrs[i].value, buf, h.len);
		v = h.hdrs[i].value;
		if (h.hdrs[i].name[0] == '\0' ||
		    strpbrk(h.hdrs[i].name, " \t:\r\n") != NULL ||
		    strpbrk(v, "\r\n") != NULL || v[0] == ' ' ||
		    v[0] == '\t' || (v[0] != '\0' &&
		    (v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t')))
			abort();
		if (hp_header(&h, h.hdrs[i].name) == NULL)
			abort();
		(void)hp_has_token(v, "upgrade");
		if (hp_content_length(v, &n) == 0 &&
		    n > 999999999999999999ULL)
			abort();
	}
	/* One byte less and the head is not complete. */
	memcpy(buf, data, size);
	if (hp_parse_head(buf, h.len - 1, response, &h, &why) != 0 ||
	    memcmp(buf, data, size) != 0)
		abort();
out:
	free(buf);
}

/* What one decoding of a chunked body gave. */
struct fuzz_dec {
	char		*out;
	size_t		 outlen;
	size_t		 used;
	int		 done;
	int		 rc;
	const char	*why;
};

/*
 * Decode DATA (SIZE bytes) in pieces whose sizes come from SEED (all at
 * once when 0), each piece in an exact-size buffer; fill D.
 */
static void
fuzz_decode(const uint8_t *data, size_t size, uint32_t seed,
    struct fuzz_dec *d)
{
	struct hp_chunked c;
	size_t at = 0, n, used;
	ssize_t r;
	char *piece;

	memset(&c, 0, sizeof(c));
	memset(d, 0, sizeof(*d));
	if ((d->out = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	while (at < size && !c.done) {
		n = size - at;
		if (seed != 0) {
			seed ^= seed << 13;	/* xorshift32 */
			seed ^= seed >> 17;
			seed ^= seed << 5;
			if (n > 1 + seed % 17)
				n = 1 + seed % 17;
		}
		piece = fuzz_copy(data + at, n);
		r = hp_chunked_decode(&c, piece, n, &used, &d->why);
		if (r == -1) {
			free(piece);
			if (d->why == NULL || d->why[0] == '\0')
				abort();
			d->rc = -1;
			return;
		}
		if (r < 0 || (size_t)r > used || used > n ||
		    (!c.done && used != n) || (c.done && c.done != 1))
			abort();
		memcpy(d->out + d->outlen, piece, (size_t)r);
		free(piece);
		d->outlen += (size_t)r;
		d->used += used;
		at += n;
	}
	d->done = c.done;
}

/* Decode DATA at once and in pieces; abort unless both agree. */
static void
fuzz_chunked(const uint8_t *data, size_t size)
{
	struct fuzz_dec a, b;
	uint32_t seed = 2166136261u;
	size_t i;

	for (i = 0; i < size; i++)		/* FNV-1a of the input */
		seed = (seed ^ data[i]) * 16777619u;
	if (seed == 0)
		seed = 1;
	fuzz_decode(data, size, 0, &a);
	fuzz_decode(data, size, seed, &b);
	if (a.rc != b.rc || (a.rc == -1 && strcmp(a.why, b.why) != 0))
		abort();
	if (a.rc == 0 && (a.outlen != b.outlen || a.used != b.used ||
	    a.done != b.done || memcmp(a.out, b.out, a.outlen) != 0))
		abort();
	free(a.out);
	free(b.out);
}

/* Dispatch on the first byte (libFuzzer entry point). Always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return (0);
	switch (data[0] % 3) {
	case 0:
		fuzz_head(data + 1, size - 1, 0);
		break;
	case 1:
		fuzz_head(data + 1, size - 1, 1);
		break;
	default:
		fuzz_chunked(data + 1, size - 1);
		break;
	}
	return (0);
}
