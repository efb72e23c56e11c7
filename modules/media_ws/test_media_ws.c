/*
 * Tests for media_ws: the Media Streams parser, strict base64, the
 * builders, the playback queue (chunks, hold, marks, generations,
 * timeline), and the module end to end: the core and its listener on an
 * ephemeral loopback port, the module loaded with a fake handle, and our
 * own WebSocket client playing Twilio. Every wait has a deadline.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "media_ws.h"
#include "twilio_sig.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define WAIT_MS		5000
#define TOKEN		"0123456789abcdef0123456789abcdef"
#define AUTH		"12345678901234567890123456789012"
#define SID		"MZ00000000000000000000000000000003"
#define CSID		"CA00000000000000000000000000000002"
#define ASID		"AC00000000000000000000000000000001"

/* ---- parser ---- */

/* Parse S; returns 0 or -1 and keeps M for the caller to free. */
static int
parse(const char *s, struct mws_msg *m)
{
	const char *why = NULL;
	int rc = mws_msg_parse(s, strlen(s), m, &why);

	if (rc == 0)
		VG_CHECK(why == NULL);
	else
		VG_CHECK(why != NULL && why[0] != '\0');
	return (rc);
}

/* connected, start, media, mark, dtmf, stop as §4.3 shows them. */
static void
t_parse_all(void)
{
	struct mws_msg m;

	VG_CHECK_INT(parse("{\"event\": \"connected\", \"protocol\": \"Call\","
	    " \"version\": \"1.0.0\"}", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_CONNECTED);
	VG_CHECK(m.stream_sid == NULL);
	mws_msg_free(&m);

	VG_CHECK_INT(parse("{\"event\": \"start\", \"sequenceNumber\": \"1\","
	    "\"start\": {\"accountSid\": \"" ASID "\", \"streamSid\": \"" SID
	    "\", \"callSid\": \"" CSID "\", \"tracks\": [\"inbound\"],"
	    "\"customParameters\": {\"call_id\": \"vgc_1\", \"token\": \"x\"},"
	    "\"mediaFormat\": {\"encoding\": \"audio/x-mulaw\", "
	    "\"sampleRate\": 8000, \"channels\": 1}}, \"streamSid\": \"" SID
	    "\"}", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_START);
	VG_CHECK_INT(m.seq, 1);
	VG_CHECK_STR(m.stream_sid, SID);
	VG_CHECK_STR(m.call_sid, CSID);
	VG_CHECK_STR(m.account_sid, ASID);
	VG_CHECK_STR(mws_msg_param(&m, "call_id"), "vgc_1");
	VG_CHECK_STR(mws_msg_param(&m, "token"), "x");
	VG_CHECK(mws_msg_param(&m, "nope") == NULL);
	mws_msg_free(&m);

	/* customParameters may be absent */
	VG_CHECK_INT(parse("{\"event\":\"start\",\"sequenceNumber\":\"1\","
	    "\"start\":{\"accountSid\":\"" ASID "\",\"streamSid\":\"" SID
	    "\",\"callSid\":\"" CSID "\"},\"streamSid\":\"" SID "\"}", &m), 0);
	VG_CHECK(mws_msg_param(&m, "call_id") == NULL);
	mws_msg_free(&m);

	VG_CHECK_INT(parse("{\"event\": \"media\", \"sequenceNumber\": \"2\","
	    "\"media\": {\"track\": \"inbound\", \"chunk\": \"1\", "
	    "\"timestamp\": \"20\", \"payload\": \"////\"}, \"streamSid\": \""
	    SID "\"}", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_MEDIA);
	VG_CHECK_INT(m.seq, 2);
	VG_CHECK_INT(m.timestamp, 20);
	VG_CHECK_INT(m.chunk, 1);
	VG_CHECK_INT(m.payload_len, 4);
	VG_CHECK_STR(m.payload, "////");
	mws_msg_free(&m);

	VG_CHECK_INT(parse("{\"event\": \"dtmf\", \"sequenceNumber\": \"57\","
	    " \"streamSid\": \"" SID "\", \"dtmf\": {\"track\": "
	    "\"inbound_track\", \"digit\": \"5\"}}", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_DTMF);
	VG_CHECK_INT(m.digit, '5');
	mws_msg_free(&m);

	VG_CHECK_INT(parse("{\"event\": \"mark\", \"sequenceNumber\": \"88\","
	    " \"streamSid\": \"" SID "\", \"mark\": {\"name\": "
	    "\"item_C9x:1840:g1:m23\"}}", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_MARK);
	VG_CHECK_STR(m.mark_name, "item_C9x:1840:g1:m23");
	mws_msg_free(&m);

	VG_CHECK_INT(parse("{\"event\": \"stop\", \"sequenceNumber\": \"412\","
	    " \"streamSid\": \"" SID "\", \"stop\": {\"accountSid\": \"" ASID
	    "\", \"callSid\": \"" CSID "\"}}\n", &m), 0);
	VG_CHECK_INT(m.ev, MWS_EV_STOP);
	VG_CHECK_INT(m.seq, 412);
	mws_msg_free(&m);
}

/* Parse S both ways: as given (the fast path takes compact media
 * messages) and with a space after every "key": (json-c only); both must
 * agree on the verdict and every field. Returns the verdict. */
static int
parse_both(const char *s, int *fast)
{
	struct mws_msg a, b;
	const char *why = NULL;
	char spaced[1024];
	size_t i, k = 0;
	int ra, rb;

	for (i = 0; s[i] != '\0' && k + 2 < sizeof(spaced); i++) {
		spaced[k++] = s[i];
		if (s[i] == ':' && i > 0 && s[i - 1] == '"')
			spaced[k++] = ' ';
	}
	spaced[k] = '\0';
	ra = mws_msg_parse(s, strlen(s), &a, &why);
	rb = mws_msg_parse(spaced, k, &b, &why);
	VG_CHECK_INT(ra, rb);
	*fast = ra == 0 && a.root == NULL;
	if (ra == 0 && rb == 0) {
		VG_CHECK(b.root != NULL);
		VG_CHECK_INT(a.ev, b.ev);
		VG_CHECK_INT(a.seq, b.seq);
		VG_CHECK_INT(a.timestamp, b.timestamp);
		VG_CHECK_INT(a.chunk, b.chunk);
		VG_CHECK_INT(a.payload_len, b.payload_len);
		VG_CHECK(a.payload_len == b.payload_len &&
		    (a.payload_len == 0 ||
		    memcmp(a.payload, b.payload, a.payload_len) == 0));
		VG_CHECK_STR(a.stream_sid, b.stream_sid);
		VG_CHECK((a.mark_name == NULL) == (b.mark_name == NULL));
		if (a.mark_name != NULL && b.mark_name != NULL)
			VG_CHECK_STR(a.mark_name, b.mark_name);
	}
	if (ra == 0)
		mws_msg_free(&a);
	if (rb == 0)
		mws_msg_free(&b);
	return (ra);
}

/* The hand-written media and mark parser accepts and refuses exactly what json-c
 * does, and takes Twilio's compact media shape. */
static void
t_parse_fast(void)
{
	static const struct {
		const char	*msg;
		int		 ok;
		int		 fast;
	} c[] = {
#define MED(x)	"{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{" x
		{ MED("\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"5\","
		    "\"payload\":\"f39/fw==\"},\"streamSid\":\"" SID "\"}"),
		    0, 1 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"" SID "\"}"), 0, 1 },
		{ "{\"streamSid\":\"" SID "\",\"media\":{\"payload\":\"////\","
		    "\"timestamp\":\"0\"},\"event\":\"media\"}", 0, 1 },
		{ MED("\"track\":\"outbound\",\"timestamp\":\"5\",\"payload\":"
		    "\"////\"},\"streamSid\":\"" SID "\"}"), -1, 0 },
		{ MED("\"timestamp\":\"5x\",\"payload\":\"////\"},\"streamSid\":"
		    "\"" SID "\"}"), -1, 0 },
		{ MED("\"timestamp\":5,\"payload\":\"////\"},\"streamSid\":\""
		    SID "\"}"), -1, 0 },
		{ MED("\"timestamp\":\"5\"},\"streamSid\":\"" SID "\"}"), -1,
		    0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"}}"), -1, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"MZ/bad\"}"), -1, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"MZ0123456789012345678901234567890123456789012345678901234"
		    "567890123456789\"}"), -1, 0 },
		{ MED("\"timestamp\":\"5\",\"timestamp\":\"6\",\"payload\":"
		    "\"////\"},\"streamSid\":\"" SID "\"}"), 0, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\",\"extra\":\"x\"}"
		    ",\"streamSid\":\"" SID "\"}"), 0, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"\\/\\/\\/\\/\"},"
		    "\"streamSid\":\"" SID "\"}"), 0, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"" SID "\"}x"), -1, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"" SID "\"} "), 0, 0 },
		{ MED("\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":"
		    "\"" SID "\""), -1, 0 },
		{ "{\"event\":\"media\",\"sequenceNumber\":\"-1\",\"media\":{"
		    "\"timestamp\":\"5\",\"payload\":\"////\"},\"streamSid\":\""
		    SID "\"}", -1, 0 },
		{ "{\"event\":\"mark\",\"sequenceNumber\":\"4\",\"streamSid\":\""
		    SID "\",\"mark\":{\"name\":\"m1\"}}", 0, 1 },
		{ "{\"mark\":{\"name\":\"t:100:g0\"},\"event\":\"mark\","
		    "\"streamSid\":\"" SID "\"}", 0, 1 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"\"}}", 0, 1 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"a\\\"b\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"caf\xc3\xa9\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"m1\",\"x\":\"y\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"m1\",\"name\":\"m2\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"" "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "0123456789" "\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":5}}", -1, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{}}",
		    -1, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\"}", -1, 0 },
		{ "{\"event\":\"mark\",\"mark\":{\"name\":\"m1\"}}", -1, 0 },
		{ "{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"m1\"},\"media\":{\"payload\":\"////\","
		    "\"timestamp\":\"1\"}}", 0, 0 },
		{ "{\"event\":\"media\",\"streamSid\":\"" SID "\",\"mark\":{"
		    "\"name\":\"m1\"},\"media\":{\"payload\":\"////\","
		    "\"timestamp\":\"1\"}}", 0, 0 },
		{ "{\"event\":\"mark\",\"sequenceNumber\":\"x\",\"streamSid\""
		    ":\"" SID "\",\"mark\":{\"name\":\"m1\"}}", -1, 0 },
		{ "{\"event\":\"media\",\"media\":{},\"streamSid\":\"" SID "\"}",
		    -1, 0 },
