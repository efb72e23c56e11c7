/*
 * Tests for the control socket (control.c), the command registry (cli.c)
 * and voicegatectl: the core loop runs on the main thread while a client
 * thread (or a voicegatectl child process) talks to the socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_test.h"

#define LOOP_LIMIT_S	10	/* no test loop runs longer */

static struct vg_module testmod = {
	.name = "testmod", .state = VG_MOD_RUNNING,
};

static struct {
	char		 dir[256];
	char		 sock[PATH_MAX];
	struct vg_cli	*held;		/* a pending command */
	int		 finished_late;
} t;

/* ---- a test module's commands ---- */

/* "testmod greet NAME...": echoes its arguments. */
static int
c_greet(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *o, *a;
	int i;

	if (argc == 0) {
		vg_cli_printf(cli, "usage: testmod greet NAME...\n");
		return (VG_CLI_ERROR);
	}
	a = json_object_new_array();
	vg_cli_printf(cli, "hello");
	for (i = 0; i < argc; i++) {
		vg_cli_printf(cli, " %s", argv[i]);
		json_object_array_add(a, json_object_new_string(argv[i]));
	}
	vg_cli_printf(cli, "\n");
	o = json_object_new_object();
	json_object_object_add(o, "args", a);
	json_object_object_add(o, "json_asked",
	    json_object_new_boolean(vg_cli_wants_json(cli)));
	vg_cli_set_json(cli, o);
	return (VG_CLI_OK);
}

/* "testmod ...": the one-word catch-all; reports its argument count. */
static int
c_top(struct vg_cli *cli, int argc, char **argv)
{
	vg_cli_printf(cli, "top %d\n", argc);
	return (VG_CLI_OK);
}

/* Finish the held command a little later. */
static void
t_finish_held(evutil_socket_t fd, short what, void *arg)
{
	if (t.held != NULL) {
		vg_cli_printf(t.held, "late answer\n");
		vg_cli_finish(t.held, VG_CLI_OK);
		t.held = NULL;
		t.finished_late = 1;
	}
}

/* "testmod slow": answers 100 ms later. */
static int
c_slow(struct vg_cli *cli, int argc, char **argv)
{
	struct timeval tv = { 0, 100 * 1000 };

	t.held = cli;
	event_base_once(vg_core_base(), -1, EV_TIMEOUT, t_finish_held, NULL,
	    &tv);
	return (VG_CLI_PENDING);
}

/* "testmod now": finishes inside its handler, then says PENDING. */
static int
c_now(struct vg_cli *cli, int argc, char **argv)
{
	vg_cli_printf(cli, "at once\n");
	vg_cli_finish(cli, VG_CLI_ERROR);
	return (VG_CLI_PENDING);
}

static const struct vg_cli_cmd test_cmds[] = {
	{ "testmod greet", "testmod greet NAME...", "say hello", c_greet },
	{ "testmod", "testmod [ARGS]", "the catch-all", c_top },
	{ "testmod slow", NULL, "answer later", c_slow },
	{ "testmod now", NULL, "finish at once", c_now },
};

/* ---- set-up ---- */

/* Stop the loop however it is going. */
static void
t_deadline(evutil_socket_t fd, short what, void *arg)
{
	fprintf(stderr, "  loop deadline reached\n");
	vg_core_break();
}

/* Core, a temporary directory, the socket and the commands. */
static int
setup(void)
{
	char tmpl[] = "/tmp/vgctl.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	memset(&t, 0, sizeof(t));
	if (mkdtemp(tmpl) == NULL)
		return (-1);
	vg_strlcpy(t.dir, tmpl, sizeof(t.dir));
	snprintf(t.sock, sizeof(t.sock), "%s/run/ctl.sock", t.dir);
	if (vg_core_init() == -1)
		return (-1);
	if (vg_cli_core_commands() == -1 ||
	    vg_cli_add(&testmod, test_cmds, VG_NELEM(test_cmds)) == -1)
		return (-1);
	return (vg_control_start(t.sock));
}

/* Undo setup(), removing the temporary files. */
static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	vg_control_stop();
	vg_cli_release_owner(&testmod);
	vg_cli_release_owner(vg_core_module());
	vg_core_free();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", t.dir);
}

/* ---- a client on its own thread ---- */

