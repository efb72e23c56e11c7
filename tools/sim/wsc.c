/*
 * wsc: raw-socket WebSocket client pieces shared by voicegate-sim and
 * bench/ws_load: buffers, frames, handshake keys. Only masking touches
 * global state (the mask generator); see wsc.h for threads.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wsc.h"

static uint64_t	wsc_rng = 0x9e3779b97f4a7c15ULL;

/* Seed the mask generator with SEED (0 keeps the default). */
void
wsc_seed(uint64_t seed)
{
	if (seed != 0)
		wsc_rng = seed;
}

/* Return the next value of a xorshift64 generator (mask keys only). */
static uint64_t
wsc_rand(void)
{
	uint64_t x = wsc_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	wsc_rng = x;
	return (x);
}

/* Return the monotonic clock in nanoseconds. */
uint64_t
wsc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* Make room for N more bytes at the end of B, compacting first. */
void
wsc_buf_reserve(struct wsc_buf *b, size_t n)
{
	size_t cap;

	if (b->off > 0 && (b->off == b->len || b->cap - b->len < n)) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->cap - b->len >= n)
		return;
	cap = b->cap != 0 ? b->cap : 512;
	while (cap - b->len < n)
		cap *= 2;
	if ((b->data = realloc(b->data, cap)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	b->cap = cap;
}

/* Append LEN bytes at P to B. */
void
wsc_buf_add(struct wsc_buf *b, const void *p, size_t len)
{
	wsc_buf_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

/* Release what B holds and zero it. */
void
wsc_buf_free(struct wsc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Return the bytes in B not yet consumed. */
size_t
wsc_buf_avail(const struct wsc_buf *b)
{
	return (b->len - b->off);
}

/* Write as much of B to FD as the socket takes. */
int
wsc_buf_flush(struct wsc_buf *b, int fd)
{
	ssize_t n;

	while (b->off < b->len) {
		n = send(fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
		if (n > 0) {
			b->off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		return (-1);
	}
	b->off = b->len = 0;
	return (0);
}

/* Read once from FD into B. */
ssize_t
wsc_buf_read(struct wsc_buf *b, int fd)
{
	ssize_t n;

	wsc_buf_reserve(b, WSC_READ_CHUNK);
	do
		n = recv(fd, b->data + b->len, b->cap - b->len, 0);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return (n);
}

/* Write LEN bytes of SRC XORed with the 4-byte mask MK to DST (which may be
 * SRC), eight bytes at a time: every frame sent by a client and every
 * masked frame received goes through here. */
static void
wsc_mask(unsigned char *dst, const unsigned char *src, size_t len,
    const unsigned char *mk)
{
	uint64_t m8, w;
	size_t i;

	memcpy(&m8, mk, 4);
	memcpy((unsigned char *)&m8 + 4, mk, 4);
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, src + i, 8);
		w ^= m8;
		memcpy(dst + i, &w, 8);
	}
	for (; i < len; i++)
		dst[i] = src[i] ^ mk[i & 3];
}

/* Append one frame (FIN set) with OPCODE and payload P/LEN to B. */
void
wsc_frame_put(struct wsc_buf *b, int opcode, const void *p, size_t len,
    int mask)
{
	const unsigned char *src = p;
	unsigned char *h, mk[4];
	uint64_t m;
	size_t hl = 2, i;

	wsc_buf_reserve(b, len + 14);
	h = b->data + b->len;
	h[0] = (unsigned char)(0x80 | (opcode & 0x0f));
	if (len < 126)
		h[1] = (unsigned char)len;
	else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >>
			    (56 - 8 * i));
		hl = 10;
	}
	if (mask) {
		h[1] |= 0x80;
		m = wsc_rand();
		memcpy(mk, &m, 4);
		memcpy(h + hl, mk, 4);
		hl += 4;
		wsc_mask(h + hl, src, len, mk);
	} else if (len > 0)
		memcpy(h + hl, src, len);
	b->len += hl + len;
}

/* Parse one complete frame at the front of B into F. */
int
wsc_frame_get(struct wsc_buf *b, struct wsc_frame *f, size_t max)
{
	unsigned char *p = b->data + b->off, *mk = NULL;
	size_t avail = b->len - b->off, hl = 2, i;
	uint64_t len;

	if (avail < 2)
		return (0);
	f->fin = (p[0] & 0x80) != 0;
	f->rsv = (p[0] >> 4) & 0x7;
	f->opcode = p[0] & 0x0f;
	f->masked = (p[1] & 0x80) != 0;
	len = p[1] & 0x7f;
	if (len == 126) {
		if (avail < 4)
			return (0);
		len = ((uint64_t)p[2] << 8) | p[3];
		hl = 4;
	} else if (len == 127) {
		if (avail < 10)
			return (0);
		for (len = 0, i = 0; i < 8; i++)
			len = (len << 8) | p[2 + i];
		hl = 10;
	}
	if (len > max)
		return (-1);
	if (f->masked) {
		mk = p + hl;
		hl += 4;
	}
	if (avail < hl + len)
		return (0);
	f->payload = p + hl;
	f->len = (size_t)len;
	f->total = hl + (size_t)len;
	if (mk != NULL)
		wsc_mask(f->payload, f->payload, f->len, mk);
	return (1);
}

/* Compute base64(SHA1(KEY + GUID)) into OUT. */
int
wsc_accept_key(const char *key, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char buf[128];
	unsigned int mdlen = 0;
	int n;

	n = snprintf(buf, sizeof(buf), "%s%s", key, WSC_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return (-1);
	if (EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return (-1);
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return (0);
}

/* Make a random Sec-WebSocket-Key and its expected accept value. */
int
wsc_make_key(char *key, char *accept)
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return (-1);
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	return (wsc_accept_key(key, accept));
}

/* Find header NAME in the HTTP head H and copy its trimmed value. */
int
wsc_http_header(const char *h, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), vlen;
	const char *p = h, *v, *e;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
			continue;
		v = p + nlen + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if ((e = strstr(v, "\r\n")) == NULL)
			e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		vlen = (size_t)(e - v);
		if (vlen >= outsz)
			return (-1);
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return (0);
	}
	return (-1);
}

/* Make FD non-blocking. */
int
wsc_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (-1);
	return (0);
}
