/*
 * voicegate-sim --realtime-server: an OpenAI Realtime (GA) stand-in on
 * one thread (epoll), for load tests and the demo. Per connection:
 * session.created, session.update merged and answered, and either an echo
 * "model" (every appended chunk comes straight back as an audio delta of a
 * running response) or a conversation script (sim_rt_script.c). Events
 * are written into one scratch buffer and framed into the connection's
 * output buffer: no allocation per delta; agent audio is a precomputed
 * tone. Lenient about what clients send (tests/fakes/realtime.mjs is the
 * schema checker); a frame that is not JSON text gets an error event.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "sim.h"
#include "sim_rt.h"
#include "wsc.h"

#define RT_MAX_HEAD	16384
#define RT_MAX_FRAME	(16u * 1024 * 1024)	/* appends may be 15 MiB */
#define RT_MAX_OUT	(64u * 1024 * 1024)	/* a client that stops reading */
#define RT_NITEMS	16		/* items remembered for truncate */
#define RT_NQUEUE	4		/* responses waiting for the active one */
#define RT_NTONES	16
#define RT_TONE_LEN	8000		/* one second: any whole Hz repeats */

enum rt_state { RT_HEAD, RT_OPEN, RT_CLOSING };
enum rt_kind { RT_SPEAK, RT_TOOL, RT_ECHO };
enum rt_timer_kind { RT_T_RESP, RT_T_STEP };

/* An item the client may truncate or name. */
struct rt_item {
	unsigned	 num;
	unsigned	 audio_bytes;
	int		 audio;		/* an assistant audio item */
};

/* The active response. */
struct rt_resp {
	enum rt_kind	 kind;
	unsigned	 num;
	unsigned	 item;
	const struct sim_rt_respond *r;
	const struct sim_rt_tool *t;
	const char	*text;		/* transcript */
	size_t		 said;		/* bytes of it sent */
	int		 chunks, i;
	int		 sent_ms;
	int		 leak;		/* deltas left after speech; -1 */
	unsigned	 audio_bytes;
	int		 out_index;	/* of the current item */
	int		 then_tool;	/* a spoken preamble: call t next */
};

/* A response waiting for the active one to end. */
struct rt_pending {
	enum rt_kind	 kind;
	const struct sim_rt_respond *r;
	const struct sim_rt_tool *t;
};

/* One client connection. */
struct rt_conn {
	struct rt_conn	*next;		/* free or dirty list */
	unsigned	 serial;	/* bumped on reuse: stale timers */
	int		 fd;
	enum rt_state	 state;
	int		 dirty, dead, epout;
	unsigned	 id;
	struct wsc_buf	 in, out, frag;
	int		 frag_op;
	char		 model[64];
	char		*session;	/* effective config, JSON */
	int		 interrupt_response;
	int		 in_bpm;	/* input bytes per ms */
	uint64_t	 in_bytes;
	unsigned	 next_id;
	int		 active;
	struct rt_resp	 resp;
	struct rt_pending queue[RT_NQUEUE];
	int		 nqueue;
	struct rt_item	 items[RT_NITEMS];
	unsigned	 nitems;
	unsigned	 last_item;	/* previous_item_id of the next */
	unsigned	 user_item, last_user_item;
	int		 cursor, armed, matched;
	uint64_t	 audio_from;	/* in_bytes when the step armed */
	unsigned	 tgen[2];
	char		 tool_name[64];	/* the call waiting for its output */
	char		 tool_call[64];
};

/* A timer: runs when due unless the connection or generation moved on. */
struct rt_timer {
	uint64_t	 due;		/* ms */
	struct rt_conn	*c;
	unsigned	 serial;
	unsigned	 gen;
	int		 kind;
};

/* The context of a response.create being handled by a script step. */
struct rt_ctx {
	int		 used;
};

static struct {
	const struct sim_rt_opts *o;
	int		 epfd, lfd;
	struct rt_conn	*free, *dirty;
	struct rt_timer	*heap;
	size_t		 nheap, capheap;
	struct wsc_buf	 ev;		/* the event being written */
	uint64_t	 event_seq;
	unsigned	 sessions;	/* ever */
	int		 open;		/* now */
	struct {
		int	 hz;
		uint8_t	 pcm[2 * RT_TONE_LEN];
	}		 tones[RT_NTONES];
	int		 ntones;
} rt;

static volatile sig_atomic_t rt_stop;

static const struct sim_rt_respond rt_default_respond = {
	"Hello from voicegate-sim.", 1000, 100, 10, 440
};

static void	rt_trigger(struct rt_conn *, const char *, struct rt_ctx *);
static void	rt_resp_step(struct rt_conn *);
static void	rt_fire(struct rt_conn *, struct rt_ctx *);
static void	rt_resp_start(struct rt_conn *, enum rt_kind,
		    const struct sim_rt_respond *, const struct sim_rt_tool *);

/* Note SIGINT/SIGTERM. */
static void
rt_on_signal(int sig)
{
	(void)sig;
	rt_stop = 1;
}

/* Return the monotonic clock in ms. */
static uint64_t
rt_ms(void)
{
	return (wsc_now() / 1000000);
}

/* Print a conversation line for C (script mode, not --quiet). */
static void
rt_say(struct rt_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (rt.o->quiet || rt.o->echo)
		return;
	if (c->id > 1)
		printf("[%u] ", c->id);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- timers: a binary heap ---- */

/* Swap heap entries A and B. */
static void
rt_heap_swap(size_t a, size_t b)
{
	struct rt_timer t = rt.heap[a];

	rt.heap[a] = rt.heap[b];
	rt.heap[b] = t;
}

/* Run KIND of C in MS (scaled) from now, replacing the pending one. */
static void
rt_timer_set(struct rt_conn *c, int kind, double ms)
{
	struct rt_timer *t;
	size_t i;

	if (rt.nheap == rt.capheap) {
		rt.capheap = rt.capheap != 0 ? rt.capheap * 2 : 1024;
		rt.heap = realloc(rt.heap, rt.capheap * sizeof(*rt.heap));
		if (rt.heap == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
	}
	t = &rt.heap[rt.nheap];
	t->due = rt_ms() + (uint64_t)(ms / rt.o->time_scale);
	t->c = c;
	t->serial = c->serial;
	t->gen = ++c->tgen[kind];
	t->kind = kind;
	for (i = rt.nheap++; i > 0 && rt.heap[(i - 1) / 2].due >
	    rt.heap[i].due; i = (i - 1) / 2)
		rt_heap_swap(i, (i - 1) / 2);
}

/* Remove the earliest timer into T. */
static void
rt_heap_pop(struct rt_timer *t)
{
	size_t i = 0, l, m;

	*t = rt.heap[0];
	rt.heap[0] = rt.heap[--rt.nheap];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < rt.nheap && rt.heap[l].due < rt.heap[m].due)
			m = l;
		if (l + 1 < rt.nheap && rt.heap[l + 1].due < rt.heap[m].due)
			m = l + 1;
		if (m == i)
			break;
		rt_heap_swap(i, m);
		i = m;
	}
}

/* ---- writing events ---- */

/* Append the formatted text to the event being written. */
static void
rt_ev_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	wsc_buf_reserve(&rt.ev, 256);
	va_start(ap, fmt);
	n = vsnprintf((char *)rt.ev.data + rt.ev.len, rt.ev.cap - rt.ev.len,
	    fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= rt.ev.cap - rt.ev.len) {
		wsc_buf_reserve(&rt.ev, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf((char *)rt.ev.data + rt.ev.len, rt.ev.cap -
		    rt.ev.len, fmt, ap);
		va_end(ap);
	}
	if (n > 0)
		rt.ev.len += (size_t)n;
}

/* Append S/LEN as a JSON string (null for NULL). */
static void
rt_ev_strn(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char ch;
	char *w;
	size_t i;

	if (s == NULL) {
		wsc_buf_add(&rt.ev, "null", 4);
		return;
	}
	wsc_buf_reserve(&rt.ev, len * 6 + 2);
	w = (char *)rt.ev.data + rt.ev.len;
	*w++ = '"';
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			*w++ = '\\';
			*w++ = (char)ch;
		} else if (ch < 0x20) {
			memcpy(w, "\\u00", 4);
			w[4] = hex[ch >> 4];
			w[5] = hex[ch & 15];
			w += 6;
		} else
			*w++ = (char)ch;
	}
	*w++ = '"';
	rt.ev.len = (size_t)(w - (char *)rt.ev.data);
}