#undef MED
	};
	size_t i;
	int fast;

	for (i = 0; i < VG_NELEM(c); i++) {
		if (parse_both(c[i].msg, &fast) != c[i].ok || fast !=
		    c[i].fast)
			fprintf(stderr, "fast path case %zu: %s\n", i, c[i].msg);
		VG_CHECK_INT(parse_both(c[i].msg, &fast), c[i].ok);
		VG_CHECK_INT(fast, c[i].fast);
	}
}

/* Malformed, wrong-typed and missing fields are refused. */
static void
t_parse_reject(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"event\":\"connected\"",
		"{\"event\":\"connected\"} x",
		"[1,2]",
		"{\"event\":7}",
		"{\"event\":\"close\",\"streamSid\":\"" SID "\"}",
		/* numbers Twilio sends as strings */
		"{\"event\":\"stop\",\"sequenceNumber\":5,\"streamSid\":\""
		    SID "\"}",
		"{\"event\":\"stop\",\"sequenceNumber\":\"5a\",\"streamSid\":\""
		    SID "\"}",
		"{\"event\":\"media\",\"streamSid\":\"" SID "\",\"media\":{"
		    "\"timestamp\":20,\"payload\":\"////\"}}",
		/* missing pieces */
		"{\"event\":\"stop\",\"sequenceNumber\":\"5\"}",
		"{\"event\":\"media\",\"streamSid\":\"" SID "\",\"media\":{"
		    "\"timestamp\":\"20\"}}",
		"{\"event\":\"media\",\"streamSid\":\"" SID "\"}",
		"{\"event\":\"mark\",\"streamSid\":\"" SID "\"}",
		"{\"event\":\"mark\",\"streamSid\":\"" SID "\",\"mark\":{}}",
		"{\"event\":\"dtmf\",\"streamSid\":\"" SID "\",\"dtmf\":{"
		    "\"digit\":\"55\"}}",
		"{\"event\":\"dtmf\",\"streamSid\":\"" SID "\",\"dtmf\":{"
		    "\"digit\":\"x\"}}",
		"{\"event\":\"start\",\"streamSid\":\"" SID "\"}",
		/* wrong values */
		"{\"event\":\"media\",\"streamSid\":\"" SID "\",\"media\":{"
		    "\"track\":\"outbound\",\"timestamp\":\"20\","
		    "\"payload\":\"////\"}}",
		"{\"event\":\"stop\",\"streamSid\":\"MZ\\\"x\"}",
		"{\"event\":\"start\",\"streamSid\":\"" SID "\",\"start\":{"
		    "\"accountSid\":\"" ASID "\",\"streamSid\":\"MZ9\","
		    "\"callSid\":\"" CSID "\"}}",
		"{\"event\":\"start\",\"streamSid\":\"" SID "\",\"start\":{"
		    "\"accountSid\":\"" ASID "\",\"streamSid\":\"" SID "\","
		    "\"callSid\":\"" CSID "\",\"customParameters\":[]}}",
		"{\"event\":\"start\",\"streamSid\":\"" SID "\",\"start\":{"
		    "\"accountSid\":\"" ASID "\",\"streamSid\":\"" SID "\","
		    "\"callSid\":\"" CSID "\",\"mediaFormat\":{\"encoding\":"
		    "\"audio/x-mulaw\",\"sampleRate\":\"8000\",\"channels\":1}}}",
		"{\"event\":\"start\",\"streamSid\":\"" SID "\",\"start\":{"
		    "\"accountSid\":\"" ASID "\",\"streamSid\":\"" SID "\","
		    "\"callSid\":\"" CSID "\",\"mediaFormat\":{\"encoding\":"
		    "\"audio/l16\",\"sampleRate\":8000,\"channels\":1}}}",
	};
	struct mws_msg m;
	size_t i;

	for (i = 0; i < VG_NELEM(bad); i++) {
		if (parse(bad[i], &m) != -1) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			vg_test_case_failed = 1;
			mws_msg_free(&m);
		}
	}
}

