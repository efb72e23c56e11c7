/*
 * Tests for the HTTP/1.1 head parser and chunked body decoder
 * (core/httpparse.c): the heads our listener reads (Twilio webhooks,
 * WebSocket upgrades), the 101 responses to our own handshakes, every
 * refusal, and chunked bodies cut at every place a read may end.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"
#include "vg_test.h"

#define BUF_SIZE	16384
#define S(lit)		(lit), sizeof(lit) - 1	/* a literal and its length */
#define ALL		((size_t)-1)	/* decodes_to(): every byte used */

static char buf[BUF_SIZE];
static struct hp_head h;

/* Copy LEN bytes of IN into buf and parse them; the result of the parser. */
static int
parse(const char *in, size_t len, int response, const char **why)
{
	*why = NULL;
	memcpy(buf, in, len);
	memset(buf + len, 'Z', 16);	/* guard: must stay untouched */
	return (hp_parse_head(buf, len, response, &h, why));
}

/* ---- request heads ---- */

/* A Twilio webhook POST, parsed in place; the body after it untouched. */
static void
t_twilio_post(void)
{
	static const char head[] =
	    "POST /twilio/incoming-call?x=1 HTTP/1.1\r\n"
	    "Host: voice.example.com\r\n"
	    "X-Twilio-Signature: 0mQ5lPdVGAIxbdc4TDD7Nh6zlrY=\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 21\r\n"
	    "I-Twilio-Idempotency-Token: 4a5b\r\n"
	    "\r\n";
	static const char body[] = "CallSid=CA123&From=%2B";
	char in[sizeof(head) + sizeof(body)];
	const char *why;
	uint64_t cl;

	memcpy(in, head, sizeof(head) - 1);
	memcpy(in + sizeof(head) - 1, body, sizeof(body));
	VG_CHECK_INT(parse(in, strlen(in), 0, &why), 1);
	VG_CHECK_INT(h.len, sizeof(head) - 1);
	VG_CHECK(memcmp(buf + h.len, body, sizeof(body) - 1) == 0);
	VG_CHECK_STR(h.method, "POST");
	VG_CHECK_STR(h.target, "/twilio/incoming-call?x=1");
	VG_CHECK_INT(h.minor, 1);
	VG_CHECK(h.reason == NULL);
	VG_CHECK_INT(h.nhdrs, 5);
	VG_CHECK_STR(h.hdrs[0].name, "Host");
	VG_CHECK_STR(h.hdrs[0].value, "voice.example.com");
	VG_CHECK_STR(hp_header(&h, "x-twilio-signature"),
	    "0mQ5lPdVGAIxbdc4TDD7Nh6zlrY=");
	VG_CHECK_STR(hp_header(&h, "CONTENT-TYPE"),
	    "application/x-www-form-urlencoded");
	VG_CHECK(hp_header(&h, "Transfer-Encoding") == NULL);
	VG_CHECK(hp_header(&h, "Host:") == NULL);
	VG_CHECK(hp_header(&h, "Hos") == NULL);
	VG_CHECK_INT(hp_content_length(hp_header(&h, "content-length"), &cl),
	    0);
	VG_CHECK_INT(cl, 21);
}

/* A WebSocket upgrade GET, HTTP/1.0 minor, and tokens in Connection. */
static void
t_ws_upgrade(void)
{
	const char *why;

	VG_CHECK_INT(parse(S(
	    "GET /media HTTP/1.1\r\n"
	    "Host: gw.example.com:8443\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Protocol: audio.twilio.com\r\n"
	    "\r\n"), 0, &why), 1);
	VG_CHECK_STR(h.method, "GET");
	VG_CHECK_STR(h.target, "/media");
	VG_CHECK_INT(h.nhdrs, 6);
	VG_CHECK(hp_has_token(hp_header(&h, "connection"), "upgrade"));
	VG_CHECK(hp_has_token(hp_header(&h, "Upgrade"), "WebSocket"));
	VG_CHECK_STR(hp_header(&h, "sec-websocket-key"),
	    "dGhlIHNhbXBsZSBub25jZQ==");
	VG_CHECK_INT(parse(S("OPTIONS * HTTP/1.0\r\n\r\n"), 0, &why), 1);
	VG_CHECK_STR(h.method, "OPTIONS");
	VG_CHECK_STR(h.target, "*");
	VG_CHECK_INT(h.minor, 0);
	VG_CHECK_INT(h.nhdrs, 0);
	VG_CHECK_INT(h.len, 22);
}

