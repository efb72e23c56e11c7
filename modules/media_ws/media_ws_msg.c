/*
 * media_ws messages: the parser for what Twilio sends on a Media Stream
 * (PROTOCOLS.md §4.3) and the builders for what we send (§4.4, exactly
 * those fields); base64 is the core's vg_b64_*. Pure functions; core
 * thread (and the fuzz harness).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/util.h>

#include "media_ws.h"

/* Deepest JSON nesting a Twilio message needs (start.mediaFormat is 3). */
#define MWS_JSON_DEPTH	8
/* Longest numeric string (sequenceNumber, chunk, timestamp). */
#define MWS_NUM_MAX	19

/* The event names, in enum order from MWS_EV_CONNECTED. */
static const char *const mws_event_names[] = {
	"connected", "start", "media", "mark", "dtmf", "stop",
};

/* ---- helpers ---- */

/* Member KEY of OBJ when it is a string (its length in *LEN if asked);
 * NULL when absent or of another type. */
static const char *
msg_str(struct json_object *obj, const char *key, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return (json_object_get_string(v));
}

/* Member KEY of OBJ when it is an object; NULL otherwise. */
static struct json_object *
msg_obj(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return (NULL);
	return (v);
}

/* True when KEY is present in OBJ (any type, null included). */
static int
msg_has(struct json_object *obj, const char *key)
{
	return (json_object_object_get_ex(obj, key, NULL));
}

/* Parse S as a decimal string number ("20") into *OUT. Returns 0 or -1. */
static int
msg_num(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > MWS_NUM_MAX)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return (0);
}

/* Read the string-number member KEY of OBJ; absent is fine when OPTIONAL.
 * Returns 0 or -1. */
static int
msg_num_member(struct json_object *obj, const char *key, int optional,
    uint64_t *out)
{
	const char *s;

	if (!msg_has(obj, key)) {
		*out = 0;
		return (optional ? 0 : -1);
	}
	if ((s = msg_str(obj, key, NULL)) == NULL)
		return (-1);	/* a JSON number where Twilio sends a string */
	return (msg_num(s, out));
}

/* ---- one parser per event ---- */

/* start: the stream's ids, parameters and (if given) media format. */
static int
msg_parse_start(struct mws_msg *m, const char **why)
{
	struct json_object *st, *fmt, *v, *tracks;
	const char *sid, *enc;
	size_t i;

	if ((st = msg_obj(m->root, "start")) == NULL) {
		*why = "start: no start object";
		return (-1);
	}
	sid = msg_str(st, "streamSid", NULL);
	m->call_sid = msg_str(st, "callSid", NULL);
	m->account_sid = msg_str(st, "accountSid", NULL);
	if (!mws_sid_ok(sid) || !mws_sid_ok(m->call_sid) ||
	    !mws_sid_ok(m->account_sid)) {
		*why = "start: missing or malformed streamSid/callSid/"
		    "accountSid";
		return (-1);
	}
	if (m->stream_sid != NULL && strcmp(m->stream_sid, sid) != 0) {
		*why = "start: streamSid differs from start.streamSid";
		return (-1);
	}
	m->stream_sid = sid;
	if (msg_has(st, "customParameters")) {
		if ((m->params = msg_obj(st, "customParameters")) == NULL) {
			*why = "start: customParameters is not an object";
			return (-1);
		}
	}
	if (msg_has(st, "tracks")) {
		if (!json_object_object_get_ex(st, "tracks", &tracks) ||
		    !json_object_is_type(tracks, json_type_array)) {
			*why = "start: tracks is not an array";
			return (-1);
		}
		for (i = 0; i < json_object_array_length(tracks); i++) {
			v = json_object_array_get_idx(tracks, i);
			if (!json_object_is_type(v, json_type_string)) {
				*why = "start: a track is not a string";
				return (-1);
			}
		}
	}
	if (msg_has(st, "mediaFormat")) {
		if ((fmt = msg_obj(st, "mediaFormat")) == NULL) {
			*why = "start: mediaFormat is not an object";
			return (-1);
		}
		enc = msg_str(fmt, "encoding", NULL);
		if (enc == NULL || strcmp(enc, "audio/x-mulaw") != 0) {
			*why = "start: encoding is not audio/x-mulaw";
			return (-1);
		}
		if (!json_object_object_get_ex(fmt, "sampleRate", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) != 8000) {
			*why = "start: sampleRate is not the number 8000";
			return (-1);
		}
		if (!json_object_object_get_ex(fmt, "channels", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) != 1) {
			*why = "start: channels is not the number 1";
			return (-1);
		}
	}
	return (0);
}

