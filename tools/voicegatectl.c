/*
 * voicegatectl: send one command to a running voicegate over its control
 * socket and print the answer. The socket comes from -s, or from
 * [general] control_socket in CONFDIR/voicegate.conf (-c, default the
 * built-in configuration directory). Exit 0 when the command succeeded, 1
 * when it failed, 2 when the daemon could not be reached.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define CTL_TIMEOUT_S	30			/* wait for an answer */
#define CTL_MAX_ANSWER	(64 * 1024 * 1024)	/* bytes of answer */

#define EXIT_CMD_FAILED		1
#define EXIT_UNREACHABLE	2

/* Print how to use the tool. */
static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: voicegatectl [-c CONFDIR | -s SOCKET] [--json] "
	    "COMMAND...\n"
	    "  -c, --confdir DIR   read control_socket from DIR/voicegate.conf"
	    " (default %s)\n"
	    "  -s, --socket PATH   the daemon's control socket\n"
	    "  -j, --json          print the answer as JSON\n"
	    "  -h, --help          this text\n"
	    "\"voicegatectl help\" lists the daemon's commands.\n",
	    VG_CONF_DIR);
}

/* Report one configuration error on stderr. */
static void
ctl_conf_error(const struct vg_conf_error *err, void *arg)
{
	fprintf(stderr, "voicegatectl: %s:%d: %s\n", err->file, err->line,
	    err->message);
}

/* Find the socket path from CONFDIR/voicegate.conf into OUT. Returns 0, or
 * -1 when the file has errors. A missing file means the default. */
static int
ctl_socket_from_conf(const char *confdir, char *out, size_t size)
{
	struct vg_settings s;
	struct vg_conf *conf;
	char *path;
	int rc = 0;

	path = vg_asprintf("%s/voicegate.conf", confdir);
	vg_settings_defaults(&s);
	if (access(path, F_OK) == 0) {
		if ((conf = vg_conf_parse(path, ctl_conf_error, NULL)) == NULL)
			rc = -1;
		else {
			if (vg_settings_read(conf, &s, ctl_conf_error,
			    NULL) == -1)
				rc = -1;
			vg_conf_free(conf);
		}
	}
	free(path);
	vg_strlcpy(out, s.control_socket, size);
	return (rc);
}

/* Write all LEN bytes of BUF to FD. Returns 0 or -1. */
static int
ctl_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Connect to PATH. Returns the socket, or -1 (errno set). */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return (fd);
}

/* Read FD to EOF or the first newline into a new string. Returns new, or
 * NULL (errno set; ETIMEDOUT on timeout). */
static char *
ctl_read_answer(int fd)
{
	char *buf = NULL, *nl;
	size_t len = 0, size = 0;
	ssize_t n;

	for (;;) {
		if (len + 4096 + 1 > size) {
			if (size >= CTL_MAX_ANSWER) {
				errno = EMSGSIZE;
				goto fail;
			}
			size = size ? size * 2 : 8192;
			buf = vg_xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			goto fail;
		}
		if (n == 0)
			break;
		buf[len + (size_t)n] = '\0';
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL)
			break;
	}
	if (len == 0) {
		errno = ECONNRESET;
		goto fail;
	}
	buf[len] = '\0';
	return (buf);

fail:
	free(buf);
	return (NULL);
}

/* Run the tool. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req, *av, *ans = NULL, *v, *js;
	const char *confdir = VG_CONF_DIR, *sockpath = NULL, *s, *text;
	char path[256];
	char *line = NULL;
	size_t len;
	int ch, i, fd, want_json = 0, rc = EXIT_UNREACHABLE, ok;

	while ((ch = getopt_long(argc, argv, "+c:s:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			confdir = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 'j':
			want_json = 1;
			break;
		case 'h':
			ctl_usage(stdout);
			return (0);
		default:
			ctl_usage(stderr);
			return (EXIT_UNREACHABLE);
		}
	}
	argc -= optind;
	argv += optind;

	if (sockpath == NULL) {
		if (ctl_socket_from_conf(confdir, path, sizeof(path)) == -1) {
			fprintf(stderr, "voicegatectl: cannot read %s/"
			    "voicegate.conf\n", confdir);
			return (EXIT_UNREACHABLE);
		}
		sockpath = path;
	}

	req = json_object_new_object();
	av = json_object_new_array();
	for (i = 0; i < argc; i++)
		json_object_array_add(av, json_object_new_string(argv[i]));
	json_object_object_add(req, "argv", av);
	json_object_object_add(req, "json", json_object_new_boolean(want_json));
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN,
	    &len);

	if ((fd = ctl_connect(sockpath)) == -1) {
		fprintf(stderr, "voicegatectl: cannot reach the daemon at %s: "
		    "%s\n(is voicegate running? -s SOCKET or -c CONFDIR name "
		    "another socket)\n", sockpath, strerror(errno));
		goto out_req;
	}
	if (ctl_write_all(fd, s, len) == -1 || ctl_write_all(fd, "\n", 1) ==
	    -1) {
		fprintf(stderr, "voicegatectl: %s: send: %s\n", sockpath,
		    strerror(errno));
		goto out_fd;
	}
	if ((line = ctl_read_answer(fd)) == NULL) {
		if (errno == ETIMEDOUT)
			fprintf(stderr, "voicegatectl: %s: no answer within "
			    "%d s\n", sockpath, CTL_TIMEOUT_S);
		else
			fprintf(stderr, "voicegatectl: %s: no answer: %s\n",
			    sockpath, strerror(errno));
		goto out_fd;
	}
	if ((ans = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(ans, json_type_object) ||
	    !json_object_object_get_ex(ans, "ok", &v)) {
		fprintf(stderr, "voicegatectl: %s: malformed answer\n",
		    sockpath);
		goto out_fd;
	}
	ok = json_object_get_boolean(v);
	text = "";
	if (json_object_object_get_ex(ans, "text", &v) && v != NULL)
		text = json_object_get_string(v);
	if (want_json) {
		if (!json_object_object_get_ex(ans, "json", &js) || js == NULL)
			js = ans;
		printf("%s\n", json_object_to_json_string_ext(js,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		if (!ok)
			fputs(text, stderr);
	} else
		fputs(text, ok ? stdout : stderr);
	rc = ok ? 0 : EXIT_CMD_FAILED;

out_fd:
	close(fd);
out_req:
	json_object_put(ans);
	json_object_put(req);
	free(line);
	return (rc);
}
