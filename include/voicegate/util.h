/*
 * Small helpers every module needs. The x-allocators abort on exhaustion
 * (as tmux does): use them for small fixed sizes only, and cap anything whose
 * size comes from outside before allocating. Any thread.
 */
#ifndef VG_UTIL_H
#define VG_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define VG_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* calloc/malloc/realloc/strdup that abort on failure. Returns new. */
void	*vg_xcalloc(size_t n, size_t size);
void	*vg_xmalloc(size_t size);
void	*vg_xrealloc(void *p, size_t size);
char	*vg_xstrdup(const char *s);
char	*vg_xstrndup(const char *s, size_t n);

/* asprintf that aborts on failure. Returns new. */
char	*vg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy SRC into DST of SIZE bytes, always terminated. Returns strlen(SRC). */
size_t	 vg_strlcpy(char *dst, const char *src, size_t size);

/* Monotonic clock in nanoseconds / milliseconds. */
uint64_t vg_now_ns(void);
uint64_t vg_now_ms(void);

/* Wall clock in milliseconds since the epoch. */
uint64_t vg_wall_ms(void);

/* Compare A and B (LEN bytes) in constant time: 0 when equal. */
int	 vg_memcmp_const(const void *a, const void *b, size_t len);

/* Fill BUF with LEN cryptographically random bytes. Returns 0 or -1. */
int	 vg_random(void *buf, size_t len);

/* Characters of base64 for N bytes, '=' padding included, NUL not. */
#define VG_B64_ENCODED_LEN(n)	(((n) + 2) / 3 * 4)
/* Most bytes N characters of base64 decode to. */
#define VG_B64_DECODED_MAX(n)	((n) / 4 * 3)

/* Encode LEN bytes of IN (borrowed) as standard base64 with '=' padding
 * into OUT, which must hold VG_B64_ENCODED_LEN(LEN) + 1 bytes; OUT is
 * terminated. Returns the length written, NUL not counted. */
size_t	 vg_b64_encode(const uint8_t *in, size_t len, char *out);
/* Decode INLEN characters of strict base64 at IN (borrowed: standard
 * alphabet, '=' padding to a multiple of 4, no white space, zero trailing
 * bits) into OUT of OUTSIZE bytes. Returns the decoded length, or -1 on bad
 * input or when OUT is too small (OUT may then hold some bytes). */
ssize_t	 vg_b64_decode(const char *in, size_t inlen, uint8_t *out,
	    size_t outsize);

#endif /* VG_UTIL_H */
