/*
 * HTTP/1.1 message heads and chunked bodies, parsed without I/O (see
 * httpparse.h). Strict on purpose: this faces the internet, maybe behind a
 * proxy, and anything two parsers could read two ways is refused rather
 * than guessed at. No allocation, no globals; any thread.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "httpparse.h"

#define HP_MAX_CHUNK_DIGITS	10	/* 2^40 - 1 at most */
#define HP_MAX_CHUNK_LINE	4096	/* size + extension, or a trailer */

/*
 * The chunked decoder's private state packs three fields into one int, so
 * that struct hp_chunked stays as the header has it: the kind below, the
 * hex digits seen on the size line, and the bytes of the current line.
 */
enum hp_cs {
	HP_CS_SIZE,		/* size line: hex digits */
	HP_CS_BWS,		/* blanks after the digits: ';' must follow */
	HP_CS_EXT,		/* an extension, skipped */
	HP_CS_SIZE_LF,		/* CR seen at the end of the size line */
	HP_CS_DATA,		/* chunk data, c->left bytes to go */
	HP_CS_DATA_CR,		/* the line end after the data */
	HP_CS_DATA_LF,		/* CR seen after the data */
	HP_CS_TRAILER,		/* start of a trailer line or the last line */
	HP_CS_TLINE,		/* inside a trailer line, skipped */
	HP_CS_TLINE_LF,		/* CR seen at the end of a trailer line */
	HP_CS_END_LF,		/* CR seen on the last line */
	HP_CS_DONE
};

#define HP_CS_KIND(s)		((s) & 0x0f)
#define HP_CS_DIGITS(s)		(((s) >> 4) & 0x0f)
#define HP_CS_LINE(s)		((s) >> 8)
#define HP_CS_PACK(k, d, l)	((int)(k) | ((d) << 4) | ((l) << 8))

/* Set *WHY (when given) and return -1. */
static int
hp_fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return (-1);
}

/* True for an RFC 9110 tchar. */
static int
hp_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z'))
		return (1);
	return (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* True for the bytes a field value or reason may not hold. */
static int
hp_ctl(unsigned char ch)
{
	return ((ch < 0x20 && ch != '\t') || ch == 0x7f);
}

/* True for an ASCII digit, whatever the locale says. */
static int
hp_digit(unsigned char ch)
{
	return (ch >= '0' && ch <= '9');
}

/* True for SP and HTAB. */
static int
hp_blank(unsigned char ch)
{
	return (ch == ' ' || ch == '\t');
}

/* The value of hex digit CH, or -1. */
static int
hp_hex(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	return (-1);
}

/* ASCII lower case, whatever the locale says. */
static unsigned char
hp_lower(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
}

/* True when A and B (N bytes each) match ignoring ASCII case. */
static int
hp_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (hp_lower(a[i]) != hp_lower(b[i]))
			return (0);
	}
	return (1);
}

/*
 * The length of the head at BUF up to and including its blank line, or 0
 * when that line has not arrived.
 */
static size_t
hp_head_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while ((p = memchr(p, '\n', end - p)) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (p + 1 - buf);
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			return (p + 2 - buf);
	}
	return (0);
}

/*
 * Check the protocol version S (N bytes): 0 with *MINOR set, or -1 with
 * *WHY set (BAD when it is not a version at all).
 */
static int
hp_version(const char *s, size_t n, int *minor, const char *bad,
    const char **why)
{
	if (n == 8 && memcmp(s, "HTTP/1.", 7) == 0 &&
	    (s[7] == '0' || s[7] == '1')) {
		*minor = s[7] - '0';
		return (0);
	}
	/* HTTP/2, HTTP/1.2, HTTP/3.0: a version, just not ours. */
	if (n >= 6 && memcmp(s, "HTTP/", 5) == 0 && hp_digit(s[5]) &&
	    (n == 6 || (n == 8 && s[6] == '.' && hp_digit(s[7]))))
		return (hp_fail(why, "unsupported HTTP version"));
	return (hp_fail(why, bad));
}