/* Append ,"KEY":S (a JSON string, or null). */
static void
rt_ev_str(const char *key, const char *s)
{
	rt_ev_printf(",\"%s\":", key);
	rt_ev_strn(s, s != NULL ? strlen(s) : 0);
}

/* Start a server event of TYPE. */
static void
rt_ev_begin(const char *type)
{
	rt.ev.off = rt.ev.len = 0;
	rt_ev_printf("{\"type\":\"%s\",\"event_id\":\"event_%llu\"", type,
	    (unsigned long long)++rt.event_seq);
}

/* Mark C for flushing at the end of the loop turn. */
static void
rt_dirty(struct rt_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	c->next = rt.dirty;
	rt.dirty = c;
}

/* Finish the event, frame it to C and let the script see TYPE. */
static void
rt_ev_end(struct rt_conn *c, const char *type)
{
	wsc_buf_add(&rt.ev, "}", 1);
	if (c->dead || c->state != RT_OPEN)
		return;
	wsc_frame_put(&c->out, WSC_OP_TEXT, rt.ev.data, rt.ev.len, 0);
	rt_dirty(c);
	rt_trigger(c, type, NULL);
}

/* Send an error event (CODE and PARAM may be NULL). */
static void
rt_error(struct rt_conn *c, const char *type, const char *code,
    const char *message, const char *param, const char *event_id)
{
	rt_ev_begin("error");
	rt_ev_printf(",\"error\":{\"type\":");
	rt_ev_strn(type, strlen(type));
	rt_ev_str("code", code);
	rt_ev_str("message", message);
	rt_ev_str("param", param);
	rt_ev_str("event_id", event_id);
	rt_ev_printf("}");
	rt_ev_end(c, "error");
}

/* Append a WebSocket close frame with CODE and REASON; C closes once its
 * output is written. */
static void
rt_close(struct rt_conn *c, int code, const char *reason)
{
	unsigned char p[125];
	size_t rl = reason != NULL ? strlen(reason) : 0;

	if (c->state != RT_OPEN)
		return;
	if (rl > sizeof(p) - 2)
		rl = sizeof(p) - 2;
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	if (rl > 0)
		memcpy(p + 2, reason, rl);
	wsc_frame_put(&c->out, WSC_OP_CLOSE, p, rl + 2, 0);
	c->state = RT_CLOSING;
	rt_dirty(c);
}

/* ---- audio ---- */

/* Return one second (twice over) of μ-law at HZ; 0 is silence with a
 * tiny pattern (every 40th byte one step off). */
static const uint8_t *
rt_tone(int hz)
{
	int i, t;

	for (t = 0; t < rt.ntones; t++)
		if (rt.tones[t].hz == hz)
			return (rt.tones[t].pcm);
	t = rt.ntones < RT_NTONES ? rt.ntones++ : RT_NTONES - 1;
	rt.tones[t].hz = hz;
	for (i = 0; i < RT_TONE_LEN; i++)
		rt.tones[t].pcm[i] = hz == 0 ? (i % 40 == 0 ? 0xfe : 0xff) :
		    sim_ulaw_encode((int16_t)(8192 * sin(2 * M_PI * hz * i /
		    8000.0)));
	memcpy(rt.tones[t].pcm + RT_TONE_LEN, rt.tones[t].pcm, RT_TONE_LEN);
	return (rt.tones[t].pcm);
}

/* Append P/LEN base64-encoded (no quotes) to the event. */
static void
rt_ev_b64(const uint8_t *p, size_t len)
{
	int n;

	wsc_buf_reserve(&rt.ev, (len + 2) / 3 * 4 + 1);
	n = EVP_EncodeBlock(rt.ev.data + rt.ev.len, p, (int)len);
	rt.ev.len += (size_t)n;
}

/* ---- items and responses ---- */

/* Remember a new item; returns its number. */
static unsigned
rt_item_new(struct rt_conn *c, int audio)
{
	struct rt_item *it = &c->items[c->nitems++ % RT_NITEMS];

	it->num = ++c->next_id;
	it->audio_bytes = 0;
	it->audio = audio;
	return (it->num);
}

/* Return the remembered item NUM of C, or NULL. */
static struct rt_item *
rt_item_find(struct rt_conn *c, unsigned num)
{
	int i;

	for (i = 0; i < RT_NITEMS; i++)
		if (c->items[i].num == num && num != 0)
			return (&c->items[i]);
	return (NULL);
}

/* Append ,"KEY":"item_C_N" (null for 0). */
static void
rt_ev_item_id(struct rt_conn *c, const char *key, unsigned num)
{
	if (num == 0)
		rt_ev_printf(",\"%s\":null", key);
	else
		rt_ev_printf(",\"%s\":\"item_%u_%u\"", key, c->id, num);
}

/* Append the base fields of the active response's content events. */
static void
rt_ev_base(struct rt_conn *c)
{
	rt_ev_printf(",\"response_id\":\"resp_%u_%u\"", c->id, c->resp.num);
	rt_ev_item_id(c, "item_id", c->resp.item);
	rt_ev_printf(",\"output_index\":%d", c->resp.out_index);
}

/* Append the active response's item as JSON; FINAL: with its content. */
static void
rt_ev_resp_item(struct rt_conn *c, const char *status, int final)
{
	struct rt_resp *r = &c->resp;

	rt_ev_printf("{\"id\":\"item_%u_%u\",\"object\":\"realtime.item\"",
	    c->id, r->item);
	if (r->kind == RT_TOOL) {
		rt_ev_printf(",\"type\":\"function_call\",\"status\":\"%s\"",
		    status);
		rt_ev_str("name", r->t->name);
		rt_ev_str("call_id", c->tool_call);
		rt_ev_str("arguments", final ? r->t->arguments : "");
		rt_ev_printf("}");
		return;
	}
	rt_ev_printf(",\"type\":\"message\",\"status\":\"%s\",\"role\":"
	    "\"assistant\",\"content\":[", status);
	if (final) {
		rt_ev_printf("{\"type\":\"output_audio\",\"transcript\":");
		rt_ev_strn(r->text, r->said);
		rt_ev_printf("}");
	}
	rt_ev_printf("]}");
}

/* Append the active response as JSON with STATUS. */
static void
rt_ev_response(struct rt_conn *c, const char *status, const char *reason,
    const char *item_status)
{
	struct rt_resp *r = &c->resp;
	unsigned audio_tok = r->audio_bytes / 8 / 50;
	unsigned text_tok = (unsigned)(r->said / 5);

	rt_ev_printf(",\"response\":{\"id\":\"resp_%u_%u\",\"object\":"
	    "\"realtime.response\",\"status\":\"%s\",\"status_details\":",
	    c->id, r->num, status);
	if (reason != NULL)
		rt_ev_printf("{\"type\":\"%s\",\"reason\":\"%s\"}", status,
		    reason);
	else
		rt_ev_printf("null");
	rt_ev_printf(",\"output\":[");
	if (item_status != NULL)
		rt_ev_resp_item(c, item_status, 1);
	rt_ev_printf("],\"conversation_id\":\"conv_%u\",\"output_modalities\":"
	    "[\"audio\"],\"max_output_tokens\":\"inf\",\"audio\":{\"output\":"
	    "{\"format\":{\"type\":\"audio/pcmu\"},\"voice\":\"marin\"}},"
	    "\"usage\":", c->id);
	if (item_status == NULL)
		rt_ev_printf("null");
	else
		rt_ev_printf("{\"total_tokens\":%u,\"input_tokens\":120,"
		    "\"output_tokens\":%u,\"input_token_details\":{"
		    "\"text_tokens\":110,\"audio_tokens\":10,\"image_tokens\":0,"
		    "\"cached_tokens\":0,\"cached_tokens_details\":{"
		    "\"text_tokens\":0,\"audio_tokens\":0,\"image_tokens\":0}},"
		    "\"output_token_details\":{\"text_tokens\":%u,"
		    "\"audio_tokens\":%u}}", 120 + text_tok + audio_tok,
		    text_tok + audio_tok, text_tok, audio_tok);
	rt_ev_printf(",\"metadata\":null}");
}

