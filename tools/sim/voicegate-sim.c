/*
 * voicegate-sim: places simulated Twilio calls against a running voicegate
 * exactly as Twilio would (signed webhook, TwiML, signed Media Streams
 * upgrade, caller audio paced at 20 ms, marks and clear played like
 * Twilio's player) and reports what happened, with latency percentiles for
 * --calls N. Helper modes print signatures, μ-law bytes and parsed TwiML
 * for scripts; --self-test runs against an in-process fake voicegate.
 * See doc/simulator.md.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "sim.h"
#include "sim_rt.h"
#include "wsc.h"

#define SIM_SELFTEST_TOKEN	"0123456789abcdef0123456789abcdef"
#define SIM_DEFAULT_ACCOUNT	"AC00000000000000000000000000000000"

/* Print how to call voicegate-sim on F. */
static void
sim_usage(FILE *f)
{
	fprintf(f,
	    "usage: voicegate-sim --url http://HOST:PORT [--public-url URL]\n"
	    "         [--auth-token TOKEN] [--account-sid AC...] [--from E164]"
	    " [--to E164]\n"
	    "         [--audio FILE | --tone HZ | --silence] [--duration S]\n"
	    "         [--dtmf DIGITS] [--dtmf-at S] [--record FILE]\n"
	    "         [--calls N] [--ramp PER_S] [--echo] [--no-tag]"
	    " [--drain S]\n"
	    "         [--timeout S] [--ws-url ws://HOST:PORT/PATH]"
	    " [--webhook-path PATH]\n"
	    "         [--json] [--per-call] [--quiet]\n"
	    "         [--twiml FILE [--call-sid CA...]]\n"
	    "       voicegate-sim --sign URL [NAME=VALUE ...]\n"
	    "       voicegate-sim --ulaw SAMPLE ...\n"
	    "       voicegate-sim --parse-twiml FILE\n"
	    "       voicegate-sim --self-test\n"
	    "       voicegate-sim --realtime-server [--listen HOST:PORT]\n"
	    "         [--echo [--greeting-ms N] | --script FILE|demo]"
	    " [--max-sessions N]\n"
	    "         [--time-scale F] [--lifetime S] [--quiet]\n"
	    "       voicegate-sim --realtime-self-test\n"
	    "--twiml: no webhook; stream the call this TwiML names, as\n"
	    "Twilio does for a call it placed (outbound-call).\n"
	    "The auth token comes from --auth-token or $TWILIO_AUTH_TOKEN.\n");
}

/* Split http://HOST:PORT/PREFIX into O. Returns 0 or -1. */
static int
sim_parse_target(const char *url, struct sim_opts *o)
{
	const char *p, *slash, *colon;
	size_t hl;

	if (strncmp(url, "http://", 7) != 0)
		return (-1);
	p = url + 7;
	slash = p + strcspn(p, "/");
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon != NULL ? colon : slash) - p);
	if (hl == 0 || hl >= sizeof(o->host))
		return (-1);
	memcpy(o->host, p, hl);
	o->host[hl] = '\0';
	o->port = colon != NULL ? atoi(colon + 1) : 80;
	if (o->port <= 0 || o->port > 65535)
		return (-1);
	snprintf(o->prefix, sizeof(o->prefix), "%s", slash);
	hl = strlen(o->prefix);
	if (hl > 0 && o->prefix[hl - 1] == '/')
		o->prefix[hl - 1] = '\0';
	return (0);
}

/* --sign: print the signature of URL with the parameters in ARGV. */
static int
sim_cmd_sign(const char *token, const char *url, int argc, char **argv)
{
	struct sim_param p[64];
	char sig[32], *eq;
	int i;

	if (argc > 64)
		return (2);
	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL) {
			fprintf(stderr, "voicegate-sim: %s is not NAME=VALUE\n",
			    argv[i]);
			return (2);
		}
		snprintf(p[i].name, SIM_MAX_NAME, "%.*s",
		    (int)(eq - argv[i]), argv[i]);
		snprintf(p[i].value, SIM_MAX_VALUE, "%s", eq + 1);
	}
	if (sim_sign(token, url, p, argc, sig) == -1)
		return (2);
	printf("%s\n", sig);
	return (0);
}

