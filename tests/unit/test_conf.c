/*
 * Tests for the configuration parser (core/conf.c) and the daemon settings
 * read from [general] (core/settings.c). Data files live in
 * tests/unit/conf/, found through $VG_TOP_SRCDIR; cases that need odd files
 * (long lines, NUL bytes, deep includes) write them under a mkdtemp folder.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <voicegate/conf.h>
#include <voicegate/log.h>
#include <voicegate/util.h>

#include "core.h"
#include "vg_test.h"

#define MAX_ERRS	64

/* Errors collected from one parse. */
struct errs {
	int			 n;
	struct vg_conf_error	 e[MAX_ERRS];
};

/* Keep each reported error (the err_fn under test). */
static void
collect(const struct vg_conf_error *err, void *arg)
{
	struct errs *es = arg;

	if (es->n < MAX_ERRS)
		es->e[es->n] = *err;
	es->n++;
}

/* Path of tests/unit/conf/NAME in the source tree (static buffer). */
static const char *
data(const char *name)
{
	static char buf[1024];
	const char *top = getenv("VG_TOP_SRCDIR");

	snprintf(buf, sizeof(buf), "%s/tests/unit/conf/%s",
	    top != NULL && *top != '\0' ? top : ".", name);
	return (buf);
}

/* True when S ends with SUFFIX. */
static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return (a >= b && strcmp(s + a - b, suffix) == 0);
}

/* True when ES holds an error in a file ending FILE, at LINE, saying FRAG. */
static int
has_err(const struct errs *es, const char *file, int line, const char *frag)
{
	int i;

	for (i = 0; i < es->n && i < MAX_ERRS; i++)
		if (ends_with(es->e[i].file, file) && es->e[i].line == line &&
		    strstr(es->e[i].message, frag) != NULL)
			return (1);
	fprintf(stderr, "  no error %s:%d \"%s\"; got %d:\n", file, line, frag,
	    es->n);
	for (i = 0; i < es->n && i < MAX_ERRS; i++)
		fprintf(stderr, "    %s:%d: %s\n", es->e[i].file, es->e[i].line,
		    es->e[i].message);
	return (0);
}

/* Write LEN bytes of TEXT to DIR/NAME; returns the path (static buffer). */
static const char *
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	static char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return (path);
	fwrite(text, 1, len, fp);
	fclose(fp);
	return (path);
}

/* Make a fresh temporary folder in BUF. */
static int
temp_dir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/vg-test-conf-XXXXXX");
	return (mkdtemp(buf) != NULL ? 0 : -1);
}