/* Parse the request line S (N bytes; S[N] is its line end, writable). */
static int
hp_request_line(char *s, size_t n, struct hp_head *h, const char **why)
{
	size_t i = 0, t;

	while (i < n && hp_tchar(s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ' ')
		return (hp_fail(why, "bad request line"));
	s[i++] = '\0';
	t = i;
	while (i < n && (unsigned char)s[i] >= 0x21 &&
	    (unsigned char)s[i] <= 0x7e)
		i++;
	if (i == t || i == n)
		return (hp_fail(why, "bad request line"));
	if (s[i] != ' ')
		return (hp_fail(why, "bad request target"));
	s[i++] = '\0';
	if (hp_version(s + i, n - i, &h->minor, "bad request line", why) == -1)
		return (-1);
	s[n] = '\0';
	h->method = s;
	h->target = s + t;
	return (0);
}

/* Parse the status line S (N bytes; S[N] is its line end, writable). */
static int
hp_status_line(char *s, size_t n, struct hp_head *h, const char **why)
{
	const char *sp;
	size_t v, i;

	sp = memchr(s, ' ', n);
	v = sp != NULL ? (size_t)(sp - s) : n;
	if (hp_version(s, v, &h->minor, "bad status line", why) == -1)
		return (-1);
	/* SP 3DIGIT, then SP reason, or nothing at all. */
	if (n < v + 4 || (n > v + 4 && s[v + 4] != ' '))
		return (hp_fail(why, "bad status line"));
	for (i = v + 1; i < v + 4; i++) {
		if (!hp_digit(s[i]))
			return (hp_fail(why, "bad status line"));
	}
	h->status = (s[v + 1] - '0') * 100 + (s[v + 2] - '0') * 10 +
	    (s[v + 3] - '0');
	if (h->status < 100 || h->status > 599)
		return (hp_fail(why, "bad status code"));
	for (i = v + 4; i < n; i++) {
		if (hp_ctl(s[i]))
			return (hp_fail(why, "bad reason phrase"));
	}
	s[v] = '\0';
	s[n] = '\0';
	h->reason = n > v + 4 ? s + v + 5 : s + n;
	return (0);
}

/* Parse header line S (N bytes; S[N] is its line end, writable) into HF. */
static int
hp_header_line(char *s, size_t n, struct hp_header *hf, const char **why)
{
	size_t i = 0, v, e, j;

	if (hp_blank(s[0]))
		return (hp_fail(why, "obsolete line folding"));
	while (i < n && hp_tchar(s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ':') {
		if (memchr(s, ':', n) == NULL)
			return (hp_fail(why, "header line without ':'"));
		return (hp_fail(why, "bad header name"));
	}
	for (v = i + 1; v < n && hp_blank(s[v]); v++)
		;
	for (e = n; e > v && hp_blank(s[e - 1]); e--)
		;
	for (j = v; j < e; j++) {
		if (hp_ctl(s[j]))
			return (hp_fail(why, "bad header value"));
	}
	s[i] = '\0';
	s[e] = '\0';
	hf->name = s;
	hf->value = s + v;
	return (0);
}

int
hp_parse_head(char *buf, size_t len, int response, struct hp_head *h,
    const char **why)
{
	size_t hlen, pos, n;
	char *s, *nl;
	int rc;

	if ((hlen = hp_head_end(buf, len)) == 0)
		return (0);
	h->method = h->target = h->reason = NULL;
	h->status = h->minor = 0;
	h->nhdrs = 0;
	h->len = hlen;

	/* Every line ends inside the head: hp_head_end() saw its LF. */
	for (pos = 0;; pos = nl + 1 - buf) {
		s = buf + pos;
		nl = memchr(s, '\n', hlen - pos);
		n = nl - s;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (pos == 0) {
			rc = response ? hp_status_line(s, n, h, why) :
			    hp_request_line(s, n, h, why);
			if (rc == -1)
				return (-1);
			continue;
		}
		if (n == 0)
			break;		/* the blank line, at hlen */
		if (h->nhdrs == HP_MAX_HEADERS)
			return (hp_fail(why, "too many headers"));
		if (hp_header_line(s, n, &h->hdrs[h->nhdrs], why) == -1)
			return (-1);
		h->nhdrs++;
	}
	return (1);
}

const char *
hp_header(const struct hp_head *h, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < h->nhdrs; i++) {
		if (strlen(h->hdrs[i].name) == n &&
		    hp_caseeq(h->hdrs[i].name, name, n))
			return (h->hdrs[i].value);
	}
	return (NULL);
}

int
hp_has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token);
	const char *s, *e, *a, *b;

	/* NULL is allowed so that a missing header can be passed as is. */
	if (value == NULL || tlen == 0)
		return (0);
	for (s = value;; s = e + 1) {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		for (a = s; a < e && hp_blank(*a); a++)
			;
		for (b = e; b > a && hp_blank(b[-1]); b--)
			;
		if ((size_t)(b - a) == tlen && hp_caseeq(a, token, tlen))
			return (1);
		if (*e == '\0')
			return (0);
	}
}

