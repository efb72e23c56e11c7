/*
 * A small strict XML reader for the one TwiML shape a voicegate answer may
 * have: <Response>, any <Say>s, then <Connect><Stream url><Parameter/>*
 * </Stream></Connect>. Anything else is an error.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TX_MAX_ATTRS	8
#define TX_MAX_NAME	32

/* Where the reader stands, and the first error. */
struct tx {
	const char	*p;
	const char	*end;
	const char	*start;
	char		*err;
	size_t		 errsz;
	int		 failed;
};

/* One start tag: its name, attributes and whether it closed itself. */
struct tx_tag {
	char		 name[TX_MAX_NAME];
	int		 nattrs;
	char		 aname[TX_MAX_ATTRS][TX_MAX_NAME];
	char		 aval[TX_MAX_ATTRS][SIM_MAX_VALUE];
	int		 empty;		/* <x/> */
};

/* Record the first error, with the byte offset where it was found. */
static int
tx_fail(struct tx *x, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (x->failed)
		return (-1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errsz, "TwiML offset %ld: %s",
	    (long)(x->p - x->start), msg);
	x->failed = 1;
	return (-1);
}

/* Return whether the text at the cursor starts with S. */
static int
tx_at(const struct tx *x, const char *s)
{
	size_t n = strlen(s);

	return ((size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0);
}

/* Return whether C is XML white space. */
static int
tx_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* Skip white space and comments. Returns 0 or -1. */
static int
tx_skip(struct tx *x)
{
	const char *e;

	for (;;) {
		while (x->p < x->end && tx_space(*x->p))
			x->p++;
		if (!tx_at(x, "<!--"))
			return (0);
		e = strstr(x->p + 4, "-->");
		if (e == NULL || e >= x->end)
			return (tx_fail(x, "unterminated comment"));
		x->p = e + 3;
	}
}

/* Decode the character reference or entity at the cursor (after '&') into
 * OUT at *N (room in OUTSZ). Returns 0 or -1. */
static int
tx_entity(struct tx *x, char *out, size_t *n, size_t outsz)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	unsigned long cp;
	char *e;
	size_t i;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (tx_at(x, ents[i].name)) {
			if (*n + 1 >= outsz)
				return (tx_fail(x, "value too long"));
			out[(*n)++] = ents[i].c;
			x->p += strlen(ents[i].name);
			return (0);
		}
	if (!tx_at(x, "#"))
		return (tx_fail(x, "unknown entity (a bare '&'?)"));
	x->p++;
	if (tx_at(x, "x"))
		cp = strtoul(x->p + 1, &e, 16);
	else
		cp = strtoul(x->p, &e, 10);
	if (e == x->p || e >= x->end || *e != ';' || cp == 0 || cp > 0x10ffff)
		return (tx_fail(x, "bad character reference"));
	x->p = e + 1;
	if (*n + 5 >= outsz)
		return (tx_fail(x, "value too long"));
	if (cp < 0x80)
		out[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | (cp >> 6));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | (cp >> 12));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | (cp >> 18));
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
	return (0);
}

/* Read a name (letters, digits, '_', '-', ':', '.') into OUT. Returns 0
 * or -1. */
static int
tx_name(struct tx *x, char *out)
{
	size_t n = 0;
	char c;

	while (x->p < x->end) {
		c = *x->p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (n > 0 && ((c >= '0' && c <= '9') || c == '-' ||
		    c == '.')) || c == '_' || c == ':'))
			break;
		if (n + 1 >= TX_MAX_NAME)
			return (tx_fail(x, "name too long"));
		out[n++] = c;
		x->p++;
	}
	out[n] = '\0';
	return (n == 0 ? tx_fail(x, "expected a name") : 0);
}

