/*
 * The control socket: a Unix stream socket on the core loop, readable and
 * writable by the daemon's user only. A client sends one JSON line
 * {"argv":[...],"json":bool}; the daemon runs it through the command
 * registry (cli.c) and answers one JSON object {"ok","text","json"} and a
 * newline, then closes. Core thread only.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define CTL_MAX_REQUEST	(64 * 1024)	/* one request line */
#define CTL_MAX_ARGS	64		/* words in one command */
#define CTL_REQUEST_TIMEOUT_S	10	/* to send the request line */
#define CTL_MAX_CLIENTS	64		/* connected at once */

/* One connected client. */
struct ctl_client {
	struct bufferevent	*bev;		/* owned */
	struct vg_cli		*pending;	/* command still running */
	int			 answered;	/* answer queued: close after */
	struct ctl_client	*prev, *next;
};

static struct {
	struct evconnlistener	*listener;	/* owned */
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;		/* the socket file we made */
	ino_t			 ino;
	struct ctl_client	*clients;
	unsigned		 nclients;
} g_ctl;

/* Close and free CL, abandoning its pending command. */
static void
ctl_client_free(struct ctl_client *cl)
{
	if (cl->pending != NULL)
		vg_cli_abandon(cl->pending);
	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		g_ctl.clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	g_ctl.nclients--;
	bufferevent_free(cl->bev);
	free(cl);
}

/* The answer has left: close the client. */
static void
ctl_written(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;

	if (cl->answered)
		ctl_client_free(cl);
}

static void	ctl_request(struct ctl_client *cl, const char *line);

/* EOF, error or timeout on a client. An error or timeout ends it. EOF may
 * be a half-close after the request (nc -U does this): a request without
 * its newline is run, and a pending or unsent answer is still delivered
 * (a client that has really gone then fails the write). */
static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) ||
	    !(what & BEV_EVENT_EOF)) {
		ctl_client_free(cl);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if (!cl->answered && cl->pending == NULL) {
		if ((len = evbuffer_get_length(in)) == 0) {
			ctl_client_free(cl);
			return;
		}
		line = vg_xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		ctl_request(cl, line);
		free(line);
		return;
	}
	if (cl->answered &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ctl_client_free(cl);
}

/* Queue the answer {"ok","text","json"} to CL; close once written. Takes
 * JSON. */
static void
ctl_answer(struct ctl_client *cl, int ok, const char *text,
    struct json_object *json)
{
	struct json_object *o;
	const char *s;
	size_t len;

	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "json",
	    json != NULL ? json : json_object_new_object());
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	bufferevent_write(cl->bev, s, len);
	bufferevent_write(cl->bev, "\n", 1);
	json_object_put(o);
	cl->answered = 1;
	/* Still read, to notice a client that leaves; ignore what it sends. */
	bufferevent_set_timeouts(cl->bev, NULL, NULL);
}

/* The command registry's answer for a client. */
static void
ctl_done(int ok, const char *text, struct json_object *json, void *arg)
{
	struct ctl_client *cl = arg;

	cl->pending = NULL;
	ctl_answer(cl, ok, text, json);	/* ctl_written closes */
}

/* Answer CL with an error MESSAGE about its request. */
static void
ctl_refuse(struct ctl_client *cl, const char *message)
{
	char *text = vg_asprintf("%s\n", message);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(message));
	ctl_answer(cl, 0, text, o);
	free(text);
}

/* Parse and run one request LINE (NUL-terminated) from CL. */
static void
ctl_request(struct ctl_client *cl, const char *line)
{
	struct json_object *req, *av, *js, *w;
	char *argv[CTL_MAX_ARGS];
	size_t i, n;
	int wants_json = 0;

	if ((req = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(req, json_type_object)) {
		ctl_refuse(cl, "bad request: not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(req, "argv", &av) ||
	    !json_object_is_type(av, json_type_array)) {
		ctl_refuse(cl, "bad request: \"argv\" must be an array");
		goto out;
	}
	if ((n = json_object_array_length(av)) > CTL_MAX_ARGS) {
		ctl_refuse(cl, "bad request: too many words");
		goto out;
	}
	for (i = 0; i < n; i++) {
		w = json_object_array_get_idx(av, i);
		if (!json_object_is_type(w, json_type_string)) {
			ctl_refuse(cl, "bad request: \"argv\" must hold "
			    "strings");
			goto out;
		}
		argv[i] = (char *)json_object_get_string(w);
	}
	if (json_object_object_get_ex(req, "json", &js))
		wants_json = json_object_get_boolean(js);
	cl->pending = vg_cli_exec((int)n, argv, wants_json, ctl_done, cl);
out:
	json_object_put(req);
}

/* Bytes from a client: wait for the whole request line, then run it. */
static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char *line;
	size_t len;

	if (cl->answered || cl->pending != NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) > CTL_MAX_REQUEST) {
			evbuffer_drain(in, evbuffer_get_length(in));
			ctl_refuse(cl, "request too large");
		}
		return;
	}
	len = (size_t)eol.pos;
	if (len > CTL_MAX_REQUEST) {
		evbuffer_drain(in, evbuffer_get_length(in));
		ctl_refuse(cl, "request too large");
		return;
	}
	line = vg_xmalloc(len + 1);
	evbuffer_remove(in, line, len);
	line[len] = '\0';
	evbuffer_drain(in, evbuffer_get_length(in));
	/* Let the command have as long as it needs. */
	bufferevent_set_timeouts(bev, NULL, NULL);
	ctl_request(cl, line);
	free(line);
}