/* ---- base64 and builders ---- */

/* A 160-byte frame survives encode and decode; the encoding is standard. */
static void
t_b64_roundtrip(void)
{
	uint8_t in[160], out[200];
	char enc[256];
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	VG_CHECK_INT(vg_b64_encode(in, sizeof(in), enc), 216);
	n = vg_b64_decode(enc, strlen(enc), out, sizeof(out));
	VG_CHECK_INT(n, 160);
	VG_CHECK(memcmp(in, out, sizeof(in)) == 0);
	memset(in, 0xff, sizeof(in));
	vg_b64_encode(in, sizeof(in), enc);
	VG_CHECK(strncmp(enc, "////", 4) == 0);
	VG_CHECK_STR(enc + 212, "/w==");
	VG_CHECK_INT(vg_b64_encode((const uint8_t *)"ab", 2, enc), 4);
	VG_CHECK_STR(enc, "YWI=");
	VG_CHECK_INT(vg_b64_decode("YWI=", 4, out, sizeof(out)), 2);
	VG_CHECK_INT(vg_b64_decode("YQ==", 4, out, sizeof(out)), 1);
	VG_CHECK_INT(out[0], 'a');
	VG_CHECK_INT(vg_b64_decode("", 0, out, sizeof(out)), 0);
}

/* Bad base64 is refused, never half-decoded. */
static void
t_b64_bad(void)
{
	static const char *const bad[] = {
		"YWI", "YW=I", "Y===", "====", "YW I", "YWI=\n", "YQ=a",
		"YR==",		/* non-canonical trailing bits */
		"YWJ=",
		"*abc", "YWI=YWI=",
	};
	uint8_t out[16];
	size_t i;

	for (i = 0; i < VG_NELEM(bad); i++) {
		if (vg_b64_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)) != -1) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			vg_test_case_failed = 1;
		}
	}
	/* too small for the output */
	VG_CHECK_INT(vg_b64_decode("YWJj", 4, out, 2), -1);
	VG_CHECK_INT(vg_b64_decode("YWJj", 4, out, 3), 3);
}

/* The messages we send carry exactly §4.4's fields. */
static void
t_build(void)
{
	char buf[256];
	int n;

	n = mws_build_media(buf, sizeof(buf), SID, (const uint8_t *)"ab", 2);
	VG_CHECK_STR(buf, "{\"event\":\"media\",\"streamSid\":\"" SID "\","
	    "\"media\":{\"payload\":\"YWI=\"}}");
	VG_CHECK_INT(n, (int)strlen(buf));
	mws_build_mark(buf, sizeof(buf), SID, "t:100:g0");
	VG_CHECK_STR(buf, "{\"event\":\"mark\",\"streamSid\":\"" SID "\","
	    "\"mark\":{\"name\":\"t:100:g0\"}}");
	mws_build_clear(buf, sizeof(buf), SID);
	VG_CHECK_STR(buf, "{\"event\":\"clear\",\"streamSid\":\"" SID "\"}");
	VG_CHECK_INT(mws_build_media(buf, 40, SID, (const uint8_t *)"ab", 2),
	    -1);
	VG_CHECK(mws_sid_ok(SID));
	VG_CHECK(!mws_sid_ok("MZ\"1"));
	VG_CHECK(!mws_sid_ok(""));
}

/* ---- playback queue ---- */

#define CAP_MAX		64

/* What a play queue produced. */
static struct {
	int		 n;
	char		 kind[CAP_MAX];		/* 'a'udio, 'm'ark, 'c'lear */
	size_t		 audio_len[CAP_MAX];
	uint8_t		 first[CAP_MAX];	/* first audio byte */
	char		 mark[CAP_MAX][64];
	int		 nplayed;
	uint64_t	 played[CAP_MAX];
	int		 nmarked;
	char		 marked[CAP_MAX][32];
	int		 marked_played[CAP_MAX];
	size_t		 dropped;
} cap;

/* ops: decode what was sent. */
static void
cap_send(void *arg, enum mws_out_kind kind, const char *msg, size_t len)
{
	struct json_object *o = json_tokener_parse(msg);
	struct json_object *v, *w;
	uint8_t audio[MWS_CHUNK_MAX];
	const char *p;
	ssize_t n;

	VG_CHECK(o != NULL && strlen(msg) == len);
	if (o == NULL || cap.n == CAP_MAX)
		return;
	if (kind == MWS_OUT_MEDIA) {
		cap.kind[cap.n] = 'a';
		json_object_object_get_ex(o, "media", &v);
		json_object_object_get_ex(v, "payload", &w);
		p = json_object_get_string(w);
		n = vg_b64_decode(p, strlen(p), audio, sizeof(audio));
		VG_CHECK(n > 0);
		cap.audio_len[cap.n] = n > 0 ? (size_t)n : 0;
		cap.first[cap.n] = n > 0 ? audio[0] : 0;
	} else if (kind == MWS_OUT_MARK) {
		cap.kind[cap.n] = 'm';
		json_object_object_get_ex(o, "mark", &v);
		json_object_object_get_ex(v, "name", &w);
		vg_strlcpy(cap.mark[cap.n], json_object_get_string(w),
		    sizeof(cap.mark[0]));
	} else
		cap.kind[cap.n] = 'c';
	cap.n++;
	json_object_put(o);
}

