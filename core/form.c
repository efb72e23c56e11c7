/*
 * application/x-www-form-urlencoded: decoding form bodies and query strings,
 * and percent-encoding. Exact to the byte, since Twilio's webhook signature
 * is computed over what these produce. Pure functions: any thread.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <voicegate/voicegate.h>

#include "core.h"

/* The value of hex digit C, or -1. */
static int
form_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Decode LEN bytes of S ('+' is a space, %XX a byte) into OUT, which has
 * room for LEN + 1 bytes; OUT may be NULL to only check. Returns 0, or -1
 * for a malformed escape, a raw NUL or an escaped NUL (the result is a C
 * string, so a NUL inside it could not be told from its end).
 */
static int
form_decode(const char *s, size_t len, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			return (-1);
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (len - i < 3)
				return (-1);
			hi = form_hexval((unsigned char)s[i + 1]);
			lo = form_hexval((unsigned char)s[i + 2]);
			if (hi == -1 || lo == -1 || (hi == 0 && lo == 0))
				return (-1);
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (out != NULL)
			out[o++] = (char)c;
	}
	if (out != NULL)
		out[o] = '\0';
	return (0);
}

/*
 * Walk the '&'-separated pairs of S (LEN bytes): with FN NULL only check
 * them, otherwise decode each and hand it to FN. Empty pairs ("a=1&&b=2",
 * a trailing '&') are skipped. Returns 0 or -1.
 */
static int
form_walk(const char *s, size_t len, vg_form_fn fn, void *arg)
{
	const char *p = s, *end = s + len, *amp, *eq;
	char *key, *value;
	int stop;

	while (p < end) {
		if ((amp = memchr(p, '&', end - p)) == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if ((eq = memchr(p, '=', amp - p)) == NULL)
			eq = amp;
		if (fn == NULL) {
			if (form_decode(p, eq - p, NULL) == -1)
				return (-1);
			if (eq < amp && form_decode(eq + 1, amp - eq - 1,
			    NULL) == -1)
				return (-1);
		} else {
			key = vg_xmalloc(eq - p + 1);
			value = vg_xmalloc(eq < amp ? amp - eq : 1);
			value[0] = '\0';
			if (form_decode(p, eq - p, key) == -1 ||
			    (eq < amp && form_decode(eq + 1, amp - eq - 1,
			    value) == -1)) {
				free(value);
				free(key);
				return (-1);
			}
			stop = fn(key, value, arg);
			free(value);
			free(key);
			if (stop != 0)
				return (0);
		}
		p = amp < end ? amp + 1 : end;
	}
	return (0);
}

/* Decode a form body or query string; checks all of it before any FN. */
int
vg_form_parse(const char *s, size_t len, vg_form_fn fn, void *arg)
{
	if (s == NULL)
		return (len == 0 ? 0 : -1);
	if (form_walk(s, len, NULL, NULL) == -1)
		return (-1);
	if (fn == NULL)
		return (0);
	return (form_walk(s, len, fn, arg));
}

/* Percent-encode S, keeping only A-Z a-z 0-9 - . _ ~ as they are. */
char *
vg_url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *out, *o;

	if (s == NULL)
		return (vg_xstrdup(""));
	out = vg_xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s, o = out; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
	}
	*o = '\0';
	return (out);
}
