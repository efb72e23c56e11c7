/*
 * Fuzz harness for the RFC 6455 framing codec (core/wsproto.c). The first
 * byte picks the role (bit 0: client), the size limit (bits 1-2) and a
 * seed (bits 3-7); the rest is a stream of frames, walked header by header
 * as net.c walks a socket's bytes. Each header is also fed in every shorter
 * prefix and rebuilt; each payload is unmasked in random-sized pieces and
 * checked against a byte loop; close payloads are read and rebuilt, text is
 * checked against a naive UTF-8 decoder. Any disagreement aborts.
 *
 * `make check` links this with tests/fuzz/replay.c, which replays every
 * file of the seed corpus (tests/fuzz/corpus/wsproto, or the folder in
 * argv[1]); an input "passes" when it is processed without a crash. To fuzz
 * for real with libFuzzer (clang only), from a configured build tree (for
 * config.h), SRC being the source tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -I. -I$SRC/include -I$SRC/core \
 *       $SRC/tests/fuzz/fuzz_wsproto.c $SRC/core/wsproto.c -lcrypto \
 *       -o fuzz_wsproto
 *   mkdir corpus-work
 *   ./fuzz_wsproto -max_len=4096 corpus-work/ $SRC/tests/fuzz/corpus/wsproto
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The size limits bits 1-2 of the first byte choose from. */
static const uint64_t fuzz_max[4] = { 1 << 20, 1024, 16, ~(uint64_t)0 };

/* A deterministic generator (xorshift32) for piece sizes. */
static uint32_t
fuzz_rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (*s);
}

/* Naive UTF-8 check by decoding each code point: the reference
 * wsp_utf8_valid() must agree with. */
static int
fuzz_utf8_ref(const uint8_t *p, size_t n)
{
	static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, k, extra;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80)
			extra = 0;
		else if ((p[i] & 0xe0) == 0xc0)
			extra = 1;
		else if ((p[i] & 0xf0) == 0xe0)
			extra = 2;
		else if ((p[i] & 0xf8) == 0xf0)
			extra = 3;
		else
			return (0);
		if (n - i < extra + 1)
			return (0);
		cp = extra == 0 ? p[i] : p[i] & (0x3f >> extra);
		for (k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min[extra] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += extra + 1;
	}
	return (1);
}

/* Every proper prefix of a header must ask for more bytes, or be refused
 * exactly as the whole is (a refusal may come early, never late). */
static void
fuzz_prefixes(const uint8_t *p, size_t have, enum wsp_role role,
    uint64_t max, int r, size_t hdr_len, int code)
{
	struct wsp_frame f;
	const char *why;
	size_t k, upto;
	int pr, pcode;

	upto = r == 1 ? hdr_len : have;
	if (upto > WSP_HDR_MAX)
		upto = WSP_HDR_MAX;
	for (k = 0; k < upto; k++) {
		pr = wsp_parse_header(p, k, role, max, &f, &pcode, &why);
		if (pr == 1)
			abort();
		if (pr == -1 && (r != -1 || pcode != code))
			abort();
	}
}

/* Check an accepted header, and that building it again reads back the
 * same (no longer: the builder's encoding is the shortest). */
static void
fuzz_header(const struct wsp_frame *f, const uint8_t *p, size_t have,
    enum wsp_role role, uint64_t max)
{
	struct wsp_frame g;
	uint8_t b[WSP_HDR_MAX];
	const char *why;
	size_t n;
	int code;

	if (f->hdr_len < 2 || f->hdr_len > WSP_HDR_MAX || f->hdr_len > have)
		abort();
	if (f->masked != (role == WSP_SERVER) || f->fin > 1)
		abort();
	if (f->len >> 63)
		abort();
	if (f->opcode >= WSP_OP_CLOSE) {
		if (f->opcode > WSP_OP_PONG || !f->fin ||
		    f->len > WSP_CTRL_MAX)
			abort();
	} else if (f->opcode > WSP_OP_BINARY || f->len > max)
		abort();
	if (f->masked && memcmp(f->mask, p + f->hdr_len - 4, 4) != 0)
		abort();

	n = wsp_build_header(b, f->opcode, f->fin, f->len,
	    f->masked ? f->mask : NULL);
	if (n > f->hdr_len || b[0] != p[0])
		abort();
	if (n == f->hdr_len && memcmp(b, p, n) != 0)
		abort();	/* the peer's encoding was the shortest too */
	if (wsp_parse_header(b, n, role, max, &g, &code, &why) != 1)
		abort();
	if (g.hdr_len != n || g.len != f->len || g.fin != f->fin ||
	    g.opcode != f->opcode || g.masked != f->masked ||
	    memcmp(g.mask, f->mask, 4) != 0)
		abort();
}

/* Unmask the N bytes at PAY in random pieces, compare with a byte loop,
 * then mask back at once. */