/* ops: record audio.played. */
static void
cap_played(void *arg, uint64_t ms)
{
	if (cap.nplayed < CAP_MAX)
		cap.played[cap.nplayed++] = ms;
}

/* ops: record audio.marked. */
static void
cap_marked(void *arg, const char *name, int played)
{
	if (cap.nmarked == CAP_MAX)
		return;
	vg_strlcpy(cap.marked[cap.nmarked], name, sizeof(cap.marked[0]));
	cap.marked_played[cap.nmarked++] = played;
}

/* ops: record dropped held audio. */
static void
cap_dropped(void *arg, size_t bytes)
{
	cap.dropped += bytes;
}

static const struct mws_play_ops cap_ops = {
	cap_send, cap_played, cap_marked, cap_dropped,
};

/* Fill BUF with LEN bytes of VALUE. */
static const uint8_t *
bytes(uint8_t *buf, size_t len, uint8_t value)
{
	memset(buf, value, len);
	return (buf);
}

/* 1000 bytes go as 6 x 160 + 1 x 40 at once, with a mark at 100 ms. */
static void
t_play_rechunk(void)
{
	struct mws_play p;
	uint8_t buf[2000];
	int i;

	memset(&cap, 0, sizeof(cap));
	mws_play_init(&p, 20, 100, 2000, &cap_ops, NULL);
	mws_play_start(&p, SID);
	mws_play_audio(&p, bytes(buf, 1000, 1), 1000);
	VG_CHECK_INT(cap.n, 8);
	for (i = 0; i < 5; i++) {
		VG_CHECK_INT(cap.kind[i], 'a');
		VG_CHECK_INT(cap.audio_len[i], 160);
	}
	VG_CHECK_INT(cap.kind[5], 'm');
	VG_CHECK_STR(cap.mark[5], "t:100:g0");
	VG_CHECK_INT(cap.audio_len[6], 160);
	VG_CHECK_INT(cap.kind[7], 'a');
	VG_CHECK_INT(cap.audio_len[7], 40);
	/* the next frame: the mark comes once 800 bytes went since the last */
	mws_play_audio(&p, bytes(buf, 800, 2), 800);
	VG_CHECK_INT(cap.n, 8 + 5 + 1);
	VG_CHECK_INT(cap.kind[12], 'm');
	VG_CHECK_STR(cap.mark[12], "t:205:g0");	/* 1640 bytes */
	VG_CHECK_INT(cap.kind[13], 'a');
	VG_CHECK_INT(p.timeline, 1800);
	mws_play_free(&p);
}

/* Audio and marks before start are held, then sent in order. */
static void
t_play_held_order(void)
{
	struct mws_play p;
	uint8_t buf[400];

	memset(&cap, 0, sizeof(cap));
	mws_play_init(&p, 20, 100, 2000, &cap_ops, NULL);
	mws_play_audio(&p, bytes(buf, 320, 'A'), 320);
	mws_play_mark(&p, "first");
	mws_play_audio(&p, bytes(buf, 100, 'B'), 100);
	VG_CHECK_INT(cap.n, 0);
	mws_play_start(&p, SID);
	VG_CHECK_INT(cap.n, 4);
	VG_CHECK_INT(cap.kind[0], 'a');
	VG_CHECK_INT(cap.first[0], 'A');
	VG_CHECK_INT(cap.kind[1], 'a');
	VG_CHECK_INT(cap.kind[2], 'm');
	VG_CHECK_STR(cap.mark[2], "n:1:40:g0");
	VG_CHECK_INT(cap.kind[3], 'a');
	VG_CHECK_INT(cap.first[3], 'B');
	VG_CHECK_INT(cap.audio_len[3], 100);
	/* the echo reports the mark played and the timeline heard */
	VG_CHECK_INT(mws_play_echo(&p, "n:1:40:g0"), 0);
	VG_CHECK_INT(cap.nmarked, 1);
	VG_CHECK_STR(cap.marked[0], "first");
	VG_CHECK_INT(cap.marked_played[0], 1);
	VG_CHECK_INT(cap.nplayed, 1);
	VG_CHECK_INT(cap.played[0], 40);
	VG_CHECK_INT(mws_play_echo(&p, "n:1:40:g0"), -1);	/* once */
	mws_play_free(&p);
}

/* A full hold drops its oldest audio, counted; the newest is sent. */
static void
t_play_held_overflow(void)
{
	struct mws_play p;
	uint8_t buf[800];

	memset(&cap, 0, sizeof(cap));
	mws_play_init(&p, 20, 1000, 100, &cap_ops, NULL);	/* 800 B */
	mws_play_audio(&p, bytes(buf, 800, 'o'), 800);
	mws_play_audio(&p, bytes(buf, 800, 'n'), 800);
	VG_CHECK_INT(cap.dropped, 800);
	VG_CHECK_INT(p.held_bytes, 800);
	VG_CHECK_INT(p.timeline, 1600);	/* dropped audio still counts */
	mws_play_start(&p, SID);
	VG_CHECK_INT(cap.n, 5);
	VG_CHECK_INT(cap.first[0], 'n');
	mws_play_free(&p);
}

/* Clear sends clear, starts a generation: old echoes mean flushed. */
static void
t_play_clear_generation(void)
{
	struct mws_play p;
	uint8_t buf[800];

	memset(&cap, 0, sizeof(cap));
	mws_play_init(&p, 20, 100, 2000, &cap_ops, NULL);
	mws_play_start(&p, SID);
	mws_play_audio(&p, bytes(buf, 800, 1), 800);
	VG_CHECK_STR(cap.mark[5], "t:100:g0");
	mws_play_mark(&p, "utt1");
	VG_CHECK_STR(cap.mark[6], "n:1:100:g0");
	mws_play_audio(&p, bytes(buf, 400, 1), 400);
	mws_play_clear(&p);
	VG_CHECK_INT(cap.kind[cap.n - 1], 'c');
	/* Twilio echoes the pending marks after the clear */
	VG_CHECK_INT(mws_play_echo(&p, "t:100:g0"), 0);
	VG_CHECK_INT(mws_play_echo(&p, "n:1:100:g0"), 0);
	VG_CHECK_INT(cap.nplayed, 0);
	VG_CHECK_INT(cap.nmarked, 1);
	VG_CHECK_STR(cap.marked[0], "utt1");
	VG_CHECK_INT(cap.marked_played[0], 0);
	/* the timeline went on through the dropped audio */
	mws_play_audio(&p, bytes(buf, 800, 1), 800);
	VG_CHECK_STR(cap.mark[cap.n - 1], "t:250:g1");
	VG_CHECK_INT(mws_play_echo(&p, "t:250:g1"), 0);
	VG_CHECK_INT(cap.nplayed, 1);
	VG_CHECK_INT(cap.played[0], 250);
	/* held marks dropped by a clear are answered at once */
	mws_play_stop(&p);
	mws_play_mark(&p, "held");
	mws_play_clear(&p);
	VG_CHECK_INT(cap.nmarked, 2);
	VG_CHECK_STR(cap.marked[1], "held");
	VG_CHECK_INT(cap.marked_played[1], 0);
	mws_play_free(&p);
}