/* --ulaw: print the μ-law byte of each sample in ARGV, in hex. */
static int
sim_cmd_ulaw(int argc, char **argv)
{
	long v;
	int i;

	for (i = 0; i < argc; i++) {
		v = strtol(argv[i], NULL, 0);
		if (v < -32768 || v > 32767)
			return (2);
		printf("%s%02x", i > 0 ? " " : "", sim_ulaw_encode((int16_t)v));
	}
	printf("\n");
	return (0);
}

/* Read the TwiML file PATH into T. Returns 0, 1 if it is not valid TwiML
 * (message in ERR), 2 if it cannot be read (said on stderr). */
static int
sim_twiml_load(const char *path, struct sim_twiml *t, char *err,
    size_t errsz)
{
	static char buf[65537];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "voicegate-sim: %s: %s\n", path,
		    strerror(errno));
		return (2);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (sim_twiml_parse(buf, n, t, err, errsz) == -1 ? 1 : 0);
}

/* --parse-twiml: print what the TwiML in PATH asks for. */
static int
sim_cmd_twiml(const char *path)
{
	struct sim_twiml t;
	char err[256];
	int i, rc;

	if ((rc = sim_twiml_load(path, &t, err, sizeof(err))) != 0) {
		if (rc == 1)
			printf("error %s\n", err);
		return (rc);
	}
	printf("url %s\nsays %d\n", t.stream_url, t.says);
	for (i = 0; i < t.nparams; i++)
		printf("param %s=%s\n", t.params[i].name, t.params[i].value);
	return (0);
}

/* Count one named self-test check. */
static void
sim_check(const char *name, int ok, int *passed, int *failed)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	if (ok)
		(*passed)++;
	else
		(*failed)++;
}

/* Set O up for a self-test run against the fake on PORT. */
static void
sim_selftest_opts(struct sim_opts *o, int port, const uint8_t *audio,
    size_t alen)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->host, sizeof(o->host), "127.0.0.1");
	o->port = port;
	o->public_url = "https://voice.example.com";
	o->webhook_path = "/twilio/incoming-call";
	o->token = SIM_SELFTEST_TOKEN;
	o->account_sid = SIM_DEFAULT_ACCOUNT;
	o->from = "+14155550100";
	o->to = "+15005550006";
	o->calls = 1;
	o->duration = 1;
	o->audio = audio;
	o->audio_len = alen;
	o->tag = 1;
	o->drain = 1;
	o->timeout = 5;
	o->quiet = 1;
}

/* Run the calls of O against a fake started with F; fill T and S.
 * Returns sim_run()'s status, or 2 if the fake did not start. */
static int
sim_selftest_run(struct sim_opts *o, const struct sim_fake_opts *f,
    struct sim_totals *t, struct sim_fake_stats *s)
{
	int port, rc;

	if (sim_fake_start(f, &port) == -1) {
		fprintf(stderr, "voicegate-sim: cannot start the fake\n");
		return (2);
	}
	o->port = port;
	rc = sim_run(o, t);
	sim_fake_stop(s);
	return (rc);
}