/* media: caller audio with its timestamp. */
static int
msg_parse_media(struct mws_msg *m, const char **why)
{
	struct json_object *md;
	const char *track;

	if ((md = msg_obj(m->root, "media")) == NULL) {
		*why = "media: no media object";
		return (-1);
	}
	if ((m->payload = msg_str(md, "payload", &m->payload_len)) == NULL) {
		*why = "media: payload missing or not a string";
		return (-1);
	}
	if (msg_num_member(md, "timestamp", 0, &m->timestamp) == -1) {
		*why = "media: timestamp missing or not a numeric string";
		return (-1);
	}
	if (msg_num_member(md, "chunk", 1, &m->chunk) == -1) {
		*why = "media: chunk is not a numeric string";
		return (-1);
	}
	if (msg_has(md, "track") && ((track = msg_str(md, "track", NULL)) ==
	    NULL || strcmp(track, "inbound") != 0)) {
		*why = "media: track is not \"inbound\"";
		return (-1);
	}
	return (0);
}

/* mark: the echo of a mark we sent. */
static int
msg_parse_mark(struct mws_msg *m, const char **why)
{
	struct json_object *mk;

	if ((mk = msg_obj(m->root, "mark")) == NULL ||
	    (m->mark_name = msg_str(mk, "name", NULL)) == NULL) {
		*why = "mark: no mark.name string";
		return (-1);
	}
	return (0);
}

/* dtmf: one key pressed by the caller. */
static int
msg_parse_dtmf(struct mws_msg *m, const char **why)
{
	struct json_object *d;
	const char *digit;

	if ((d = msg_obj(m->root, "dtmf")) == NULL ||
	    (digit = msg_str(d, "digit", NULL)) == NULL ||
	    strlen(digit) != 1 || strchr("0123456789*#ABCD", digit[0]) ==
	    NULL) {
		*why = "dtmf: no dtmf.digit of 0-9, *, #, A-D";
		return (-1);
	}
	m->digit = digit[0];
	return (0);
}

/* ---- the fast path for media messages ---- */

/* A JSON string at *P (before END) without escapes: its bytes in *S, *N,
 * and *P past it. Returns 0, or -1 when it has an escape (left to json-c).
 * Control and non-ASCII bytes need no check here: no member the fast path
 * accepts can hold one (keys and values are compared or validated after),
 * so such a message is refused either way. */
static int
fast_str(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q = *p;

	if (q >= end || *q != '"')
		return (-1);
	*s = ++q;
	if ((q = memchr(q, '"', (size_t)(end - q))) == NULL ||
	    memchr(*s, '\\', (size_t)(q - *s)) != NULL)
		return (-1);
	*n = (size_t)(q - *s);
	*p = q + 1;
	return (0);
}

/* True when the N bytes at S are KEY. */
#define FAST_IS(s, n, key) \
	((n) == sizeof(key) - 1 && memcmp((s), (key), (n)) == 0)

/* N bytes of decimal digits (1..MWS_NUM_MAX) at S into *OUT. Returns 0 or
 * -1. */
static int
fast_num(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > MWS_NUM_MAX)
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return (0);
}

/* True when the N bytes at S are printable ASCII (a mark name the fast
 * path copies as it is; anything else is left to json-c). */
static int
fast_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return (0);
	return (1);
}

/*
 * Parse a media or mark message in the shape Twilio sends, without json-c:
 * {"event":"media","sequenceNumber":"3","media":{"track":"inbound",
 * "chunk":"1","timestamp":"5","payload":"..."},"streamSid":"MZ..."} or
 * {"event":"mark","sequenceNumber":"4","streamSid":"MZ...","mark":{"name":
 * "..."}}, keys in any order, each at most once, no white space, no
 * escapes, every member valid. Returns 0 with M filled (no root), or -1
 * for anything else: json-c then parses it and gives the reason, so both
 * paths accept and refuse the same messages.
 */