/* A new client on the listener. */
static void
ctl_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	static const char busy[] = "{\"ok\":false,\"text\":\"too many control "
	    "clients\\n\",\"json\":{\"error\":\"too many control clients\"}}\n";
	struct timeval tv = { CTL_REQUEST_TIMEOUT_S, 0 };
	struct ctl_client *cl;

	if (g_ctl.nclients >= CTL_MAX_CLIENTS) {
		/* Best effort: the socket buffer takes this small line. */
		ssize_t n = write(fd, busy, sizeof(busy) - 1);

		(void)n;	/* the client may have gone already */
		close(fd);
		return;
	}
	cl = vg_xcalloc(1, sizeof(*cl));
	cl->bev = bufferevent_socket_new(vg_core_base(), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		vg_log(VG_LOG_WARN, "control: bufferevent_socket_new failed");
		close(fd);
		free(cl);
		return;
	}
	bufferevent_setcb(cl->bev, ctl_read, ctl_written, ctl_event, cl);
	bufferevent_set_timeouts(cl->bev, &tv, NULL);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	cl->next = g_ctl.clients;
	if (cl->next != NULL)
		cl->next->prev = cl;
	g_ctl.clients = cl;
	g_ctl.nclients++;
}

/* Make every missing directory above PATH, mode 0700. Returns 0 or -1. */
static int
ctl_mkparent(const char *path)
{
	char dir[sizeof(g_ctl.path)], *p;
	struct stat sb;

	vg_strlcpy(dir, path, sizeof(dir));
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return (0);
	*p = '\0';
	if (stat(dir, &sb) == 0)
		return (S_ISDIR(sb.st_mode) ? 0 : -1);
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return (-1);
	return (0);
}

/* Deal with a file already at SUN's path: refuse when a daemon answers
 * there, remove it when it is a dead daemon's socket. Returns 0 or -1. */
static int
ctl_clear_stale(const struct sockaddr_un *sun)
{
	struct stat sb;
	int fd, rc;

	if (lstat(sun->sun_path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(sb.st_mode)) {
		vg_log(VG_LOG_ERROR, "control socket %s: exists and is not a "
		    "socket", sun->sun_path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		vg_log(VG_LOG_ERROR, "control socket %s: another voicegate is "
		    "running", sun->sun_path);
		return (-1);
	}
	if (unlink(sun->sun_path) == -1 && errno != ENOENT) {
		vg_log(VG_LOG_ERROR, "control socket %s: remove stale: %s",
		    sun->sun_path, strerror(errno));
		return (-1);
	}
	vg_log(VG_LOG_NOTICE, "control socket %s: replaced a stale socket",
	    sun->sun_path);
	return (0);
}

/* Open the control socket at PATH on the core loop. */
int
vg_control_start(const char *path)
{
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd;

	if (g_ctl.listener != NULL) {
		vg_log(VG_LOG_ERROR, "control socket: already started");
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path == NULL || *path == '\0' ||
	    vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		vg_log(VG_LOG_ERROR, "control socket \"%s\": bad or too long "
		    "a path", path ? path : "");
		return (-1);
	}
	if (ctl_mkparent(path) == -1) {
		vg_log(VG_LOG_ERROR, "control socket %s: cannot make its "
		    "directory: %s", path, strerror(errno));
		return (-1);
	}
	if (ctl_clear_stale(&sun) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		vg_log(VG_LOG_ERROR, "control socket: socket: %s",
		    strerror(errno));
		return (-1);
	}
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		vg_log(VG_LOG_ERROR, "control socket %s: bind: %s", path,
		    strerror(errno));
		goto fail_fd;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || stat(path, &sb) == -1) {
		vg_log(VG_LOG_ERROR, "control socket %s: chmod: %s", path,
		    strerror(errno));
		goto fail_file;
	}
	g_ctl.dev = sb.st_dev;
	g_ctl.ino = sb.st_ino;
	g_ctl.listener = evconnlistener_new(vg_core_base(), ctl_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (g_ctl.listener == NULL) {
		vg_log(VG_LOG_ERROR, "control socket %s: cannot listen", path);
		goto fail_file;
	}
	vg_strlcpy(g_ctl.path, path, sizeof(g_ctl.path));
	vg_log(VG_LOG_INFO, "control socket on %s", path);
	return (0);

fail_file:
	unlink(path);
fail_fd:
	close(fd);
	return (-1);
}

/* Close the control socket and its clients, and remove the file if it is
 * still the one we made. */
void
vg_control_stop(void)
{
	struct stat sb;

	while (g_ctl.clients != NULL)
		ctl_client_free(g_ctl.clients);
	if (g_ctl.listener == NULL)
		return;
	evconnlistener_free(g_ctl.listener);
	g_ctl.listener = NULL;
	if (lstat(g_ctl.path, &sb) == 0 && sb.st_dev == g_ctl.dev &&
	    sb.st_ino == g_ctl.ino)
		unlink(g_ctl.path);
	g_ctl.path[0] = '\0';
}
