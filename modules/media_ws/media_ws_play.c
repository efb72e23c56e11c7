/*
 * media_ws playback: one call's agent audio on its way to Twilio. It keeps
 * the agent audio timeline of doc/events.md, cuts audio.out frames into
 * chunks, holds audio and marks until the streamSid is known, places
 * timeline and named marks, and reads Twilio's mark echoes back into
 * "played" positions, telling flushed marks (older generation) from played
 * ones. Core thread only; results leave through the owner's ops.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voicegate/util.h>

#include "media_ws.h"

/* Longest mark name we make: "n:<u64>:<u64>:g<u32>". */
#define MWS_MARK_NAME_MAX	64

/* One held thing: a chunk of audio, or a named mark (NAME set). */
struct mws_item {
	struct mws_item		*next;
	uint64_t		 end;		/* timeline bytes at its end */
	char			*name;		/* named mark, or NULL */
	size_t			 len;		/* audio bytes */
	uint8_t			 data[];
};

/* A named mark sent to Twilio, waiting for its echo. */
struct mws_pending {
	struct mws_pending	*next;
	uint64_t		 id;
	char			 name[];
};

/* ---- helpers ---- */

/* Set P up. */
void
mws_play_init(struct mws_play *p, unsigned chunk_ms, unsigned mark_every_ms,
    unsigned max_held_ms, const struct mws_play_ops *ops, void *arg)
{
	memset(p, 0, sizeof(*p));
	if (chunk_ms < MWS_CHUNK_MS_MIN)
		chunk_ms = MWS_CHUNK_MS_MIN;
	if (chunk_ms > MWS_CHUNK_MS_MAX)
		chunk_ms = MWS_CHUNK_MS_MAX;
	p->chunk = (size_t)chunk_ms * 8;
	p->mark_every = (uint64_t)(mark_every_ms > 0 ? mark_every_ms : 1) * 8;
	p->max_held = (size_t)max_held_ms * 8;
	p->ops = ops;
	p->arg = arg;
}

/* Send one message built in BUF (N from a builder; -1 is dropped). */
static void
play_send(struct mws_play *p, enum mws_out_kind kind, const char *buf, int n)
{
	if (n > 0)
		p->ops->send(p->arg, kind, buf, (size_t)n);
}

/* V in decimal at DST (up to 20 digits, not terminated); returns the
 * number of digits. */
static size_t
play_u64(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return (n);
}

/* Send the timeline mark for position END (bytes). */
static void
play_send_tmark(struct mws_play *p, uint64_t end)
{
	char name[MWS_MARK_NAME_MAX], buf[MWS_MARK_NAME_MAX + MWS_SID_MAX +
	    64];

	char *q = name;

	*q++ = 't';
	*q++ = ':';
	q += play_u64(q, end / 8);
	*q++ = ':';
	*q++ = 'g';
	q += play_u64(q, p->gen);
	*q = '\0';
	play_send(p, MWS_OUT_MARK, buf,
	    mws_build_mark(buf, sizeof(buf), p->sid, name));
}

/* Send one chunk of audio ending at timeline byte END, then a timeline
 * mark if enough audio went since the last. */
static void
play_send_chunk(struct mws_play *p, const uint8_t *data, size_t len,
    uint64_t end)
{
	char buf[MWS_OUT_MAX];

	play_send(p, MWS_OUT_MEDIA, buf,
	    mws_build_media(buf, sizeof(buf), p->sid, data, len));
	p->since_mark += len;
	if (p->since_mark >= p->mark_every) {
		play_send_tmark(p, end);
		p->since_mark = 0;
	}
}

/* Send named mark NAME at timeline byte POS and remember it. */
static void
play_send_nmark(struct mws_play *p, const char *name, uint64_t pos)
{
	char mname[MWS_MARK_NAME_MAX], buf[MWS_MARK_NAME_MAX + MWS_SID_MAX +
	    64];
	struct mws_pending *pm;
	size_t nlen = strlen(name);

	pm = vg_xmalloc(sizeof(*pm) + nlen + 1);
	pm->id = ++p->next_id;
	memcpy(pm->name, name, nlen + 1);
	pm->next = p->pending;
	p->pending = pm;
	snprintf(mname, sizeof(mname), "n:%" PRIu64 ":%" PRIu64 ":g%" PRIu32,
	    pm->id, pos / 8, p->gen);
	play_send(p, MWS_OUT_MARK, buf,
	    mws_build_mark(buf, sizeof(buf), p->sid, mname));
}

/* Append IT to the hold. */
static void
play_hold(struct mws_play *p, struct mws_item *it)
{
	it->next = NULL;
	if (p->held_tail == NULL)
		p->held = it;
	else
		p->held_tail->next = it;
	p->held_tail = it;
	p->held_bytes += it->len;
}

/* Drop the oldest held audio until the hold fits; marks stay in order. */
static void
play_hold_trim(struct mws_play *p)
{
	struct mws_item **ip, *it, *prev = NULL;
	size_t dropped = 0;

	for (ip = &p->held; p->held_bytes > p->max_held && *ip != NULL;) {
		it = *ip;
		if (it->name != NULL) {
			prev = it;
			ip = &it->next;
			continue;
		}
		*ip = it->next;
		if (p->held_tail == it)
			p->held_tail = prev;
		p->held_bytes -= it->len;
		dropped += it->len;
		free(it);
	}
	if (dropped > 0 && p->ops->dropped != NULL)
		p->ops->dropped(p->arg, dropped);
}