/* Read a start tag at the cursor into T. Returns 0 or -1. */
static int
tx_open(struct tx *x, struct tx_tag *t)
{
	char q;
	size_t n;
	int i;

	memset(t, 0, sizeof(*t));
	if (!tx_at(x, "<") || tx_at(x, "</"))
		return (tx_fail(x, "expected a start tag"));
	x->p++;
	if (tx_name(x, t->name) == -1)
		return (-1);
	for (;;) {
		if (x->p < x->end && !tx_space(*x->p) && *x->p != '>' &&
		    *x->p != '/')
			return (tx_fail(x, "expected white space in <%s>",
			    t->name));
		while (x->p < x->end && tx_space(*x->p))
			x->p++;
		if (tx_at(x, "/>")) {
			x->p += 2;
			t->empty = 1;
			return (0);
		}
		if (tx_at(x, ">")) {
			x->p++;
			return (0);
		}
		if (t->nattrs == TX_MAX_ATTRS)
			return (tx_fail(x, "too many attributes"));
		if (tx_name(x, t->aname[t->nattrs]) == -1)
			return (-1);
		for (i = 0; i < t->nattrs; i++)
			if (strcmp(t->aname[i], t->aname[t->nattrs]) == 0)
				return (tx_fail(x, "attribute %s repeated",
				    t->aname[i]));
		while (x->p < x->end && tx_space(*x->p))
			x->p++;
		if (!tx_at(x, "="))
			return (tx_fail(x, "expected '='"));
		x->p++;
		while (x->p < x->end && tx_space(*x->p))
			x->p++;
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return (tx_fail(x, "expected a quoted value"));
		q = *x->p++;
		n = 0;
		while (x->p < x->end && *x->p != q) {
			if (*x->p == '<')
				return (tx_fail(x, "'<' in an attribute"));
			if (*x->p == '&') {
				x->p++;
				if (tx_entity(x, t->aval[t->nattrs], &n,
				    SIM_MAX_VALUE) == -1)
					return (-1);
				continue;
			}
			if (n + 1 >= SIM_MAX_VALUE)
				return (tx_fail(x, "attribute too long"));
			t->aval[t->nattrs][n++] = *x->p++;
		}
		if (x->p >= x->end)
			return (tx_fail(x, "unterminated attribute"));
		x->p++;
		t->aval[t->nattrs][n] = '\0';
		t->nattrs++;
	}
}

/* Read the end tag </NAME> at the cursor. Returns 0 or -1. */
static int
tx_close(struct tx *x, const char *name)
{
	char got[TX_MAX_NAME];

	if (tx_skip(x) == -1)
		return (-1);
	if (!tx_at(x, "</"))
		return (tx_fail(x, "expected </%s>", name));
	x->p += 2;
	if (tx_name(x, got) == -1)
		return (-1);
	if (strcmp(got, name) != 0)
		return (tx_fail(x, "</%s> closes <%s>", got, name));
	while (x->p < x->end && tx_space(*x->p))
		x->p++;
	if (!tx_at(x, ">"))
		return (tx_fail(x, "expected '>'"));
	x->p++;
	return (0);
}

/* Return attribute NAME of T, or NULL. */
static const char *
tx_attr(const struct tx_tag *t, const char *name)
{
	int i;

	for (i = 0; i < t->nattrs; i++)
		if (strcmp(t->aname[i], name) == 0)
			return (t->aval[i]);
	return (NULL);
}

/* Fail unless every attribute of T is in the NULL-terminated list OK. */
static int
tx_only(struct tx *x, const struct tx_tag *t, const char *const *ok)
{
	int i, j;

	for (i = 0; i < t->nattrs; i++) {
		for (j = 0; ok[j] != NULL; j++)
			if (strcmp(t->aname[i], ok[j]) == 0)
				break;
		if (ok[j] == NULL)
			return (tx_fail(x, "unexpected attribute %s on <%s>",
			    t->aname[i], t->name));
	}
	return (0);
}

/* Read the text of a <Say> up to its end tag. Returns 0 or -1. */
static int
tx_say(struct tx *x)
{
	char text[SIM_MAX_VALUE];
	size_t n = 0;

	while (x->p < x->end && *x->p != '<') {
		if (*x->p == '&') {
			x->p++;
			if (tx_entity(x, text, &n, sizeof(text)) == -1)
				return (-1);
			continue;
		}
		if (*x->p == '>')
			return (tx_fail(x, "bare '>' in text"));
		if (n + 1 >= sizeof(text))
			return (tx_fail(x, "<Say> text too long"));
		text[n++] = *x->p++;
	}
	return (tx_close(x, "Say"));
}

