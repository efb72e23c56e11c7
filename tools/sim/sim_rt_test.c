/*
 * voicegate-sim --realtime-self-test: start the Realtime stand-in in a
 * child process (echo, then the demo script ten times faster), talk to
 * it as the daemon's realtime_openai would over loopback, and check what
 * it answers. Blocking I/O with poll timeouts: a test, not a client.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "sim.h"
#include "sim_rt.h"
#include "wsc.h"

#define RTT_KEY		"test-key-not-printed"
#define RTT_TIMEOUT	5000

/* A client connection. */
struct rtt_conn {
	int		 fd;
	struct wsc_buf	 in, out;
	int		 closed;	/* a close frame came */
	char		 types[8192];	/* every event type, comma-separated */
};

static int	rtt_passed, rtt_failed;

/* Count one named check. */
static void
rtt_check(const char *name, int ok)
{
	printf("%s rt/%s\n", ok ? "ok  " : "FAIL", name);
	fflush(stdout);
	if (ok)
		rtt_passed++;
	else
		rtt_failed++;
}

/* Return whether S starts with P (else show S). */
static int
rtt_prefix(const char *s, const char *p)
{
	if (strncmp(s, p, strlen(p)) == 0)
		return (1);
	printf("     events: %.300s\n", s);
	return (0);
}

/* Start a server with O in a child; sets *PID. Returns its port or -1. */
static int
rtt_spawn(struct sim_rt_opts *o, pid_t *pid)
{
	int p[2], port = -1;

	if (pipe(p) == -1)
		return (-1);
	fflush(stdout);
	if ((*pid = fork()) == -1)
		return (-1);
	if (*pid == 0) {
		close(p[0]);
		o->port_fd = p[1];
		_exit(sim_rt_serve(o));
	}
	close(p[1]);
	if (read(p[0], &port, sizeof(port)) != (ssize_t)sizeof(port))
		port = -1;
	close(p[0]);
	return (port);
}

/* Stop the child PID. */
static void
rtt_reap(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* Send all of B on C. Returns 0 or -1. */
static int
rtt_flush(struct rtt_conn *c)
{
	struct pollfd pfd = { c->fd, POLLOUT, 0 };

	while (wsc_buf_avail(&c->out) > 0) {
		if (wsc_buf_flush(&c->out, c->fd) == -1)
			return (-1);
		if (wsc_buf_avail(&c->out) > 0 && poll(&pfd, 1, RTT_TIMEOUT) <= 0)
			return (-1);
	}
	return (0);
}

/* Connect to PORT asking for PATHQ with AUTH (NULL: none); the upgrade
 * status goes to *STATUS. Returns 0 (C open if 101) or -1. */
static int
rtt_connect(struct rtt_conn *c, int port, const char *pathq,
    const char *auth, int *status)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char req[1024], key[32], acc[32], *end;
	ssize_t n;
	int len;

	memset(c, 0, sizeof(*c));
	*status = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    wsc_make_key(key, acc) == -1)
		return (-1);
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: "
	    "127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n%s%s%s"
	    "\r\n", pathq, port, key, auth != NULL ? "Authorization: " : "",
	    auth != NULL ? auth : "", auth != NULL ? "\r\n" : "");
	wsc_buf_add(&c->out, req, (size_t)len);
	if (rtt_flush(c) == -1 || wsc_nonblock(c->fd) == -1)
		return (-1);
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	for (;;) {
		wsc_buf_add(&c->in, "", 1);
		c->in.len--;
		if ((end = strstr((char *)c->in.data, "\r\n\r\n")) != NULL)
			break;
		if (poll(&pfd, 1, RTT_TIMEOUT) <= 0)
			return (-1);
		if ((n = wsc_buf_read(&c->in, c->fd)) <= 0 && !(n == -1 &&
		    errno == EAGAIN))
			return (-1);
	}
	if (sscanf((char *)c->in.data, "HTTP/1.1 %d", status) != 1)
		return (-1);
	c->in.off = (size_t)(end + 4 - (char *)c->in.data);
	return (0);
}