/* Send the item-added pair for the new output item of the response. */
static void
rt_resp_item_added(struct rt_conn *c)
{
	unsigned prev = c->last_item;

	c->last_item = c->resp.item;
	rt_ev_begin("response.output_item.added");
	rt_ev_printf(",\"response_id\":\"resp_%u_%u\",\"output_index\":%d,"
	    "\"item\":", c->id, c->resp.num, c->resp.out_index);
	rt_ev_resp_item(c, "in_progress", 0);
	rt_ev_end(c, "response.output_item.added");
	if (!c->active)
		return;
	rt_ev_begin("conversation.item.added");
	rt_ev_item_id(c, "previous_item_id", prev);
	rt_ev_printf(",\"item\":");
	rt_ev_resp_item(c, "in_progress", 0);
	rt_ev_end(c, "conversation.item.added");
}

/* Send the *.done events of the response's current item; IST is its
 * final status. */
static void
rt_item_done(struct rt_conn *c, const char *ist)
{
	struct rt_resp *r = &c->resp;

	if (r->kind != RT_TOOL) {
		rt_ev_begin("response.output_audio.done");
		rt_ev_base(c);
		rt_ev_printf(",\"content_index\":0");
		rt_ev_end(c, "response.output_audio.done");
		rt_ev_begin("response.output_audio_transcript.done");
		rt_ev_base(c);
		rt_ev_printf(",\"content_index\":0,\"transcript\":");
		rt_ev_strn(r->text, r->said);
		rt_ev_end(c, "response.output_audio_transcript.done");
		rt_ev_begin("response.content_part.done");
		rt_ev_base(c);
		rt_ev_printf(",\"content_index\":0,\"part\":{\"type\":\"audio\","
		    "\"transcript\":");
		rt_ev_strn(r->text, r->said);
		rt_ev_printf("}");
		rt_ev_end(c, "response.content_part.done");
	}
	rt_ev_begin("response.output_item.done");
	rt_ev_printf(",\"response_id\":\"resp_%u_%u\",\"output_index\":%d,"
	    "\"item\":", c->id, r->num, r->out_index);
	rt_ev_resp_item(c, ist, 1);
	rt_ev_end(c, "response.output_item.done");
	rt_ev_begin("conversation.item.done");
	rt_ev_printf(",\"item\":");
	rt_ev_resp_item(c, ist, 1);
	rt_ev_end(c, "conversation.item.done");
}

/* End the active response with STATUS (completed or cancelled, with
 * REASON): every *.done, then response.done; start a queued one. */
static void
rt_resp_finish(struct rt_conn *c, const char *status, const char *reason)
{
	struct rt_resp *r = &c->resp;
	const char *ist = strcmp(status, "completed") == 0 ||
	    r->kind == RT_TOOL ? "completed" : "incomplete";
	struct rt_pending p;

	if (!c->active)
		return;
	c->active = 0;
	c->tgen[RT_T_RESP]++;
	rt_item_done(c, ist);
	rt_ev_begin("response.done");
	rt_ev_response(c, status, reason, ist);
	rt_ev_end(c, "response.done");
	if (c->nqueue > 0 && !c->active && c->state == RT_OPEN) {
		p = c->queue[0];
		memmove(c->queue, c->queue + 1, (size_t)--c->nqueue *
		    sizeof(*c->queue));
		rt_resp_start(c, p.kind, p.r, p.t);
	}
}

/* The function call item of the active response (after its preamble, if
 * any), then the response's end. */
static void
rt_resp_tool(struct rt_conn *c)
{
	struct rt_resp *rs = &c->resp;
	const struct sim_rt_tool *t = rs->t;
	size_t half;
	int i;

	rs->kind = RT_TOOL;
	rs->item = rt_item_new(c, 0);
	if (t->call_id != NULL)
		snprintf(c->tool_call, sizeof(c->tool_call), "%s", t->call_id);
	else
		snprintf(c->tool_call, sizeof(c->tool_call), "call_%u_%u",
		    c->id, rs->num);
	snprintf(c->tool_name, sizeof(c->tool_name), "%s", t->name);
	rt_say(c, "tool: %s %s", t->name, t->arguments);
	rt_resp_item_added(c);
	half = (strlen(t->arguments) + 1) / 2;
	for (i = 0; i < 2 && c->active; i++) {
		if (i == 1 && strlen(t->arguments) == half)
			break;
		rt_ev_begin("response.function_call_arguments.delta");
		rt_ev_base(c);
		rt_ev_str("call_id", c->tool_call);
		rt_ev_printf(",\"delta\":");
		if (i == 0)
			rt_ev_strn(t->arguments, half);
		else
			rt_ev_strn(t->arguments + half, strlen(t->arguments) -
			    half);
		rt_ev_end(c, "response.function_call_arguments.delta");
	}
	if (!c->active)
		return;
	rt_ev_begin("response.function_call_arguments.done");
	rt_ev_base(c);
	rt_ev_str("call_id", c->tool_call);
	rt_ev_str("name", t->name);
	rt_ev_str("arguments", t->arguments);
	rt_ev_end(c, "response.function_call_arguments.done");
	rt_resp_finish(c, "completed", NULL);
}

/* Start a response of KIND (speaking R, calling T, or echoing), or queue
 * it while another is active. */
static void
rt_resp_start(struct rt_conn *c, enum rt_kind kind,
    const struct sim_rt_respond *r, const struct sim_rt_tool *t)
{
	struct rt_resp *rs = &c->resp;
	int i;

	if (c->active) {
		if (c->nqueue < RT_NQUEUE) {
			c->queue[c->nqueue].kind = kind;
			c->queue[c->nqueue].r = r;
			c->queue[c->nqueue].t = t;
			c->nqueue++;
		}
		return;
	}
	memset(rs, 0, sizeof(*rs));
	rs->kind = kind;
	rs->r = r;
	rs->t = t;
	rs->leak = -1;
	rs->num = ++c->next_id;
	rs->text = kind == RT_SPEAK ? (r->text != NULL ? r->text :
	    rt_default_respond.text) : "";
	c->active = 1;
	rt_ev_begin("response.created");
	rt_ev_response(c, "in_progress", NULL, NULL);
	rt_ev_end(c, "response.created");
	rt_ev_begin("rate_limits.updated");
	rt_ev_printf(",\"rate_limits\":[{\"name\":\"requests\",\"limit\":1000,"
	    "\"remaining\":999,\"reset_seconds\":60},{\"name\":\"tokens\","
	    "\"limit\":40000,\"remaining\":35520,\"reset_seconds\":6.72}]");
	rt_ev_end(c, "rate_limits.updated");
	if (!c->active || c->resp.num != rs->num)
		return;
	if (kind == RT_TOOL && !t->has_say) {
		rt_resp_tool(c);
		return;
	}
	if (kind == RT_TOOL) {
		/* A spoken preamble first, the call after it. */
		rs->then_tool = 1;
		rs->kind = kind = RT_SPEAK;
		rs->r = r = &t->say;
		rs->text = r->text != NULL ? r->text : "";
	}
	rs->item = rt_item_new(c, 1);
	if (kind == RT_SPEAK && rs->text[0] != '\0')
		rt_say(c, "agent: %s", rs->text);
	rt_resp_item_added(c);
	if (!c->active)
		return;
	rt_ev_begin("response.content_part.added");
	rt_ev_base(c);
	rt_ev_printf(",\"content_index\":0,\"part\":{\"type\":\"audio\","
	    "\"transcript\":\"\"}");
	rt_ev_end(c, "response.content_part.added");
	if (kind == RT_ECHO || !c->active)
		return;
	rs->chunks = r->audio_ms > 0 ? (r->audio_ms + r->chunk_ms - 1) /
	    r->chunk_ms : 1;
	if (r->interval_ms > 0) {
		rt_timer_set(c, RT_T_RESP, r->interval_ms);
		return;
	}
	for (i = 0; i <= rs->chunks && c->active && c->resp.num == rs->num;
	    i++)
		rt_resp_step(c);
}