/* played_ms only moves forward, never past the timeline; strangers are
 * not ours. */
static void
t_play_timeline(void)
{
	struct mws_play p;
	uint8_t buf[1600];

	memset(&cap, 0, sizeof(cap));
	mws_play_init(&p, 20, 100, 2000, &cap_ops, NULL);
	mws_play_start(&p, SID);
	mws_play_audio(&p, bytes(buf, 1600, 1), 1600);
	VG_CHECK_INT(mws_play_echo(&p, "t:200:g0"), 0);
	VG_CHECK_INT(mws_play_echo(&p, "t:100:g0"), 0);
	VG_CHECK_INT(mws_play_echo(&p, "t:900:g0"), 0);
	VG_CHECK_INT(cap.nplayed, 1);
	VG_CHECK_INT(cap.played[0], 200);
	VG_CHECK_INT(mws_play_echo(&p, "item_C9x:1840:g1:m23"), -1);
	VG_CHECK_INT(mws_play_echo(&p, "t:1x:g0"), -1);
	VG_CHECK_INT(mws_play_echo(&p, "n:7:1:g0"), -1);
	/* a named mark never echoed is answered when the stream goes */
	mws_play_mark(&p, "end");
	mws_play_stop(&p);
	VG_CHECK_INT(cap.nmarked, 1);
	VG_CHECK_INT(cap.marked_played[0], 0);
	mws_play_free(&p);
}

/* ---- end to end ---- */

static struct vg_module mod = { .name = "media_ws", .state = VG_MOD_RUNNING };
static struct vg_module carrier = {
	.name = "carrier", .state = VG_MOD_RUNNING,
};
static struct vg_module spy = { .name = "spy", .state = VG_MOD_RUNNING };

#define SEEN_MAX	256

/* Bus events the spy saw. */
static struct {
	int		 n;
	char		 type[SEEN_MAX][VG_EVENT_TYPE_MAX];
	char		 json[SEEN_MAX][512];
	uint64_t	 ts[SEEN_MAX];
	size_t		 len[SEEN_MAX];
	uint8_t		 first[SEEN_MAX];
} seen;

/* The spy: record every event. */
static void
spy_event(const struct vg_event *ev, void *arg)
{
	const struct vg_audio_frame *f = vg_event_audio(ev);
	struct json_object *o;

	if (seen.n == SEEN_MAX)
		return;
	vg_strlcpy(seen.type[seen.n], vg_event_type(ev), VG_EVENT_TYPE_MAX);
	if (f != NULL) {
		seen.ts[seen.n] = f->media_ts_ms;
		seen.len[seen.n] = f->len;
		seen.first[seen.n] = f->len > 0 ? f->data[0] : 0;
		if (f->len == 160 && f->data[159] != 159)
			seen.first[seen.n] = 0xee;	/* not our bytes */
	}
	o = vg_event_to_json(ev);
	vg_strlcpy(seen.json[seen.n], json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), sizeof(seen.json[0]));
	json_object_put(o);
	seen.n++;
}

/* The index of the first event of TYPE from FROM on, or -1. */
static int
seen_find(const char *type, int from)
{
	int i;

	for (i = from; i < seen.n; i++) {
		if (strcmp(seen.type[i], type) == 0)
			return (i);
	}
	return (-1);
}

/* Our Twilio: what it received and how it was closed. */
struct tw {
	struct vg_ws_conn	*conn;
	int			 opens, closes, close_code;
	int			 n;
	char			 msg[CAP_MAX][512];
};

/* Client open. */
static int
tw_open(struct vg_ws_conn *conn, void *arg)
{
	((struct tw *)arg)->opens++;
	return (0);
}

/* Client message: keep it. */
static void
tw_msg(struct vg_ws_conn *conn, const void *data, size_t len, int binary,
    void *arg)
{
	struct tw *t = arg;

	if (t->n == CAP_MAX)
		return;
	if (len >= sizeof(t->msg[0]))
		len = sizeof(t->msg[0]) - 1;
	memcpy(t->msg[t->n], data, len);
	t->msg[t->n][len] = '\0';
	t->n++;
}

/* Client closed. */
static void
tw_close(struct vg_ws_conn *conn, int code, const char *reason, void *arg)
{
	struct tw *t = arg;

	t->closes++;
	t->close_code = code;
	t->conn = NULL;
}

static const struct vg_ws_handlers tw_handlers = { tw_open, tw_msg,
    tw_close };

static char e2e_dir[64];

/* True when metric NAME reads VALUE in /metrics (-1: NAME is absent). */
static int
metric_is(const char *name, long long value)
{
	char want[128], *text, *p;
	size_t len;
	int ok;

	text = vg_metrics_render(&len);
	snprintf(want, sizeof(want), "\nvoicegate_%s ", name);
	p = strstr(text, want);
	if (value == -1)
		ok = (p == NULL);
	else
		ok = (p != NULL && strtoll(p + strlen(want), NULL, 10) ==
		    value);
	free(text);
	return (ok);
}

/* Core, listener, spy and the module with a test media_ws.conf. */
static int
e2e_up(void)
{
	static int net_up;
	struct vg_settings s;
	char path[128];
	FILE *fp;

	memset(&seen, 0, sizeof(seen));
	if (!net_up) {
		if (vg_core_init() == -1)
			return (-1);
		vg_settings_defaults(&s);
		vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
		s.listen_port = 0;
		vg_strlcpy(s.public_url, "http://127.0.0.1:5050",
		    sizeof(s.public_url));
		vg_settings_set(&s);
		if (vg_net_start(vg_settings()) == -1)
			return (-1);
		net_up = 1;
		snprintf(e2e_dir, sizeof(e2e_dir), "/tmp/vg-mws-XXXXXX");
		if (mkdtemp(e2e_dir) == NULL)
			return (-1);
	}
	snprintf(path, sizeof(path), "%s/media_ws.conf", e2e_dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "[media_ws]\nauth_token = " AUTH "\nstart_timeout = 1\n"
	    "stream_wait = 1\nmax_garbage = 3\n");
	fclose(fp);
	if ((mod.conf = vg_conf_parse(path, NULL, NULL)) == NULL)
		return (-1);
	vg_bus_subscribe(&spy, "*", NULL, spy_event, NULL);
	return (vg_module_info.load(&mod) == VG_LOAD_OK ? 0 : -1);
}