/* Close C's socket. */
static void
rtt_close(struct rtt_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	wsc_buf_free(&c->in);
	wsc_buf_free(&c->out);
	c->fd = -1;
}

/* Send a frame with OPCODE and TEXT. */
static void
rtt_send_op(struct rtt_conn *c, int opcode, const char *text)
{
	wsc_frame_put(&c->out, opcode, text, strlen(text), 1);
	rtt_flush(c);
}

/* Send the client event TEXT. */
static void
rtt_send(struct rtt_conn *c, const char *text)
{
	rtt_send_op(c, WSC_OP_TEXT, text);
}

/* Return the next server event (new), or NULL after MS or at a close. */
static struct json_object *
rtt_next(struct rtt_conn *c, int ms)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	struct json_tokener *tok;
	struct json_object *o;
	struct wsc_frame f;
	const char *type;
	ssize_t n;
	int r;

	for (;;) {
		r = wsc_frame_get(&c->in, &f, 1 << 24);
		if (r == 1) {
			if (f.opcode == WSC_OP_CLOSE) {
				c->closed = 1;
				c->in.off += f.total;
				return (NULL);
			}
			tok = json_tokener_new();
			o = json_tokener_parse_ex(tok, (char *)f.payload,
			    (int)f.len);
			json_tokener_free(tok);
			c->in.off += f.total;
			if (o == NULL)
				continue;
			type = json_object_get_string(
			    json_object_object_get(o, "type"));
			if (type != NULL && strlen(c->types) + strlen(type) + 2 <
			    sizeof(c->types)) {
				strcat(c->types, type);
				strcat(c->types, ",");
			}
			return (o);
		}
		if (r == -1 || poll(&pfd, 1, ms) <= 0)
			return (NULL);
		if ((n = wsc_buf_read(&c->in, c->fd)) == 0 || (n == -1 &&
		    errno != EAGAIN))
			return (NULL);
	}
}

/* Return the string at the dotted PATH of O, or "". */
static const char *
rtt_str(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	size_t kl;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		kl = dot != NULL ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)kl, path);
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return ("");
		path += kl + (dot != NULL);
	}
	if (o == NULL)
		return ("");
	return (json_object_get_string(o));
}

/* Read events until one of TYPE (returned, new) or a timeout (NULL). */
static struct json_object *
rtt_wait(struct rtt_conn *c, const char *type)
{
	struct json_object *o;

	while ((o = rtt_next(c, RTT_TIMEOUT)) != NULL) {
		if (strcmp(rtt_str(o, "type"), type) == 0)
			return (o);
		json_object_put(o);
	}
	return (NULL);
}

/* Wait for TYPE; check that it came and that FIELD (a dotted path)
 * equals WANT (NULL: any). */
static void
rtt_expect(struct rtt_conn *c, const char *name, const char *type,
    const char *field, const char *want)
{
	struct json_object *o = rtt_wait(c, type);

	rtt_check(name, o != NULL && (field == NULL ||
	    strcmp(rtt_str(o, field), want) == 0));
	if (o != NULL && field != NULL && strcmp(rtt_str(o, field), want) != 0)
		printf("     %s is \"%s\", not \"%s\"\n", field,
		    rtt_str(o, field), want);
	json_object_put(o);
}

/* Append LEN bytes P as input audio. */
static void
rtt_append(struct rtt_conn *c, const uint8_t *p, size_t len)
{
	char msg[8192];
	int n;

	n = snprintf(msg, sizeof(msg), "{\"type\":\"input_audio_buffer."
	    "append\",\"audio\":\"");
	n += EVP_EncodeBlock((unsigned char *)msg + n, p, (int)len);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "\"}");
	rtt_send(c, msg);
}