/* --self-test: calls against the in-process fake voicegate. */
static int
sim_self_test(void)
{
	struct sim_fake_opts f;
	struct sim_opts o;
	struct sim_totals t;
	struct sim_fake_stats s;
	struct sim_twiml tw;
	char rec[] = "/tmp/voicegate-sim-rec.XXXXXX";
	uint8_t *tone;
	size_t tlen;
	int passed = 0, failed = 0, rc, fd;

	if (sim_audio_tone(440, 1000, &tone, &tlen) == -1)
		return (2);
	memset(&f, 0, sizeof(f));
	f.token = SIM_SELFTEST_TOKEN;
	f.public_url = "https://voice.example.com";
	f.mark_every = 10;

	/* One echoed call with digits. */
	sim_selftest_opts(&o, 0, tone, tlen);
	o.echo = 1;
	o.dtmf = "12#";
	o.dtmf_at = 0.2;
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("call/echo_completes", rc == 0 && t.ok == 1, &passed,
	    &failed);
	sim_check("call/signatures_accepted", s.webhooks == 1 &&
	    s.upgrades == 1 && s.bad_signatures == 0, &passed, &failed);
	sim_check("call/start_and_stop", s.starts == 1 && s.stops == 1,
	    &passed, &failed);
	sim_check("call/media_paced_and_strict", s.media_in == 50 &&
	    t.frames_sent == 50 && s.protocol_errors == 0, &passed, &failed);
	sim_check("call/dtmf_sent", s.dtmf == 3, &passed, &failed);
	sim_check("echo/all_frames_back", t.frames_echoed == 50 &&
	    t.frames_lost == 0 && t.rtt_p99_ms < 500, &passed, &failed);
	sim_check("marks/echoed_after_playback", t.marks == 5 &&
	    s.marks_echoed == 5 && t.mark_wait_max_ms >= 10 &&
	    t.mark_wait_max_ms < 500, &passed,
	    &failed);

	/* A wrong token: the fake refuses the webhook. */
	sim_selftest_opts(&o, 0, tone, tlen);
	o.token = "not-the-token";
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("webhook/bad_signature_fails_the_call", rc == 1 &&
	    t.failed == 1 && s.bad_signatures == 1 && s.upgrades == 0,
	    &passed, &failed);

	/* Clear: a second of audio, a mark, clear; recorded what was heard. */
	if ((fd = mkstemp(rec)) == -1)
		return (2);
	close(fd);
	f.mark_every = 0;
	f.clear_at = 10;
	sim_selftest_opts(&o, 0, tone, tlen);
	o.record = rec;
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("clear/marks_echoed_at_once", rc == 0 && t.clears == 1 &&
	    t.marks == 1 && s.marks_echoed == 1 && t.mark_wait_max_ms < 500,
	    &passed, &failed);
	sim_check("clear/flushed_audio_not_recorded", t.audio_bytes ==
	    50 * 160 + 8000 && t.record_bytes < t.audio_bytes - 7000,
	    &passed, &failed);
	unlink(rec);

	/* An unknown event from voicegate is a protocol error. */
	f.clear_at = 0;
	f.bad_event = 1;
	sim_selftest_opts(&o, 0, tone, tlen);
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("strict/unknown_event_reported", rc == 1 &&
	    t.protocol_errors == 1, &passed, &failed);

	/* --twiml: no webhook, the given TwiML's stream, the given CallSid. */
	f.bad_event = 0;
	memset(&tw, 0, sizeof(tw));
	snprintf(tw.stream_url, sizeof(tw.stream_url),
	    "wss://voice.example.com/twilio/media-stream");
	snprintf(tw.params[0].name, SIM_MAX_NAME, "call_id");
	snprintf(tw.params[0].value, SIM_MAX_VALUE, "vgc_0123456789abcdef");
	snprintf(tw.params[1].name, SIM_MAX_NAME, "token");
	snprintf(tw.params[1].value, SIM_MAX_VALUE, "a&b\"c");
	tw.nparams = 2;
	sim_selftest_opts(&o, 0, tone, tlen);
	o.twiml = &tw;
	o.call_sid = "CA0123456789abcdef0123456789abcdef";
	o.echo = 1;
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("twiml/streams_without_webhook", rc == 0 && t.ok == 1 &&
	    s.webhooks == 0 && s.upgrades == 1 && s.starts == 1 &&
	    s.protocol_errors == 0 && t.frames_echoed == 50, &passed,
	    &failed);

	/* Many calls at once, from one thread. */
	f.mark_every = 25;
	sim_selftest_opts(&o, 0, tone, tlen);
	o.calls = 100;
	o.echo = 1;
	rc = sim_selftest_run(&o, &f, &t, &s);
	sim_check("load/100_calls_echoed", rc == 0 && t.ok == 100 &&
	    t.frames_lost == 0 && s.protocol_errors == 0, &passed, &failed);
	free(tone);
	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}