static void
fuzz_unmask(uint8_t *pay, const uint8_t *orig, size_t n, const uint8_t *key,
    uint32_t *seed)
{
	size_t at, piece, i;

	for (at = 0; at < n; at += piece) {
		piece = 1 + fuzz_rnd(seed) % 37;
		if (piece > n - at)
			piece = n - at;
		wsp_mask(pay + at, piece, key, at);
	}
	for (i = 0; i < n; i++)
		if ((pay[i] ^ key[i & 3]) != orig[i])
			abort();
	wsp_mask(pay, n, key, 0);
	if (n > 0 && memcmp(pay, orig, n) != 0)
		abort();
	wsp_mask(pay, n, key, 0);	/* leave it unmasked */
}

/* Read a close payload, and rebuild it from what was read. */
static void
fuzz_close(const uint8_t *p, size_t n)
{
	uint8_t out[WSP_CTRL_MAX];
	char reason[WSP_CTRL_MAX + 1];
	const char *r = NULL, *r2;
	size_t rlen = 0, rlen2, m;
	int code = 0, code2;

	if (wsp_close_parse(p, n, &code, &r, &rlen) == -1) {
		if (code != 1002 && code != 1007)
			abort();
		if (n >= 2 && code == 1007 && wsp_utf8_valid(p + 2, n - 2))
			abort();
		return;
	}
	if (n == 0) {
		if (code != 1005 || rlen != 0)
			abort();
		return;
	}
	if (n == 1 || code < 1000 || code > 4999 ||
	    r != (const char *)p + 2 || rlen != n - 2 ||
	    !wsp_utf8_valid((const uint8_t *)r, rlen))
		abort();
	/* The reason may hold U+0000: the rebuilt one stops there. */
	memcpy(reason, r, rlen);
	reason[rlen] = '\0';
	m = wsp_close_build(out, code, reason);
	if (m < 2 || m > WSP_CTRL_MAX || m - 2 > rlen ||
	    memcmp(out + 2, r, m - 2) != 0)
		abort();
	if (wsp_close_parse(out, m, &code2, &r2, &rlen2) != 0 ||
	    code2 != code)
		abort();
	if (rlen <= WSP_CTRL_MAX - 2 && memchr(r, '\0', rlen) == NULL &&
	    m != n)
		abort();
}

/* Walk one input as a stream of frames (libFuzzer entry point). Always
 * returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum wsp_role role;
	struct wsp_frame f;
	const uint8_t *key;
	const char *why;
	uint8_t *pay, kbuf[4];
	uint64_t max;
	uint32_t seed;
	size_t off, have, n;
	char acc[29];
	int r, code;

	if (size < 1)
		return (0);
	role = (data[0] & 1) ? WSP_CLIENT : WSP_SERVER;
	max = fuzz_max[(data[0] >> 1) & 3];
	seed = (uint32_t)(data[0] >> 3) * 2654435761u + (uint32_t)size + 1;

	/* The bytes after the first as a handshake key, when they might be. */
	if (size >= 25) {
		char k[25];

		memcpy(k, data + 1, 24);
		k[24] = '\0';
		if (wsp_accept_key(k, acc) == 0 &&
		    (strlen(acc) != 28 || strlen(k) != 24 || k[23] != '='))
			abort();
	}

	for (off = 1; off < size; off += n) {
		have = size - off;
		code = 0;
		why = NULL;
		r = wsp_parse_header(data + off, have, role, max, &f, &code,
		    &why);
		if (r == 0) {
			if (have >= WSP_HDR_MAX)
				abort();
			fuzz_prefixes(data + off, have, role, max, r, 0, 0);
			break;
		}
		if (r == -1) {
			if ((code != 1002 && code != 1009) || why == NULL ||
			    why[0] == '\0')
				abort();
			if (code == 1009 && (data[off] & 0x0f) >= WSP_OP_CLOSE)
				abort();
			fuzz_prefixes(data + off, have, role, max, r, 0, code);
			break;
		}
		if (r != 1)
			abort();
		fuzz_prefixes(data + off, have, role, max, r, f.hdr_len, 0);
		fuzz_header(&f, data + off, have, role, max);

		/* The payload, or as much of it as arrived. */
		n = have - f.hdr_len;
		if (f.len < n)
			n = (size_t)f.len;
		if ((pay = malloc(n + 1)) == NULL)
			abort();
		memcpy(pay, data + off + f.hdr_len, n);
		/* Unmasked frames exercise the mask with a made-up key. */
		if (!f.masked) {
			kbuf[0] = (uint8_t)fuzz_rnd(&seed);
			kbuf[1] = (uint8_t)(kbuf[0] * 7 + 1);
			kbuf[2] = data[off];
			kbuf[3] = (uint8_t)have;
		}
		key = f.masked ? f.mask : kbuf;
		fuzz_unmask(pay, data + off + f.hdr_len, n, key, &seed);
		if (!f.masked)
			memcpy(pay, data + off + f.hdr_len, n);
		if (n == f.len) {
			if (f.opcode == WSP_OP_CLOSE)
				fuzz_close(pay, n);
			if (f.opcode == WSP_OP_TEXT &&
			    wsp_utf8_valid(pay, n) != fuzz_utf8_ref(pay, n))
				abort();
		}
		/* Any fragment, whole or not, agrees with the reference. */
		if (wsp_utf8_valid(pay, n) != fuzz_utf8_ref(pay, n))
			abort();
		free(pay);
		n += f.hdr_len;
	}
	return (0);
}
