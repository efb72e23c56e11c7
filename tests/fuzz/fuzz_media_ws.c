/*
 * Fuzz harness for the Media Streams parser of media_ws
 * (modules/media_ws/media_ws_msg.c): each input is parsed as one Twilio
 * message; an accepted message is used the way the module uses it (ids,
 * parameters, strict base64 of the payload, mark names through a playback
 * queue).
 *
 * `make check` links this with tests/fuzz/replay.c, which replays every
 * file of the seed corpus (tests/fuzz/corpus/media_ws, or the folder in
 * argv[1]); an input "passes" when it is processed without a crash. To fuzz
 * for real with libFuzzer (clang only), from a configured build tree (for
 * config.h), SRC being the source tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -I. -I$SRC/include -I$SRC/modules/media_ws \
 *       $SRC/tests/fuzz/fuzz_media_ws.c $SRC/modules/media_ws/media_ws_msg.c \
 *       $SRC/modules/media_ws/media_ws_play.c $SRC/core/util.c \
 *       $SRC/core/log.c -ljson-c -o fuzz_media_ws
 *   mkdir corpus-work
 *   ./fuzz_media_ws -max_len=4096 corpus-work/ $SRC/tests/fuzz/corpus/media_ws
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voicegate/util.h>

#include "media_ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sink for what the playback queue sends: check it is terminated JSON. */
static void
fuzz_send(void *arg, enum mws_out_kind kind, const char *msg, size_t len)
{
	if (len == 0 || msg[len] != '\0' || msg[0] != '{')
		abort();
}

/* Sink for audio.played. */
static void
fuzz_played(void *arg, uint64_t ms)
{
	uint64_t *last = arg;

	if (ms <= *last)
		abort();	/* must be monotonic */
	*last = ms;
}

/* Sink for audio.marked. */
static void
fuzz_marked(void *arg, const char *name, int played)
{
	if (name == NULL)
		abort();
}

static const struct mws_play_ops fuzz_ops = {
	fuzz_send, fuzz_played, fuzz_marked, NULL,
};

/* Parse one input (libFuzzer entry point). Always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t audio[MWS_MAX_AUDIO], silence[400];
	const char *why = NULL;
	struct mws_play p;
	struct mws_msg m;
	uint64_t last = 0;
	ssize_t n;

	if (mws_msg_parse((const char *)data, size, &m, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return (0);
	}
	if (m.ev != MWS_EV_CONNECTED && !mws_sid_ok(m.stream_sid))
		abort();
	switch (m.ev) {
	case MWS_EV_START:
		if (!mws_sid_ok(m.call_sid) || !mws_sid_ok(m.account_sid))
			abort();
		(void)mws_msg_param(&m, "call_id");
		(void)mws_msg_param(&m, "token");
		break;
	case MWS_EV_MEDIA:
		n = vg_b64_decode(m.payload, m.payload_len, audio,
		    sizeof(audio));
		if (n > (ssize_t)sizeof(audio) || n < -1)
			abort();
		break;
	case MWS_EV_MARK:
		memset(silence, 0xff, sizeof(silence));
		mws_play_init(&p, 20, 20, 100, &fuzz_ops, &last);
		mws_play_start(&p, m.stream_sid);
		mws_play_audio(&p, silence, sizeof(silence));
		mws_play_mark(&p, "x");
		(void)mws_play_echo(&p, m.mark_name);
		mws_play_free(&p);
		break;
	default:
		break;
	}
	mws_msg_free(&m);
	return (0);
}