int
hp_content_length(const char *value, uint64_t *n)
{
	uint64_t v = 0;
	size_t digits = 0;

	if (value == NULL)
		return (-1);
	while (hp_blank(*value))
		value++;
	for (; hp_digit(*value); value++) {
		if (++digits > 18)
			return (-1);	/* fits in 63 bits, no overflow */
		v = v * 10 + (*value - '0');
	}
	while (hp_blank(*value))
		value++;
	if (digits == 0 || *value != '\0')
		return (-1);
	*n = v;
	return (0);
}

int
hp_split_target(const char *target, char *path, size_t path_size,
    const char **query)
{
	const char *p, *end;
	unsigned char b;
	size_t o = 0, i, seg;
	int hi, lo;

	if (path_size == 0)
		return (-1);
	if (target == NULL || target[0] != '/')
		goto fail;
	if ((end = strchr(target, '?')) == NULL)
		end = target + strlen(target);
	for (p = target; p < end; p++) {
		b = *p;
		if (b == '%') {
			/* A short escape meets '?' or NUL: not hex. */
			if ((hi = hp_hex(p[1])) == -1 ||
			    (lo = hp_hex(p[2])) == -1)
				goto fail;
			b = (unsigned char)(hi << 4 | lo);
			p += 2;
		}
		if (b < 0x20 || b == 0x7f)
			goto fail;
		if (o + 1 >= path_size)
			goto fail;
		path[o++] = (char)b;
	}
	path[o] = '\0';

	/* Checked after decoding, so "%2e%2e" and "%2f" cannot hide one. */
	for (i = seg = 1; i <= o; i++) {
		if (i == o || path[i] == '/') {
			if (i - seg == 2 && path[seg] == '.' &&
			    path[seg + 1] == '.')
				goto fail;
			seg = i + 1;
		}
	}
	*query = *end == '?' ? end + 1 : end;
	return (0);

fail:
	path[0] = '\0';
	return (-1);
}