/* Unload the module and release the test's owners. */
static void
e2e_down(void)
{
	vg_module_info.unload(&mod);
	vg_core_release_owner(&mod);
	vg_core_release_owner(&spy);
	vg_core_release_owner(&carrier);
	vg_conf_free(mod.conf);
	mod.conf = NULL;
	pump_ms(20);
}

/* A call as twilio_http makes it. */
static struct vg_call *
e2e_call(char *id, size_t size, const char *call_sid)
{
	struct vg_call *call;

	call = vg_call_create(&carrier, VG_CALL_INBOUND, "+15550001",
	    "+15550002");
	if (call == NULL)
		return (NULL);
	vg_call_set_attr(call, "call_sid", call_sid);
	vg_call_set_attr(call, "account_sid", ASID);
	vg_call_set_attr(call, "task", "default");
	vg_call_set_attr(call, "media_token", TOKEN);
	vg_strlcpy(id, vg_call_id(call), size);
	return (call);
}

/* Connect T as Twilio, signed (or with SIG_OVERRIDE). Returns 0 once open,
 * -1 if it was closed instead. */
static int
tw_connect(struct tw *t, const char *sig_override)
{
	char url[128], sig[TWILIO_SIG_LEN + 1], hdr[64];
	const char *hdrs[2] = { hdr, NULL };

	memset(t, 0, sizeof(*t));
	twilio_sig_compute(AUTH, "ws://127.0.0.1:5050/twilio/media-stream",
	    NULL, 0, sig);
	snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s",
	    sig_override != NULL ? sig_override : sig);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/twilio/media-stream",
	    vg_net_port());
	t->conn = vg_ws_connect(&spy, url, hdrs, &tw_handlers, t);
	if (t->conn == NULL)
		return (-1);
	while (t->opens == 0 && t->closes == 0) {
		if (!pump_until_count(&t->opens, 1, 5))
			break;
	}
	return (t->opens > 0 && t->closes == 0 ? 0 : -1);
}

/* Send S as text. */
static void
tw_send(struct tw *t, const char *s)
{
	if (t->conn != NULL)
		vg_ws_send(t->conn, s, strlen(s), 0);
}

/* Send connected and start for CALL_ID with TOKEN_. */
static void
tw_start(struct tw *t, const char *call_id, const char *token)
{
	char buf[1024];

	tw_send(t, "{\"event\":\"connected\",\"protocol\":\"Call\","
	    "\"version\":\"1.0.0\"}");
	snprintf(buf, sizeof(buf), "{\"event\":\"start\",\"sequenceNumber\":"
	    "\"1\",\"start\":{\"accountSid\":\"" ASID "\",\"streamSid\":\""
	    SID "\",\"callSid\":\"" CSID "\",\"tracks\":[\"inbound\"],"
	    "\"customParameters\":{\"call_id\":\"%s\",\"token\":\"%s\","
	    "\"tenant\":\"acme\"},\"mediaFormat\":{\"encoding\":"
	    "\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
	    "\"streamSid\":\"" SID "\"}", call_id, token);
	tw_send(t, buf);
}

/* Send one media frame of 160 bytes 0..159 at timestamp TS. */
static void
tw_media(struct tw *t, unsigned seq, unsigned ts)
{
	uint8_t audio[160];
	char b64[256], buf[512];
	size_t i;

	for (i = 0; i < sizeof(audio); i++)
		audio[i] = (uint8_t)i;
	vg_b64_encode(audio, sizeof(audio), b64);
	snprintf(buf, sizeof(buf), "{\"event\":\"media\",\"sequenceNumber\":"
	    "\"%u\",\"media\":{\"track\":\"inbound\",\"chunk\":\"%u\","
	    "\"timestamp\":\"%u\",\"payload\":\"%s\"},\"streamSid\":\"" SID
	    "\"}", seq, seq - 1, ts, b64);
	tw_send(t, buf);
}

/* Send a mark echo for NAME. */
static void
tw_echo(struct tw *t, const char *name)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"event\":\"mark\",\"sequenceNumber\":"
	    "\"9\",\"streamSid\":\"" SID "\",\"mark\":{\"name\":\"%s\"}}",
	    name);
	tw_send(t, buf);
}

/* Publish N bytes of agent audio for CALL_ID. */
static void
agent_audio(const char *call_id, size_t n)
{
	uint8_t buf[4000];

	memset(buf, 0x55, n);
	vg_bus_publish(vg_event_new_audio("audio.out", call_id, VG_CODEC_PCMU,
	    8000, 0, buf, n));
}

/* Pump until an event of TYPE appears at or after FROM. Returns its
 * index or -1. */
static int
wait_event(const char *type, int from)
{
	uint64_t end = vg_now_ms() + WAIT_MS;
	int i;

	while ((i = seen_find(type, from)) == -1 && vg_now_ms() < end)
		pump_ms(5);
	return (i);
}

/* A whole call: held audio flushed at start, caller audio in, agent audio
 * out with marks, audio.played, a named mark flushed by a clear, DTMF and
 * stop ending the call. */