static int
msg_parse_fast(const char *data, size_t len, struct mws_msg *m)
{
	const char *p = data, *end = data + len, *k, *v, *sid = NULL;
	const char *seq = NULL, *ts = NULL, *chunk = NULL, *track = NULL;
	const char *name = NULL;
	size_t kn, vn, sidn = 0, seqn = 0, tsn = 0, chunkn = 0, trackn = 0;
	size_t namen = 0;
	int ev = 0, media = 0, mark = 0, inner = 0;	/* 1 media, 2 mark */

	if (len < 2 || *p++ != '{')
		return (-1);
	for (;;) {
		if (fast_str(&p, end, &k, &kn) == -1 || p >= end ||
		    *p++ != ':')
			return (-1);
		if (!inner && (FAST_IS(k, kn, "media") ||
		    FAST_IS(k, kn, "mark"))) {
			inner = kn == 5 ? 1 : 2;
			if ((inner == 1 ? media++ : mark++) || p >= end ||
			    *p++ != '{')
				return (-1);
			continue;
		}
		if (fast_str(&p, end, &v, &vn) == -1)
			return (-1);
		if (inner == 1 && FAST_IS(k, kn, "payload")) {
			if (m->payload != NULL)
				return (-1);
			m->payload = v;
			m->payload_len = vn;
		} else if (inner == 1 && FAST_IS(k, kn, "timestamp")) {
			if (ts != NULL)
				return (-1);
			ts = v, tsn = vn;
		} else if (inner == 1 && FAST_IS(k, kn, "chunk")) {
			if (chunk != NULL)
				return (-1);
			chunk = v, chunkn = vn;
		} else if (inner == 1 && FAST_IS(k, kn, "track")) {
			if (track != NULL)
				return (-1);
			track = v, trackn = vn;
		} else if (inner == 2 && FAST_IS(k, kn, "name")) {
			if (name != NULL)
				return (-1);
			name = v, namen = vn;
		} else if (!inner && FAST_IS(k, kn, "event")) {
			if (ev != 0)
				return (-1);
			if (FAST_IS(v, vn, "media"))
				ev = MWS_EV_MEDIA;
			else if (FAST_IS(v, vn, "mark"))
				ev = MWS_EV_MARK;
			else
				return (-1);
		} else if (!inner && FAST_IS(k, kn, "sequenceNumber")) {
			if (seq != NULL)
				return (-1);
			seq = v, seqn = vn;
		} else if (!inner && FAST_IS(k, kn, "streamSid")) {
			if (sid != NULL)
				return (-1);
			sid = v, sidn = vn;
		} else
			return (-1);
		while (p < end && *p == '}' && inner) {
			inner = 0;
			p++;
		}
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}' && !inner && ++p == end)
			break;
		return (-1);
	}
	if (sid == NULL || sidn >= sizeof(m->sid_buf) ||
	    (seq != NULL && fast_num(seq, seqn, &m->seq) == -1))
		return (-1);
	if (ev == MWS_EV_MEDIA) {
		if (!media || mark || m->payload == NULL || ts == NULL ||
		    fast_num(ts, tsn, &m->timestamp) == -1 ||
		    (chunk != NULL && fast_num(chunk, chunkn, &m->chunk) == -1) ||
		    (track != NULL && !FAST_IS(track, trackn, "inbound")))
			return (-1);
	} else if (ev == MWS_EV_MARK) {
		if (!mark || media || name == NULL ||
		    namen >= sizeof(m->mark_buf) ||
		    !fast_printable(name, namen))
			return (-1);
		memcpy(m->mark_buf, name, namen);
		m->mark_buf[namen] = '\0';
		m->mark_name = m->mark_buf;
	} else
		return (-1);
	memcpy(m->sid_buf, sid, sidn);
	m->sid_buf[sidn] = '\0';
	if (!mws_sid_ok(m->sid_buf))
		return (-1);
	m->stream_sid = m->sid_buf;
	m->ev = (enum mws_event)ev;
	return (0);
}

/* ---- parser ---- */

