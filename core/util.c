/*
 * Small helpers: aborting allocators, string copies, clocks, constant-time
 * compare, random bytes and base64. Any thread.
 */
#include "config.h"

#include <limits.h>
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

/* ---- base64 ---- */

/* The base64 digit of 6-bit value V, and the value of byte C (-1 for a
 * byte that is not a digit), as constant expressions for the tables. */
#define B64_CHR(v)	((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : \
	(v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')
#define B64_VAL(c)	((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : \
	(c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
	(c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '+' ? 62 : \
	(c) == '/' ? 63 : -1)

/* Repeat X(i) for 4, 16, 64, 256 and 4096 consecutive i. */
#define B64_R4(X, i)	X(i) X((i) + 1) X((i) + 2) X((i) + 3)
#define B64_R16(X, i)	B64_R4(X, i) B64_R4(X, (i) + 4) B64_R4(X, (i) + 8) \
	B64_R4(X, (i) + 12)
#define B64_R64(X, i)	B64_R16(X, i) B64_R16(X, (i) + 16) \
	B64_R16(X, (i) + 32) B64_R16(X, (i) + 48)
#define B64_R256(X, i)	B64_R64(X, i) B64_R64(X, (i) + 64) \
	B64_R64(X, (i) + 128) B64_R64(X, (i) + 192)
#define B64_R4096(X)	B64_R256(X, 0) B64_R256(X, 256) B64_R256(X, 512) \
	B64_R256(X, 768) B64_R256(X, 1024) B64_R256(X, 1280) \
	B64_R256(X, 1536) B64_R256(X, 1792) B64_R256(X, 2048) \
	B64_R256(X, 2304) B64_R256(X, 2560) B64_R256(X, 2816) \
	B64_R256(X, 3072) B64_R256(X, 3328) B64_R256(X, 3584) \
	B64_R256(X, 3840)

/* The two digits of each 12-bit value: two look-ups encode three bytes. */
#define B64_PAIR(i)	{ (char)B64_CHR((i) >> 6), (char)B64_CHR((i) & 63) },
static const char vg_b64_pairs[4096][2] = { B64_R4096(B64_PAIR) };

/*
 * The decoding of each byte in each position of a quad, ORed together:
 * digits v0..v3 give the three bytes v0 << 2 | v1 >> 4, (v1 & 15) << 4 |
 * v2 >> 2 and (v2 & 3) << 6 | v3 in bits 0-7, 8-15 and 16-23 (memory
 * order on a little-endian machine, so one 4-byte store writes them); a
 * byte that is not a digit sets bits 24-31 instead, so the ORs both decode
 * the quad and flag it, and the flags are checked once at the end.
 */
#define B64_BAD		0xff000000u
#define B64_D(c, e)	(B64_VAL(c) < 0 ? B64_BAD : (uint32_t)(e)),
#define B64_D0(c)	B64_D(c, B64_VAL(c) << 2)
#define B64_D1(c)	B64_D(c, B64_VAL(c) >> 4 | (B64_VAL(c) & 15) << 12)
#define B64_D2(c)	B64_D(c, B64_VAL(c) >> 2 << 8 | (B64_VAL(c) & 3) << 22)
#define B64_D3(c)	B64_D(c, B64_VAL(c) << 16)
static const uint32_t vg_b64_dec[4][256] = {
	{ B64_R256(B64_D0, 0) },
	{ B64_R256(B64_D1, 0) },
	{ B64_R256(B64_D2, 0) },
	{ B64_R256(B64_D3, 0) },
};

/* The quad of digits at U through the tables (see vg_b64_dec). */
#define B64_QUAD(u)	(vg_b64_dec[0][(u)[0]] | vg_b64_dec[1][(u)[1]] | \
	vg_b64_dec[2][(u)[2]] | vg_b64_dec[3][(u)[3]])

/* Store the three bytes of decoded quad W at OUT, and on a little-endian
 * machine one more (the caller makes sure there is room for it). */
static inline void
b64_put4(uint8_t *out, uint32_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(out, &w, 4);
#else
	out[0] = (uint8_t)w;
	out[1] = (uint8_t)(w >> 8);
	out[2] = (uint8_t)(w >> 16);
#endif
}

/* The 8 bytes at P as a big-endian number. */
static inline uint64_t
b64_load_be64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return (x);
}