/* Read <Stream>'s attributes (in T) and <Parameter> children into W. */
static int
tx_stream(struct tx *x, const struct tx_tag *t, struct sim_twiml *w)
{
	static const char *const ok[] = { "url", "name", "track",
	    "statusCallback", "statusCallbackMethod", NULL };
	static const char *const pok[] = { "name", "value", NULL };
	struct tx_tag pt;
	const char *url, *name, *value;

	if (tx_only(x, t, ok) == -1)
		return (-1);
	if ((url = tx_attr(t, "url")) == NULL || *url == '\0')
		return (tx_fail(x, "<Stream> without url"));
	if (strncmp(url, "wss://", 6) != 0 && strncmp(url, "ws://", 5) != 0)
		return (tx_fail(x, "stream url %s is not wss:// (31922)", url));
	if (strlen(url) >= sizeof(w->stream_url))
		return (tx_fail(x, "stream url too long"));
	snprintf(w->stream_url, sizeof(w->stream_url), "%s", url);
	if (strchr(url, '?') != NULL)
		return (tx_fail(x, "stream url has a query string (use "
		    "<Parameter>)"));
	if (t->empty)
		return (0);
	for (;;) {
		if (tx_skip(x) == -1)
			return (-1);
		if (tx_at(x, "</"))
			return (tx_close(x, "Stream"));
		if (tx_open(x, &pt) == -1)
			return (-1);
		if (strcmp(pt.name, "Parameter") != 0)
			return (tx_fail(x, "<%s> inside <Stream>", pt.name));
		if (tx_only(x, &pt, pok) == -1)
			return (-1);
		if ((name = tx_attr(&pt, "name")) == NULL || *name == '\0' ||
		    (value = tx_attr(&pt, "value")) == NULL)
			return (tx_fail(x, "<Parameter> needs name and "
			    "value"));
		if (strlen(name) >= SIM_MAX_NAME)
			return (tx_fail(x, "parameter name too long"));
		if (w->nparams == SIM_MAX_PARAMS)
			return (tx_fail(x, "too many <Parameter>s"));
		snprintf(w->params[w->nparams].name, SIM_MAX_NAME, "%s", name);
		snprintf(w->params[w->nparams].value, SIM_MAX_VALUE, "%s",
		    value);
		w->nparams++;
		if (!pt.empty && tx_close(x, "Parameter") == -1)
			return (-1);
	}
}

/* Read <Connect> (start tag in T) and its one <Stream> into W. */
static int
tx_connect(struct tx *x, const struct tx_tag *t, struct sim_twiml *w)
{
	static const char *const ok[] = { "action", "method", NULL };
	struct tx_tag st;

	if (tx_only(x, t, ok) == -1)
		return (-1);
	if (t->empty)
		return (tx_fail(x, "<Connect/> without <Stream>"));
	if (tx_skip(x) == -1 || tx_open(x, &st) == -1)
		return (-1);
	if (strcmp(st.name, "Stream") != 0)
		return (tx_fail(x, "<%s> inside <Connect>, expected <Stream>",
		    st.name));
	if (tx_stream(x, &st, w) == -1)
		return (-1);
	return (tx_close(x, "Connect"));
}

/* Read the TwiML document TEXT/LEN strictly into T. */
int
sim_twiml_parse(const char *text, size_t len, struct sim_twiml *w,
    char *err, size_t errsz)
{
	struct tx x;
	struct tx_tag t;
	const char *e;
	int connected = 0;

	memset(w, 0, sizeof(*w));
	memset(&x, 0, sizeof(x));
	x.p = x.start = text;
	x.end = text + len;
	x.err = err;
	x.errsz = errsz;
	if (memchr(text, '\0', len) != NULL)
		return (tx_fail(&x, "NUL byte in document"));
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		x.p += 3;
	if (tx_at(&x, "<?xml")) {
		e = strstr(x.p, "?>");
		if (e == NULL || e >= x.end)
			return (tx_fail(&x, "unterminated XML declaration"));
		x.p = e + 2;
	}
	if (tx_skip(&x) == -1 || tx_open(&x, &t) == -1)
		return (-1);
	if (strcmp(t.name, "Response") != 0 || t.nattrs != 0 || t.empty)
		return (tx_fail(&x, "root is <%s%s>, expected <Response>",
		    t.name, t.empty ? "/" : ""));
	for (;;) {
		if (tx_skip(&x) == -1)
			return (-1);
		if (tx_at(&x, "</")) {
			if (tx_close(&x, "Response") == -1)
				return (-1);
			break;
		}
		if (x.p >= x.end)
			return (tx_fail(&x, "unexpected end of document"));
		if (*x.p != '<')
			return (tx_fail(&x, "text inside <Response>"));
		if (tx_open(&x, &t) == -1)
			return (-1);
		if (connected)
			return (tx_fail(&x, "<%s> after <Connect>", t.name));
		if (strcmp(t.name, "Say") == 0) {
			static const char *const ok[] = { "voice",
			    "language", "loop", NULL };

			if (tx_only(&x, &t, ok) == -1)
				return (-1);
			w->says++;
			if (!t.empty && tx_say(&x) == -1)
				return (-1);
			continue;
		}
		if (strcmp(t.name, "Connect") != 0)
			return (tx_fail(&x, "unsupported verb <%s>", t.name));
		if (tx_connect(&x, &t, w) == -1)
			return (-1);
		connected = 1;
	}
	if (tx_skip(&x) == -1)
		return (-1);
	if (x.p != x.end)
		return (tx_fail(&x, "content after </Response>"));
	if (!connected)
		return (tx_fail(&x, "no <Connect><Stream>"));
	return (0);
}