/* Bare LF line ends, alone or mixed with CRLF. */
static void
t_bare_lf(void)
{
	const char *why;

	VG_CHECK_INT(parse(S("GET /a HTTP/1.1\nHost: x\nA: b\n\nrest"), 0,
	    &why), 1);
	VG_CHECK_INT(h.len, 30);
	VG_CHECK(memcmp(buf + h.len, "rest", 4) == 0);
	VG_CHECK_STR(h.target, "/a");
	VG_CHECK_INT(h.nhdrs, 2);
	VG_CHECK_STR(hp_header(&h, "a"), "b");
	VG_CHECK_INT(parse(S("GET / HTTP/1.1\r\nHost: x\n\r\n"), 0, &why), 1);
	VG_CHECK_STR(hp_header(&h, "host"), "x");
	VG_CHECK_INT(h.len, 26);
	VG_CHECK_INT(parse(S("GET / HTTP/1.1\nHost: x\r\n\n"), 0, &why), 1);
	VG_CHECK_INT(h.len, 25);
}

/* Values trimmed both sides; inner blanks, tabs and bytes >= 0x80 kept. */
static void
t_values(void)
{
	const char *why;

	VG_CHECK_INT(parse(S("GET / HTTP/1.1\r\n"
	    "A:  \t a \t b \t \r\n"
	    "B:\r\n"
	    "C: \t \r\n"
	    "D:caf\xc3\xa9\xff\r\n"
	    "a: second\r\n"
	    "!#$%&'*+-.^_`|~09azAZ: tchars\r\n"
	    "\r\n"), 0, &why), 1);
	VG_CHECK_STR(hp_header(&h, "a"), "a \t b");
	VG_CHECK_STR(hp_header(&h, "B"), "");
	VG_CHECK_STR(hp_header(&h, "C"), "");
	VG_CHECK_STR(hp_header(&h, "d"), "caf\xc3\xa9\xff");
	VG_CHECK_STR(hp_header(&h, "!#$%&'*+-.^_`|~09AZaz"), "tchars");
	VG_CHECK_INT(h.nhdrs, 6);
	VG_CHECK_STR(h.hdrs[4].value, "second");
}

/* Any prefix of a head: 0, and not one byte of the buffer changed. */
static void
t_incomplete(void)
{
	static const char *heads[] = {
		"POST /t HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		("HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: websocket\r\n\r\n"),
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\n\r\n",
	};
	char copy[256];
	const char *why;
	size_t i, k, n;
	int resp;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		n = strlen(heads[i]);
		resp = heads[i][0] == 'H';
		for (k = 0; k < n; k++) {
			memcpy(copy, heads[i], n);
			VG_CHECK_INT(hp_parse_head(copy, k, resp, &h, &why), 0);
			VG_CHECK(memcmp(copy, heads[i], n) == 0);
		}
		VG_CHECK_INT(hp_parse_head(copy, n, resp, &h, &why), 1);
		VG_CHECK_INT(h.len, n);
	}
	/* Garbage without a blank line is still just "not yet". */
	VG_CHECK_INT(parse(S("\x01\x02 garbage\r\n\r"), 0, &why), 0);
	VG_CHECK_INT(parse(S(""), 0, &why), 0);
}

/* One malformed head and the reason expected. */
struct bad_head {
	const char	*in;
	size_t		 len;
	int		 response;
	const char	*why;
};

#define BAD(lit, resp, why)	{ (lit), sizeof(lit) - 1, (resp), (why) }

