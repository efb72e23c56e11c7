/*
 * Tests for the RFC 6455 framing codec (core/wsproto.c): the RFC's own
 * examples, every refusal with its close code, headers arriving a byte at
 * a time, masking in pieces against a naive loop, build/parse round trips,
 * close payloads and the UTF-8 validator.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsproto.h"
#include "vg_test.h"

#define BIG	(~(uint64_t)0)	/* no size limit */

/* A deterministic generator (xorshift64), so failures repeat. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* Parse B (N bytes) as ROLE and expect a refusal with CODE. */
static void
expect_refused(const uint8_t *b, size_t n, enum wsp_role role, uint64_t max,
    int want)
{
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(b, n, role, max, &f, &code, &why), -1);
	VG_CHECK_INT(code, want);
	VG_CHECK(why != NULL && why[0] != '\0');
}

/* RFC 6455 5.7: a single-frame masked text message, "Hello". */
static void
t_rfc_masked_hello(void)
{
	uint8_t b[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
	    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(b, sizeof(b), WSP_SERVER, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.fin, 1);
	VG_CHECK_INT(f.opcode, WSP_OP_TEXT);
	VG_CHECK_INT(f.masked, 1);
	VG_CHECK(memcmp(f.mask, "\x37\xfa\x21\x3d", 4) == 0);
	VG_CHECK_INT(f.hdr_len, 6);
	VG_CHECK_INT(f.len, 5);
	wsp_mask(b + f.hdr_len, f.len, f.mask, 0);
	VG_CHECK(memcmp(b + f.hdr_len, "Hello", 5) == 0);
	/* A client must refuse the same bytes. */
	expect_refused(b, sizeof(b), WSP_CLIENT, BIG, 1002);
}

/* RFC 6455 5.7: the same message unmasked, and fragmented in two. */
static void
t_rfc_unmasked_hello(void)
{
	const uint8_t b[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	const uint8_t f1[] = { 0x01, 0x03, 'H', 'e', 'l' };
	const uint8_t f2[] = { 0x80, 0x02, 'l', 'o' };
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(b, sizeof(b), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.fin, 1);
	VG_CHECK_INT(f.opcode, WSP_OP_TEXT);
	VG_CHECK_INT(f.masked, 0);
	VG_CHECK_INT(f.hdr_len, 2);
	VG_CHECK_INT(f.len, 5);
	expect_refused(b, sizeof(b), WSP_SERVER, BIG, 1002);

	VG_CHECK_INT(wsp_parse_header(f1, sizeof(f1), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.fin, 0);
	VG_CHECK_INT(f.opcode, WSP_OP_TEXT);
	VG_CHECK_INT(f.len, 3);
	VG_CHECK_INT(wsp_parse_header(f2, sizeof(f2), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.fin, 1);
	VG_CHECK_INT(f.opcode, WSP_OP_CONT);
	VG_CHECK_INT(f.len, 2);
}

/* RFC 6455 5.7: unmasked ping, and the masked pong answering it. */
static void
t_rfc_ping_pong(void)
{
	const uint8_t ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	const uint8_t pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
	    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(ping, sizeof(ping), WSP_CLIENT, 0, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.opcode, WSP_OP_PING);
	VG_CHECK_INT(f.len, 5);
	/* MAX limits data frames only. */
	VG_CHECK_INT(wsp_parse_header(pong, sizeof(pong), WSP_SERVER, 0, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.opcode, WSP_OP_PONG);
	VG_CHECK_INT(f.len, 5);
}

/* RFC 6455 5.7: 256 bytes (16-bit length) and 64 KiB (64-bit length). */
static void
t_rfc_lengths(void)
{
	const uint8_t b256[] = { 0x82, 0x7e, 0x01, 0x00 };
	const uint8_t b64k[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0 };
	struct wsp_frame f;
	uint8_t out[WSP_HDR_MAX];
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(b256, sizeof(b256), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.opcode, WSP_OP_BINARY);
	VG_CHECK_INT(f.hdr_len, 4);
	VG_CHECK_INT(f.len, 256);
	VG_CHECK_INT(wsp_build_header(out, WSP_OP_BINARY, 1, 256, NULL), 4);
	VG_CHECK(memcmp(out, b256, 4) == 0);

	VG_CHECK_INT(wsp_parse_header(b64k, sizeof(b64k), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.hdr_len, 10);
	VG_CHECK_INT(f.len, 65536);
	VG_CHECK_INT(wsp_build_header(out, WSP_OP_BINARY, 1, 65536, NULL), 10);
	VG_CHECK(memcmp(out, b64k, 10) == 0);

	/* At the limit is fine, one over is 1009. */
	VG_CHECK_INT(wsp_parse_header(b64k, sizeof(b64k), WSP_CLIENT, 65536,
	    &f, &code, &why), 1);
	expect_refused(b64k, sizeof(b64k), WSP_CLIENT, 65535, 1009);
	expect_refused(b256, sizeof(b256), WSP_CLIENT, 255, 1009);
}

/* Longer encodings than needed are accepted (lenient by design). */
static void
t_nonminimal_lengths(void)
{
	const uint8_t b16[] = { 0x82, 0x7e, 0x00, 0x05 };
	const uint8_t b64[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05 };
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	VG_CHECK_INT(wsp_parse_header(b16, sizeof(b16), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.len, 5);
	VG_CHECK_INT(wsp_parse_header(b64, sizeof(b64), WSP_CLIENT, BIG, &f,
	    &code, &why), 1);
	VG_CHECK_INT(f.len, 5);
}

/* The RFC's handshake example (section 1.3), and keys that are not. */
static void
t_accept_key(void)
{
	char out[29];

	memset(out, 'x', sizeof(out));
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	VG_CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

	VG_CHECK_INT(wsp_accept_key("", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQ===", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQ== ", out), -1);
	VG_CHECK_INT(wsp_accept_key(" dGhlIHNhbXBsZSBub25jZQ==", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQ=A", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZ===", out), -1);
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25j*Q==", out), -1);
	/* 18 bytes, no padding: base64, but not of 16 bytes. */
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZQAA", out), -1);
	/* Non-zero bits under the padding: not canonical. */
	VG_CHECK_INT(wsp_accept_key("dGhlIHNhbXBsZSBub25jZR==", out), -1);
	/* Other canonical keys work. */
	VG_CHECK_INT(wsp_accept_key("AAAAAAAAAAAAAAAAAAAAAA==", out), 0);
	VG_CHECK_INT(strlen(out), 28);
	VG_CHECK_INT(wsp_accept_key("/////////////////////w==", out), 0);
}

/* Every proper prefix of a valid header asks for more bytes. */
static void
t_partial_headers(void)
{
	uint8_t mask[4] = { 1, 2, 3, 4 }, b[WSP_HDR_MAX];
	const uint64_t lens[] = { 0, 5, 125, 126, 300, 65535, 65536,
	    (uint64_t)1 << 40 };
	struct wsp_frame f;
	const char *why;
	size_t i, k, n;
	int code, m;

	for (m = 0; m < 2; m++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			n = wsp_build_header(b, WSP_OP_BINARY, 1, lens[i],
			    m ? mask : NULL);
			for (k = 0; k < n; k++)
				VG_CHECK_INT(wsp_parse_header(b, k,
				    m ? WSP_SERVER : WSP_CLIENT, BIG, &f,
				    &code, &why), 0);
			VG_CHECK_INT(wsp_parse_header(b, n,
			    m ? WSP_SERVER : WSP_CLIENT, BIG, &f, &code, &why),
			    1);
			VG_CHECK_INT(f.hdr_len, n);
			VG_CHECK_INT(f.len, lens[i]);
		}
	}
	/* Control frames too. */
	n = wsp_build_header(b, WSP_OP_CLOSE, 1, 125, mask);
	for (k = 0; k < n; k++)
		VG_CHECK_INT(wsp_parse_header(b, k, WSP_SERVER, BIG, &f, &code,
		    &why), 0);
}

/* Each protocol violation is refused with its close code. */
static void
t_refusals(void)
{
	uint8_t b[WSP_HDR_MAX];
	unsigned op;
	size_t n;

	/* RSV1, RSV2, RSV3. */
	expect_refused((const uint8_t *)"\xc1\x80", 2, WSP_SERVER, BIG, 1002);
	expect_refused((const uint8_t *)"\xa1\x80", 2, WSP_SERVER, BIG, 1002);
	expect_refused((const uint8_t *)"\x91\x00", 2, WSP_CLIENT, BIG, 1002);
	/* Reserved opcodes, data and control. */
	for (op = 3; op <= 0xf; op++) {
		if (op >= WSP_OP_CLOSE && op <= WSP_OP_PONG)
			continue;
		b[0] = 0x80 | op;
		b[1] = 0x00;
		expect_refused(b, 2, WSP_CLIENT, BIG, 1002);
	}
	/* Fragmented control frames. */
	expect_refused((const uint8_t *)"\x08\x00", 2, WSP_CLIENT, BIG, 1002);
	expect_refused((const uint8_t *)"\x09\x00", 2, WSP_CLIENT, BIG, 1002);
	expect_refused((const uint8_t *)"\x0a\x00", 2, WSP_CLIENT, BIG, 1002);
	/* Control frames over 125 bytes, in either extended encoding
	 * (refused from the first two bytes). */
	expect_refused((const uint8_t *)"\x89\x7e", 2, WSP_CLIENT, BIG, 1002);
	expect_refused((const uint8_t *)"\x88\xff", 2, WSP_SERVER, BIG, 1002);
	n = wsp_build_header(b, WSP_OP_PING, 1, 125, NULL);
	VG_CHECK_INT(n, 2);
	/* 64-bit length with the top bit set. */
	expect_refused((const uint8_t *)"\x82\x7f\x80\0\0\0\0\0\0\0", 10,
	    WSP_CLIENT, BIG, 1002);
	expect_refused((const uint8_t *)"\x82\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff", 10, WSP_SERVER, BIG, 1002);
	/* 2^63 - 1 is a legal length (if MAX allows). */
	n = wsp_build_header(b, WSP_OP_BINARY, 1, ~(uint64_t)0 >> 1, NULL);
	{
		struct wsp_frame f;
		const char *why;
		int code;

		VG_CHECK_INT(wsp_parse_header(b, n, WSP_CLIENT, BIG, &f,
		    &code, &why), 1);
		VG_CHECK_INT(f.len == (~(uint64_t)0 >> 1), 1);
	}
	/* Mask missing (server) or present (client). */
	expect_refused((const uint8_t *)"\x81\x05", 2, WSP_SERVER, BIG, 1002);
	expect_refused((const uint8_t *)"\x81\x85", 2, WSP_CLIENT, BIG, 1002);
	/* Too big, for data frames, continuation included. */
	expect_refused((const uint8_t *)"\x81\x86", 2, WSP_SERVER, 5, 1009);
	expect_refused((const uint8_t *)"\x00\x06", 2, WSP_CLIENT, 5, 1009);
	expect_refused((const uint8_t *)"\x02\x7e\x01\x00", 4, WSP_CLIENT, 255,
	    1009);
}

/* The reasons are the documented short strings. */
static void
t_refusal_reasons(void)
{
	struct wsp_frame f;
	const char *why = NULL;
	int code = 0;

	wsp_parse_header((const uint8_t *)"\xc1\x80", 2, WSP_SERVER, BIG, &f,
	    &code, &why);
	VG_CHECK_STR(why, "reserved bits set");
	wsp_parse_header((const uint8_t *)"\x83\x80", 2, WSP_SERVER, BIG, &f,
	    &code, &why);
	VG_CHECK_STR(why, "unknown opcode");
	wsp_parse_header((const uint8_t *)"\x89\xfe", 2, WSP_SERVER, BIG, &f,
	    &code, &why);
	VG_CHECK_STR(why, "control frame too long");
	wsp_parse_header((const uint8_t *)"\x81\x05", 2, WSP_SERVER, BIG, &f,
	    &code, &why);
	VG_CHECK_STR(why, "unmasked frame from client");
	wsp_parse_header((const uint8_t *)"\x81\x85", 2, WSP_CLIENT, BIG, &f,
	    &code, &why);
	VG_CHECK_STR(why, "masked frame from server");
	wsp_parse_header((const uint8_t *)"\x81\x06", 2, WSP_CLIENT, 5, &f,
	    &code, &why);
	VG_CHECK_STR(why, "message too big");
}

/* Masking in pieces at any offset equals a naive byte loop at once. */
static void
t_mask_pieces(void)
{
	uint8_t a[1100 + 8], b[1100 + 8], key[4];
	uint64_t s = 0x9e3779b97f4a7c15ULL, off;
	size_t n, i, at, piece;

	for (n = 0; n <= 1100; n += (n < 40 ? 1 : 37)) {
		for (off = 0; off < 8; off++) {
			for (i = 0; i < 4; i++)
				key[i] = (uint8_t)rnd(&s);
			for (i = 0; i < n + 8; i++)
				a[i] = b[i] = (uint8_t)rnd(&s);
			/* Naive reference on A; pieces, misaligned by
			 * OFF, on B (the guard bytes must not change). */
			for (i = 0; i < n; i++)
				a[off + i] ^= key[(off + i) % 4];
			for (at = 0; at < n; at += piece) {
				piece = 1 + rnd(&s) % 23;
				if (piece > n - at)
					piece = n - at;
				wsp_mask(b + off + at, piece, key, off + at);
			}
			VG_CHECK(memcmp(a, b, n + 8) == 0);
			/* Whole, once more: back to where it started. */
			wsp_mask(b + off, n, key, off);
			wsp_mask(a + off, n, key, off);
			VG_CHECK(memcmp(a, b, n + 8) == 0);
		}
	}
	/* A huge offset keeps only its phase. */
	memcpy(a, "abcd", 4);
	key[0] = 1; key[1] = 2; key[2] = 4; key[3] = 8;
	wsp_mask(a, 4, key, ((uint64_t)1 << 40) + 2);
	VG_CHECK(memcmp(a, "\x65\x6a\x62\x66", 4) == 0);
	wsp_mask(a, 0, key, 0);
}

/* Build then parse, masked and not, at each length-encoding boundary. */
static void
t_round_trip(void)
{
	const uint64_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536 };
	const size_t want[] = { 2, 2, 2, 4, 4, 4, 10 };
	uint8_t mask[4] = { 0xde, 0xad, 0xbe, 0xef }, b[WSP_HDR_MAX];
	const unsigned ops[] = { WSP_OP_TEXT, WSP_OP_BINARY, WSP_OP_CONT };
	struct wsp_frame f;
	const char *why;
	size_t i, n, o;
	int code, m, fin;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
	for (m = 0; m < 2; m++)
	for (o = 0; o < 3; o++)
	for (fin = 0; fin < 2; fin++) {
		memset(b, 0xaa, sizeof(b));
		n = wsp_build_header(b, ops[o], fin, lens[i],
		    m ? mask : NULL);
		VG_CHECK_INT(n, want[i] + (m ? 4 : 0));
		VG_CHECK_INT(wsp_parse_header(b, n,
		    m ? WSP_SERVER : WSP_CLIENT, 65536, &f, &code, &why), 1);
		VG_CHECK_INT(f.hdr_len, n);
		VG_CHECK_INT(f.len, lens[i]);
		VG_CHECK_INT(f.opcode, ops[o]);
		VG_CHECK_INT(f.fin, fin);
		VG_CHECK_INT(f.masked, m);
		if (m)
			VG_CHECK(memcmp(f.mask, mask, 4) == 0);
	}
	/* Control frames, fin set. */
	n = wsp_build_header(b, WSP_OP_CLOSE, 1, 2, mask);
	VG_CHECK_INT(wsp_parse_header(b, n, WSP_SERVER, 0, &f, &code, &why),
	    1);
	VG_CHECK_INT(f.opcode, WSP_OP_CLOSE);
	VG_CHECK_INT(f.len, 2);
}

/* Close payloads read: codes, reasons, what is refused. */
static void
t_close_parse(void)
{
	const int bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000,
	    65535 };
	const int good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
	    1011, 1012, 1013, 1014, 3000, 4000, 4999 };
	uint8_t p[WSP_CTRL_MAX] = { 0 };
	const char *reason;
	size_t rlen, i;
	int code;

	VG_CHECK_INT(wsp_close_parse(p, 0, &code, &reason, &rlen), 0);
	VG_CHECK_INT(code, 1005);
	VG_CHECK_INT(rlen, 0);
	VG_CHECK_INT(wsp_close_parse(NULL, 0, &code, &reason, &rlen), 0);
	p[0] = 0x03;
	VG_CHECK_INT(wsp_close_parse(p, 1, &code, &reason, &rlen), -1);
	VG_CHECK_INT(code, 1002);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[0] = (uint8_t)(bad[i] >> 8);
		p[1] = (uint8_t)bad[i];
		VG_CHECK_INT(wsp_close_parse(p, 2, &code, &reason, &rlen), -1);
		VG_CHECK_INT(code, 1002);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p[0] = (uint8_t)(good[i] >> 8);
		p[1] = (uint8_t)good[i];
		VG_CHECK_INT(wsp_close_parse(p, 2, &code, &reason, &rlen), 0);
		VG_CHECK_INT(code, good[i]);
		VG_CHECK_INT(rlen, 0);
	}

	memcpy(p, "\x03\xe8" "bye \xc3\xa9", 8);
	VG_CHECK_INT(wsp_close_parse(p, 8, &code, &reason, &rlen), 0);
	VG_CHECK_INT(code, 1000);
	VG_CHECK_INT(rlen, 6);
	VG_CHECK(reason == (const char *)p + 2);
	VG_CHECK(memcmp(reason, "bye \xc3\xa9", 6) == 0);
	/* Bad UTF-8 in the reason: 1007 is the answer. */
	memcpy(p, "\x03\xe8" "bye \xc3", 7);
	VG_CHECK_INT(wsp_close_parse(p, 7, &code, &reason, &rlen), -1);
	VG_CHECK_INT(code, 1007);
	memcpy(p, "\x0f\xa0" "\xed\xa0\x80", 5);
	VG_CHECK_INT(wsp_close_parse(p, 5, &code, &reason, &rlen), -1);
	VG_CHECK_INT(code, 1007);
}

/* Close payloads built: code, reason, truncation on a boundary. */
static void
t_close_build(void)
{
	uint8_t out[WSP_CTRL_MAX + 16];
	char reason[300];
	const char *r;
	size_t n, rlen, i;
	int code;

	VG_CHECK_INT(wsp_close_build(out, 0, "ignored"), 0);
	n = wsp_close_build(out, 1000, NULL);
	VG_CHECK_INT(n, 2);
	VG_CHECK(memcmp(out, "\x03\xe8", 2) == 0);
	n = wsp_close_build(out, 1001, "");
	VG_CHECK_INT(n, 2);
	n = wsp_close_build(out, 4001, "going away");
	VG_CHECK_INT(n, 12);
	VG_CHECK_INT(wsp_close_parse(out, n, &code, &r, &rlen), 0);
	VG_CHECK_INT(code, 4001);
	VG_CHECK_INT(rlen, 10);
	VG_CHECK(memcmp(r, "going away", 10) == 0);

	/* Exactly 123 bytes fit; 200 ASCII bytes are cut to 123. */
	memset(reason, 'a', 123);
	reason[123] = '\0';
	memset(out, 0x5a, sizeof(out));
	VG_CHECK_INT(wsp_close_build(out, 1000, reason), WSP_CTRL_MAX);
	memset(reason, 'a', 200);
	reason[200] = '\0';
	VG_CHECK_INT(wsp_close_build(out, 1000, reason), WSP_CTRL_MAX);
	for (i = WSP_CTRL_MAX; i < sizeof(out); i++)
		VG_CHECK_INT(out[i], 0x5a);

	/* A character of each width straddling the cut, at each shift:
	 * the payload must stay valid UTF-8 and keep every whole char. */
	{
		const char *chars[] = { "\xc3\xa9", "\xe2\x82\xac",
		    "\xf0\x9f\x98\x80" };
		size_t w, shift, clen, before;

		for (w = 0; w < 3; w++)
		for (shift = 0; shift < 5; shift++) {
			clen = strlen(chars[w]);
			before = 120 + shift;
			memset(reason, 'a', before);
			memcpy(reason + before, chars[w], clen);
			strcpy(reason + before + clen, "zz");
			n = wsp_close_build(out, 1000, reason);
			VG_CHECK(n <= WSP_CTRL_MAX);
			VG_CHECK_INT(wsp_close_parse(out, n, &code, &r, &rlen),
			    0);
			if (before + clen <= 123)
				VG_CHECK(n >= 2 + before + clen);
			else
				VG_CHECK_INT(n, 2 + (before < 123 ?
				    before : 123));
		}
	}
	/* A reason of many multibyte chars: cut at a char, not a byte. */
	for (i = 0; i + 3 <= 297; i += 3)
		memcpy(reason + i, "\xe2\x82\xac", 3);
	reason[297] = '\0';
	n = wsp_close_build(out, 1000, reason);
	VG_CHECK_INT(n, 2 + 123);	/* 41 euro signs */
	VG_CHECK(wsp_utf8_valid(out + 2, n - 2));
	for (i = 0; i + 4 <= 296; i += 4)
		memcpy(reason + i, "\xf0\x9f\x98\x80", 4);
	reason[296] = '\0';
	n = wsp_close_build(out, 1000, reason);
	VG_CHECK_INT(n, 2 + 120);	/* 30 emoji */
	VG_CHECK(wsp_utf8_valid(out + 2, n - 2));
}

/* The UTF-8 validator's accepts and refusals. */
static void
t_utf8(void)
{
	const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "", 1 },
		{ "plain ascii text, longer than eight", 1 },
		{ "caf\xc3\xa9", 1 },
		{ "\xc2\x80", 1 },
		{ "\xdf\xbf", 1 },
		{ "\xe0\xa0\x80", 1 },
		{ "\xe2\x82\xac euro", 1 },
		{ "\xed\x9f\xbf", 1 },		/* U+D7FF */
		{ "\xee\x80\x80", 1 },		/* U+E000 */
		{ "\xef\xbf\xbf", 1 },
		{ "\xf0\x90\x80\x80", 1 },
		{ "\xf0\x9f\x98\x80 grin", 1 },
		{ "\xf4\x8f\xbf\xbf", 1 },	/* U+10FFFF */
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 1 },
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xc1\xbf", 0 },
		{ "\xe0\x80\x80", 0 },
		{ "\xe0\x9f\xbf", 0 },
		{ "\xf0\x80\x80\x80", 0 },
		{ "\xf0\x8f\xbf\xbf", 0 },
		{ "\xed\xa0\x80", 0 },		/* U+D800 */
		{ "\xed\xbf\xbf", 0 },		/* U+DFFF */
		{ "\xf4\x90\x80\x80", 0 },	/* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "\xfe", 0 },
		{ "\x80", 0 },
		{ "abc\xbf", 0 },
		{ "\xc3", 0 },			/* truncated */
		{ "\xe2\x82", 0 },
		{ "\xf0\x9f\x98", 0 },
		{ "\xc3(", 0 },
		{ "\xe2(\xac", 0 },
		{ "\xe2\x82(", 0 },
		{ "\xf0\x9f\x98(", 0 },
		{ "12345678\xc3\xa9", 1 },
		{ "1234567\xc3", 0 },
		{ "abcdefghabcdefgh\xed\xa0\x80", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (wsp_utf8_valid((const uint8_t *)cases[i].s,
		    strlen(cases[i].s)) != cases[i].ok) {
			fprintf(stderr, "  utf8 case %zu\n", i);
			VG_CHECK(0);
		}
	}
	/* U+0000 is valid; the length, not a NUL, ends the input. */
	VG_CHECK(wsp_utf8_valid((const uint8_t *)"a\0b", 3));
	VG_CHECK(wsp_utf8_valid(NULL, 0));
	/* A truncated sequence at the very end, after the ASCII fast path. */
	VG_CHECK(!wsp_utf8_valid((const uint8_t *)"abcdefgh\xf0\x9f", 10));
}

static const struct vg_test cases[] = {
	{ "rfc/masked_hello",		t_rfc_masked_hello },
	{ "rfc/unmasked_hello",		t_rfc_unmasked_hello },
	{ "rfc/ping_pong",		t_rfc_ping_pong },
	{ "rfc/lengths_256_64k",	t_rfc_lengths },
	{ "rfc/accept_key",		t_accept_key },
	{ "parse/nonminimal_lengths",	t_nonminimal_lengths },
	{ "parse/partial_headers",	t_partial_headers },
	{ "parse/refusals",		t_refusals },
	{ "parse/refusal_reasons",	t_refusal_reasons },
	{ "mask/pieces_at_offsets",	t_mask_pieces },
	{ "build/round_trip",		t_round_trip },
	{ "close/parse",		t_close_parse },
	{ "close/build_truncates",	t_close_build },
	{ "utf8/validator",		t_utf8 },
};
VG_TEST_MAIN(cases)