static void
t_e2e_call(void)
{
	char id[VG_CALL_ID_MAX], mark[64] = "";
	struct tw t;
	int i, k, base;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(e2e_call(id, sizeof(id), CSID) != NULL);
	pump_ms(10);
	agent_audio(id, 320);		/* the agent speaks first */
	pump_ms(10);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id, TOKEN);
	VG_CHECK((i = wait_event("media.started", 0)) >= 0);
	if (i >= 0) {
		VG_CHECK(strstr(seen.json[i], "\"stream_sid\":\"" SID "\"") !=
		    NULL);
		VG_CHECK(strstr(seen.json[i], "\"tenant\":\"acme\"") != NULL);
		VG_CHECK(strstr(seen.json[i], TOKEN) == NULL);
	}
	VG_CHECK(vg_call_state(vg_call_find(id)) == VG_CALL_IN_PROGRESS);
	VG_CHECK_STR(vg_call_attr(vg_call_find(id), "stream_sid"), SID);
	VG_CHECK(pump_until_count(&t.n, 2, 5));
	VG_CHECK(strncmp(t.msg[0], "{\"event\":\"media\",\"streamSid\":\"" SID
	    "\",\"media\":{\"payload\":\"VVVV", 60) == 0);

	/* caller audio: exact bytes and Twilio's timestamps */
	tw_media(&t, 2, 20);
	tw_media(&t, 3, 40);
	VG_CHECK((i = wait_event("audio.in", 0)) >= 0);
	VG_CHECK((k = wait_event("audio.in", i + 1)) >= 0);
	if (i >= 0 && k >= 0) {
		VG_CHECK_INT(seen.len[i], 160);
		VG_CHECK_INT(seen.first[i], 0);
		VG_CHECK_INT(seen.ts[i], 20);
		VG_CHECK_INT(seen.ts[k], 40);
	}

	/* agent audio: 800 more bytes, the mark at 100 ms, echoed */
	agent_audio(id, 800);
	VG_CHECK(pump_until_count(&t.n, 2 + 5 + 1, 5));
	for (i = 0; i < t.n; i++) {
		const char *p = strstr(t.msg[i], "\"name\":\"");

		if (p != NULL && strstr(t.msg[i], "\"event\":\"mark\"") !=
		    NULL) {
			snprintf(mark, sizeof(mark), "%.*s",
			    (int)strcspn(p + 8, "\""), p + 8);
			break;
		}
	}
	VG_CHECK_STR(mark, "t:100:g0");
	base = seen.n;
	tw_echo(&t, mark);
	VG_CHECK((i = wait_event("audio.played", base)) >= 0);
	if (i >= 0)
		VG_CHECK(strstr(seen.json[i], "\"played_ms\":100") != NULL);

	/* a named mark, then a clear: its echo means flushed */
	vg_bus_emit("audio.mark", id, json_tokener_parse(
	    "{\"name\":\"utt1\"}"));
	k = t.n;
	VG_CHECK(pump_until_count(&t.n, k + 1, 5));
	VG_CHECK(strstr(t.msg[k], "\"name\":\"n:1:140:g0\"") != NULL);
	vg_bus_emit("audio.clear", id, NULL);
	VG_CHECK(pump_until_count(&t.n, k + 2, 5));
	VG_CHECK_STR(t.msg[k + 1], "{\"event\":\"clear\",\"streamSid\":\""
	    SID "\"}");
	base = seen.n;
	tw_echo(&t, "n:1:140:g0");
	VG_CHECK((i = wait_event("audio.marked", base)) >= 0);
	if (i >= 0) {
		VG_CHECK(strstr(seen.json[i], "\"name\":\"utt1\"") != NULL);
		VG_CHECK(strstr(seen.json[i], "\"played\":false") != NULL);
	}

	/* DTMF, then stop ends the call */
	tw_send(&t, "{\"event\":\"dtmf\",\"sequenceNumber\":\"10\","
	    "\"streamSid\":\"" SID "\",\"dtmf\":{\"track\":\"inbound_track\","
	    "\"digit\":\"#\"}}");
	VG_CHECK((i = wait_event("call.dtmf", base)) >= 0);
	if (i >= 0)
		VG_CHECK(strstr(seen.json[i], "\"digit\":\"#\"") != NULL);
	tw_send(&t, "{\"event\":\"stop\",\"sequenceNumber\":\"11\","
	    "\"streamSid\":\"" SID "\",\"stop\":{\"accountSid\":\"" ASID
	    "\",\"callSid\":\"" CSID "\"}}");
	VG_CHECK((i = wait_event("media.stopped", base)) >= 0);
	if (i >= 0)
		VG_CHECK(strstr(seen.json[i], "\"reason\":\"stop\"") != NULL);
	VG_CHECK(wait_event("call.ended", base) > i);
	VG_CHECK(vg_call_find(id) == NULL);
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_NORMAL);
	e2e_down();
}

/* A wrong token, an unknown call or a bad signature: closed 1008; the
 * call lives on. */
static void
t_e2e_refused(void)
{
	char id[VG_CALL_ID_MAX];
	struct tw t;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(e2e_call(id, sizeof(id), CSID) != NULL);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id, "ffffffffffffffffffffffffffffffff");
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_POLICY);
	VG_CHECK(vg_call_find(id) != NULL);
	VG_CHECK(seen_find("media.started", 0) == -1);

	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, "vgc_0000000000000000", TOKEN);
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_POLICY);

	tw_connect(&t, "ttk+kVY3Kdi/BWVnuJguRoi2Bjs=");
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_POLICY);
	VG_CHECK(vg_call_find(id) != NULL);
	e2e_down();
}

/* No start within start_timeout: closed 1008. */
static void
t_e2e_no_start(void)
{
	struct tw t;
	uint64_t t0;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_send(&t, "{\"event\":\"connected\",\"protocol\":\"Call\","
	    "\"version\":\"1.0.0\"}");
	t0 = vg_now_ms();
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK(vg_now_ms() - t0 >= 800);
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_POLICY);
	e2e_down();
}

/* An answered call whose stream never starts is hung up after
 * stream_wait; one whose stream starts in time is not. */
static void
t_e2e_stream_wait(void)
{
	char id[VG_CALL_ID_MAX], id2[VG_CALL_ID_MAX];
	struct vg_call *call;
	struct tw t;
	uint64_t t0;
	int base, i;

	VG_CHECK(e2e_up() == 0);
	base = seen.n;
	VG_CHECK((call = e2e_call(id, sizeof(id), CSID)) != NULL);
	if (call != NULL)
		vg_call_set_state(call, VG_CALL_IN_PROGRESS);
	t0 = vg_now_ms();
	VG_CHECK((i = wait_event("call.hangup", base)) >= 0);
	VG_CHECK(vg_now_ms() - t0 >= 900);
	if (i >= 0) {
		VG_CHECK(strstr(seen.json[i], id) != NULL);
		VG_CHECK(strstr(seen.json[i], "no media stream") != NULL);
	}
	if ((call = vg_call_find(id)) != NULL)
		vg_call_set_state(call, VG_CALL_COMPLETED);

	/* The stream starts in time: no hang-up. */
	base = seen.n;
	VG_CHECK((call = e2e_call(id2, sizeof(id2), CSID)) != NULL);
	if (call != NULL)
		vg_call_set_state(call, VG_CALL_IN_PROGRESS);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id2, TOKEN);
	VG_CHECK(wait_event("media.started", base) >= 0);
	pump_ms(1300);
	VG_CHECK_INT(seen_find("call.hangup", base), -1);
	e2e_down();
}

