/*
 * realtime_openai audio helpers: the barge-in arithmetic of PROTOCOLS.md
 * §6.6 on the bus's agent audio timeline (the audio crossing the Realtime
 * socket is base64 by the core's vg_b64_*). Pure functions; any thread.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "realtime_openai.h"

/* The barge-in truncations (§6.6 a) on the agent audio timeline. */
size_t
rt_barge_cuts(const struct rt_entry *ledger, size_t n, uint64_t played_ms,
    const char *active_response, struct rt_cut *out)
{
	uint64_t played = played_ms * 8, heard, sent_ms, end;
	size_t i, k = 0;
	int first = 1, active;

	for (i = 0; i < n; i++) {
		const struct rt_entry *e = &ledger[i];

		if (e->sent == 0)
			continue;	/* no audio: cannot be truncated */
		active = active_response != NULL &&
		    strcmp(active_response, e->response_id) == 0;
		if (played >= e->start + e->sent && !active)
			continue;	/* heard in full and finished */
		heard = played > e->start ? played - e->start : 0;
		if (heard > e->sent)
			heard = e->sent;
		sent_ms = e->sent / 8;
		if (first || heard > 0) {
			end = heard / 8 + RT_CUSHION_MS;
			if (end > sent_ms)
				end = sent_ms;
		} else
			end = 0;
		first = 0;
		memcpy(out[k].item_id, e->item_id, sizeof(out[k].item_id));
		out[k].audio_end_ms = end;
		k++;
	}
	return (k);
}

/* ---- the audio delta without json-c ---- */

/* P past JSON white space, up to END. */
static const char *
scan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return (p);
}

/* A string's body from P (past its quote): printable ASCII, no escape.
 * Returns its closing quote, or NULL. */
static const char *
scan_plain(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '"')
			return (p);
		if (*p == '\\' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p > 0x7e)
			return (NULL);
	}
	return (NULL);
}

/* A long string's body (the audio) from P: no escape before its quote,
 * by memchr; other bytes are left to the base64 decoder. Returns the
 * closing quote, or NULL. */
static const char *
scan_long(const char *p, const char *end)
{
	const char *q;

	if ((q = memchr(p, '"', (size_t)(end - p))) == NULL ||
	    memchr(p, '\\', (size_t)(q - p)) != NULL)
		return (NULL);
	return (q);
}

/* A JSON number from P (strict grammar). Returns its end, or NULL. */
static const char *
scan_number(const char *p, const char *end)
{
	const char *d;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return (NULL);
	if (p < end && *p == '.') {
		d = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return (NULL);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		d = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return (NULL);
	}
	return (p);
}

/* Read an audio delta event without a JSON tree (see the header). */
int
rt_delta_scan(const char *text, size_t len, struct rt_delta *d)
{
	static const char *const lits[] = { "true", "false", "null" };
	const char *p = text, *end = text + len, *k, *v, *q;
	size_t klen, i;
	int have_type = 0, is_delta = 0, n;

	memset(d, 0, sizeof(*d));
	p = scan_ws(p, end);
	if (p == end || *p++ != '{')
		return (0);
	for (n = 0;; n++) {
		p = scan_ws(p, end);
		if (n == 0 && p < end && *p == '}')
			return (0);	/* empty: not a delta */
		if (p == end || *p++ != '"' || (q = scan_plain(p, end)) == NULL)
			return (0);
		k = p;
		klen = (size_t)(q - p);
		p = scan_ws(q + 1, end);
		if (p == end || *p++ != ':')
			return (0);
		p = scan_ws(p, end);
		if (p == end)
			return (0);
		if (*p == '"') {
			v = ++p;
			q = klen == 5 && memcmp(k, "delta", 5) == 0 ?
			    scan_long(p, end) : scan_plain(p, end);
			if (q == NULL)
				return (0);
			p = q + 1;
#define RT_KEY(s)	(klen == sizeof(s) - 1 && memcmp(k, s, klen) == 0)
			if (RT_KEY("type")) {
				if (have_type++)
					return (0);
				is_delta = ((size_t)(q - v) == 27 &&
				    memcmp(v, "response.output_audio.delta",
				    27) == 0) || ((size_t)(q - v) == 20 &&
				    memcmp(v, "response.audio.delta", 20) == 0);
			} else if (RT_KEY("response_id")) {
				if (d->response_id != NULL)
					return (0);
				d->response_id = v;
				d->response_id_len = (size_t)(q - v);
			} else if (RT_KEY("item_id")) {
				if (d->item_id != NULL)
					return (0);
				d->item_id = v;
				d->item_id_len = (size_t)(q - v);
			} else if (RT_KEY("delta")) {
				if (d->delta != NULL)
					return (0);
				d->delta = v;
				d->delta_len = (size_t)(q - v);
			}
		} else {
			if (RT_KEY("type") || RT_KEY("response_id") ||
			    RT_KEY("item_id") || RT_KEY("delta"))
				return (0);	/* not a string */
#undef RT_KEY
			if (*p == '-' || (*p >= '0' && *p <= '9')) {
				if ((p = scan_number(p, end)) == NULL)
					return (0);
			} else {
				for (i = 0; i < 3; i++)
					if ((size_t)(end - p) >=
					    strlen(lits[i]) && memcmp(p,
					    lits[i], strlen(lits[i])) == 0)
						break;
				if (i == 3)
					return (0);	/* object, array, junk */
				p += strlen(lits[i]);
			}
		}
		p = scan_ws(p, end);
		if (p == end)
			return (0);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return (0);
		break;
	}
	if (scan_ws(p, end) != end || !is_delta || d->response_id == NULL ||
	    d->item_id == NULL || d->delta == NULL ||
	    d->response_id_len >= RT_ID_MAX || d->item_id_len >= RT_ID_MAX)
		return (0);
	return (1);
}