/* Return whether a word of TEXT starts at W. */
static int
rt_word_start(const char *text, size_t w)
{
	return (text[w] != ' ' && (w == 0 || text[w - 1] == ' '));
}

/* Send the next delta of the speaking response (and the words that go
 * with it); end it after the last or after the leak. */
static void
rt_resp_step(struct rt_conn *c)
{
	struct rt_resp *rs = &c->resp;
	const struct sim_rt_respond *r = rs->r;
	const uint8_t *tone;
	size_t tlen = strlen(rs->text), upto, w;
	int ms, nwords, k, n;
	unsigned num = rs->num;

	if (!c->active || rs->kind != RT_SPEAK)
		return;
	if (rs->leak == 0) {
		rt_resp_finish(c, "cancelled", "turn_detected");
		return;
	}
	if (rs->leak > 0)
		rs->leak--;
	ms = r->audio_ms - rs->sent_ms;
	if (ms > r->chunk_ms)
		ms = r->chunk_ms;
	if (ms > 0) {
		tone = rt_tone(r->tone_hz);
		rt_ev_begin("response.output_audio.delta");
		rt_ev_base(c);
		rt_ev_printf(",\"content_index\":0,\"delta\":\"");
		rt_ev_b64(tone + (rs->sent_ms * 8) % RT_TONE_LEN,
		    (size_t)ms * 8);
		rt_ev_printf("\"");
		rs->sent_ms += ms;
		rs->audio_bytes += (unsigned)ms * 8;
		if (rt_item_find(c, rs->item) != NULL)
			rt_item_find(c, rs->item)->audio_bytes =
			    rs->audio_bytes;
		rt_ev_end(c, "response.output_audio.delta");
		if (!c->active || c->resp.num != num)
			return;
	}
	/* The transcript keeps pace with the audio: the first K words for
	 * the first I + 1 of the chunks. */
	for (nwords = 0, w = 0; w < tlen; w++)
		if (rt_word_start(rs->text, w))
			nwords++;
	k = (int)(((long)nwords * (rs->i + 1) + rs->chunks - 1) / rs->chunks);
	for (upto = tlen, n = 0, w = 0; w < tlen; w++)
		if (rt_word_start(rs->text, w) && n++ == k) {
			upto = w;
			break;
		}
	if (upto > rs->said) {
		rt_ev_begin("response.output_audio_transcript.delta");
		rt_ev_base(c);
		rt_ev_printf(",\"content_index\":0,\"delta\":");
		rt_ev_strn(rs->text + rs->said, upto - rs->said);
		rs->said = upto;
		rt_ev_end(c, "response.output_audio_transcript.delta");
		if (!c->active || c->resp.num != num)
			return;
	}
	if (++rs->i >= rs->chunks) {
		if (rs->then_tool) {
			rs->then_tool = 0;
			rt_item_done(c, "completed");
			if (c->active && c->resp.num == num) {
				rs->out_index++;
				rt_resp_tool(c);
			}
		} else
			rt_resp_finish(c, "completed", NULL);
		return;
	}
	if (r->interval_ms > 0)
		rt_timer_set(c, RT_T_RESP, r->interval_ms);
}

/* ---- script actions ---- */

/* Send committed and the caller item pair for the user item ITEM. */
static void
rt_commit_user(struct rt_conn *c, unsigned item)
{
	unsigned prev = c->last_item;
	int i;

	c->last_item = item;
	c->last_user_item = item;
	rt_ev_begin("input_audio_buffer.committed");
	rt_ev_item_id(c, "previous_item_id", prev);
	rt_ev_item_id(c, "item_id", item);
	rt_ev_end(c, "input_audio_buffer.committed");
	for (i = 0; i < 2; i++) {
		rt_ev_begin(i == 0 ? "conversation.item.added" :
		    "conversation.item.done");
		if (i == 0)
			rt_ev_item_id(c, "previous_item_id", prev);
		rt_ev_printf(",\"item\":{\"id\":\"item_%u_%u\",\"object\":"
		    "\"realtime.item\",\"type\":\"message\",\"status\":"
		    "\"completed\",\"role\":\"user\",\"content\":[{\"type\":"
		    "\"input_audio\",\"transcript\":null}]}", c->id, item);
		rt_ev_end(c, i == 0 ? "conversation.item.added" :
		    "conversation.item.done");
	}
}

/* Return the caller audio appended so far, in ms. */
static uint64_t
rt_in_ms(struct rt_conn *c)
{
	return (c->in_bytes / (uint64_t)c->in_bpm);
}

/* Run action A of a script step (CTX: the response.create it answers). */
static void
rt_action(struct rt_conn *c, const struct sim_rt_action *a,
    struct rt_ctx *ctx)
{
	const char *t;
	size_t half;
	unsigned item;
	long start;

	switch (a->kind) {
	case SIM_RT_RESPOND:
		if (ctx != NULL)
			ctx->used = 1;
		rt_resp_start(c, RT_SPEAK, &a->respond, NULL);
		break;
	case SIM_RT_CALL_TOOL:
		if (ctx != NULL)
			ctx->used = 1;
		rt_resp_start(c, RT_TOOL, NULL, &a->tool);
		break;
	case SIM_RT_SPEECH_STARTED:
		if (c->user_item == 0)
			c->user_item = rt_item_new(c, 0);
		start = a->audio_start_ms >= 0 ? a->audio_start_ms :
		    (long)rt_in_ms(c) - 300;
		rt_ev_begin("input_audio_buffer.speech_started");
		rt_ev_printf(",\"audio_start_ms\":%ld", start < 0 ? 0 : start);
		rt_ev_item_id(c, "item_id", c->user_item);
		rt_ev_end(c, "input_audio_buffer.speech_started");
		if (c->active && c->interrupt_response) {
			if (c->resp.kind == RT_SPEAK)
				c->resp.leak = a->leak_chunks;
			else
				rt_resp_finish(c, "cancelled",
				    "turn_detected");
		}
		break;
	case SIM_RT_SPEECH_STOPPED:
		item = c->user_item != 0 ? c->user_item : rt_item_new(c, 0);
		c->user_item = 0;
		rt_ev_begin("input_audio_buffer.speech_stopped");
		rt_ev_printf(",\"audio_end_ms\":%llu",
		    (unsigned long long)rt_in_ms(c));
		rt_ev_item_id(c, "item_id", item);
		rt_ev_end(c, "input_audio_buffer.speech_stopped");
		rt_commit_user(c, item);
		if (a->has_respond)
			rt_resp_start(c, RT_SPEAK, &a->respond, NULL);
		break;
	case SIM_RT_TRANSCRIBE:
		if ((item = c->last_user_item) == 0) {
			item = c->user_item != 0 ? c->user_item :
			    rt_item_new(c, 0);
			c->user_item = 0;
			rt_commit_user(c, item);
		}
		c->last_user_item = 0;
		t = a->text;
		half = strlen(t) / 2;
		while (t[half] != '\0' && t[half] != ' ')
			half++;
		rt_say(c, "caller: %s", t);
		rt_ev_begin("conversation.item.input_audio_transcription.delta");
		rt_ev_item_id(c, "item_id", item);
		rt_ev_printf(",\"content_index\":0,\"delta\":");
		rt_ev_strn(t, half);
		rt_ev_end(c, "conversation.item.input_audio_transcription.delta");
		if (t[half] != '\0') {
			rt_ev_begin("conversation.item.input_audio_"
			    "transcription.delta");
			rt_ev_item_id(c, "item_id", item);
			rt_ev_printf(",\"content_index\":0,\"delta\":");
			rt_ev_strn(t + half, strlen(t + half));
			rt_ev_end(c, "conversation.item.input_audio_"
			    "transcription.delta");
		}
		rt_ev_begin("conversation.item.input_audio_transcription."
		    "completed");
		rt_ev_item_id(c, "item_id", item);
		rt_ev_printf(",\"content_index\":0");
		rt_ev_str("transcript", t);
		rt_ev_printf(",\"usage\":{\"type\":\"tokens\",\"input_tokens\":40,"
		    "\"output_tokens\":8,\"total_tokens\":48}");
		rt_ev_end(c, "conversation.item.input_audio_transcription."
		    "completed");
		break;
	case SIM_RT_ERROR:
		rt_error(c, a->type != NULL ? a->type : "invalid_request_error",
		    a->code, a->text, a->param, NULL);
		break;
	case SIM_RT_DROP:
		rt_say(c, "session: dropped by the script");
		c->dead = 1;
		rt_dirty(c);
		break;
	case SIM_RT_EXPIRE:
		rt_error(c, "invalid_request_error", "session_expired",
		    "Your session hit the maximum duration of 60 minutes.",
		    NULL, NULL);
		rt_close(c, 1001, "session expired");
		break;
	case SIM_RT_CLOSE:
		rt_close(c, a->close_code, a->text);
		break;
	case SIM_RT_SEND:
		if (c->state == RT_OPEN) {
			wsc_frame_put(&c->out, WSC_OP_TEXT, a->text,
			    strlen(a->text), 0);
			rt_dirty(c);
		}
		break;
	}
}