ssize_t
hp_chunked_decode(struct hp_chunked *c, char *buf, size_t len, size_t *used,
    const char **why)
{
	int kind = HP_CS_KIND(c->state), digits = HP_CS_DIGITS(c->state);
	int line = HP_CS_LINE(c->state), d;
	size_t i = 0, out = 0, n;
	unsigned char ch;

	*used = 0;
	while (i < len && kind != HP_CS_DONE) {
		ch = buf[i];
		switch (kind) {
		case HP_CS_SIZE:
			if ((d = hp_hex(ch)) != -1) {
				if (++digits > HP_MAX_CHUNK_DIGITS)
					goto too_large;
				c->left = c->left << 4 | (uint64_t)d;
			} else if (digits == 0) {
				if (ch == '\r' || ch == '\n')
					goto empty_line;
				if (ch == ';' || hp_blank(ch))
					goto no_digits;
				goto bad_size;
			} else if (ch == ';')
				kind = HP_CS_EXT;
			else if (hp_blank(ch))
				kind = HP_CS_BWS;
			else if (ch == '\r')
				kind = HP_CS_SIZE_LF;
			else if (ch == '\n')
				goto size_done;
			else
				goto bad_size;
			break;
		case HP_CS_BWS:
			/* RFC 9112: blanks only before an extension. */
			if (ch == ';')
				kind = HP_CS_EXT;
			else if (!hp_blank(ch))
				goto bad_size;
			break;
		case HP_CS_EXT:
			if (ch == '\r')
				kind = HP_CS_SIZE_LF;
			else if (ch == '\n')
				goto size_done;
			else if (hp_ctl(ch))
				goto bad_ext;
			break;
		case HP_CS_SIZE_LF:
			if (ch != '\n')
				goto bad_size;
		size_done:
			kind = c->left == 0 ? HP_CS_TRAILER : HP_CS_DATA;
			digits = line = 0;
			i++;
			continue;
		case HP_CS_DATA:
			n = len - i;
			if (n > c->left)
				n = (size_t)c->left;
			memmove(buf + out, buf + i, n);	/* out <= i */
			out += n;
			i += n;
			if ((c->left -= n) == 0)
				kind = HP_CS_DATA_CR;
			continue;
		case HP_CS_DATA_CR:
			if (ch == '\r')
				kind = HP_CS_DATA_LF;
			else if (ch == '\n')
				goto next_chunk;
			else
				goto no_crlf;
			break;
		case HP_CS_DATA_LF:
			if (ch != '\n')
				goto no_crlf;
		next_chunk:
			kind = HP_CS_SIZE;
			i++;
			continue;	/* the LF is no size line byte */
		case HP_CS_TRAILER:
			if (ch == '\r')
				kind = HP_CS_END_LF;
			else if (ch == '\n')
				kind = HP_CS_DONE;
			else {
				kind = HP_CS_TLINE;
				continue;	/* count it as a line byte */
			}
			break;
		case HP_CS_TLINE:
			if (ch == '\r')
				kind = HP_CS_TLINE_LF;
			else if (ch == '\n') {
				kind = HP_CS_TRAILER;
				line = 0;
			} else if (hp_ctl(ch))
				goto bad_trailer;
			break;
		case HP_CS_TLINE_LF:
		case HP_CS_END_LF:
			if (ch != '\n')
				goto bad_trailer;
			kind = kind == HP_CS_END_LF ? HP_CS_DONE :
			    HP_CS_TRAILER;
			line = 0;
			break;
		default:
			return (hp_fail(why, "bad chunked decoder state"));
		}
		/* Only the size line and trailers get here with a byte. */
		if ((kind == HP_CS_SIZE || kind == HP_CS_BWS ||
		    kind == HP_CS_EXT || kind == HP_CS_TLINE) &&
		    ++line > HP_MAX_CHUNK_LINE)
			goto too_long;
		i++;
	}
	if (kind == HP_CS_DONE)
		c->done = 1;
	c->state = HP_CS_PACK(kind, digits, line);
	*used = i;
	return ((ssize_t)out);

too_large:
	return (hp_fail(why, "chunk too large"));
empty_line:
	return (hp_fail(why, "empty chunk size line"));
no_digits:
	return (hp_fail(why, "chunk size without digits"));
bad_size:
	return (hp_fail(why, "bad chunk size line"));
bad_ext:
	return (hp_fail(why, "bad chunk extension"));
no_crlf:
	return (hp_fail(why, "missing CRLF after chunk data"));
bad_trailer:
	return (hp_fail(why, "bad chunked trailer"));
too_long:
	return (hp_fail(why, "chunk line too long"));
}