/* --realtime-server: check the options into RO and serve. */
static int
sim_cmd_rt(struct sim_rt_opts *ro, const char *listen, const char *script,
    int echo, int quiet, int extra)
{
	static struct sim_rt_script sc;
	const char *colon;
	char err[256];
	int rc;

	snprintf(ro->host, sizeof(ro->host), "127.0.0.1");
	if (listen != NULL) {
		if ((colon = strrchr(listen, ':')) == NULL) {
			ro->port = atoi(listen);
		} else {
			if (colon > listen) {
				if ((size_t)(colon - listen) >= sizeof(ro->host))
					goto bad;
				snprintf(ro->host, sizeof(ro->host), "%.*s",
				    (int)(colon - listen), listen);
			}
			ro->port = atoi(colon + 1);
		}
	}
	if (extra || echo == (script != NULL) || ro->port < 0 ||
	    ro->port > 65535 || ro->max_sessions < 0 || ro->greet_ms < 0 ||
	    ro->greet_ms > 60000 || !(ro->time_scale > 0) ||
	    ro->lifetime < 0)
		goto bad;
	ro->echo = echo;
	ro->quiet = quiet;
	if (script != NULL) {
		if (sim_rt_script_load(script, &sc, err, sizeof(err)) == -1) {
			fprintf(stderr, "voicegate-sim: script %s\n", err);
			return (2);
		}
		ro->script = &sc;
	}
	rc = sim_rt_serve(ro);
	sim_rt_script_free(&sc);
	return (rc);
bad:
	fprintf(stderr, "voicegate-sim: --realtime-server takes exactly one "
	    "of --echo and --script FILE|demo, --listen HOST:PORT,\n"
	    "--max-sessions N >= 0, --greeting-ms 0..60000, --time-scale "
	    "F > 0, --lifetime S >= 0\n");
	return (2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url",		required_argument, NULL, 'u' },
		{ "public-url",		required_argument, NULL, 'P' },
		{ "auth-token",		required_argument, NULL, 'k' },
		{ "account-sid",	required_argument, NULL, 'A' },
		{ "from",		required_argument, NULL, 'F' },
		{ "to",			required_argument, NULL, 'T' },
		{ "webhook-path",	required_argument, NULL, 'W' },
		{ "ws-url",		required_argument, NULL, 'w' },
		{ "audio",		required_argument, NULL, 'a' },
		{ "tone",		required_argument, NULL, 't' },
		{ "silence",		no_argument,	   NULL, 's' },
		{ "duration",		required_argument, NULL, 'd' },
		{ "dtmf",		required_argument, NULL, 'D' },
		{ "dtmf-at",		required_argument, NULL, 'X' },
		{ "record",		required_argument, NULL, 'r' },
		{ "calls",		required_argument, NULL, 'n' },
		{ "ramp",		required_argument, NULL, 'R' },
		{ "echo",		no_argument,	   NULL, 'e' },
		{ "no-tag",		no_argument,	   NULL, 'N' },
		{ "drain",		required_argument, NULL, 'i' },
		{ "timeout",		required_argument, NULL, 'o' },
		{ "json",		no_argument,	   NULL, 'j' },
		{ "per-call",		no_argument,	   NULL, 'p' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "sign",		required_argument, NULL, 'S' },
		{ "ulaw",		no_argument,	   NULL, 'U' },
		{ "parse-twiml",	required_argument, NULL, 'x' },
		{ "twiml",		required_argument, NULL, 'L' },
		{ "call-sid",		required_argument, NULL, 'C' },
		{ "self-test",		no_argument,	   NULL, 'Z' },
		{ "realtime-server",	no_argument,	   NULL, 'Y' },
		{ "realtime-self-test",	no_argument,	   NULL, 'y' },
		{ "listen",		required_argument, NULL, 'l' },
		{ "script",		required_argument, NULL, 'K' },
		{ "max-sessions",	required_argument, NULL, 'm' },
		{ "greeting-ms",	required_argument, NULL, 'g' },
		{ "time-scale",		required_argument, NULL, 'z' },
		{ "lifetime",		required_argument, NULL, 'f' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct sim_twiml tw;
	struct sim_opts o;
	const char *url = NULL, *audio = NULL, *sign_url = NULL;
	const char *twiml = NULL, *stream_twiml = NULL;
	uint8_t *buf = NULL;
	size_t blen = 0;
	double tone = -1;
	char err[256], *e;
	uint64_t seed;
	int ch, ulaw = 0, rc, rtserve = 0;
	struct sim_rt_opts ro;
	const char *script = NULL, *listen = NULL;

	memset(&o, 0, sizeof(o));
	memset(&ro, 0, sizeof(ro));
	ro.greet_ms = 500;
	ro.time_scale = 1;
	ro.port_fd = -1;
	o.webhook_path = "/twilio/incoming-call";
	o.from = "+14155550100";
	o.to = "+15005550006";
	o.calls = 1;
	o.duration = 5;
	o.dtmf_at = 1;
	o.tag = 1;
	o.drain = 1;
	o.timeout = 10;
	o.token = getenv("TWILIO_AUTH_TOKEN");
	o.account_sid = getenv("TWILIO_ACCOUNT_SID");
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'P': o.public_url = optarg; break;
		case 'k': o.token = optarg; break;
		case 'A': o.account_sid = optarg; break;
		case 'F': o.from = optarg; break;
		case 'T': o.to = optarg; break;
		case 'W': o.webhook_path = optarg; break;
		case 'w': o.ws_url = optarg; break;
		case 'a': audio = optarg; break;
		case 't': tone = strtod(optarg, NULL); break;
		case 's': tone = 0; break;
		case 'd': o.duration = strtod(optarg, NULL); break;
		case 'D': o.dtmf = optarg; break;
		case 'X': o.dtmf_at = strtod(optarg, NULL); break;
		case 'r': o.record = optarg; break;
		case 'n': o.calls = (int)strtol(optarg, &e, 10); break;
		case 'R': o.ramp = strtod(optarg, NULL); break;
		case 'e': o.echo = 1; break;
		case 'N': o.tag = 0; break;
		case 'i': o.drain = strtod(optarg, NULL); break;
		case 'o': o.timeout = strtod(optarg, NULL); break;
		case 'j': o.json = 1; break;
		case 'p': o.per_call = 1; break;
		case 'q': o.quiet = 1; break;
		case 'S': sign_url = optarg; break;
		case 'U': ulaw = 1; break;
		case 'x': twiml = optarg; break;
		case 'L': stream_twiml = optarg; break;
		case 'C': o.call_sid = optarg; break;
		case 'Z': return (sim_self_test());
		case 'Y': rtserve = 1; break;
		case 'y': return (sim_rt_self_test());
		case 'l': listen = optarg; break;
		case 'K': script = optarg; break;
		case 'm': ro.max_sessions = (int)strtol(optarg, &e, 10); break;
		case 'g': ro.greet_ms = (int)strtol(optarg, &e, 10); break;
		case 'z': ro.time_scale = strtod(optarg, NULL); break;
		case 'f': ro.lifetime = strtod(optarg, NULL); break;
		case 'h': sim_usage(stdout); return (0);
		default: sim_usage(stderr); return (2);
		}
	}
	if (rtserve)
		return (sim_cmd_rt(&ro, listen, script, o.echo, o.quiet,
		    optind != argc));
	if (ulaw)
		return (sim_cmd_ulaw(argc - optind, argv + optind));
	if (twiml != NULL)
		return (sim_cmd_twiml(twiml));
	if (o.token == NULL || *o.token == '\0') {
		fprintf(stderr, "voicegate-sim: no auth token: set "
		    "TWILIO_AUTH_TOKEN or pass --auth-token\n");
		return (2);
	}
	if (sign_url != NULL)
		return (sim_cmd_sign(o.token, sign_url, argc - optind,
		    argv + optind));
	if (url == NULL || optind != argc || sim_parse_target(url, &o) == -1) {
		sim_usage(stderr);
		return (2);
	}
	if (o.public_url == NULL)
		o.public_url = url;
	if (o.account_sid == NULL)
		o.account_sid = SIM_DEFAULT_ACCOUNT;
	if (o.calls < 1 || o.calls > 1000000 || o.duration <= 0 ||
	    o.duration > 86400 || o.ramp < 0 || o.drain < 0 ||
	    o.timeout <= 0 || o.dtmf_at < 0 || (o.dtmf != NULL &&
	    strspn(o.dtmf, "0123456789*#") != strlen(o.dtmf))) {
		fprintf(stderr, "voicegate-sim: bad option value\n");
		return (2);
	}
	if (o.call_sid != NULL && (stream_twiml == NULL || o.calls != 1 ||
	    strncmp(o.call_sid, "CA", 2) != 0 || strlen(o.call_sid) != 34)) {
		fprintf(stderr, "voicegate-sim: --call-sid CA<32 hex> goes "
		    "with --twiml and one call\n");
		return (2);
	}
	if (stream_twiml != NULL) {
		if ((rc = sim_twiml_load(stream_twiml, &tw, err,
		    sizeof(err))) != 0) {
			if (rc == 1)
				fprintf(stderr, "voicegate-sim: %s: %s\n",
				    stream_twiml, err);
			return (2);
		}
		o.twiml = &tw;
	}
	o.per_call = o.per_call || o.calls == 1;
	if (audio != NULL) {
		if (sim_audio_load(audio, &buf, &blen, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "voicegate-sim: %s\n", err);
			return (2);
		}
	} else if (sim_audio_tone(tone < 0 ? 440 : tone, 1000, &buf, &blen) ==
	    -1)
		return (2);
	o.audio = buf;
	o.audio_len = blen;
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1)
		wsc_seed(seed);
	signal(SIGPIPE, SIG_IGN);
	rc = sim_run(&o, NULL);
	free(buf);
	return (rc);
}