/* ---- the script engine (as tests/fakes/realtime.mjs runs it) ---- */

/* Make the step at the cursor current. */
static void
rt_arm(struct rt_conn *c)
{
	c->tgen[RT_T_STEP]++;
	c->armed = rt.o->script != NULL && c->cursor < rt.o->script->nsteps;
	c->matched = 0;
	c->audio_from = c->in_bytes;
}

/* The current step matched: fire it now or after its after_ms. */
static void
rt_matched(struct rt_conn *c, struct rt_ctx *ctx)
{
	const struct sim_rt_step *st = &rt.o->script->steps[c->cursor];

	c->matched = 1;
	if (st->after_ms > 0)
		rt_timer_set(c, RT_T_STEP, st->after_ms);
	else
		rt_fire(c, ctx);
}

/* A step without a trigger runs after the previous one. */
static void
rt_schedule(struct rt_conn *c)
{
	const struct sim_rt_step *st;

	if (!c->armed || c->matched)
		return;
	st = &rt.o->script->steps[c->cursor];
	if (st->on != NULL || st->after_audio_ms >= 0)
		return;
	rt_matched(c, NULL);
}

/* An event of TYPE was received or sent. */
static void
rt_trigger(struct rt_conn *c, const char *type, struct rt_ctx *ctx)
{
	const struct sim_rt_step *st;

	if (!c->armed || c->matched || c->dead)
		return;
	st = &rt.o->script->steps[c->cursor];
	if (st->on == NULL || strcmp(st->on, type) != 0)
		return;
	rt_matched(c, ctx);
}

/* Caller audio was appended. */
static void
rt_audio_trigger(struct rt_conn *c)
{
	const struct sim_rt_step *st;

	if (!c->armed || c->matched || c->dead)
		return;
	st = &rt.o->script->steps[c->cursor];
	if (st->after_audio_ms < 0 || (c->in_bytes - c->audio_from) /
	    (uint64_t)c->in_bpm < (uint64_t)st->after_audio_ms)
		return;
	rt_matched(c, NULL);
}

/* Run the current step's actions and arm the next. */
static void
rt_fire(struct rt_conn *c, struct rt_ctx *ctx)
{
	const struct sim_rt_step *st = &rt.o->script->steps[c->cursor];
	int i;

	c->cursor++;
	rt_arm(c);
	for (i = 0; i < st->nacts && !c->dead && c->state == RT_OPEN; i++)
		rt_action(c, &st->acts[i], ctx);
	if (!c->dead && c->state == RT_OPEN)
		rt_schedule(c);
}

/* ---- the session's configuration ---- */

/* Return the server's default turn detection of TYPE, new. */
static struct json_object *
rt_vad_defaults(const char *type)
{
	if (type != NULL && strcmp(type, "semantic_vad") == 0)
		return (json_tokener_parse("{\"type\":\"semantic_vad\","
		    "\"eagerness\":\"auto\",\"create_response\":true,"
		    "\"interrupt_response\":true}"));
	return (json_tokener_parse("{\"type\":\"server_vad\",\"threshold\":0.5,"
	    "\"prefix_padding_ms\":300,\"silence_duration_ms\":500,"
	    "\"idle_timeout_ms\":null,\"create_response\":true,"
	    "\"interrupt_response\":true}"));
}

/* Merge the client's audio.input or audio.output object SRC into DST. */
static void
rt_merge_dir(struct json_object *dst, struct json_object *src)
{
	struct json_object *td, *v;

	json_object_object_foreach(src, k, val) {
		if (strcmp(k, "turn_detection") == 0 &&
		    json_object_is_type(val, json_type_object)) {
			td = rt_vad_defaults(json_object_object_get_ex(val,
			    "type", &v) ? json_object_get_string(v) : NULL);
			json_object_object_foreach(val, tk, tv)
				json_object_object_add(td, tk,
				    json_object_get(tv));
			json_object_object_add(dst, k, td);
		} else
			json_object_object_add(dst, k, json_object_get(val));
	}
}

/* Merge the session.update's SESSION into C's configuration and note what
 * the server acts on. */
static void
rt_session_merge(struct rt_conn *c, struct json_object *session)
{
	struct json_object *cur, *audio, *dir, *v, *sa, *sd;
	const char *fmt;

	if ((cur = json_tokener_parse(c->session)) == NULL)
		return;
	json_object_object_foreach(session, k, val) {
		if (strcmp(k, "type") == 0 || strcmp(k, "id") == 0 ||
		    strcmp(k, "object") == 0 || strcmp(k, "model") == 0)
			continue;
		if (strcmp(k, "audio") == 0 && json_object_is_type(val,
		    json_type_object) && json_object_object_get_ex(cur,
		    "audio", &audio)) {
			json_object_object_foreach(val, ak, av) {
				if (json_object_is_type(av, json_type_object) &&
				    json_object_object_get_ex(audio, ak, &dir))
					rt_merge_dir(dir, av);
				else
					json_object_object_add(audio, ak,
					    json_object_get(av));
			}
			continue;
		}
		json_object_object_add(cur, k, json_object_get(val));
	}
	free(c->session);
	if ((c->session = strdup(json_object_to_json_string_ext(cur,
	    JSON_C_TO_STRING_PLAIN))) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	c->interrupt_response = 0;
	c->in_bpm = 8;
	if (json_object_object_get_ex(cur, "audio", &sa) &&
	    json_object_object_get_ex(sa, "input", &sd)) {
		if (json_object_object_get_ex(sd, "turn_detection", &v) &&
		    json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "interrupt_response", &v))
			c->interrupt_response = json_object_get_boolean(v);
		if (json_object_object_get_ex(sd, "format", &v) &&
		    json_object_object_get_ex(v, "type", &v) &&
		    (fmt = json_object_get_string(v)) != NULL &&
		    strcmp(fmt, "audio/pcm") == 0)
			c->in_bpm = 48;
	}
	json_object_put(cur);
}

/* ---- client events ---- */

/* Return string KEY of O, or NULL. */
static const char *
rt_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Caller audio: the base64 text B64/LEN. */
static void
rt_append(struct rt_conn *c, const char *b64, size_t len,
    const char *event_id)
{
	size_t i, bytes;

	for (i = 0; i < len; i++)
		if (!((b64[i] >= 'A' && b64[i] <= 'Z') || (b64[i] >= 'a' &&
		    b64[i] <= 'z') || (b64[i] >= '0' && b64[i] <= '9') ||
		    b64[i] == '+' || b64[i] == '/' || (b64[i] == '=' &&
		    i + 2 >= len)))
			break;
	if (i != len || len % 4 != 0) {
		rt_error(c, "invalid_request_error", "invalid_value",
		    "Invalid 'audio'. Expected base64-encoded audio bytes.",
		    "audio", event_id);
		return;
	}
	bytes = len / 4 * 3 - (len > 0 && b64[len - 1] == '=') -
	    (len > 1 && b64[len - 2] == '=');
	c->in_bytes += bytes;
	if (rt.o->echo && bytes > 0) {
		if (!c->active)
			rt_resp_start(c, RT_ECHO, NULL, NULL);
		if (c->active && c->resp.kind == RT_ECHO) {
			rt_ev_begin("response.output_audio.delta");
			rt_ev_base(c);
			rt_ev_printf(",\"content_index\":0,\"delta\":\"");
			wsc_buf_add(&rt.ev, b64, len);
			rt_ev_printf("\"");
			c->resp.audio_bytes += (unsigned)bytes;
			if (rt_item_find(c, c->resp.item) != NULL)
				rt_item_find(c, c->resp.item)->audio_bytes =
				    c->resp.audio_bytes;
			rt_ev_end(c, "response.output_audio.delta");
		}
	}
	rt_audio_trigger(c);
}

