/*
 * Text helpers for the Twilio modules: E.164 numbers, XML escaping for
 * TwiML, and the Media Stream URL. Any thread: no state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <voicegate/util.h>

#include "twilio_text.h"

/* True for '+', then 8..15 digits, the first not zero. */
int
twilio_e164_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return (0);
	for (i = 1; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 15)
			return (0);
	}
	return (i - 1 >= 8);
}

/* S with XML's special and control characters escaped. */
char *
twilio_xml_escape(const char *s)
{
	const unsigned char *p;
	char *out, *o;
	const char *rep;

	if (s == NULL)
		s = "";
	out = vg_xmalloc(strlen(s) * 6 + 1);	/* "&quot;" is the longest */
	for (p = (const unsigned char *)s, o = out; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				continue;	/* not allowed in XML 1.0 */
			*o++ = (char)*p;
			continue;
		}
		memcpy(o, rep, strlen(rep));
		o += strlen(rep);
	}
	*o = '\0';
	return (out);
}

/* The ws(s):// URL of PATH under PUBLIC_URL. */
char *
twilio_ws_url(const char *public_url, const char *path)
{
	const char *rest, *scheme;
	size_t len;

	if (public_url == NULL || path == NULL)
		return (NULL);
	if (strncasecmp(public_url, "https://", 8) == 0) {
		scheme = "wss://";
		rest = public_url + 8;
	} else if (strncasecmp(public_url, "http://", 7) == 0) {
		scheme = "ws://";
		rest = public_url + 7;
	} else
		return (NULL);
	len = strlen(rest);
	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0)
		return (NULL);
	return (vg_asprintf("%s%.*s%s", scheme, (int)len, rest, path));
}