/* Remove DIR and the plain files in it. */
static void
remove_dir(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

/* Parse good.conf with the test variables set. */
static struct vg_conf *
parse_good(struct errs *es)
{
	setenv("VG_TEST_SET", "from-env", 1);
	unsetenv("VG_TEST_UNSET");
	memset(es, 0, sizeof(*es));
	return (vg_conf_parse(data("good.conf"), collect, es));
}

/* ---- good files ---- */

/* Sections come in file order, repeats included. */
static void
t_sections(void)
{
	const struct vg_conf_section *sec;
	const char *want[] = { "general", "routes", "child", "env", "general" };
	struct vg_conf *conf;
	struct errs es;
	size_t i = 0;

	conf = parse_good(&es);
	VG_CHECK(conf != NULL);
	VG_CHECK_INT(es.n, 0);
	if (conf == NULL)
		return;
	VG_CHECK(ends_with(vg_conf_path(conf), "tests/unit/conf/good.conf"));
	for (sec = vg_conf_next_section(conf, NULL); sec != NULL;
	    sec = vg_conf_next_section(conf, sec)) {
		if (i < VG_NELEM(want))
			VG_CHECK_STR(vg_conf_section_name(sec), want[i]);
		i++;
	}
	VG_CHECK_INT(i, VG_NELEM(want));
	VG_CHECK(vg_conf_section(conf, "nope") == NULL);
	/* vg_conf_section returns the first [general]. */
	sec = vg_conf_section(conf, "general");
	VG_CHECK(sec != NULL && sec == vg_conf_next_section(conf, NULL));
	vg_conf_free(conf);
}

/* Keys and values are trimmed; trailing comments dropped; file:line kept. */
static void
t_values(void)
{
	const struct vg_conf_entry *ent;
	struct vg_conf *conf;
	struct errs es;

	if ((conf = parse_good(&es)) == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	ent = vg_conf_next_entry(vg_conf_section(conf, "general"), NULL);
	VG_CHECK(ent != NULL);
	if (ent != NULL) {
		VG_CHECK_STR(vg_conf_entry_key(ent), "listen");
		VG_CHECK_STR(vg_conf_entry_value(ent), "127.0.0.1:6000");
		VG_CHECK(ends_with(vg_conf_entry_file(ent), "/good.conf"));
		VG_CHECK_INT(vg_conf_entry_line(ent), 4);
		VG_CHECK_INT(vg_conf_entry_is_object(ent), 0);
		ent = vg_conf_next_entry(vg_conf_section(conf, "general"), ent);
		VG_CHECK(ent != NULL);
	}
	if (ent != NULL) {
		VG_CHECK_STR(vg_conf_entry_key(ent), "name");
		VG_CHECK_STR(vg_conf_entry_value(ent), "spaced value");
	}
	VG_CHECK_STR(vg_conf_get(conf, "env", "blank"), "");
	VG_CHECK(vg_conf_get(conf, "general", "missing") == NULL);
	VG_CHECK(vg_conf_get(conf, "missing", "listen") == NULL);
	vg_conf_free(conf);
}

/* "\;" gives a literal semicolon; a bare ";" starts a comment. */
static void
t_escaped_semicolon(void)
{
	struct vg_conf *conf;
	struct errs es;

	if ((conf = parse_good(&es)) == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	VG_CHECK_STR(vg_conf_get(conf, "general", "semi"), "a;b;c");
	vg_conf_free(conf);
}

/* Repeated keys keep their order and form; includes join the section. */
static void
t_repeated_and_include(void)
{
	const char *want[] = { "/a", "/b", "/c", "/d", "/e" };
	const int obj[] = { 1, 1, 0, 1, 1 };
	const struct vg_conf_section *sec;
	const struct vg_conf_entry *ent;
	struct vg_conf *conf;
	struct errs es;
	size_t i = 0;

	if ((conf = parse_good(&es)) == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	sec = vg_conf_section(conf, "routes");
	for (ent = vg_conf_next_entry(sec, NULL); ent != NULL;
	    ent = vg_conf_next_entry(sec, ent)) {
		VG_CHECK_STR(vg_conf_entry_key(ent), "route");
		if (i < VG_NELEM(want)) {
			VG_CHECK_STR(vg_conf_entry_value(ent), want[i]);
			VG_CHECK_INT(vg_conf_entry_is_object(ent), obj[i]);
		}
		if (i == 3) {
			VG_CHECK(ends_with(vg_conf_entry_file(ent),
			    "conf/inc/child.conf"));
			VG_CHECK_INT(vg_conf_entry_line(ent), 2);
		}
		if (i == 4) {
			VG_CHECK(ends_with(vg_conf_entry_file(ent),
			    "conf/inc/nested.conf"));
			VG_CHECK_INT(vg_conf_entry_line(ent), 1);
		}
		i++;
	}
	VG_CHECK_INT(i, VG_NELEM(want));
	/* vg_conf_get: the last value, across repeated sections too. */
	VG_CHECK_STR(vg_conf_get(conf, "routes", "route"), "/e");
	VG_CHECK_STR(vg_conf_get(conf, "general", "name"), "last wins");
	VG_CHECK_STR(vg_conf_get(conf, "general", "extra"), "second general");
	VG_CHECK_STR(vg_conf_get(conf, "child", "from"), "child");
	vg_conf_free(conf);
}

/* ${VAR} and ${VAR:-default} come from the environment. */
static void
t_env(void)
{
	struct vg_conf *conf;
	struct errs es;

	if ((conf = parse_good(&es)) == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	VG_CHECK_STR(vg_conf_get(conf, "env", "set"), "from-env");
	VG_CHECK_STR(vg_conf_get(conf, "env", "dflt"), "fallback");
	VG_CHECK_STR(vg_conf_get(conf, "env", "empty"), "");
	VG_CHECK_STR(vg_conf_get(conf, "env", "mixed"), "pre-from-env-d-post");
	VG_CHECK_STR(vg_conf_get(conf, "env", "dollar"), "cost $5 and $ {x}");
	vg_conf_free(conf);

	/* A set variable wins over the default; an empty one does not. */
	setenv("VG_TEST_UNSET", "now-set", 1);
	memset(&es, 0, sizeof(es));
	conf = vg_conf_parse(data("good.conf"), collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK_STR(vg_conf_get(conf, "env", "dflt"), "now-set");
	vg_conf_free(conf);
	setenv("VG_TEST_UNSET", "", 1);
	conf = vg_conf_parse(data("good.conf"), collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK_STR(vg_conf_get(conf, "env", "dflt"), "fallback");
	vg_conf_free(conf);
	unsetenv("VG_TEST_UNSET");
}

/* An environment value is taken literally: no comments, no re-expansion. */
static void
t_env_literal(void)
{
	char dir[64];
	struct vg_conf *conf;
	struct errs es = { 0 };
	const char *path;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	setenv("VG_TEST_SET", "a;b ${HOME}", 1);
	path = write_file(dir, "t.conf", "[s]\nk = <${VG_TEST_SET}>\n", 24);
	conf = vg_conf_parse(path, collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK_STR(vg_conf_get(conf, "s", "k"), "<a;b ${HOME}>");
	vg_conf_free(conf);
	remove_dir(dir);
}

/* An empty file and a file of comments parse to an empty tree. */
static void
t_empty(void)
{
	char dir[64];
	struct vg_conf *conf;
	struct errs es = { 0 };
	const char *path;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	path = write_file(dir, "e.conf", "", 0);
	conf = vg_conf_parse(path, collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK(vg_conf_next_section(conf, NULL) == NULL);
	vg_conf_free(conf);
	path = write_file(dir, "c.conf", "; only\n   ; comments\r\n\n", 23);
	conf = vg_conf_parse(path, collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK(vg_conf_next_section(conf, NULL) == NULL);
	vg_conf_free(conf);
	/* No newline at the end, CRLF line ends. */
	path = write_file(dir, "n.conf", "[s]\r\nk = v\r\nlast = x", 20);
	conf = vg_conf_parse(path, collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK_STR(vg_conf_get(conf, "s", "k"), "v");
	VG_CHECK_STR(vg_conf_get(conf, "s", "last"), "x");
	vg_conf_free(conf);
	VG_CHECK_INT(es.n, 0);
	vg_conf_free(NULL);
	remove_dir(dir);
}

/* ---- errors ---- */

/* Every syntax error in one file is reported, with file and line. */
static void
t_errors_all_reported(void)
{
	struct vg_conf *conf;
	struct errs es = { 0 };
	const char *f = "conf/errors.conf";

	unsetenv("VG_TEST_UNSET");
	conf = vg_conf_parse(data("errors.conf"), collect, &es);
	VG_CHECK(conf == NULL);
	VG_CHECK(has_err(&es, f, 1, "outside any section"));
	VG_CHECK(has_err(&es, f, 1, "orphan"));
	VG_CHECK(has_err(&es, f, 3, "expected 'key = value'"));
	VG_CHECK(has_err(&es, f, 3, "this line has no equals"));
	VG_CHECK(has_err(&es, f, 4, "empty key"));
	VG_CHECK(has_err(&es, f, 5, "unterminated section header"));
	VG_CHECK(has_err(&es, f, 6, "empty section name"));
	VG_CHECK(has_err(&es, f, 7, "VG_TEST_UNSET is not set"));
	VG_CHECK(has_err(&es, f, 8, "malformed variable reference"));
	VG_CHECK(has_err(&es, f, 9, "unterminated '${VG_TEST_UNSET:-'"));
	VG_CHECK(has_err(&es, f, 10, "unknown directive '#bogus"));
	VG_CHECK(has_err(&es, f, 11, "does-not-exist.conf: cannot open"));
	VG_CHECK(has_err(&es, f, 13, "unexpected text after section"));
	VG_CHECK(has_err(&es, f, 14, "malformed variable reference"));
	VG_CHECK(has_err(&es, f, 15, "#include: no file name"));
	VG_CHECK_INT(es.n, 13);
}

/* A missing top file is reported through err_fn, not only logged. */
static void
t_missing_file(void)
{
	struct errs es = { 0 };

	VG_CHECK(vg_conf_parse("/nonexistent/vg/x.conf", collect, &es) ==
	    NULL);
	VG_CHECK_INT(es.n, 1);
	VG_CHECK(has_err(&es, "/nonexistent/vg/x.conf", 0, "cannot open"));
	VG_CHECK(has_err(&es, "/nonexistent/vg/x.conf", 0, "No such file"));
	/* A NULL err_fn is allowed: the result still says no. */
	VG_CHECK(vg_conf_parse("/nonexistent/vg/x.conf", NULL, NULL) == NULL);
	/* A folder is not a configuration file. */
	memset(&es, 0, sizeof(es));
	VG_CHECK(vg_conf_parse("/tmp", collect, &es) == NULL);
	VG_CHECK(has_err(&es, "/tmp", 0, "not a regular file"));
}

/* An include loop is found and named at the #include that closes it. */
static void
t_include_loop(void)
{
	struct errs es = { 0 };
	char dir[64];
	const char *path;

	VG_CHECK(vg_conf_parse(data("loop_a.conf"), collect, &es) == NULL);
	VG_CHECK_INT(es.n, 1);
	VG_CHECK(has_err(&es, "conf/loop_b.conf", 3, "#include loop"));
	VG_CHECK(has_err(&es, "conf/loop_b.conf", 3, "loop_a.conf"));

	/* A file that includes itself. */
	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	path = write_file(dir, "self.conf", "[s]\n\n#include self.conf\n", 24);
	memset(&es, 0, sizeof(es));
	VG_CHECK(vg_conf_parse(path, collect, &es) == NULL);
	VG_CHECK_INT(es.n, 1);
	VG_CHECK(has_err(&es, "/self.conf", 3, "#include loop"));
	remove_dir(dir);
}

/* Includes nest ten deep at most; the eleventh level is refused. */
static void
t_include_depth(void)
{
	struct errs es = { 0 };
	struct vg_conf *conf;
	char dir[64], name[32], text[64], top[1024];
	int i;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	/* d0 includes d1 ... d9 holds a key: ten files, allowed. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i == 9)
			snprintf(text, sizeof(text), "k = deep\n");
		else if (i == 0)
			snprintf(text, sizeof(text), "[s]\n#include d1.conf\n");
		else
			snprintf(text, sizeof(text), "#include d%d.conf\n",
			    i + 1);
		write_file(dir, name, text, strlen(text));
	}
	snprintf(top, sizeof(top), "%s/d0.conf", dir);
	conf = vg_conf_parse(top, collect, &es);
	VG_CHECK(conf != NULL);
	VG_CHECK_STR(vg_conf_get(conf, "s", "k"), "deep");
	vg_conf_free(conf);

	/* One more level: d9 includes d10, refused at d9.conf:1. */
	write_file(dir, "d9.conf", "#include d10.conf\n", 18);
	write_file(dir, "d10.conf", "k = too deep\n", 13);
	memset(&es, 0, sizeof(es));
	VG_CHECK(vg_conf_parse(top, collect, &es) == NULL);
	VG_CHECK_INT(es.n, 1);
	VG_CHECK(has_err(&es, "/d9.conf", 1, "nested too deeply"));
	remove_dir(dir);
}

/* A line over the cap is an error that names the line; the next is read. */
static void
t_long_line(void)
{
	struct errs es = { 0 };
	char dir[64], *text;
	const char *path;
	size_t n;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	n = 4 + 5000 + 8;
	text = malloc(n + 1);
	memcpy(text, "[s]\n", 4);
	memset(text + 4, 'x', 5000);
	memcpy(text + 4 + 5000, "\nbad ln\n", 9);
	path = write_file(dir, "long.conf", text, n);
	free(text);
	VG_CHECK(vg_conf_parse(path, collect, &es) == NULL);
	VG_CHECK_INT(es.n, 2);
	VG_CHECK(has_err(&es, "/long.conf", 2, "line longer than 4096"));
	VG_CHECK(has_err(&es, "/long.conf", 3, "expected 'key = value'"));
	remove_dir(dir);
}

/* A NUL byte in a line is refused. */
static void
t_nul_byte(void)
{
	struct errs es = { 0 };
	char dir[64];
	const char *path;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	path = write_file(dir, "nul.conf", "[s]\nk = a\0b\n", 12);
	VG_CHECK(vg_conf_parse(path, collect, &es) == NULL);
	VG_CHECK(has_err(&es, "/nul.conf", 2, "NUL byte"));
	remove_dir(dir);
}

/* A binary file stops being reported after a hundred errors. */
static void
t_error_cap(void)
{
	struct errs es = { 0 };
	char dir[64], text[1000];
	const char *path;
	int i;

	if (temp_dir(dir, sizeof(dir)) == -1) {
		VG_CHECK(!"mkdtemp");
		return;
	}
	for (i = 0; i < 300; i++)
		memcpy(text + i * 3, "x\n\n", 3);
	path = write_file(dir, "many.conf", text, 900);
	VG_CHECK(vg_conf_parse(path, collect, &es) == NULL);
	VG_CHECK_INT(es.n, 101);
	if (es.n == 101)
		VG_CHECK(strstr(es.e[63].message, "expected") != NULL);
	remove_dir(dir);
}

/* ---- typed getters ---- */

/* Run FN with stderr sent to a file; return what was written (static). */
static const char *
capture_stderr(void (*fn)(void *), void *arg)
{
	static char out[4096];
	char path[] = "/tmp/vg-test-conf-log-XXXXXX";
	int fd, saved;
	ssize_t n;

	out[0] = '\0';
	if ((fd = mkstemp(path)) == -1)
		return (out);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return (out);
}

/* Booleans: the six words, any case; anything else is an error. */
static void
t_get_bool(void)
{
	struct errs es = { 0 };
	struct vg_conf *conf;
	int b;

	conf = vg_conf_parse(data("types.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	b = -1;
	VG_CHECK_INT(vg_conf_get_bool(conf, "t", "yes", &b), 0);
	VG_CHECK_INT(b, 1);
	VG_CHECK_INT(vg_conf_get_bool(conf, "t", "off", &b), 0);
	VG_CHECK_INT(b, 0);
	VG_CHECK_INT(vg_conf_get_bool(conf, "t", "one", &b), 0);
	VG_CHECK_INT(b, 1);
	b = 7;
	VG_CHECK_INT(vg_conf_get_bool(conf, "t", "absent", &b), 0);
	VG_CHECK_INT(b, 7);
	VG_CHECK_INT(vg_conf_get_bool(conf, "t", "bad_bool", &b), -1);
	VG_CHECK_INT(b, 7);
	vg_conf_free(conf);
}

/* Integers: range checked, overflow and trailing junk refused. */
static void
t_get_int(void)
{
	struct errs es = { 0 };
	struct vg_conf *conf;
	long long v;

	conf = vg_conf_parse(data("types.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	v = 0;
	VG_CHECK_INT(vg_conf_get_int(conf, "t", "int", -100, 100, &v), 0);
	VG_CHECK_INT(v, -42);
	VG_CHECK_INT(vg_conf_get_int(conf, "t", "int", 0, 100, &v), -1);
	VG_CHECK_INT(vg_conf_get_int(conf, "t", "big", 0, 1LL << 62, &v), -1);
	VG_CHECK_INT(vg_conf_get_int(conf, "t", "notint", 0, 100, &v), -1);
	VG_CHECK_INT(v, -42);
	v = 5;
	VG_CHECK_INT(vg_conf_get_int(conf, "t", "absent", 0, 1, &v), 0);
	VG_CHECK_INT(v, 5);
	vg_conf_free(conf);
}

/* Sizes: k/m suffixes, 1024-based; negatives and junk refused. */
static void
t_get_size(void)
{
	struct errs es = { 0 };
	struct vg_conf *conf;
	size_t v;

	conf = vg_conf_parse(data("types.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	v = 0;
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "size", 0, SIZE_MAX, &v), 0);
	VG_CHECK_INT(v, 65536);
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "sizem", 0, SIZE_MAX, &v), 0);
	VG_CHECK_INT(v, 2 * 1024 * 1024);
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "bytes", 0, SIZE_MAX, &v), 0);
	VG_CHECK_INT(v, 100);
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "bytes", 101, 200, &v), -1);
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "badsize", 0, SIZE_MAX, &v),
	    -1);
	VG_CHECK_INT(vg_conf_get_size(conf, "t", "neg", 0, SIZE_MAX, &v), -1);
	VG_CHECK_INT(v, 100);
	vg_conf_free(conf);
}

/* Call the bad getters once (for capture_stderr). */
static void
bad_getters(void *arg)
{
	struct vg_conf *conf = arg;
	long long v;
	size_t sz;
	int b;

	vg_conf_get_bool(conf, "t", "bad_bool", &b);
	vg_conf_get_int(conf, "t", "notint", 0, 100, &v);
	vg_conf_get_size(conf, "t", "badsize", 0, 100, &sz);
}

/* A bad typed value is logged with the file and line of its entry. */
static void
t_get_logs_location(void)
{
	struct errs es = { 0 };
	struct vg_conf *conf;
	const char *log;

	conf = vg_conf_parse(data("types.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	vg_log_set_level(VG_LOG_NOTICE);
	log = capture_stderr(bad_getters, conf);
	VG_CHECK(strstr(log, "conf/types.conf:6: [t] bad_bool = 'maybe'") !=
	    NULL);
	VG_CHECK(strstr(log, "conf/types.conf:9: [t] notint = '12x'") != NULL);
	VG_CHECK(strstr(log, "conf/types.conf:13: [t] badsize = '5q'") !=
	    NULL);
	VG_CHECK(strstr(log, "ERROR") != NULL);
	vg_conf_free(conf);
}

/* ---- settings ---- */

/* The defaults, and vg_settings() before any vg_settings_set(). */
static void
t_settings_defaults(void)
{
	struct vg_settings s;

	vg_settings_defaults(&s);
	VG_CHECK_STR(s.listen_addr, "127.0.0.1");
	VG_CHECK_INT(s.listen_port, 5050);
	VG_CHECK_STR(s.public_url, "http://127.0.0.1:5050");
	VG_CHECK_INT(s.log_level, VG_LOG_NOTICE);
	VG_CHECK_STR(s.log_target, "stderr");
	VG_CHECK_STR(s.control_socket, "/run/voicegate/voicegate.ctl");
	VG_CHECK_INT(s.max_body, 1024 * 1024);
	VG_CHECK_INT(s.max_ws_message, 256 * 1024);
	VG_CHECK_INT(s.max_send_queue, 1024 * 1024);
	VG_CHECK_INT(s.shutdown_grace_s, 30);
	VG_CHECK_STR(s.module_dir, "");
	VG_CHECK(memcmp(vg_settings(), &s, sizeof(s)) == 0);
	/* No [general] at all: defaults, no error. */
	VG_CHECK_INT(vg_settings_read(NULL, &s, collect, NULL), 0);
	VG_CHECK_INT(s.listen_port, 5050);
}

/* Every key read from a file. */
static void
t_settings_all_keys(void)
{
	struct errs es = { 0 };
	struct vg_settings s;
	struct vg_conf *conf;

	conf = vg_conf_parse(data("settings_all.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	VG_CHECK_INT(vg_settings_read(conf, &s, collect, &es), 0);
	VG_CHECK_INT(es.n, 0);
	VG_CHECK_STR(s.listen_addr, "::1");
	VG_CHECK_INT(s.listen_port, 0);
	VG_CHECK_STR(s.public_url, "https://voice.example.com");
	VG_CHECK_INT(s.log_level, VG_LOG_DEBUG);
	VG_CHECK_STR(s.log_target, "syslog");
	VG_CHECK_STR(s.control_socket, "/tmp/vg-test.ctl");
	VG_CHECK_INT(s.max_body, 64 * 1024);
	VG_CHECK_INT(s.max_ws_message, 2 * 1024 * 1024);
	VG_CHECK_INT(s.max_send_queue, 8192);
	VG_CHECK_INT(s.shutdown_grace_s, 5);
	VG_CHECK_STR(s.module_dir, "/opt/vg/modules");
	/* net_backend = poll, obsolete, was accepted: es.n is 0 */

	/* vg_settings_set makes them the settings in force. */
	vg_settings_set(&s);
	VG_CHECK_INT(vg_settings()->listen_port, 0);
	vg_settings_defaults(&s);
	vg_settings_set(&s);
	VG_CHECK_INT(vg_settings()->listen_port, 5050);
	vg_conf_free(conf);
}

/* Read one [general] line TEXT; returns what vg_settings_read said. */
static int
settings_one(const char *text, struct vg_settings *s, struct errs *es)
{
	char dir[64], buf[512];
	struct vg_conf *conf;
	const char *path;
	int rc = -2;

	if (temp_dir(dir, sizeof(dir)) == -1)
		return (-2);
	snprintf(buf, sizeof(buf), "[other]\nx = y\n[general]\n%s\n", text);
	path = write_file(dir, "vg.conf", buf, strlen(buf));
	memset(es, 0, sizeof(*es));
	if ((conf = vg_conf_parse(path, collect, es)) != NULL) {
		rc = vg_settings_read(conf, s, collect, es);
		vg_conf_free(conf);
	}
	remove_dir(dir);
	return (rc);
}

/* Listen address forms: IPv4, [IPv6], host name, port 0. */
static void
t_settings_listen(void)
{
	struct vg_settings s;
	struct errs es;

	VG_CHECK_INT(settings_one("listen = 0.0.0.0:8080", &s, &es), 0);
	VG_CHECK_STR(s.listen_addr, "0.0.0.0");
	VG_CHECK_INT(s.listen_port, 8080);
	VG_CHECK_INT(settings_one("listen = [::1]:5050", &s, &es), 0);
	VG_CHECK_STR(s.listen_addr, "::1");
	VG_CHECK_INT(s.listen_port, 5050);
	VG_CHECK_INT(settings_one("listen = localhost:0", &s, &es), 0);
	VG_CHECK_STR(s.listen_addr, "localhost");
	VG_CHECK_INT(s.listen_port, 0);
	VG_CHECK_INT(settings_one("listen => 127.0.0.1:1", &s, &es), 0);
	VG_CHECK_INT(s.listen_port, 1);
	VG_CHECK_INT(settings_one("public_url = http://h:1/x/", &s, &es), 0);
	VG_CHECK_STR(s.public_url, "http://h:1/x");
	VG_CHECK_INT(settings_one("log_level = WARN", &s, &es), 0);
	VG_CHECK_INT(s.log_level, VG_LOG_WARN);
	VG_CHECK_INT(settings_one("log_level = error", &s, &es), 0);
	VG_CHECK_INT(s.log_level, VG_LOG_ERROR);
	VG_CHECK_INT(settings_one("max_body = 1048576", &s, &es), 0);
	VG_CHECK_INT(s.max_body, 1048576);
	VG_CHECK_INT(settings_one("shutdown_grace = 0", &s, &es), 0);
	VG_CHECK_INT(s.shutdown_grace_s, 0);
	VG_CHECK_INT(settings_one("module_dir = ", &s, &es), 0);
	VG_CHECK_STR(s.module_dir, "");
}

/* One bad value: rc -1, one error at vg.conf:4 containing FRAG. */
static int
settings_bad_one(const char *text, const char *frag)
{
	struct vg_settings s;
	struct errs es;

	if (settings_one(text, &s, &es) != -1) {
		fprintf(stderr, "  '%s' was accepted\n", text);
		return (0);
	}
	return (es.n == 1 && has_err(&es, "/vg.conf", 4, frag));
}

/* Each bad value, one at a time, with a message that says why. */
static void
t_settings_bad_values(void)
{
	char longv[301];

	memset(longv, 'd', 300);
	longv[300] = '\0';
	setenv("VG_TEST_LONG", longv, 1);
	VG_CHECK(settings_bad_one("listen = 127.0.0.1", "address:port"));
	VG_CHECK(settings_bad_one("listen = ::1:5050", "in brackets"));
	VG_CHECK(settings_bad_one("listen = [::1]5050", "[address]:port"));
	VG_CHECK(settings_bad_one("listen = [nope]:1", "not an IPv6"));
	VG_CHECK(settings_bad_one("listen = :5050", "address:port"));
	VG_CHECK(settings_bad_one("listen = a b:5050", "not an address"));
	VG_CHECK(settings_bad_one("listen = 127.0.0.1:70000", "0 to 65535"));
	VG_CHECK(settings_bad_one("listen = 127.0.0.1:-1", "0 to 65535"));
	VG_CHECK(settings_bad_one("listen = 127.0.0.1:", "0 to 65535"));
	VG_CHECK(settings_bad_one("public_url = ftp://x", "http://"));
	VG_CHECK(settings_bad_one("public_url = 127.0.0.1:5050", "http://"));
	VG_CHECK(settings_bad_one("public_url = https://", "no host"));
	VG_CHECK(settings_bad_one("public_url = http://a b", "white space"));
	VG_CHECK(settings_bad_one("log_level = loud", "expected error, warn"));
	VG_CHECK(settings_bad_one("log_target = file", "stderr or syslog"));
	VG_CHECK(settings_bad_one("control_socket = ", "empty path"));
	VG_CHECK(settings_bad_one("control_socket = /tmp/aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.ctl", "Unix socket"));
	VG_CHECK(settings_bad_one("max_body = lots", "expected a size"));
	VG_CHECK(settings_bad_one("max_body = 10", "expected a size"));
	VG_CHECK(settings_bad_one("max_body = 2g", "expected a size"));
	VG_CHECK(settings_bad_one("max_ws_message = 1t", "expected a size"));
	VG_CHECK(settings_bad_one("max_ws_message = -1k", "expected a size"));
	VG_CHECK(settings_bad_one("max_send_queue = 10", "expected a size"));
	VG_CHECK(settings_bad_one("shutdown_grace = -1", "0 to 3600"));
	VG_CHECK(settings_bad_one("shutdown_grace = 1h", "0 to 3600"));
	VG_CHECK(settings_bad_one("shutdown_grace = 3601", "0 to 3600"));
	VG_CHECK(settings_bad_one("module_dir = /x/${VG_TEST_LONG}",
	    "longer than"));
	VG_CHECK(settings_bad_one("colour = blue", "unknown key 'colour'"));
}

/* A whole bad file: every error reported at its line, others ignored. */
static void
t_settings_bad_file(void)
{
	struct errs es = { 0 };
	struct vg_settings s;
	struct vg_conf *conf;
	const char *f = "conf/settings_bad.conf";
	int i;

	conf = vg_conf_parse(data("settings_bad.conf"), collect, &es);
	if (conf == NULL) {
		VG_CHECK(conf != NULL);
		return;
	}
	VG_CHECK_INT(vg_settings_read(conf, &s, collect, &es), -1);
	for (i = 2; i <= 14; i++)
		VG_CHECK(has_err(&es, f, i, "'"));
	VG_CHECK(has_err(&es, f, 3, "listen = '::1:5050'"));
	VG_CHECK(has_err(&es, f, 14, "unknown key 'colour' in [general]"));
	VG_CHECK_INT(es.n, 13);
	vg_conf_free(conf);
}

static const struct vg_test cases[] = {
	{ "conf/sections_in_order",		t_sections },
	{ "conf/values_trimmed_with_location",	t_values },
	{ "conf/escaped_semicolon",		t_escaped_semicolon },
	{ "conf/repeated_keys_and_includes",	t_repeated_and_include },
	{ "conf/env_expansion",			t_env },
	{ "conf/env_value_literal",		t_env_literal },
	{ "conf/empty_and_crlf",		t_empty },
	{ "conf/errors_all_reported",		t_errors_all_reported },
	{ "conf/missing_file_reported",		t_missing_file },
	{ "conf/include_loop",			t_include_loop },
	{ "conf/include_depth_capped",		t_include_depth },
	{ "conf/long_line",			t_long_line },
	{ "conf/nul_byte",			t_nul_byte },
	{ "conf/error_cap",			t_error_cap },
	{ "conf/get_bool",			t_get_bool },
	{ "conf/get_int",			t_get_int },
	{ "conf/get_size",			t_get_size },
	{ "conf/get_logs_file_line",		t_get_logs_location },
	{ "settings/defaults",			t_settings_defaults },
	{ "settings/all_keys",			t_settings_all_keys },
	{ "settings/good_values",		t_settings_listen },
	{ "settings/bad_values",		t_settings_bad_values },
	{ "settings/bad_file",			t_settings_bad_file },
};
VG_TEST_MAIN(cases)