/* conversation.item.truncate. */
static void
rt_truncate(struct rt_conn *c, struct json_object *o, const char *eid)
{
	const char *id = rt_jstr(o, "item_id");
	struct json_object *v;
	struct rt_item *it = NULL;
	unsigned cid, num;
	int64_t end;
	char msg[160];
	int n = 0;

	if (id != NULL && sscanf(id, "item_%u_%u%n", &cid, &num, &n) == 2 &&
	    id[n] == '\0' && cid == c->id)
		it = rt_item_find(c, num);
	if (it == NULL) {
		snprintf(msg, sizeof(msg), "Item with item_id '%.64s' not "
		    "found.", id != NULL ? id : "");
		rt_error(c, "invalid_request_error", "item_truncate_invalid_"
		    "item_id", msg, "item_id", eid);
		return;
	}
	if (!it->audio) {
		rt_error(c, "invalid_request_error", "unsupported_content_type",
		    "Only model output audio messages can be truncated",
		    NULL, eid);
		return;
	}
	if (!json_object_object_get_ex(o, "audio_end_ms", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		rt_error(c, "invalid_request_error", "invalid_type",
		    "Invalid 'audio_end_ms': expected an integer.",
		    "audio_end_ms", eid);
		return;
	}
	end = json_object_get_int64(v);
	if (end < 0) {
		snprintf(msg, sizeof(msg), "Invalid 'audio_end_ms': integer "
		    "below minimum value. Expected a value >= 0, but got %lld "
		    "instead.", (long long)end);
		rt_error(c, "invalid_request_error", "integer_below_min_value",
		    msg, "audio_end_ms", eid);
		return;
	}
	if ((uint64_t)end > it->audio_bytes / 8) {
		snprintf(msg, sizeof(msg), "Audio content of %ums is already "
		    "shorter than %lldms", it->audio_bytes / 8,
		    (long long)end);
		rt_error(c, "invalid_request_error", NULL, msg, NULL, eid);
		return;
	}
	it->audio_bytes = (unsigned)end * 8;
	rt_say(c, "agent: [interrupted at %.1f s]", end / 1000.0);
	rt_ev_begin("conversation.item.truncated");
	rt_ev_printf(",\"item_id\":\"item_%u_%u\",\"content_index\":0,"
	    "\"audio_end_ms\":%lld", c->id, num, (long long)end);
	rt_ev_end(c, "conversation.item.truncated");
}

/* conversation.item.create: the item back, added then done. */
static void
rt_item_create(struct rt_conn *c, struct json_object *o, const char *eid)
{
	struct json_object *item, *v;
	const char *type, *s;
	unsigned num, prev = c->last_item;
	char id[64];
	int i;

	if (!json_object_object_get_ex(o, "item", &item) ||
	    !json_object_is_type(item, json_type_object)) {
		rt_error(c, "invalid_request_error", "missing_required_parameter",
		    "Missing required parameter: 'item'.", "item", eid);
		return;
	}
	num = rt_item_new(c, 0);
	c->last_item = num;
	type = rt_jstr(item, "type");
	if (type != NULL && strcmp(type, "function_call_output") == 0) {
		s = rt_jstr(item, "call_id");
		if (s != NULL && strcmp(s, c->tool_call) == 0 &&
		    c->tool_name[0] != '\0') {
			rt_say(c, "tool: %s -> %s", c->tool_name,
			    rt_jstr(item, "output") != NULL ?
			    rt_jstr(item, "output") : "(no output)");
			c->tool_name[0] = '\0';
		} else
			rt_say(c, "tool: output for an unknown call %s",
			    s != NULL ? s : "(none)");
	}
	if (rt_jstr(item, "id") == NULL) {
		snprintf(id, sizeof(id), "item_%u_%u", c->id, num);
		json_object_object_add(item, "id", json_object_new_string(id));
	}
	json_object_object_add(item, "object",
	    json_object_new_string("realtime.item"));
	if (!json_object_object_get_ex(item, "status", &v) &&
	    (type == NULL || strcmp(type, "function_call_output") != 0))
		json_object_object_add(item, "status",
		    json_object_new_string("completed"));
	for (i = 0; i < 2; i++) {
		rt_ev_begin(i == 0 ? "conversation.item.added" :
		    "conversation.item.done");
		if (i == 0)
			rt_ev_item_id(c, "previous_item_id", prev);
		rt_ev_printf(",\"item\":%s", json_object_to_json_string_ext(
		    item, JSON_C_TO_STRING_PLAIN));
		rt_ev_end(c, i == 0 ? "conversation.item.added" :
		    "conversation.item.done");
	}
}

/* response.create: a script step may answer it; else the default. */
static void
rt_response_create(struct rt_conn *c, const char *eid)
{
	static struct sim_rt_respond greet;
	struct rt_ctx ctx = { 0 };
	char msg[160];

	rt_trigger(c, "response.create", &ctx);
	if (ctx.used || c->dead || c->state != RT_OPEN)
		return;
	if (rt.o->echo) {
		/* The agent speaks first: a short tone, all at once. */
		if (c->active && c->resp.kind == RT_ECHO)
			rt_resp_finish(c, "completed", NULL);
		greet = rt_default_respond;
		greet.audio_ms = rt.o->greet_ms;
		greet.interval_ms = 0;
		rt_resp_start(c, RT_SPEAK, &greet, NULL);
		return;
	}
	if (c->active) {
		snprintf(msg, sizeof(msg), "Conversation already has an active "
		    "response in progress: resp_%u_%u. Wait until the response "
		    "is finished before creating a new one.", c->id,
		    c->resp.num);
		rt_error(c, "invalid_request_error",
		    "conversation_already_has_active_response", msg, NULL, eid);
		return;
	}
	rt_resp_start(c, RT_SPEAK, &rt_default_respond, NULL);
}

/* Handle one client event, the JSON text P/LEN (NUL-terminated). */
static void
rt_client_event(struct rt_conn *c, char *p, size_t len)
{
	static const char fast[] = "{\"type\":\"input_audio_buffer.append\","
	    "\"audio\":\"";
	struct json_object *o, *s;
	const char *type, *eid, *a;
	char msg[160];
	size_t n;

	/* The bridge's appends, without a parser. */
	if (len > sizeof(fast) + 1 && memcmp(p, fast, sizeof(fast) - 1) ==
	    0 && memcmp(p + len - 2, "\"}", 2) == 0 &&
	    memchr(p + sizeof(fast) - 1, '"', len - sizeof(fast) - 1) ==
	    p + len - 2) {
		rt_append(c, p + sizeof(fast) - 1, len - sizeof(fast) - 1,
		    NULL);
		return;
	}
	if ((o = json_tokener_parse(p)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		rt_error(c, "invalid_request_error", "invalid_json", "We could "
		    "not parse the JSON body of your request.", NULL, NULL);
		return;
	}
	eid = rt_jstr(o, "event_id");
	if ((type = rt_jstr(o, "type")) == NULL) {
		rt_error(c, "invalid_request_error", "missing_required_parameter",
		    "Missing required parameter: 'type'.", "type", eid);
		json_object_put(o);
		return;
	}
	if (strcmp(type, "input_audio_buffer.append") == 0) {
		if ((a = rt_jstr(o, "audio")) == NULL)
			rt_error(c, "invalid_request_error",
			    "missing_required_parameter", "Missing required "
			    "parameter: 'audio'.", "audio", eid);
		else
			rt_append(c, a, strlen(a), eid);
	} else if (strcmp(type, "session.update") == 0) {
		if (!json_object_object_get_ex(o, "session", &s) ||
		    !json_object_is_type(s, json_type_object) ||
		    rt_jstr(s, "type") == NULL) {
			rt_error(c, "invalid_request_error",
			    "missing_required_parameter", "Missing required "
			    "parameter: 'session.type'.", "session.type", eid);
			json_object_put(o);
			return;
		}
		rt_session_merge(c, s);
		rt_ev_begin("session.updated");
		rt_ev_printf(",\"session\":%s", c->session);
		rt_ev_end(c, "session.updated");
	} else if (strcmp(type, "input_audio_buffer.commit") == 0) {
		rt_commit_user(c, c->user_item != 0 ? c->user_item :
		    rt_item_new(c, 0));
		c->user_item = 0;
	} else if (strcmp(type, "input_audio_buffer.clear") == 0) {
		rt_ev_begin("input_audio_buffer.cleared");
		rt_ev_end(c, "input_audio_buffer.cleared");
	} else if (strcmp(type, "conversation.item.create") == 0)
		rt_item_create(c, o, eid);
	else if (strcmp(type, "conversation.item.truncate") == 0)
		rt_truncate(c, o, eid);
	else if (strcmp(type, "conversation.item.delete") == 0) {
		rt_ev_begin("conversation.item.deleted");
		rt_ev_str("item_id", rt_jstr(o, "item_id"));
		rt_ev_end(c, "conversation.item.deleted");
	} else if (strcmp(type, "response.create") == 0) {
		rt_response_create(c, eid);
		json_object_put(o);
		return;
	} else if (strcmp(type, "response.cancel") == 0) {
		if (c->active)
			rt_resp_finish(c, "cancelled", "client_cancelled");
		else
			rt_error(c, "invalid_request_error",
			    "response_cancel_not_active", "Cancellation failed: "
			    "no active response found", NULL, eid);
	} else {
		n = (size_t)snprintf(msg, sizeof(msg), "Invalid value: '%.64s'. "
		    "Supported values are: 'session.update', "
		    "'input_audio_buffer.append', ...", type);
		(void)n;
		rt_error(c, "invalid_request_error", "invalid_value", msg,
		    "type", eid);
	}
	if (!c->dead && c->state == RT_OPEN)
		rt_trigger(c, type, NULL);
	json_object_put(o);
}

/* ---- connections ---- */

/* Answer the upgrade request with STATUS and an API error body, then
 * close. */
static void
rt_http_error(struct rt_conn *c, int status, const char *reason,
    const char *code, const char *message)
{
	char body[512], head[256];
	int bl, hl;

	bl = snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%s\","
	    "\"type\":\"invalid_request_error\",\"code\":\"%s\",\"param\":"
	    "null}}\n", message, code);
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "application/json\r\nContent-Length: %d\r\nConnection: close\r\n"
	    "\r\n", status, reason, bl);
	wsc_buf_add(&c->out, head, (size_t)hl);
	wsc_buf_add(&c->out, body, (size_t)bl);
	c->state = RT_CLOSING;
	rt_dirty(c);
}