/* Answer every pending named mark as flushed and forget them. */
static void
play_flush_pending(struct mws_play *p)
{
	struct mws_pending *pm;

	while ((pm = p->pending) != NULL) {
		p->pending = pm->next;
		p->ops->marked(p->arg, pm->name, 0);
		free(pm);
	}
}

/* Drop the hold, answering held named marks as flushed. */
static void
play_drop_held(struct mws_play *p)
{
	struct mws_item *it;

	while ((it = p->held) != NULL) {
		p->held = it->next;
		if (it->name != NULL) {
			p->ops->marked(p->arg, it->name, 0);
			free(it->name);
		}
		free(it);
	}
	p->held_tail = NULL;
	p->held_bytes = 0;
}

/* ---- the queue ---- */

/* The streamSid is known: flush the hold in order. */
void
mws_play_start(struct mws_play *p, const char *sid)
{
	struct mws_item *it;

	vg_strlcpy(p->sid, sid, sizeof(p->sid));
	p->started = 1;
	while ((it = p->held) != NULL) {
		p->held = it->next;
		if (it->name != NULL) {
			play_send_nmark(p, it->name, it->end);
			free(it->name);
		} else
			play_send_chunk(p, it->data, it->len, it->end);
		free(it);
	}
	p->held_tail = NULL;
	p->held_bytes = 0;
}

/* The stream is gone: pending named marks will never echo. */
void
mws_play_stop(struct mws_play *p)
{
	p->started = 0;
	p->sid[0] = '\0';
	play_flush_pending(p);
}

/* Queue agent audio: send it in chunks, or hold it. */
void
mws_play_audio(struct mws_play *p, const uint8_t *data, size_t len)
{
	struct mws_item *it;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < p->chunk ? len - off : p->chunk;
		p->timeline += n;
		if (p->started) {
			play_send_chunk(p, data + off, n, p->timeline);
			continue;
		}
		it = vg_xmalloc(sizeof(*it) + n);
		it->end = p->timeline;
		it->name = NULL;
		it->len = n;
		memcpy(it->data, data + off, n);
		play_hold(p, it);
	}
	if (!p->started)
		play_hold_trim(p);
}

/* Queue a named mark after the audio queued so far. */
void
mws_play_mark(struct mws_play *p, const char *name)
{
	struct mws_item *it;

	if (p->started) {
		play_send_nmark(p, name, p->timeline);
		return;
	}
	it = vg_xcalloc(1, sizeof(*it));
	it->end = p->timeline;
	it->name = vg_xstrdup(name);
	play_hold(p, it);
}

/* Drop what is queued; marks of older generations now mean "flushed". */
void
mws_play_clear(struct mws_play *p)
{
	char buf[MWS_SID_MAX + 64];

	if (p->started)
		play_send(p, MWS_OUT_CLEAR, buf,
		    mws_build_clear(buf, sizeof(buf), p->sid));
	play_drop_held(p);
	p->since_mark = 0;
	p->gen++;
}

/* Digits at *P (1 to 19, then END) into *V, *P past END. Returns 0 or -1. */
static int
play_mark_num(const char **p, char end, uint64_t *v)
{
	const char *s = *p;
	size_t n;

	*v = 0;
	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == 19)
			return (-1);
		*v = *v * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0 || s[n] != end)
		return (-1);
	*p = s + n + (end != '\0');
	return (0);
}

/* Parse "t:<ms>:g<gen>" or "n:<id>:<ms>:g<gen>" into its parts (decimal
 * digits only). Returns 0 or -1. */
static int
play_mark_parse(const char *name, int *named, uint64_t *id, uint64_t *ms,
    uint32_t *gen)
{
	const char *p = name + 2;
	uint64_t g;

	if ((name[0] != 't' && name[0] != 'n') || name[1] != ':')
		return (-1);
	*named = name[0] == 'n';
	*id = 0;
	if ((*named && play_mark_num(&p, ':', id) == -1) ||
	    play_mark_num(&p, ':', ms) == -1 || *p++ != 'g' ||
	    play_mark_num(&p, '\0', &g) == -1 || g > UINT32_MAX)
		return (-1);
	*gen = (uint32_t)g;
	return (0);
}

/* Move the played position to MS if that is forward, and report it. */
static void
play_advance(struct mws_play *p, uint64_t ms)
{
	if (ms <= p->played_ms || ms > p->timeline / 8)
		return;
	p->played_ms = ms;
	p->ops->played(p->arg, ms);
}

/* Twilio echoed mark NAME. */
int
mws_play_echo(struct mws_play *p, const char *name)
{
	struct mws_pending **pp, *pm;
	uint64_t id, ms;
	uint32_t gen;
	int named;

	if (play_mark_parse(name, &named, &id, &ms, &gen) == -1)
		return (-1);
	if (!named) {
		if (gen == p->gen)
			play_advance(p, ms);
		return (0);	/* an older generation: flushed */
	}
	for (pp = &p->pending; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->id == id)
			break;
	}
	if ((pm = *pp) == NULL)
		return (-1);
	*pp = pm->next;
	if (gen == p->gen) {
		play_advance(p, ms);
		p->ops->marked(p->arg, pm->name, 1);
	} else
		p->ops->marked(p->arg, pm->name, 0);
	free(pm);
	return (0);
}

/* Free what P holds. */
void
mws_play_free(struct mws_play *p)
{
	play_drop_held(p);
	play_flush_pending(p);
	p->started = 0;
}