/* Decode the base64 delta of O into OUT (room for MAX). Returns the
 * length or -1. */
static long
rtt_delta(struct json_object *o, uint8_t *out, size_t max)
{
	const char *d = rtt_str(o, "delta");

	if (strlen(d) / 4 * 3 > max)
		return (-1);
	return (sim_b64_decode(d, strlen(d), out));
}

/* The upgrade's refusals. */
static void
rtt_refusals(int port)
{
	struct rtt_conn c;
	int st;

	rtt_connect(&c, port, "/v1/realtime?model=gpt-realtime", NULL, &st);
	rtt_check("upgrade/no_key_401", st == 401);
	rtt_close(&c);
	rtt_connect(&c, port, "/v1/realtime", "Bearer " RTT_KEY, &st);
	rtt_check("upgrade/no_model_400", st == 400);
	rtt_close(&c);
	rtt_connect(&c, port, "/v1/other?model=m", "Bearer " RTT_KEY, &st);
	rtt_check("upgrade/other_path_404", st == 404);
	rtt_close(&c);
}

/* The echo server: session, echo, response.create, truncate, cancel,
 * items, bad frames. */
static void
rtt_echo(int port)
{
	struct rtt_conn c;
	struct json_object *o;
	uint8_t sent[480], got[8192], buf[8192];
	char msg[256], item[64];
	size_t glen = 0;
	long n;
	int st, i, created = 0, ok = 1;

	if (rtt_connect(&c, port, "/v1/realtime?model=gpt-realtime",
	    "Bearer " RTT_KEY, &st) == -1 || st != 101) {
		rtt_check("echo/upgrade_101", 0);
		return;
	}
	rtt_check("echo/upgrade_101", 1);
	o = rtt_next(&c, RTT_TIMEOUT);
	rtt_check("echo/session_created_first", o != NULL &&
	    strcmp(rtt_str(o, "type"), "session.created") == 0 &&
	    strcmp(rtt_str(o, "session.object"), "realtime.session") == 0 &&
	    strcmp(rtt_str(o, "session.model"), "gpt-realtime") == 0);
	json_object_put(o);
	rtt_send(&c, "{\"type\":\"session.update\",\"session\":{\"type\":"
	    "\"realtime\",\"instructions\":\"Be brief.\",\"audio\":{\"input\":"
	    "{\"format\":{\"type\":\"audio/pcmu\"},\"turn_detection\":{"
	    "\"type\":\"server_vad\",\"silence_duration_ms\":700}},\"output\":"
	    "{\"format\":{\"type\":\"audio/pcmu\"},\"voice\":\"marin\"}}}}");
	o = rtt_wait(&c, "session.updated");
	rtt_check("echo/session_updated_merged", o != NULL &&
	    strcmp(rtt_str(o, "session.instructions"), "Be brief.") == 0 &&
	    strcmp(rtt_str(o, "session.audio.output.format.type"),
	    "audio/pcmu") == 0 &&
	    strcmp(rtt_str(o, "session.audio.output.voice"), "marin") == 0 &&
	    strcmp(rtt_str(o, "session.audio.input.turn_detection."
	    "silence_duration_ms"), "700") == 0 &&
	    strcmp(rtt_str(o, "session.audio.input.turn_detection."
	    "threshold"), "0.5") == 0);
	json_object_put(o);
	rtt_send(&c, "{\"type\":\"session.update\",\"event_id\":\"e1\","
	    "\"session\":{\"instructions\":\"x\"}}");
	rtt_expect(&c, "echo/session_type_required", "error", "error.code",
	    "missing_required_parameter");

	/* Three chunks of caller audio come back byte for byte. */
	for (i = 0; i < (int)sizeof(sent); i++)
		sent[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < 3; i++)
		rtt_append(&c, sent + i * 160, 160);
	c.types[0] = '\0';
	while (glen < sizeof(sent) && (o = rtt_next(&c, RTT_TIMEOUT)) !=
	    NULL) {
		if (strcmp(rtt_str(o, "type"), "response.created") == 0)
			created++;
		if (strcmp(rtt_str(o, "type"), "response.output_audio.delta") ==
		    0) {
			n = rtt_delta(o, got + glen, sizeof(got) - glen);
			if (n < 0)
				ok = 0;
			else
				glen += (size_t)n;
		}
		json_object_put(o);
	}
	rtt_check("echo/audio_back_byte_exact", ok && glen == sizeof(sent) &&
	    memcmp(got, sent, sizeof(sent)) == 0);
	rtt_check("echo/one_running_response", created == 1 &&
	    rtt_prefix(c.types, "response.created,rate_limits.updated,"
	    "response.output_item.added,conversation.item.added,"
	    "response.content_part.added,response.output_audio.delta,"));

	/* response.create: the echo response ends, a short tone plays. */
	rtt_send(&c, "{\"type\":\"response.create\"}");
	c.types[0] = '\0';
	glen = 0;
	item[0] = '\0';
	while ((o = rtt_next(&c, RTT_TIMEOUT)) != NULL) {
		if (strcmp(rtt_str(o, "type"), "response.output_item.added") ==
		    0)
			snprintf(item, sizeof(item), "%s", rtt_str(o, "item.id"));
		if (strcmp(rtt_str(o, "type"), "response.output_audio.delta") ==
		    0 && (n = rtt_delta(o, buf, sizeof(buf))) > 0)
			glen += (size_t)n;
		if (strcmp(rtt_str(o, "type"), "response.done") == 0 &&
		    strstr(c.types, "response.created") != NULL) {
			rtt_check("echo/response_create_tone_500ms", glen ==
			    4000 && strcmp(rtt_str(o, "response.status"),
			    "completed") == 0);
			json_object_put(o);
			break;
		}
		json_object_put(o);
	}
	rtt_check("echo/echo_response_done_first", rtt_prefix(c.types,
	    "response.output_audio.done,response.output_audio_transcript.done,"
	    "response.content_part.done,response.output_item.done,"
	    "conversation.item.done,response.done,response.created,"));

	/* Truncation of that item. */
	snprintf(msg, sizeof(msg), "{\"type\":\"conversation.item.truncate\","
	    "\"item_id\":\"%s\",\"content_index\":0,\"audio_end_ms\":200}",
	    item);
	rtt_send(&c, msg);
	rtt_expect(&c, "truncate/answered", "conversation.item.truncated",
	    "audio_end_ms", "200");
	snprintf(msg, sizeof(msg), "{\"type\":\"conversation.item.truncate\","
	    "\"item_id\":\"%s\",\"content_index\":0,\"audio_end_ms\":900}",
	    item);
	rtt_send(&c, msg);
	o = rtt_wait(&c, "error");
	rtt_check("truncate/past_the_audio_refused", o != NULL &&
	    strstr(rtt_str(o, "error.message"), "already shorter") != NULL);
	json_object_put(o);

	/* Cancel: nothing active, then an echo response. */
	rtt_send(&c, "{\"type\":\"response.cancel\"}");
	rtt_expect(&c, "cancel/not_active_error", "error", "error.code",
	    "response_cancel_not_active");
	rtt_append(&c, sent, 160);
	rtt_expect(&c, "cancel/echo_restarts", "response.output_audio.delta",
	    NULL, NULL);
	rtt_send(&c, "{\"type\":\"response.cancel\"}");
	rtt_expect(&c, "cancel/response_done_cancelled", "response.done",
	    "response.status", "cancelled");

	/* Items, bad frames, close. */
	rtt_send(&c, "{\"type\":\"conversation.item.create\",\"item\":{"
	    "\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":"
	    "\"input_text\",\"text\":\"Hi\"}]}}");
	c.types[0] = '\0';
	rtt_expect(&c, "item/added", "conversation.item.added",
	    "item.content.0.text", "Hi");
	rtt_expect(&c, "item/done", "conversation.item.done", NULL, NULL);
	rtt_send(&c, "this is not json");
	rtt_expect(&c, "bad/non_json_error", "error", "error.code",
	    "invalid_json");
	rtt_send_op(&c, WSC_OP_BINARY, "{\"type\":\"response.create\"}");
	rtt_expect(&c, "bad/binary_error", "error", "error.code",
	    "invalid_json");
	rtt_send_op(&c, WSC_OP_CLOSE, "\x03\xe8");
	while ((o = rtt_next(&c, RTT_TIMEOUT)) != NULL)
		json_object_put(o);
	rtt_check("close/answered", c.closed);
	rtt_close(&c);
}