/* Garbage is counted; past max_garbage the stream closes and the call
 * ends with media.stopped "error". */
static void
t_e2e_garbage(void)
{
	char id[VG_CALL_ID_MAX];
	struct tw t;
	int i;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(e2e_call(id, sizeof(id), CSID) != NULL);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id, TOKEN);
	VG_CHECK(wait_event("media.started", 0) >= 0);
	tw_send(&t, "not json");
	tw_send(&t, "{\"event\":\"bogus\"}");
	vg_ws_send(t.conn, "\x01\x02", 2, 1);
	pump_ms(50);
	VG_CHECK(t.closes == 0);
	VG_CHECK(vg_call_find(id) != NULL);
	tw_send(&t, "{\"event\":\"media\",\"streamSid\":\"" SID "\","
	    "\"media\":{\"timestamp\":\"1\",\"payload\":\"@@@@\"}}");
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_POLICY);
	VG_CHECK((i = wait_event("media.stopped", 0)) >= 0);
	if (i >= 0)
		VG_CHECK(strstr(seen.json[i], "\"reason\":\"error\"") != NULL);
	VG_CHECK(vg_call_find(id) == NULL);
	VG_CHECK(metric_is("media_ws_garbage_total", 4));
	VG_CHECK(metric_is("media_ws_streams", 0));
	e2e_down();
}

/* Unloading closes every stream (1001) and removes the endpoint. */
static void
t_e2e_unload_closes(void)
{
	char id[VG_CALL_ID_MAX];
	struct tw t;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(e2e_call(id, sizeof(id), CSID) != NULL);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id, TOKEN);
	VG_CHECK(wait_event("media.started", 0) >= 0);
	VG_CHECK(metric_is("media_ws_streams", 1));
	vg_module_info.unload(&mod);
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_GOING_AWAY);
	VG_CHECK(metric_is("media_ws_streams", -1));	/* removed */
	VG_CHECK(tw_connect(&t, NULL) == -1);	/* no endpoint any more */
	vg_core_release_owner(&mod);
	vg_core_release_owner(&spy);
	vg_core_release_owner(&carrier);
	vg_conf_free(mod.conf);
	mod.conf = NULL;
}

/* Load with CONF_TEXT as media_ws.conf and TOKEN_ENV as the environment.
 * Returns what load returned (the module is unloaded again). */
static int
load_with(const char *conf_text, const char *token_env)
{
	char path[128];
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/media_ws.conf", e2e_dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fputs(conf_text, fp);
	fclose(fp);
	if (token_env != NULL)
		setenv("TWILIO_AUTH_TOKEN", token_env, 1);
	else
		unsetenv("TWILIO_AUTH_TOKEN");
	mod.conf = vg_conf_parse(path, NULL, NULL);
	if (mod.conf == NULL)
		return (-1);
	rc = vg_module_info.load(&mod);
	if (rc == VG_LOAD_OK)
		vg_module_info.unload(&mod);
	vg_core_release_owner(&mod);
	vg_conf_free(mod.conf);
	mod.conf = NULL;
	return (rc);
}

/* No auth token: decline, unless signatures are explicitly off; bad
 * values decline. */
static void
t_conf_token(void)
{
	static const char base[] = "[media_ws]\n"
	    "auth_token = ${TWILIO_AUTH_TOKEN:-}\n";
	char buf[256];

	VG_CHECK(e2e_up() == 0);	/* core and e2e_dir */
	e2e_down();
	VG_CHECK_INT(load_with(base, NULL), VG_LOAD_DECLINE);
	VG_CHECK_INT(load_with(base, AUTH), VG_LOAD_OK);
	snprintf(buf, sizeof(buf), "%svalidate_signatures = no\n", base);
	VG_CHECK_INT(load_with(buf, NULL), VG_LOAD_OK);
	snprintf(buf, sizeof(buf), "%schunk_ms = 5\n", base);
	VG_CHECK_INT(load_with(buf, AUTH), VG_LOAD_DECLINE);
	snprintf(buf, sizeof(buf), "%svalidate_signatures = maybe\n", base);
	VG_CHECK_INT(load_with(buf, AUTH), VG_LOAD_DECLINE);
	unsetenv("TWILIO_AUTH_TOKEN");
}

/* A call ended elsewhere closes its stream with 1000, after which nothing
 * more is published for it. */
static void
t_e2e_call_ended(void)
{
	char id[VG_CALL_ID_MAX];
	struct tw t;
	int i;

	VG_CHECK(e2e_up() == 0);
	VG_CHECK(e2e_call(id, sizeof(id), CSID) != NULL);
	VG_CHECK(tw_connect(&t, NULL) == 0);
	tw_start(&t, id, TOKEN);
	VG_CHECK(wait_event("media.started", 0) >= 0);
	vg_call_set_state(vg_call_find(id), VG_CALL_COMPLETED);
	VG_CHECK(pump_until_count(&t.closes, 1, 5));
	VG_CHECK_INT(t.close_code, VG_WS_CLOSE_NORMAL);
	i = seen_find("call.ended", 0);
	VG_CHECK(i >= 0);
	VG_CHECK_INT(seen.n, i + 1);	/* call.ended came last */
	e2e_down();
}

static const struct vg_test cases[] = {
	{ "msg/parse_every_message",	t_parse_all },
	{ "msg/reject_malformed",	t_parse_reject },
	{ "msg/media_fast_path_as_json_c", t_parse_fast },
	{ "msg/b64_roundtrip_160",	t_b64_roundtrip },
	{ "msg/b64_reject_bad",		t_b64_bad },
	{ "msg/build_exact_fields",	t_build },
	{ "play/rechunk_1000_bytes",	t_play_rechunk },
	{ "play/held_flushed_in_order",	t_play_held_order },
	{ "play/held_overflow_drops_oldest", t_play_held_overflow },
	{ "play/clear_generation_flushed", t_play_clear_generation },
	{ "play/timeline_monotonic",	t_play_timeline },
	{ "e2e/call_audio_marks_clear_stop", t_e2e_call },
	{ "e2e/refused_token_call_signature", t_e2e_refused },
	{ "e2e/no_start_timeout",	t_e2e_no_start },
	{ "e2e/answered_without_stream_hung_up", t_e2e_stream_wait },
	{ "e2e/garbage_closes",		t_e2e_garbage },
	{ "e2e/call_ended_closes_stream", t_e2e_call_ended },
	{ "e2e/unload_closes_streams",	t_e2e_unload_closes },
	{ "conf/auth_token_or_decline",	t_conf_token },
};
VG_TEST_MAIN(cases)