struct client {
	const char	*path;
	const char	*send;		/* bytes to send */
	size_t		 send_len;
	int		 hang_up;	/* close without reading */
	int		 half_close;	/* shutdown(SHUT_WR) after sending */
	int		 connect_errno;
	char		 answer[65536];
	size_t		 answer_len;
};

/* Connect to PATH; returns the socket or -1 with errno. */
static int
t_connect(const char *path)
{
	struct timeval tmo = { LOOP_LIMIT_S, 0 };
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	return (fd);
}

/* The client thread: send, read the whole answer, stop the loop. */
static void *
t_client_main(void *arg)
{
	struct client *c = arg;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = t_connect(c->path)) == -1) {
		c->connect_errno = errno;
		goto out;
	}
	while (off < c->send_len) {
		if ((n = write(fd, c->send + off, c->send_len - off)) <= 0)
			break;
		off += (size_t)n;
	}
	if (c->half_close)
		shutdown(fd, SHUT_WR);
	if (c->hang_up) {
		close(fd);
		goto out;
	}
	while (c->answer_len < sizeof(c->answer) - 1 &&
	    (n = read(fd, c->answer + c->answer_len,
	    sizeof(c->answer) - 1 - c->answer_len)) > 0)
		c->answer_len += (size_t)n;
	c->answer[c->answer_len] = '\0';
	close(fd);
out:
	return (NULL);
}

/* Run the loop until DONE_FN's thread ends, or for at most LOOP_LIMIT_S;
 * then run it MS_AFTER more milliseconds. */
static void
t_run_with(void *(*fn)(void *), void *arg, int ms_after)
{
	struct timeval lim = { LOOP_LIMIT_S, 0 }, after = { 0, 0 };
	struct event *deadline;
	pthread_t th;
	int done = 0;

	deadline = evtimer_new(vg_core_base(), t_deadline, NULL);
	evtimer_add(deadline, &lim);
	pthread_create(&th, NULL, fn, arg);
	/* Poll for the thread's end without blocking the loop. */
	while (!done) {
		struct timeval tick = { 0, 10 * 1000 };

		event_base_loopexit(vg_core_base(), &tick);
		event_base_dispatch(vg_core_base());
		if (pthread_tryjoin_np(th, NULL) == 0)
			done = 1;
		else if (evtimer_pending(deadline, NULL) == 0) {
			pthread_join(th, NULL);
			done = 1;
		}
	}
	if (ms_after > 0) {
		after.tv_usec = ms_after * 1000;
		event_base_loopexit(vg_core_base(), &after);
		event_base_dispatch(vg_core_base());
	}
	event_free(deadline);
}

/* Send LINE (a newline is added) and parse the answer. Returns new, or
 * NULL when none came or it did not parse. */
static struct json_object *
t_ask(const char *line)
{
	struct client *c = calloc(1, sizeof(*c));
	struct json_object *o;
	char *buf = vg_asprintf("%s\n", line);

	c->path = t.sock;
	c->send = buf;
	c->send_len = strlen(buf);
	t_run_with(t_client_main, c, 0);
	o = json_tokener_parse(c->answer);
	if (o == NULL)
		fprintf(stderr, "  no answer to %s: \"%s\"\n", line, c->answer);
	else if (c->answer_len == 0 || c->answer[c->answer_len - 1] != '\n')
		fprintf(stderr, "  answer does not end in a newline\n");
	free(buf);
	free(c);
	return (o);
}

/* A member of O as a string, "" when absent. */
static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return ("");
	return (json_object_get_string(v));
}

/* The "ok" member of O: 1, 0, or -1 when absent. */
static int
jok(struct json_object *o)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, "ok", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return (-1);
	return (json_object_get_boolean(v));
}

/* ---- cases ---- */