/* Encode the 6 bytes at IN (read as 8) into the 8 digits at O. */
static inline void
b64_enc6(const uint8_t *in, char *o)
{
	uint64_t x = b64_load_be64(in);

	memcpy(o, vg_b64_pairs[x >> 52], 2);
	memcpy(o + 2, vg_b64_pairs[(x >> 40) & 0xfff], 2);
	memcpy(o + 4, vg_b64_pairs[(x >> 28) & 0xfff], 2);
	memcpy(o + 6, vg_b64_pairs[(x >> 16) & 0xfff], 2);
}

/* Padded base64: twelve bytes at a time (read as two eights, never past
 * the end), then three, then the padded tail. */
size_t
vg_b64_encode(const uint8_t *in, size_t len, char *out)
{
	const uint8_t *end = in + len;
	size_t n = len >= 14 ? (len - 2) / 12 : 0;
	char *o = out;
	uint32_t w;

	for (; n > 0; n--, in += 12, o += 16) {
		b64_enc6(in, o);
		b64_enc6(in + 6, o + 8);
	}
	for (; end - in >= 3; in += 3, o += 4) {
		w = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		memcpy(o, vg_b64_pairs[w >> 12], 2);
		memcpy(o + 2, vg_b64_pairs[w & 0xfff], 2);
	}
	if (end - in == 1) {
		memcpy(o, vg_b64_pairs[(uint32_t)in[0] << 4], 2);
		memcpy(o + 2, "==", 2);
		o += 4;
	} else if (end - in == 2) {
		w = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8;
		memcpy(o, vg_b64_pairs[w >> 12], 2);
		o[2] = vg_b64_pairs[w & 0xfff][0];
		o[3] = '=';
		o += 4;
	}
	*o = '\0';
	return ((size_t)(o - out));
}

/* Strict base64: every quad but the last through the tables, four at a
 * time, with one error check at the end; the last quad with its padding
 * and trailing bits checked. */
ssize_t
vg_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outsize)
{
	const uint8_t *u = (const uint8_t *)in, *last;
	uint8_t *o = out;
	size_t n, pad = 0, total;
	uint32_t w0, w1, w2, w3, bad = 0, trail = 0;

	if (inlen % 4 != 0)
		return (-1);
	if (inlen == 0)
		return (0);
	if (in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	total = inlen / 4 * 3 - pad;
	if (total > outsize || total > SSIZE_MAX)
		return (-1);
	/* The last quad gives at least one byte, so each 4-byte store
	 * before it stays inside the TOTAL bytes of OUT. */
	last = u + inlen - 4;
	for (n = (inlen / 4 - 1) / 4; n > 0; n--, u += 16, o += 12) {
		w0 = B64_QUAD(u);
		w1 = B64_QUAD(u + 4);
		w2 = B64_QUAD(u + 8);
		w3 = B64_QUAD(u + 12);
		bad |= w0 | w1 | w2 | w3;
		b64_put4(o, w0);
		b64_put4(o + 3, w1);
		b64_put4(o + 6, w2);
		b64_put4(o + 9, w3);
	}
	for (; u < last; u += 4, o += 3) {
		w0 = B64_QUAD(u);
		bad |= w0;
		b64_put4(o, w0);
	}
	switch (pad) {
	case 0:
		w0 = B64_QUAD(last);
		break;
	case 1:		/* v2's low 2 bits are trailing: byte 2 must be 0 */
		w0 = vg_b64_dec[0][last[0]] | vg_b64_dec[1][last[1]] |
		    vg_b64_dec[2][last[2]];
		trail = w0 & 0x00ff0000u;
		break;
	default:	/* v1's low 4 bits are trailing: byte 1 must be 0 */
		w0 = vg_b64_dec[0][last[0]] | vg_b64_dec[1][last[1]];
		trail = w0 & 0x0000ff00u;
		break;
	}
	if (((bad | w0) & B64_BAD) != 0 || trail != 0)
		return (-1);
	o[0] = (uint8_t)w0;
	if (pad < 2)
		o[1] = (uint8_t)(w0 >> 8);
	if (pad < 1)
		o[2] = (uint8_t)(w0 >> 16);
	return ((ssize_t)total);
}
