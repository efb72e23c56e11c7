/*
 * Fuzz harness for the OpenAI Realtime server events realtime_openai
 * handles (modules/realtime_openai/realtime_openai_session.c): each input
 * is a sequence of server events, one per line, fed to one call's session
 * (no socket; what it sends is dropped, what it publishes is delivered to
 * nobody). Sequences reach the stateful paths: responses, the audio ledger,
 * barge-in, transcripts, tools, errors.
 *
 * `make check` builds this as a plain program (tests/fuzz/replay.c) that
 * replays every file of tests/fuzz/corpus/realtime_events; an input passes
 * when it is processed without a crash. To fuzz for real with libFuzzer
 * (clang only), link this file with the module's sources and the core
 * library of a configured build tree, and -DVG_LIBFUZZER:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -I. -I$SRC/include -I$SRC/core -I$SRC/modules/realtime_openai \
 *       $SRC/tests/fuzz/fuzz_realtime_events.c \
 *       $SRC/modules/realtime_openai/realtime_openai*.c \
 *       core/.libs/libvgcore.a -levent -levent_pthreads -lwebsockets \
 *       -lcurl -ljson-c -lssl -lcrypto -o fuzz_realtime_events
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "realtime_openai.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void	vg_fuzz_done(void);

static struct vg_module fuzz_mod = {
	.name = "realtime_openai", .state = VG_MOD_RUNNING,
};

/* The harness's session context, made once. */
static struct {
	int			 up;
	struct rt_config	 cfg;
	struct rt_agents	 agents;
	struct rt_ctx		 ctx;
} fz;

/* Make the core, a one-preset agents file and the context. */
static int
fuzz_up(void)
{
	char path[64], err[RT_ERR_MAX];
	FILE *fp;

	if (fz.up)
		return (0);
	vg_log_set_level(VG_LOG_ERROR);
	if (vg_core_init() == -1)
		return (-1);
	snprintf(path, sizeof(path), "/tmp/vg-fuzz-rt-%d.conf", (int)getpid());
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fputs("[tool.t]\ndescription = a tool\n[agent.custom]\n"
	    "tools = end_call, transfer_call, t\ntransfer_to = +15550001\n",
	    fp);
	fclose(fp);
	if (rt_agents_load(path, &fz.agents, err, sizeof(err)) == -1)
		abort();
	unlink(path);
	fz.cfg.api_key = "k";
	fz.cfg.url = "ws://127.0.0.1:9/realtime";
	fz.cfg.model = "gpt-realtime";
	fz.cfg.append_ms = 20;
	fz.cfg.connect_timeout_ms = 10000;
	fz.cfg.tool_timeout_ms = 10000;
	fz.cfg.reconnect_attempts = 1000;
	fz.cfg.reconnect_backoff_ms = 100000;
	fz.cfg.apology = "Sorry.";
	fz.cfg.goodbye = "Goodbye.";
	fz.ctx.self = &fuzz_mod;
	fz.ctx.cfg = &fz.cfg;
	fz.ctx.agents = &fz.agents;
	fz.up = 1;
	return (0);
}

/* Feed each line of the input to a fresh session (libFuzzer entry
 * point). Always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct rt_call *rc;

	if (fuzz_up() == -1)
		abort();
	if ((rc = rt_call_start(&fz.ctx, "vgc_00000000000000f1", NULL)) ==
	    NULL)
		abort();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p)
			(void)rt_call_server_event(rc, p, (size_t)(nl - p));
		vg_bus_drain();
		p = nl + 1;
	}
	rt_call_end(rc);
	vg_bus_drain();
	vg_core_release_owner(&fuzz_mod);
	return (0);
}

/* After the last input: free what fuzz_up() made. */
void
vg_fuzz_done(void)
{
	if (!fz.up)
		return;
	rt_ctx_forget(&fz.ctx);
	rt_agents_free(&fz.agents);
	vg_core_free();
	fz.up = 0;
}