static const struct bad_head bad_heads[] = {
	BAD("G(T / HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD(" / HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET  / HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET /  HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET\t/ HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET /a b HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET / HTTP/1.1 \r\n\r\n", 0, "bad request line"),
	BAD("GET /\r\n\r\n", 0, "bad request line"),
	BAD("GET\r\n\r\n", 0, "bad request line"),
	BAD("GET / http/1.1\r\n\r\n", 0, "bad request line"),
	BAD("GET / HTTP/1.1x\r\n\r\n", 0, "bad request line"),
	BAD("\r\nGET / HTTP/1.1\r\n\r\n", 0, "bad request line"),
	BAD("\n\n", 0, "bad request line"),
	BAD("GET /a\x01 HTTP/1.1\r\n\r\n", 0, "bad request target"),
	BAD("GET /a\x7f HTTP/1.1\r\n\r\n", 0, "bad request target"),
	BAD("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 0, "bad request target"),
	BAD("GET /\0 HTTP/1.1\r\n\r\n", 0, "bad request target"),
	BAD("GET / HTTP/1.2\r\n\r\n", 0, "unsupported HTTP version"),
	BAD("GET / HTTP/2.0\r\n\r\n", 0, "unsupported HTTP version"),
	BAD("GET / HTTP/2\r\n\r\n", 0, "unsupported HTTP version"),
	BAD("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\nH\xc3\xa9: x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\n: x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\n\rHost: x\r\n\r\n", 0, "bad header name"),
	BAD("GET / HTTP/1.1\r\nHost x\r\n\r\n", 0, "header line without ':'"),
	BAD("GET / HTTP/1.1\r\nHost\r\n\r\n", 0, "header line without ':'"),
	BAD("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 0,
	    "obsolete line folding"),
	BAD("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 0,
	    "obsolete line folding"),
	BAD("GET / HTTP/1.1\r\n Host: x\r\n\r\n", 0, "obsolete line folding"),
	BAD("GET / HTTP/1.1\r\nA: b\x01" "c\r\n\r\n", 0, "bad header value"),
	BAD("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 0, "bad header value"),
	BAD("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 0, "bad header value"),
	BAD("GET / HTTP/1.1\r\nA: b\r\r\n\r\n", 0, "bad header value"),
	BAD("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 0, "bad header value"),
	BAD("GET / HTTP/1.1\r\nA: \x1b[31m\r\n\r\n", 0, "bad header value"),
	BAD("HTTP/1.1 99 x\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 2000 OK\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 200OK\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1  200 OK\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 2x0 OK\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 \r\n\r\n", 1, "bad status line"),
	BAD("ICY 200 OK\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 099 x\r\n\r\n", 1, "bad status code"),
	BAD("HTTP/1.1 600 x\r\n\r\n", 1, "bad status code"),
	BAD("HTTP/1.1 200 O\x01K\r\n\r\n", 1, "bad reason phrase"),
	BAD("HTTP/2 200 OK\r\n\r\n", 1, "unsupported HTTP version"),
	BAD("HTTP/1.2 200 OK\r\n\r\n", 1, "unsupported HTTP version"),
	BAD("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 1, "bad header name"),
	BAD("GET / HTTP/1.1\r\n\r\n", 1, "bad status line"),
	BAD("HTTP/1.1 200 OK\r\n\r\n", 0, "bad request line"),
};

/* Every refusal, with its reason. */
static void
t_refused(void)
{
	const struct bad_head *b;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
		b = &bad_heads[i];
		if (parse(b->in, b->len, b->response, &why) != -1 ||
		    why == NULL || strcmp(why, b->why) != 0) {
			fprintf(stderr, "  bad_heads[%zu]: got \"%s\", "
			    "want \"%s\"\n", i, why != NULL ? why : "(null)",
			    b->why);
			vg_test_case_failed = 1;
		}
		VG_CHECK(memcmp(buf + b->len, "ZZZZZZZZZZZZZZZZ", 16) == 0);
	}
}

/* Build a request head with N headers into buf; returns its length. */
static size_t
many_headers(int n)
{
	size_t len;
	int i;

	len = (size_t)snprintf(buf, BUF_SIZE, "GET / HTTP/1.1\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, BUF_SIZE - len,
		    "X-H%d: v%d\r\n", i, i);
	len += (size_t)snprintf(buf + len, BUF_SIZE - len, "\r\n");
	return (len);
}

/* HP_MAX_HEADERS headers fit; one more is refused. */
static void
t_header_limit(void)
{
	const char *why = NULL;
	size_t len;

	len = many_headers(HP_MAX_HEADERS);
	VG_CHECK_INT(hp_parse_head(buf, len, 0, &h, &why), 1);
	VG_CHECK_INT(h.nhdrs, HP_MAX_HEADERS);
	VG_CHECK_STR(hp_header(&h, "x-h63"), "v63");
	len = many_headers(HP_MAX_HEADERS + 1);
	VG_CHECK_INT(hp_parse_head(buf, len, 0, &h, &why), -1);
	VG_CHECK_STR(why, "too many headers");
}

/* ---- response heads ---- */

/* The 101 answer to our WebSocket handshake, and a frame right behind. */
static void
t_response_101(void)
{
	const char *why;

	VG_CHECK_INT(parse(S(
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "\r\n\x81\x05hello"), 1, &why), 1);
	VG_CHECK_INT(h.status, 101);
	VG_CHECK_STR(h.reason, "Switching Protocols");
	VG_CHECK_INT(h.minor, 1);
	VG_CHECK(h.method == NULL && h.target == NULL);
	VG_CHECK_INT(h.nhdrs, 3);
	VG_CHECK_STR(hp_header(&h, "sec-websocket-accept"),
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	VG_CHECK(memcmp(buf + h.len, "\x81\x05hello", 7) == 0);
	VG_CHECK_INT(h.len, 129);
}

/* Status lines: with, empty and missing reasons. */
static void
t_status_lines(void)
{
	const char *why;

	VG_CHECK_INT(parse(S("HTTP/1.1 200 OK\r\n\r\n"), 1, &why), 1);
	VG_CHECK_INT(h.status, 200);
	VG_CHECK_STR(h.reason, "OK");
	VG_CHECK_INT(parse(S("HTTP/1.1 404 \r\n\r\n"), 1, &why), 1);
	VG_CHECK_INT(h.status, 404);
	VG_CHECK_STR(h.reason, "");
	VG_CHECK_INT(parse(S("HTTP/1.1 204\r\n\r\n"), 1, &why), 1);
	VG_CHECK_INT(h.status, 204);
	VG_CHECK_STR(h.reason, "");
	VG_CHECK_INT(parse(S("HTTP/1.0 599 A  b\tc\xc3\xa9\nX: y\n\n"), 1,
	    &why), 1);
	VG_CHECK_INT(h.status, 599);
	VG_CHECK_INT(h.minor, 0);
	VG_CHECK_STR(h.reason, "A  b\tc\xc3\xa9");
	VG_CHECK_STR(hp_header(&h, "x"), "y");
	VG_CHECK_INT(parse(S("HTTP/1.1 100 Continue\r\n\r\n"), 1, &why), 1);
	VG_CHECK_INT(h.status, 100);
}

/* ---- header values ---- */

/* Comma lists: whole elements only, any case, blanks ignored. */
static void
t_has_token(void)
{
	VG_CHECK(hp_has_token("keep-alive, Upgrade", "upgrade"));
	VG_CHECK(hp_has_token("Upgrade", "upgrade"));
	VG_CHECK(hp_has_token("keep-alive,Upgrade", "UPGRADE"));
	VG_CHECK(hp_has_token(" \tupgrade\t ", "upgrade"));
	VG_CHECK(hp_has_token("a,,upgrade", "upgrade"));
	VG_CHECK(hp_has_token("upgrade , close", "close"));
	VG_CHECK(hp_has_token("websocket", "websocket"));
	VG_CHECK(!hp_has_token("upgrade-foo", "upgrade"));
	VG_CHECK(!hp_has_token("foo-upgrade", "upgrade"));
	VG_CHECK(!hp_has_token("upgrad", "upgrade"));
	VG_CHECK(!hp_has_token("upgrades", "upgrade"));
	VG_CHECK(!hp_has_token("up grade", "upgrade"));
	VG_CHECK(!hp_has_token("", "upgrade"));
	VG_CHECK(!hp_has_token(" , ,", "upgrade"));
	VG_CHECK(!hp_has_token("a,,b", ""));
	VG_CHECK(!hp_has_token(NULL, "upgrade"));
}

/* Content-Length: digits only, blanks around, 18 digits at most. */
static void
t_content_length(void)
{
	static const char *bad[] = {
		"", " ", "\t", "+5", "-1", "1 2", "0x10", "1,1", "12a", "a12",
		"5, 5", "1234567890123456789", "0000000000000000000",
		"1.0", "\xd9\xa1",
	};
	uint64_t n;
	size_t i;

	VG_CHECK_INT(hp_content_length("0", &n), 0);
	VG_CHECK_INT(n, 0);
	VG_CHECK_INT(hp_content_length("42", &n), 0);
	VG_CHECK_INT(n, 42);
	VG_CHECK_INT(hp_content_length(" \t 7 \t", &n), 0);
	VG_CHECK_INT(n, 7);
	VG_CHECK_INT(hp_content_length("000000000000000001", &n), 0);
	VG_CHECK_INT(n, 1);
	VG_CHECK_INT(hp_content_length("999999999999999999", &n), 0);
	VG_CHECK(n == 999999999999999999ULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 12345;
		if (hp_content_length(bad[i], &n) != -1 || n != 12345) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			vg_test_case_failed = 1;
		}
	}
	VG_CHECK_INT(hp_content_length(NULL, &n), -1);
}

/* ---- request targets ---- */

/* Split TARGET into a PATH_SIZE path; check PATH and QUERY when given. */
static int
split_is(const char *target, size_t path_size, const char *path,
    const char *query)
{
	char out[256];
	const char *q = NULL;

	memset(out, 'Z', sizeof(out));
	if (hp_split_target(target, out, path_size, &q) != 0) {
		fprintf(stderr, "  \"%s\" refused\n", target);
		return (0);
	}
	if (strcmp(out, path) != 0 || q == NULL || strcmp(q, query) != 0 ||
	    q < target || q > target + strlen(target)) {
		fprintf(stderr, "  \"%s\": \"%s\" \"%s\"\n", target, out,
		    q != NULL ? q : "(null)");
		return (0);
	}
	return (1);
}

/* Origin-form targets: decoded paths, raw queries. */
static void
t_split_ok(void)
{
	VG_CHECK(split_is("/", 256, "/", ""));
	VG_CHECK(split_is("/a/b?x=1&y=%20", 256, "/a/b", "x=1&y=%20"));
	VG_CHECK(split_is("/p?", 256, "/p", ""));
	VG_CHECK(split_is("/?q", 256, "/", "q"));
	VG_CHECK(split_is("/a?b?c", 256, "/a", "b?c"));
	VG_CHECK(split_is("/%41%6a%6A", 256, "/Ajj", ""));
	VG_CHECK(split_is("/a%2Fb%2fc", 256, "/a/b/c", ""));
	VG_CHECK(split_is("/a+b%20c", 256, "/a+b c", ""));
	VG_CHECK(split_is("/caf%c3%A9", 256, "/caf\xc3\xa9", ""));
	VG_CHECK(split_is("/%3F?%3F", 256, "/?", "%3F"));
	VG_CHECK(split_is("/a..b", 256, "/a..b", ""));
	VG_CHECK(split_is("/..a", 256, "/..a", ""));
	VG_CHECK(split_is("/a/..b/", 256, "/a/..b/", ""));
	VG_CHECK(split_is("/a/.../b", 256, "/a/.../b", ""));
	VG_CHECK(split_is("/./a/.", 256, "/./a/.", ""));
	VG_CHECK(split_is("//a", 256, "//a", ""));
	VG_CHECK(split_is("/x?/../..", 256, "/x", "/../.."));
	/* Exact fit, counting the NUL; escapes count decoded. */
	VG_CHECK(split_is("/abc", 5, "/abc", ""));
	VG_CHECK(split_is("/%41%42?q", 4, "/AB", "q"));
}

/* Refused targets: not origin-form, bad escapes, controls, "..", no fit. */
static void
t_split_refused(void)
{
	static const char *bad[] = {
		"", "a/b", "*", "http://x/", "?a", "%2fa",
		"/%zz", "/%4", "/%", "/%4?x", "/%?", "/%g0", "/%0g",
		"/%00", "/a%00b", "/%1f", "/%7f", "/%0a", "/%0D", "/\x01",
		"/\x7f", "/a\tb",
		"/..", "/../", "/a/../b", "/a/%2e%2E/b", "/a/%2e%2e", "/..?x",
		"/a/..", "/%2E%2E", "/a%2f..%2fb", "/a/.%2e/", "//..",
	};
	char out[256];
	const char *q;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hp_split_target(bad[i], out, sizeof(out), &q) != -1) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			vg_test_case_failed = 1;
		}
	}
	VG_CHECK_INT(hp_split_target("/abc", out, 4, &q), -1);
	VG_CHECK_INT(hp_split_target("/abc", out, 0, &q), -1);
	VG_CHECK_INT(hp_split_target("/", out, 1, &q), -1);
	VG_CHECK_INT(hp_split_target("/", out, 2, &q), 0);
}

/* ---- chunked bodies ---- */

/* What one decoding gave. */
struct dec {
	char		 out[BUF_SIZE];
	size_t		 outlen;
	size_t		 used;		/* input consumed, over all calls */
	int		 done;
	int		 rc;		/* -1 when a call failed */
	const char	*why;
};

/*
 * Decode the LEN bytes of IN in pieces: the first of FIRST bytes (all when
 * 0), then pieces of STEP bytes (the rest at once when 0). Each piece is
 * decoded in a buffer of its own, as a reader would.
 */
static void
decode(const char *in, size_t len, size_t first, size_t step, struct dec *d)
{
	struct hp_chunked c;
	char piece[BUF_SIZE];
	size_t at = 0, n, used;
	ssize_t r;

	memset(&c, 0, sizeof(c));
	memset(d, 0, sizeof(*d));
	while (at < len && !c.done) {
		n = len - at;
		if (at == 0 && first != 0 && first < n)
			n = first;
		else if (at != 0 && step != 0 && step < n)
			n = step;
		memcpy(piece, in + at, n);
		used = 12345;
		r = hp_chunked_decode(&c, piece, n, &used, &d->why);
		if (r == -1) {
			d->rc = -1;
			return;
		}
		if ((size_t)r > used || used > n || (!c.done && used != n)) {
			d->rc = -2;	/* broken contract */
			return;
		}
		memcpy(d->out + d->outlen, piece, (size_t)r);
		d->outlen += (size_t)r;
		d->used += used;
		at += n;
	}
	d->done = c.done;
}

/* IN decodes to WANT, consuming USED bytes and finishing (DONE), however
 * it is cut: at once, byte by byte, and in every two pieces. */
static int
decodes_to(const char *in, size_t len, const char *want, size_t used,
    int done)
{
	static struct dec d;
	size_t k, wlen = strlen(want);
	int ok = 1;

	if (used == ALL)
		used = len;
	for (k = 0; k <= len + 1; k++) {
		if (k == len + 1)
			decode(in, len, 1, 1, &d);	/* byte by byte */
		else
			decode(in, len, k, 0, &d);	/* 0: at once */
		if (d.rc != 0 || d.outlen != wlen ||
		    memcmp(d.out, want, wlen) != 0 || d.used != used ||
		    d.done != done) {
			fprintf(stderr, "  split %zu: rc %d (%s) out %zu used "
			    "%zu done %d\n", k, d.rc, d.why ? d.why : "",
			    d.outlen, d.used, d.done);
			ok = 0;
		}
	}
	return (ok);
}

/* IN is refused for WHY however it is cut. */
static int
refused_for(const char *in, size_t len, const char *why)
{
	static struct dec d;
	size_t k;
	int ok = 1;

	for (k = 0; k <= len + 1; k++) {
		if (k == len + 1)
			decode(in, len, 1, 1, &d);
		else
			decode(in, len, k, 0, &d);
		if (d.rc != -1 || d.why == NULL || strcmp(d.why, why) != 0) {
			fprintf(stderr, "  split %zu: rc %d why \"%s\", want "
			    "\"%s\"\n", k, d.rc, d.why ? d.why : "", why);
			ok = 0;
		}
	}
	return (ok);
}

/* The RFC's example, cut every way. */
static void
t_chunked_wiki(void)
{
	VG_CHECK(decodes_to(S("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"),
	    "Wikipedia", ALL, 1));
	VG_CHECK(decodes_to(S("4\nWiki\n5\npedia\n0\n\n"), "Wikipedia", ALL,
	    1));
	VG_CHECK(decodes_to(S("4\r\nWiki\n5\npedia\r\n0\n\r\n"), "Wikipedia",
	    ALL, 1));
	VG_CHECK(decodes_to(S("0\r\n\r\n"), "", ALL, 1));
	VG_CHECK(decodes_to(S("000\r\n\r\n"), "", ALL, 1));
	VG_CHECK(decodes_to(S("A\r\n0123456789\r\na\r\nabcdefghij\r\n"
	    "0\r\n\r\n"), "0123456789abcdefghij", ALL, 1));
	VG_CHECK(decodes_to(S("1f\r\n0123456789012345678901234567890\r\n"
	    "0\r\n\r\n"), "0123456789012345678901234567890", ALL, 1));
}

/* Extensions skipped, trailers dropped. */
static void
t_chunked_ext_trailers(void)
{
	VG_CHECK(decodes_to(S("4;name=val\r\nWiki\r\n5 ; x=\"a;b\"\t\r\n"
	    "pedia\r\n0;last\r\nX-Trailer: a\r\nY: \xc3\xa9\r\n\r\n"),
	    "Wikipedia", ALL, 1));
	VG_CHECK(decodes_to(S("4;\nWiki\n0\nA: b\n\n"), "Wiki", ALL, 1));
	VG_CHECK(decodes_to(S("4\t;x\r\nWiki\r\n0\r\n\r\n"), "Wiki", ALL, 1));
}

/* A body not over yet: everything consumed, not done. */
static void
t_chunked_partial(void)
{
	VG_CHECK(decodes_to(S("4\r\nWiki\r\n5\r\nped"), "Wikiped", ALL, 0));
	VG_CHECK(decodes_to(S("4\r\nWiki\r\n0\r\nX: y\r\n"), "Wiki", ALL, 0));
	VG_CHECK(decodes_to(S("FFFFFFFFFF\r\nab"), "ab", ALL, 0));
	VG_CHECK(decodes_to(S("ffffffffff;x\r\n"), "", ALL, 0));
}

/* After the last line, the next request's bytes are left alone. */
static void
t_chunked_stops(void)
{
	static const char in[] = "4\r\nWiki\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct hp_chunked c;
	const char *why;
	char b[64];
	size_t used;

	VG_CHECK(decodes_to(S("4\r\nWiki\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	    "Wiki", 14, 1));
	VG_CHECK(decodes_to(S("0\n\n0\r\n\r\n"), "", 3, 1));
	memset(&c, 0, sizeof(c));
	memcpy(b, in, sizeof(in));
	VG_CHECK_INT(hp_chunked_decode(&c, b, sizeof(in) - 1, &used, &why), 4);
	VG_CHECK_INT(used, 14);
	VG_CHECK_INT(c.done, 1);
	VG_CHECK(memcmp(b, "Wiki", 4) == 0);
	VG_CHECK(strcmp(b + used, "GET / HTTP/1.1\r\n\r\n") == 0);
	/* Once done, nothing more is taken. */
	VG_CHECK_INT(hp_chunked_decode(&c, b + used, 5, &used, &why), 0);
	VG_CHECK_INT(used, 0);
	VG_CHECK_INT(c.done, 1);
	/* An empty read is no error. */
	memset(&c, 0, sizeof(c));
	VG_CHECK_INT(hp_chunked_decode(&c, b, 0, &used, &why), 0);
	VG_CHECK_INT(used, 0);
	VG_CHECK_INT(c.done, 0);
}

/* Malformed bodies, refused however they are cut. */
static void
t_chunked_refused(void)
{
	VG_CHECK(refused_for(S("4x\r\nWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("g\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("-1\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("0x4\r\nWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("4 \r\nWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("4 4\r\nWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("4\rWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("\r\n"), "empty chunk size line"));
	VG_CHECK(refused_for(S("\n"), "empty chunk size line"));
	VG_CHECK(refused_for(S("4\r\nWiki\r\n\r\n"), "empty chunk size line"));
	VG_CHECK(refused_for(S(";x\r\n"), "chunk size without digits"));
	VG_CHECK(refused_for(S(" 4\r\n"), "chunk size without digits"));
	VG_CHECK(refused_for(S("10000000000\r\n"), "chunk too large"));
	VG_CHECK(refused_for(S("00000000001\r\n"), "chunk too large"));
	VG_CHECK(refused_for(S("ffffffffffffffffff1\r\n"), "chunk too large"));
	VG_CHECK(refused_for(S("4\r\nWikiX\r\n"),
	    "missing CRLF after chunk data"));
	VG_CHECK(refused_for(S("4\r\nWiki\rX"),
	    "missing CRLF after chunk data"));
	VG_CHECK(refused_for(S("4\r\nWiki\r\r\n"),
	    "missing CRLF after chunk data"));
	VG_CHECK(refused_for(S("4;a\x01\r\nWiki\r\n"), "bad chunk extension"));
	VG_CHECK(refused_for(S("4;a\rb\r\nWiki\r\n"), "bad chunk size line"));
	VG_CHECK(refused_for(S("0\r\nX: \x7f\r\n\r\n"), "bad chunked trailer"));
	VG_CHECK(refused_for(S("0\r\nX: y\rz\r\n\r\n"),
	    "bad chunked trailer"));
	VG_CHECK(refused_for(S("0\r\n\rX"), "bad chunked trailer"));
}

/* Size lines and trailers up to 4096 bytes, not one more. */
static void
t_chunked_long_lines(void)
{
	static char in[3 * 4200], want[8];
	const char *why;
	struct hp_chunked c;
	size_t n, used;

	/* "1;xxx...": 4096 bytes before the CRLF. */
	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'x', 4094);
	n += 4094;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\na\r\n");
	/* Another long one: the count starts again on each line. */
	n += (size_t)snprintf(in + n, sizeof(in) - n, "1;");
	memset(in + n, 'y', 4094);
	n += 4094;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nb\r\n0\r\nT: ");
	memset(in + n, 'z', 4093);
	n += 4093;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
	snprintf(want, sizeof(want), "ab");
	VG_CHECK(decodes_to(in, n, want, n, 1));

	memset(&c, 0, sizeof(c));
	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'x', 4095);
	n += 4095;
	VG_CHECK_INT(hp_chunked_decode(&c, in, n, &used, &why), -1);
	VG_CHECK_STR(why, "chunk line too long");

	memset(&c, 0, sizeof(c));
	n = (size_t)snprintf(in, sizeof(in), "0\r\n");
	memset(in + n, 'x', 4097);
	n += 4097;
	VG_CHECK_INT(hp_chunked_decode(&c, in, n, &used, &why), -1);
	VG_CHECK_STR(why, "chunk line too long");
}

static const struct vg_test cases[] = {
	{ "head/twilio_post",			t_twilio_post },
	{ "head/websocket_upgrade",		t_ws_upgrade },
	{ "head/bare_lf",			t_bare_lf },
	{ "head/values_trimmed",		t_values },
	{ "head/incomplete_untouched",		t_incomplete },
	{ "head/refused",			t_refused },
	{ "head/header_limit",			t_header_limit },
	{ "head/response_101",			t_response_101 },
	{ "head/status_lines",			t_status_lines },
	{ "value/has_token",			t_has_token },
	{ "value/content_length",		t_content_length },
	{ "target/split",			t_split_ok },
	{ "target/refused",			t_split_refused },
	{ "chunked/wikipedia_every_split",	t_chunked_wiki },
	{ "chunked/extensions_trailers",	t_chunked_ext_trailers },
	{ "chunked/partial_body",		t_chunked_partial },
	{ "chunked/stops_at_end",		t_chunked_stops },
	{ "chunked/refused",			t_chunked_refused },
	{ "chunked/long_lines",			t_chunked_long_lines },
};
VG_TEST_MAIN(cases)