/* help lists every command with its usage and summary. */
static void
t_help(void)
{
	struct json_object *a, *j, *cmds;

	VG_CHECK(setup() == 0);
	a = t_ask("{\"argv\":[\"help\"],\"json\":false}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(strstr(jstr(a, "text"), "module show") != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "core stop [now]") != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "testmod greet NAME...") != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "say hello") != NULL);
	VG_CHECK(json_object_object_get_ex(a, "json", &j) &&
	    json_object_object_get_ex(j, "commands", &cmds) &&
	    json_object_array_length(cmds) == 9 + VG_NELEM(test_cmds));
	json_object_put(a);
	teardown();
}

/* An unknown command is an error that names it and suggests help. */
static void
t_unknown(void)
{
	struct json_object *a, *j;

	VG_CHECK(setup() == 0);
	a = t_ask("{\"argv\":[\"no\",\"such\"],\"json\":false}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "unknown command \"no such\"") !=
	    NULL);
	VG_CHECK(strstr(jstr(a, "text"), "help") != NULL);
	VG_CHECK(json_object_object_get_ex(a, "json", &j) &&
	    json_object_is_type(j, json_type_object));
	json_object_put(a);
	/* A known first word lists its commands. */
	a = t_ask("{\"argv\":[\"module\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "module load NAME") != NULL);
	json_object_put(a);
	teardown();
}

/* A module's command gets the words after its own; longest prefix wins. */
static void
t_module_command(void)
{
	struct json_object *a;

	VG_CHECK(setup() == 0);
	a = t_ask("{\"argv\":[\"testmod\",\"greet\",\"Ada\",\"Bob\"]}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK_STR(jstr(a, "text"), "hello Ada Bob\n");
	json_object_put(a);
	a = t_ask("{\"argv\":[\"testmod\",\"other\",\"x\"]}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK_STR(jstr(a, "text"), "top 2\n");
	json_object_put(a);
	a = t_ask("{\"argv\":[\"testmod\",\"greet\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "usage") != NULL);
	json_object_put(a);
	teardown();
}

/* --json: the answer carries the command's JSON object. */
static void
t_json_shape(void)
{
	struct json_object *a, *j, *args, *asked;

	VG_CHECK(setup() == 0);
	a = t_ask("{\"argv\":[\"testmod\",\"greet\",\"Ada\"],\"json\":true}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(json_object_object_get_ex(a, "text", NULL));
	VG_CHECK(json_object_object_get_ex(a, "json", &j) &&
	    json_object_is_type(j, json_type_object));
	VG_CHECK(j != NULL && json_object_object_get_ex(j, "args", &args) &&
	    json_object_array_length(args) == 1);
	VG_CHECK(j != NULL &&
	    json_object_object_get_ex(j, "json_asked", &asked) &&
	    json_object_get_boolean(asked));
	json_object_put(a);
	/* A core command's JSON: core show. */
	a = t_ask("{\"argv\":[\"core\",\"show\"],\"json\":true}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(json_object_object_get_ex(a, "json", &j));
	VG_CHECK_STR(jstr(j, "version"), PACKAGE_VERSION);
	VG_CHECK(strstr(jstr(a, "text"), "uptime") != NULL);
	json_object_put(a);
	/* A malformed request is refused, not crashed on. */
	a = t_ask("{\"argv\":\"module show\"}");
	VG_CHECK_INT(jok(a), 0);
	json_object_put(a);
	a = t_ask("not json");
	VG_CHECK_INT(jok(a), 0);
	json_object_put(a);
	teardown();
}

/* A PENDING command answers when finished; one finished inside its
 * handler answers at once. */
static void
t_pending(void)
{
	struct json_object *a;

	VG_CHECK(setup() == 0);
	a = t_ask("{\"argv\":[\"testmod\",\"slow\"]}");
	VG_CHECK_INT(t.finished_late, 1);
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK_STR(jstr(a, "text"), "late answer\n");
	json_object_put(a);
	a = t_ask("{\"argv\":[\"testmod\",\"now\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK_STR(jstr(a, "text"), "at once\n");
	json_object_put(a);
	teardown();
}

/* A client that leaves before its PENDING command finishes harms nothing. */
static void
t_pending_client_gone(void)
{
	struct client c;
	struct json_object *a;
	const char *line = "{\"argv\":[\"testmod\",\"slow\"]}\n";

	VG_CHECK(setup() == 0);
	memset(&c, 0, sizeof(c));
	c.path = t.sock;
	c.send = line;
	c.send_len = strlen(line);
	c.hang_up = 1;
	t_run_with(t_client_main, &c, 300);
	VG_CHECK_INT(t.finished_late, 1);
	/* The socket still serves. */
	a = t_ask("{\"argv\":[\"testmod\",\"greet\",\"x\"]}");
	VG_CHECK_INT(jok(a), 1);
	json_object_put(a);
	teardown();
}

/* A command left pending by a module that unloads is failed. */
static void
t_pending_owner_gone(void)
{
	struct json_object *a;
	char *msg;

	VG_CHECK(setup() == 0);
	/* Answer "slow" by unloading its module, not by finishing it. */
	a = NULL;
	{
		struct client c;
		const char *line = "{\"argv\":[\"testmod\",\"slow\"]}\n";

		memset(&c, 0, sizeof(c));
		c.path = t.sock;
		c.send = line;
		c.send_len = strlen(line);
		t.held = NULL;
		/* Unload as soon as the command is held. */
		{
			pthread_t th;
			int i;

			pthread_create(&th, NULL, t_client_main, &c);
			for (i = 0; i < 500 && t.held == NULL; i++) {
				struct timeval tick = { 0, 2000 };

				event_base_loopexit(vg_core_base(), &tick);
				event_base_dispatch(vg_core_base());
			}
			VG_CHECK(t.held != NULL);
			VG_CHECK(vg_cli_release_owner(&testmod) >= 1);
			t.held = NULL;
			for (i = 0; i < 500 &&
			    pthread_tryjoin_np(th, NULL) != 0; i++) {
				struct timeval tick = { 0, 10000 };

				event_base_loopexit(vg_core_base(), &tick);
				event_base_dispatch(vg_core_base());
			}
		}
		a = json_tokener_parse(c.answer);
	}
	VG_CHECK_INT(jok(a), 0);
	msg = strstr(jstr(a, "text"), "testmod was unloaded");
	VG_CHECK(msg != NULL);
	json_object_put(a);
	teardown();
}

/* The socket file is owner-only, in a directory made 0700. */
static void
t_socket_mode(void)
{
	struct stat sb;
	char dir[PATH_MAX + 8];

	VG_CHECK(setup() == 0);
	VG_CHECK(stat(t.sock, &sb) == 0);
	VG_CHECK(S_ISSOCK(sb.st_mode));
	VG_CHECK_INT(sb.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/run", t.dir);
	VG_CHECK(stat(dir, &sb) == 0);
	VG_CHECK_INT(sb.st_mode & 0777, 0700);
	vg_control_stop();
	VG_CHECK(stat(t.sock, &sb) == -1 && errno == ENOENT);
	teardown();
}

/* Make a Unix socket at PATH; listening when LISTEN. Returns its fd. */
static int
t_make_socket(const char *path, int listening)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (listening && listen(fd, 4) == -1)) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* A live daemon on the path is left alone and the start refused. */
static void
t_second_daemon(void)
{
	struct stat sb;
	char other[PATH_MAX + 16];
	int fd;

	VG_CHECK(setup() == 0);
	snprintf(other, sizeof(other), "%s/other.sock", t.dir);
	fd = t_make_socket(other, 1);
	VG_CHECK(fd != -1);
	vg_control_stop();
	VG_CHECK_INT(vg_control_start(other), -1);
	VG_CHECK(stat(other, &sb) == 0);	/* still the other's */
	VG_CHECK(t_connect(other) != -1);
	close(fd);
	teardown();
}

/* A dead daemon's socket file is replaced. */
static void
t_stale_socket(void)
{
	struct json_object *a;
	int fd;

	VG_CHECK(setup() == 0);
	vg_control_stop();
	fd = t_make_socket(t.sock, 0);	/* bound, never listening */
	VG_CHECK(fd != -1);
	close(fd);
	VG_CHECK(access(t.sock, F_OK) == 0);
	VG_CHECK_INT(vg_control_start(t.sock), 0);
	a = t_ask("{\"argv\":[\"help\"]}");
	VG_CHECK_INT(jok(a), 1);
	json_object_put(a);
	teardown();
}

/* A request over 64 KiB is refused, and the socket keeps serving. */
static void
t_oversize(void)
{
	struct client *c = calloc(1, sizeof(*c));
	struct json_object *a;
	size_t n = 80 * 1024;
	char *big = malloc(n);

	VG_CHECK(setup() == 0);
	memset(big, 'x', n);
	c->path = t.sock;
	c->send = big;
	c->send_len = n;
	c->half_close = 1;
	t_run_with(t_client_main, c, 0);
	a = json_tokener_parse(c->answer);
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "too large") != NULL);
	json_object_put(a);
	a = t_ask("{\"argv\":[\"help\"]}");
	VG_CHECK_INT(jok(a), 1);
	json_object_put(a);
	free(big);
	free(c);
	teardown();
}

/* A client that half-closes after a request without its newline (as
 * nc -U does) still gets its answer, pending ones included. */
static void
t_half_close(void)
{
	struct client *c = calloc(1, sizeof(*c));
	struct json_object *a;
	const char *req = "{\"argv\":[\"testmod\",\"greet\",\"eof\"]}";
	const char *slow = "{\"argv\":[\"testmod\",\"slow\"]}\n";

	VG_CHECK(setup() == 0);
	c->path = t.sock;
	c->send = req;
	c->send_len = strlen(req);
	c->half_close = 1;
	t_run_with(t_client_main, c, 0);
	a = json_tokener_parse(c->answer);
	VG_CHECK_STR(jstr(a, "text"), "hello eof\n");
	json_object_put(a);
	memset(c, 0, sizeof(*c));
	c->path = t.sock;
	c->send = slow;
	c->send_len = strlen(slow);
	c->half_close = 1;
	t_run_with(t_client_main, c, 0);
	a = json_tokener_parse(c->answer);
	VG_CHECK_STR(jstr(a, "text"), "late answer\n");
	json_object_put(a);
	free(c);
	teardown();
}

/* Several clients at once all get their own answers. */
struct many {
	struct client	 c[8];
	char		 lines[8][64];
};

/* Run eight clients in parallel. */
static void *
t_many_main(void *arg)
{
	struct many *m = arg;
	pthread_t th[8];
	int i;

	for (i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, t_client_main, &m->c[i]);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	return (NULL);
}

/* Eight clients at once, each answered. */
static void
t_many_clients(void)
{
	struct many *m = calloc(1, sizeof(*m));
	struct json_object *a;
	char want[64];
	int i;

	VG_CHECK(setup() == 0);
	for (i = 0; i < 8; i++) {
		snprintf(m->lines[i], sizeof(m->lines[i]),
		    "{\"argv\":[\"testmod\",\"greet\",\"n%d\"]}\n", i);
		m->c[i].path = t.sock;
		m->c[i].send = m->lines[i];
		m->c[i].send_len = strlen(m->lines[i]);
	}
	t_run_with(t_many_main, m, 0);
	for (i = 0; i < 8; i++) {
		a = json_tokener_parse(m->c[i].answer);
		snprintf(want, sizeof(want), "hello n%d\n", i);
		VG_CHECK_STR(jstr(a, "text"), want);
		json_object_put(a);
	}
	free(m);
	teardown();
}

/* Open 64 idle clients, then one more, whose answer is kept. */
static void *
t_crowd_main(void *arg)
{
	struct client *c = arg;
	int fds[64], i;

	for (i = 0; i < 64; i++)
		fds[i] = t_connect(c->path);
	t_client_main(c);
	for (i = 0; i < 64; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return (NULL);
}

/* Past 64 clients at once, a newcomer is told and closed. */
static void
t_too_many(void)
{
	struct client *c = calloc(1, sizeof(*c));
	struct json_object *a;
	const char *line = "{\"argv\":[\"help\"]}\n";

	VG_CHECK(setup() == 0);
	c->path = t.sock;
	c->send = line;
	c->send_len = strlen(line);
	t_run_with(t_crowd_main, c, 100);
	a = json_tokener_parse(c->answer);
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "too many") != NULL);
	json_object_put(a);
	a = t_ask(line);		/* the crowd has gone: served again */
	VG_CHECK_INT(jok(a), 1);
	json_object_put(a);
	free(c);
	teardown();
}

/* Registration: a taken command is refused, whole table or nothing;
 * release_owner removes a module's commands. */
static void
t_registry(void)
{
	static const struct vg_cli_cmd dup[] = {
		{ "fresh one", NULL, "new", c_top },
		{ "testmod greet", NULL, "taken", c_top },
	};
	struct json_object *a;

	VG_CHECK(setup() == 0);
	VG_CHECK_INT(vg_cli_add(vg_core_module(), dup, VG_NELEM(dup)), -1);
	a = t_ask("{\"argv\":[\"fresh\",\"one\"]}");
	VG_CHECK_INT(jok(a), 0);		/* none of the table added */
	json_object_put(a);
	VG_CHECK_INT(vg_cli_release_owner(&testmod), VG_NELEM(test_cmds));
	a = t_ask("{\"argv\":[\"testmod\",\"greet\",\"x\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "unknown command") != NULL);
	json_object_put(a);
	/* vg_cli_remove takes a table off too. */
	VG_CHECK_INT(vg_cli_add(&testmod, test_cmds, VG_NELEM(test_cmds)), 0);
	vg_cli_remove(&testmod, test_cmds, VG_NELEM(test_cmds));
	VG_CHECK_INT(vg_cli_release_owner(&testmod), 0);
	teardown();
}

/* Stop/reload hooks for the core commands. */
static int t_stops, t_stop_now, t_reloads;

/* Count a stop request. */
static void
t_stop_hook(int now)
{
	t_stops++;
	t_stop_now = now;
}

/* Count a reload request. */
static void
t_reload_hook(void)
{
	t_reloads++;
}

/* core stop [now] and core reload reach the daemon's hooks. */
static void
t_core_commands(void)
{
	struct json_object *a, *j, *mods;
	struct vg_call *call;

	VG_CHECK(setup() == 0);
	vg_core_set_hooks(t_stop_hook, t_reload_hook);
	t_stops = t_reloads = t_stop_now = 0;
	a = t_ask("{\"argv\":[\"core\",\"stop\",\"now\"]}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK_INT(t_stops, 1);
	VG_CHECK_INT(t_stop_now, 1);
	json_object_put(a);
	a = t_ask("{\"argv\":[\"core\",\"stop\",\"later\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK_INT(t_stops, 1);
	json_object_put(a);
	a = t_ask("{\"argv\":[\"core\",\"reload\"]}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK_INT(t_reloads, 1);
	json_object_put(a);
	vg_core_set_hooks(NULL, NULL);
	a = t_ask("{\"argv\":[\"calls\",\"show\"],\"json\":true}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(strstr(jstr(a, "text"), "0 active calls") != NULL);
	json_object_put(a);
	call = vg_call_create(&testmod, VG_CALL_INBOUND, "+15550001111",
	    "+15550002222");
	vg_call_set_state(call, VG_CALL_IN_PROGRESS);
	a = t_ask("{\"argv\":[\"calls\",\"show\"],\"json\":true}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(strstr(jstr(a, "text"), vg_call_id(call)) != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "in-progress") != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "+15550002222") != NULL);
	VG_CHECK(strstr(jstr(a, "text"), "1 active call\n") != NULL);
	VG_CHECK(json_object_object_get_ex(a, "json", &j) &&
	    json_object_object_get_ex(j, "calls", &mods) &&
	    json_object_array_length(mods) == 1);
	json_object_put(a);
	vg_call_set_state(call, VG_CALL_COMPLETED);
	a = t_ask("{\"argv\":[\"bus\",\"show\"]}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(strstr(jstr(a, "text"), "published") != NULL);
	json_object_put(a);
	a = t_ask("{\"argv\":[\"module\",\"show\"],\"json\":true}");
	VG_CHECK_INT(jok(a), 1);
	VG_CHECK(strncmp(jstr(a, "text"), "NAME ", 5) == 0);
	VG_CHECK(json_object_object_get_ex(a, "json", &j) &&
	    json_object_object_get_ex(j, "modules", &mods) &&
	    json_object_is_type(mods, json_type_array));
	json_object_put(a);
	a = t_ask("{\"argv\":[\"module\",\"load\",\"nosuch\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strncmp(jstr(a, "text"), "module load nosuch: ", 20) == 0);
	json_object_put(a);
	a = t_ask("{\"argv\":[\"module\",\"load\"]}");
	VG_CHECK_INT(jok(a), 0);
	VG_CHECK(strstr(jstr(a, "text"), "usage: module load NAME") != NULL);
	json_object_put(a);
	teardown();
}

/* ---- voicegatectl as a child process ---- */

struct ctl_run {
	char		*argv[12];
	char		 out[8192];
	char		 err[8192];
	int		 status;
};

/* Read FD to EOF into BUF. */
static void
t_slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* Run voicegatectl with R's argv; collect output and exit status. */
static void *
t_ctl_main(void *arg)
{
	struct ctl_run *r = arg;
	int out[2], err[2];
	pid_t pid;

	if (pipe(out) == -1 || pipe(err) == -1)
		return (NULL);
	if ((pid = fork()) == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(r->argv[0], r->argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	t_slurp(out[0], r->out, sizeof(r->out));
	t_slurp(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	waitpid(pid, &r->status, 0);
	return (NULL);
}

/* Run voicegatectl ARGS... (NULL-ended) against the test loop. Returns its
 * exit code, or -1. */
static int
t_ctl(struct ctl_run *r, ...)
{
	const char *top = getenv("VG_TOP_BUILDDIR");
	static char tool[PATH_MAX];
	va_list ap;
	int i = 1;
	char *a;

	snprintf(tool, sizeof(tool), "%s/tools/voicegatectl",
	    top != NULL ? top : ".");
	memset(r, 0, sizeof(*r));
	r->argv[0] = tool;
	va_start(ap, r);
	while ((a = va_arg(ap, char *)) != NULL && i < 11)
		r->argv[i++] = a;
	va_end(ap);
	t_run_with(t_ctl_main, r, 0);
	return (WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1);
}

/* voicegatectl prints text, JSON with --json, and exits 0/1/2. */
static void
t_voicegatectl(void)
{
	struct ctl_run *r = calloc(1, sizeof(*r));
	struct json_object *o, *args;
	char conf[PATH_MAX + 32], nosock[PATH_MAX + 16];
	FILE *f;

	VG_CHECK(setup() == 0);
	VG_CHECK_INT(t_ctl(r, "-s", t.sock, "testmod", "greet", "Ada", NULL),
	    0);
	VG_CHECK_STR(r->out, "hello Ada\n");
	VG_CHECK_INT(t_ctl(r, "-s", t.sock, "--json", "testmod", "greet",
	    "Ada", NULL), 0);
	o = json_tokener_parse(r->out);
	VG_CHECK(o != NULL && json_object_object_get_ex(o, "args", &args) &&
	    json_object_array_length(args) == 1);
	json_object_put(o);
	VG_CHECK_INT(t_ctl(r, "-s", t.sock, "no", "such", NULL), 1);
	VG_CHECK(strstr(r->err, "unknown command") != NULL);
	snprintf(nosock, sizeof(nosock), "%s/absent.sock", t.dir);
	VG_CHECK_INT(t_ctl(r, "-s", nosock, "help", NULL), 2);
	VG_CHECK(strstr(r->err, nosock) != NULL);
	VG_CHECK(strstr(r->err, "running") != NULL);
	/* The socket named in CONFDIR/voicegate.conf. */
	snprintf(conf, sizeof(conf), "%s/voicegate.conf", t.dir);
	if ((f = fopen(conf, "w")) != NULL) {
		fprintf(f, "[general]\ncontrol_socket = %s\n", t.sock);
		fclose(f);
	}
	VG_CHECK_INT(t_ctl(r, "-c", t.dir, "help", NULL), 0);
	VG_CHECK(strstr(r->out, "testmod greet") != NULL);
	free(r);
	teardown();
}

static const struct vg_test cases[] = {
	{ "control/help_lists_commands",	t_help },
	{ "control/unknown_command",		t_unknown },
	{ "control/module_command_args",	t_module_command },
	{ "control/json_answer_shape",		t_json_shape },
	{ "control/pending_finished_later",	t_pending },
	{ "control/pending_client_gone",	t_pending_client_gone },
	{ "control/pending_owner_unloaded",	t_pending_owner_gone },
	{ "control/socket_mode_0600",		t_socket_mode },
	{ "control/second_daemon_refused",	t_second_daemon },
	{ "control/stale_socket_replaced",	t_stale_socket },
	{ "control/oversize_refused",		t_oversize },
	{ "control/half_close_answered",	t_half_close },
	{ "control/many_clients",		t_many_clients },
	{ "control/too_many_clients",		t_too_many },
	{ "control/registry_release_owner",	t_registry },
	{ "control/core_commands",		t_core_commands },
	{ "control/voicegatectl",		t_voicegatectl },
};
VG_TEST_MAIN(cases)