/* Copy the query parameter NAME of Q (up to '#' or the end) into OUT.
 * Returns 0, or -1 if absent. */
static int
rt_query(const char *q, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name), vl;
	const char *p = q, *e;

	while (p != NULL && *p != '\0') {
		e = p + strcspn(p, "&");
		if ((size_t)(e - p) > nl && strncmp(p, name, nl) == 0 &&
		    p[nl] == '=') {
			vl = (size_t)(e - p) - nl - 1;
			if (vl >= outsz)
				vl = outsz - 1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return (0);
		}
		p = *e != '\0' ? e + 1 : NULL;
	}
	return (-1);
}

/* The request head H is complete: refuse it, or upgrade and say
 * session.created. */
static void
rt_upgrade(struct rt_conn *c, char *h)
{
	char path[1024], key[128], auth[512], beta[128], accept[32];
	char resp[256], *q;
	const char *tok;
	size_t pl;
	int n;

	if (sscanf(h, "GET %1023s HTTP/1.1", path) != 1) {
		rt_http_error(c, 400, "Bad Request", "bad_request",
		    "A WebSocket GET was expected.");
		return;
	}
	if ((q = strchr(path, '?')) != NULL)
		*q++ = '\0';
	pl = strlen(path);
	if (strcmp(path, "/") != 0 && (pl < 9 ||
	    strcmp(path + pl - 9, "/realtime") != 0)) {
		rt_http_error(c, 404, "Not Found", "not_found",
		    "Use a path ending in /realtime.");
		return;
	}
	if (wsc_http_header(h, "Sec-WebSocket-Key", key, sizeof(key)) == -1) {
		rt_http_error(c, 426, "Upgrade Required", "upgrade_required",
		    "A WebSocket upgrade was expected.");
		return;
	}
	if (wsc_http_header(h, "Authorization", auth, sizeof(auth)) == -1 ||
	    strncasecmp(auth, "Bearer ", 7) != 0 ||
	    *(tok = auth + 7 + strspn(auth + 7, " ")) == '\0') {
		rt_http_error(c, 401, "Unauthorized", "missing_api_key",
		    "You didn't provide an API key (Authorization: Bearer).");
		return;
	}
	if (q == NULL || rt_query(q, "model", c->model, sizeof(c->model)) ==
	    -1 || c->model[0] == '\0' || strspn(c->model, "abcdefghijklmnop"
	    "qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	    strlen(c->model)) {
		rt_http_error(c, 400, "Bad Request",
		    "missing_required_parameter",
		    "Missing required parameter: 'model'.");
		return;
	}
	if (rt.o->max_sessions > 0 && rt.open >= rt.o->max_sessions) {
		rt_http_error(c, 503, "Service Unavailable", "server_busy",
		    "voicegate-sim is at --max-sessions.");
		return;
	}
	if (wsc_accept_key(key, accept) == -1) {
		rt_http_error(c, 400, "Bad Request", "bad_request",
		    "Bad Sec-WebSocket-Key.");
		return;
	}
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	wsc_buf_add(&c->out, resp, (size_t)n);
	c->state = RT_OPEN;
	c->id = ++rt.sessions;
	rt.open++;
	rt_dirty(c);
	if (wsc_http_header(h, "OpenAI-Beta", beta, sizeof(beta)) == 0 &&
	    strstr(beta, "realtime=v1") != NULL) {
		rt_error(c, "invalid_request_error", "beta_api_shape_disabled",
		    "The Realtime Beta API is no longer supported. Please use "
		    "/v1/realtime for the GA API.", NULL, NULL);
		rt_close(c, 4000, "beta api shape disabled");
		return;
	}
	n = asprintf(&c->session, "{\"id\":\"sess_%u\",\"object\":"
	    "\"realtime.session\",\"type\":\"realtime\",\"model\":\"%s\","
	    "\"output_modalities\":[\"audio\"],\"instructions\":\"You are "
	    "voicegate-sim, standing in for a Realtime model.\",\"audio\":{"
	    "\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},"
	    "\"transcription\":null,\"noise_reduction\":null,"
	    "\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":0.5,"
	    "\"prefix_padding_ms\":300,\"silence_duration_ms\":500,"
	    "\"idle_timeout_ms\":null,\"create_response\":true,"
	    "\"interrupt_response\":true}},\"output\":{\"format\":{\"type\":"
	    "\"audio/pcm\",\"rate\":24000},\"voice\":\"alloy\",\"speed\":1.0}},"
	    "\"tools\":[],\"tool_choice\":\"auto\",\"max_output_tokens\":"
	    "\"inf\",\"tracing\":null,\"prompt\":null,\"expires_at\":%lld,"
	    "\"include\":null}", c->id, c->model,
	    (long long)time(NULL) + 3600);
	if (n < 0) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	c->interrupt_response = 1;
	c->in_bpm = 48;
	rt_say(c, "session: connected (model %s)", c->model);
	rt_arm(c);
	rt_ev_begin("session.created");
	rt_ev_printf(",\"session\":%s", c->session);
	rt_ev_end(c, "session.created");
	if (!c->dead && c->state == RT_OPEN)
		rt_schedule(c);
}

/* Handle one complete frame F of C. */
static void
rt_frame(struct rt_conn *c, struct wsc_frame *f)
{
	int code;

	switch (f->opcode) {
	case WSC_OP_PING:
		wsc_frame_put(&c->out, WSC_OP_PONG, f->payload, f->len, 0);
		rt_dirty(c);
		return;
	case WSC_OP_PONG:
		return;
	case WSC_OP_CLOSE:
		code = f->len >= 2 ? (f->payload[0] << 8) | f->payload[1] :
		    1005;
		rt_say(c, "session: closed by the client (%d)", code);
		rt_close(c, code == 1005 ? 1000 : code, NULL);
		return;
	case WSC_OP_BINARY:
	case WSC_OP_TEXT:
	case WSC_OP_CONT:
		break;
	default:
		rt_close(c, 1002, "bad opcode");
		return;
	}
	if (f->opcode != WSC_OP_CONT && c->frag.len == 0)
		c->frag_op = f->opcode;
	if (!f->fin || c->frag.len > 0) {
		wsc_buf_add(&c->frag, f->payload, f->len);
		if (!f->fin)
			return;
		wsc_buf_add(&c->frag, "", 1);
		if (c->frag_op == WSC_OP_TEXT)
			rt_client_event(c, (char *)c->frag.data, c->frag.len -
			    1);
		else
			rt_error(c, "invalid_request_error", "invalid_json",
			    "Binary frames are not supported: send JSON text.",
			    NULL, NULL);
		c->frag.off = c->frag.len = 0;
		return;
	}
	if (f->opcode != WSC_OP_TEXT) {
		rt_error(c, "invalid_request_error", "invalid_json",
		    "Binary frames are not supported: send JSON text.", NULL,
		    NULL);
		return;
	}
	/* NUL-terminate in place: the byte after the payload is the next
	 * frame's, saved and restored. */
	{
		char save = (char)f->payload[f->len];

		f->payload[f->len] = '\0';
		rt_client_event(c, (char *)f->payload, f->len);
		f->payload[f->len] = (unsigned char)save;
	}
}

/* Read what C has sent and handle it. */
static void
rt_read(struct rt_conn *c)
{
	struct wsc_frame f;
	char *end;
	ssize_t n;
	int rounds, r;

	for (rounds = 0; rounds < 16 && !c->dead; rounds++) {
		wsc_buf_reserve(&c->in, WSC_READ_CHUNK + 1);
		n = wsc_buf_read(&c->in, c->fd);
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)) {
			if (c->state == RT_OPEN)
				rt_say(c, "session: connection lost");
			c->dead = 1;
			return;
		}
		if (n == -1)
			break;
		if (c->state == RT_HEAD) {
			wsc_buf_add(&c->in, "", 1);
			c->in.len--;
			end = strstr((char *)c->in.data + c->in.off,
			    "\r\n\r\n");
			if (end == NULL) {
				if (wsc_buf_avail(&c->in) > RT_MAX_HEAD)
					c->dead = 1;
				continue;
			}
			end[2] = '\0';
			rt_upgrade(c, (char *)c->in.data + c->in.off);
			c->in.off = (size_t)(end + 4 - (char *)c->in.data);
		}
		while (c->state == RT_OPEN && !c->dead) {
			/* Keep a byte after the payload for the NUL. */
			wsc_buf_reserve(&c->in, 1);
			r = wsc_frame_get(&c->in, &f, RT_MAX_FRAME);
			if (r == -1) {
				rt_close(c, 1009, "message too big");
				break;
			}
			if (r == 0)
				break;
			rt_frame(c, &f);
			c->in.off += f.total;
		}
		if (c->state != RT_OPEN)
			break;
	}
}