/* Parse one Twilio message. */
int
mws_msg_parse(const char *data, size_t len, struct mws_msg *m,
    const char **why)
{
	struct json_tokener *tok;
	const char *event;
	size_t i, end;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (len == 0 || len > INT32_MAX) {
		*why = "empty or oversized message";
		return (-1);
	}
	if (msg_parse_fast(data, len, m) == 0)
		return (0);
	memset(m, 0, sizeof(*m));
	if ((tok = json_tokener_new_ex(MWS_JSON_DEPTH)) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	m->root = json_tokener_parse_ex(tok, data, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (m->root == NULL) {
		*why = "not JSON";
		return (-1);
	}
	for (i = end; i < len; i++) {
		if (strchr(" \t\r\n", data[i]) == NULL || data[i] == '\0') {
			*why = "trailing bytes after the JSON object";
			goto fail;
		}
	}
	if (!json_object_is_type(m->root, json_type_object)) {
		*why = "not a JSON object";
		goto fail;
	}
	if ((event = msg_str(m->root, "event", NULL)) == NULL) {
		*why = "no event string";
		goto fail;
	}
	for (i = 0; i < sizeof(mws_event_names) / sizeof(mws_event_names[0]);
	    i++) {
		if (strcmp(event, mws_event_names[i]) == 0)
			m->ev = (enum mws_event)(MWS_EV_CONNECTED + i);
	}
	if (m->ev == 0) {
		*why = "unknown event";
		goto fail;
	}
	if (m->ev == MWS_EV_CONNECTED)
		return (0);	/* protocol and version are informative */
	if (msg_num_member(m->root, "sequenceNumber", 1, &m->seq) == -1) {
		*why = "sequenceNumber is not a numeric string";
		goto fail;
	}
	if (msg_has(m->root, "streamSid")) {
		m->stream_sid = msg_str(m->root, "streamSid", NULL);
		if (!mws_sid_ok(m->stream_sid)) {
			*why = "malformed streamSid";
			goto fail;
		}
	}
	switch (m->ev) {
	case MWS_EV_START:
		rc = msg_parse_start(m, why);
		break;
	case MWS_EV_MEDIA:
		rc = msg_parse_media(m, why);
		break;
	case MWS_EV_MARK:
		rc = msg_parse_mark(m, why);
		break;
	case MWS_EV_DTMF:
		rc = msg_parse_dtmf(m, why);
		break;
	default:
		break;
	}
	if (rc == -1)
		goto fail;
	if (m->stream_sid == NULL) {
		*why = "no streamSid";
		goto fail;
	}
	return (0);

fail:
	json_object_put(m->root);
	m->root = NULL;
	return (-1);
}

/* Release what M holds. */
void
mws_msg_free(struct mws_msg *m)
{
	json_object_put(m->root);
	m->root = NULL;
}

/* A customParameters string value by NAME, or NULL. */
const char *
mws_msg_param(const struct mws_msg *m, const char *name)
{
	if (m->params == NULL)
		return (NULL);
	return (msg_str(m->params, name, NULL));
}

/* ---- ids ---- */

/* The bytes a safe id may hold (letters, digits, '_' and '-'). */
static const uint8_t mws_sid_chars[256] = {
	['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
	['_'] = 1, ['-'] = 1,
};

/* True when S is a safe id (see media_ws.h). */
int
mws_sid_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return (0);
	for (i = 0; u[i] != '\0'; i++)
		if (i >= MWS_SID_MAX - 1 || !mws_sid_chars[u[i]])
			return (0);
	return (1);
}

/* ---- builders ---- */

/* Copy the N bytes at S to *P and move *P past them. */
static void
build_put(char **p, const char *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

/* {"event":"media","streamSid":SID,"media":{"payload":base64(AUDIO)}} */
int
mws_build_media(char *buf, size_t size, const char *sid,
    const uint8_t *audio, size_t len)
{
	static const char head[] = "{\"event\":\"media\",\"streamSid\":\"";
	static const char mid[] = "\",\"media\":{\"payload\":\"";
	static const char tail[] = "\"}}";
	size_t sidn = strlen(sid);
	char *p = buf;

	if (sizeof(head) - 1 + sidn + sizeof(mid) - 1 +
	    VG_B64_ENCODED_LEN(len) + sizeof(tail) > size || size > INT_MAX)
		return (-1);
	build_put(&p, head, sizeof(head) - 1);
	build_put(&p, sid, sidn);
	build_put(&p, mid, sizeof(mid) - 1);
	p += vg_b64_encode(audio, len, p);
	build_put(&p, tail, sizeof(tail));
	return ((int)(p - buf) - 1);
}

/* {"event":"mark","streamSid":SID,"mark":{"name":NAME}} */
int
mws_build_mark(char *buf, size_t size, const char *sid, const char *name)
{
	static const char head[] = "{\"event\":\"mark\",\"streamSid\":\"";
	static const char mid[] = "\",\"mark\":{\"name\":\"";
	static const char tail[] = "\"}}";
	size_t sidn = strlen(sid), namen = strlen(name);
	char *p = buf;

	if (sizeof(head) - 1 + sidn + sizeof(mid) - 1 + namen +
	    sizeof(tail) > size || size > INT_MAX)
		return (-1);
	build_put(&p, head, sizeof(head) - 1);
	build_put(&p, sid, sidn);
	build_put(&p, mid, sizeof(mid) - 1);
	build_put(&p, name, namen);
	build_put(&p, tail, sizeof(tail));
	return ((int)(p - buf) - 1);
}

/* {"event":"clear","streamSid":SID} */
int
mws_build_clear(char *buf, size_t size, const char *sid)
{
	int n;

	n = snprintf(buf, size, "{\"event\":\"clear\",\"streamSid\":\"%s\"}",
	    sid);
	return (n < 0 || (size_t)n >= size ? -1 : n);
}