/* The demo script, as the daemon would drive it: greeting on
 * response.create, caller audio, barge-in with truncate, end_call. */
static void
rtt_demo(int port)
{
	struct rtt_conn c;
	struct json_object *o;
	uint8_t audio[800];
	char order[2048], msg[512], item[64], call[64];
	const char *t;
	long heard = 0, n;
	int st, active = 0, done = 0, rounds;
	uint8_t buf[8192];

	memset(audio, 0x7f, sizeof(audio));
	order[0] = item[0] = call[0] = '\0';
	if (rtt_connect(&c, port, "/v1/realtime?model=gpt-realtime",
	    "Bearer " RTT_KEY, &st) == -1 || st != 101) {
		rtt_check("demo/upgrade_101", 0);
		return;
	}
	rtt_send(&c, "{\"type\":\"session.update\",\"session\":{\"type\":"
	    "\"realtime\",\"audio\":{\"input\":{\"format\":{\"type\":"
	    "\"audio/pcmu\"},\"turn_detection\":{\"type\":\"server_vad\"}},"
	    "\"output\":{\"format\":{\"type\":\"audio/pcmu\"}}},\"tools\":[{"
	    "\"type\":\"function\",\"name\":\"end_call\",\"description\":"
	    "\"End the call.\",\"parameters\":{\"type\":\"object\","
	    "\"properties\":{}}}]}}");
	o = rtt_wait(&c, "session.updated");
	json_object_put(o);
	rtt_send(&c, "{\"type\":\"response.create\"}");
	/* 100 ms of caller audio every 10 ms (the script runs 10x faster),
	 * events in between. */
	for (rounds = 0; rounds < 2000 && !done; rounds++) {
		rtt_append(&c, audio, sizeof(audio));
		while ((o = rtt_next(&c, 10)) != NULL) {
			t = rtt_str(o, "type");
			if (strcmp(t, "response.created") == 0)
				active = 1;
			else if (strcmp(t, "response.output_item.added") == 0) {
				snprintf(item, sizeof(item), "%s",
				    rtt_str(o, "item.id"));
				heard = 0;
				if (strcmp(rtt_str(o, "item.type"),
				    "function_call") == 0) {
					snprintf(call, sizeof(call), "%s",
					    rtt_str(o, "item.call_id"));
					strcat(order, strcmp(rtt_str(o,
					    "item.name"), "end_call") == 0 ?
					    "call_end_call," : "call_other,");
				}
			} else if (strcmp(t, "response.output_audio.delta") ==
			    0 && (n = rtt_delta(o, buf, sizeof(buf))) > 0)
				heard += n / 8;
			else if (strcmp(t, "response.output_audio_transcript."
			    "done") == 0) {
				snprintf(msg, sizeof(msg), "said[%.12s],",
				    rtt_str(o, "transcript"));
				strcat(order, msg);
			} else if (strcmp(t, "input_audio_buffer.speech_started")
			    == 0) {
				strcat(order, active ? "barge_in," :
				    "speech_started,");
				if (active) {
					/* What realtime_openai does: truncate
					 * at what was heard. */
					snprintf(msg, sizeof(msg), "{\"type\":"
					    "\"conversation.item.truncate\","
					    "\"item_id\":\"%s\",\"content_index"
					    "\":0,\"audio_end_ms\":%ld}", item,
					    heard / 2);
					rtt_send(&c, msg);
				}
			} else if (strcmp(t, "input_audio_buffer.speech_stopped")
			    == 0)
				strcat(order, "speech_stopped,");
			else if (strcmp(t, "conversation.item.input_audio_"
			    "transcription.completed") == 0) {
				snprintf(msg, sizeof(msg), "caller[%.12s],",
				    rtt_str(o, "transcript"));
				strcat(order, msg);
			} else if (strcmp(t, "conversation.item.truncated") ==
			    0)
				strcat(order, "truncated,");
			else if (strcmp(t, "response.function_call_arguments."
			    "done") == 0) {
				snprintf(msg, sizeof(msg), "args%s,",
				    rtt_str(o, "arguments"));
				strcat(order, msg);
			} else if (strcmp(t, "response.done") == 0) {
				active = 0;
				snprintf(msg, sizeof(msg), "done:%s,",
				    rtt_str(o, "response.status"));
				strcat(order, msg);
				if (call[0] != '\0') {
					snprintf(msg, sizeof(msg), "{\"type\":"
					    "\"conversation.item.create\","
					    "\"item\":{\"type\":"
					    "\"function_call_output\","
					    "\"call_id\":\"%s\",\"output\":"
					    "\"{\\\"ok\\\":true}\"}}", call);
					rtt_send(&c, msg);
				}
			} else if (strcmp(t, "conversation.item.done") == 0 &&
			    strcmp(rtt_str(o, "item.type"),
			    "function_call_output") == 0) {
				strcat(order, "output_added,");
				done = 1;
			} else if (strcmp(t, "error") == 0) {
				snprintf(msg, sizeof(msg), "error[%s],",
				    rtt_str(o, "error.message"));
				strcat(order, msg);
			}
			json_object_put(o);
		}
	}
	rtt_check("demo/conversation_in_order", strcmp(order,
	    "said[Hello, this ],done:completed,speech_started,"
	    "speech_stopped,caller[I need a tic],barge_in,truncated,"
	    "said[Sure. There ],done:cancelled,speech_stopped,"
	    "caller[The eight fi],said[You're welco],call_end_call,args{},"
	    "done:completed,output_added,") == 0);
	if (strstr(order, "output_added") == NULL || rtt_failed > 0)
		printf("     order: %s\n", order);
	rtt_close(&c);
}

/* Run the checks. */
int
sim_rt_self_test(void)
{
	struct sim_rt_opts o;
	struct sim_rt_script sc;
	char err[256];
	pid_t pid;
	int port;

	memset(&o, 0, sizeof(o));
	snprintf(o.host, sizeof(o.host), "127.0.0.1");
	o.echo = 1;
	o.greet_ms = 500;
	o.time_scale = 1;
	o.lifetime = 60;
	o.quiet = 1;
	if ((port = rtt_spawn(&o, &pid)) == -1)
		return (2);
	rtt_refusals(port);
	rtt_echo(port);
	rtt_reap(pid);

	if (sim_rt_script_load("demo", &sc, err, sizeof(err)) == -1) {
		printf("FAIL rt/demo_script_loads: %s\n", err);
		return (1);
	}
	rtt_check("demo/script_loads", 1);
	o.echo = 0;
	o.script = &sc;
	o.time_scale = 10;
	o.quiet = 0;
	if ((port = rtt_spawn(&o, &pid)) == -1)
		return (2);
	rtt_demo(port);
	rtt_reap(pid);
	sim_rt_script_free(&sc);
	printf("%d passed, %d failed\n", rtt_passed, rtt_failed);
	return (rtt_failed == 0 ? 0 : 1);
}