/* Write what C has queued; watch for writability while some is left. */
static void
rt_flush(struct rt_conn *c)
{
	struct epoll_event ev;
	int want;

	c->dirty = 0;
	if (c->dead)
		return;
	if (wsc_buf_flush(&c->out, c->fd) == -1 ||
	    wsc_buf_avail(&c->out) > RT_MAX_OUT) {
		c->dead = 1;
		return;
	}
	want = wsc_buf_avail(&c->out) > 0;
	if (!want && c->state == RT_CLOSING) {
		c->dead = 1;
		return;
	}
	if (want != c->epout) {
		c->epout = want;
		ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
		ev.data.ptr = c;
		epoll_ctl(rt.epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Close C and put it on the free list. */
static void
rt_release(struct rt_conn *c)
{
	close(c->fd);
	if (c->id != 0) {
		rt.open--;
		if (rt.o->script != NULL && c->armed)
			rt_say(c, "session: ended at step %d of %d", c->cursor,
			    rt.o->script->nsteps);
	}
	free(c->session);
	wsc_buf_free(&c->in);
	wsc_buf_free(&c->out);
	wsc_buf_free(&c->frag);
	c->serial++;
	c->fd = -1;
	c->next = rt.free;
	rt.free = c;
}

/* Accept every waiting connection. */
static void
rt_accept(void)
{
	struct epoll_event ev;
	struct rt_conn *c;
	unsigned serial;
	int fd, one = 1;

	while ((fd = accept4(rt.lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = rt.free) != NULL)
			rt.free = c->next;
		else if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		serial = c->serial;
		memset(c, 0, sizeof(*c));
		c->serial = serial;
		c->fd = fd;
		c->in_bpm = 8;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(rt.epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			c->dead = 1;
			rt_release(c);
		}
	}
}

/* Run the timers that are due. */
static void
rt_timers(void)
{
	struct rt_timer t;
	uint64_t now = rt_ms();
	int n;

	for (n = 0; rt.nheap > 0 && rt.heap[0].due <= now && n < 100000;
	    n++) {
		rt_heap_pop(&t);
		if (t.c->serial != t.serial || t.c->tgen[t.kind] != t.gen ||
		    t.c->dead || t.c->state != RT_OPEN)
			continue;
		if (t.kind == RT_T_RESP)
			rt_resp_step(t.c);
		else if (t.c->armed && t.c->matched)
			rt_fire(t.c, NULL);
	}
}

/* Open the listening socket on O's address; sets the port. Returns 0 or
 * -1. */
static int
rt_listen(const struct sim_rt_opts *o, int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
		fprintf(stderr, "voicegate-sim: %s: not an IPv4 address\n",
		    o->host);
		return (-1);
	}
	if ((rt.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	setsockopt(rt.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(rt.lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(rt.lfd, 4096) == -1 || getsockname(rt.lfd,
	    (struct sockaddr *)&sa, &sl) == -1) {
		fprintf(stderr, "voicegate-sim: listen on %s:%d: %s\n",
		    o->host, o->port, strerror(errno));
		close(rt.lfd);
		return (-1);
	}
	*port = ntohs(sa.sin_port);
	return (0);
}

/* Serve until told to stop. */
int
sim_rt_serve(const struct sim_rt_opts *o)
{
	struct epoll_event evs[256], ev;
	struct sigaction sa;
	struct rlimit rl;
	struct rt_conn *c;
	uint64_t end, now;
	int port, n, i, timeout;

	memset(&rt, 0, sizeof(rt));
	rt.o = o;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rt_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (rt_listen(o, &port) == -1)
		return (2);
	if ((rt.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (2);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(rt.epfd, EPOLL_CTL_ADD, rt.lfd, &ev);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("listening on %d\n", port);
	fflush(stdout);
	if (o->port_fd >= 0 && write(o->port_fd, &port, sizeof(port)) !=
	    (ssize_t)sizeof(port))
		return (2);
	end = o->lifetime > 0 ? rt_ms() + (uint64_t)(o->lifetime * 1000) : 0;
	while (!rt_stop) {
		now = rt_ms();
		if (end != 0 && now >= end)
			break;
		timeout = 1000;
		if (rt.nheap > 0)
			timeout = rt.heap[0].due <= now ? 0 :
			    (int)(rt.heap[0].due - now < 1000 ?
			    rt.heap[0].due - now : 1000);
		n = epoll_wait(rt.epfd, evs, 256, timeout);
		if (n == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if ((c = evs[i].data.ptr) == NULL) {
				rt_accept();
				continue;
			}
			if (c->dead || c->fd == -1)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				rt_read(c);
			if (evs[i].events & EPOLLOUT)
				rt_dirty(c);
			if (c->dead)
				rt_dirty(c);
		}
		rt_timers();
		while ((c = rt.dirty) != NULL) {
			rt.dirty = c->next;
			rt_flush(c);
			if (c->dead)
				rt_release(c);
		}
	}
	close(rt.lfd);
	close(rt.epfd);
	return (0);
}
