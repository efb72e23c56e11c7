/*
 * The INI parser behind voicegate.conf, modules.conf and every module's
 * <module>.conf: Asterisk syntax ("[section]", "key = value",
 * "key => value", ";" comments with "\;" for a literal semicolon,
 * "#include file"), plus ${VAR} and ${VAR:-default} from the environment.
 * A parse builds a read-only tree; every error is reported with file and
 * line and parsing goes on, so one run shows them all. Core thread.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <voicegate/conf.h>
#include <voicegate/log.h>
#include <voicegate/util.h>

#include "core.h"

#define CONF_LINE_MAX		4096	/* bytes in one line, without "\n" */
#define CONF_VALUE_MAX		65536	/* bytes in one value after ${} */
#define CONF_INCLUDE_DEPTH	10	/* nested #include levels */
#define CONF_ERRORS_MAX		100	/* reported before giving up */

/* A file name entries point at; the conf owns it. */
struct conf_file {
	char			*path;
	struct conf_file	*next;
};

struct vg_conf_entry {
	char			*key;
	char			*value;
	const char		*file;		/* borrowed from the conf */
	int			 line;
	int			 is_object;	/* "=>" */
	struct vg_conf_entry	*next;
};

struct vg_conf_section {
	char			*name;
	struct vg_conf_entry	*first;
	struct vg_conf_entry	*last;
	struct vg_conf_section	*next;
};

struct vg_conf {
	char			*path;
	struct vg_conf_section	*first;
	struct vg_conf_section	*last;
	struct conf_file	*files;
};

/* One parse in progress: the tree being built, the include stack. */
struct conf_parse {
	struct vg_conf		*conf;
	vg_conf_error_fn	 err_fn;
	void			*arg;
	unsigned		 nerrors;
	struct vg_conf_section	*cur;		/* section entries go to */
	char			*stack[CONF_INCLUDE_DEPTH + 1];	/* realpaths */
	int			 depth;
};

static int	conf_read_file(struct conf_parse *, const char *, const char *,
		    int);

/* Report one error at FILE:LINE through the caller's callback. */
static void __attribute__((format(printf, 4, 5)))
conf_error(struct conf_parse *p, const char *file, int line,
    const char *fmt, ...)
{
	struct vg_conf_error err;
	va_list ap;

	p->nerrors++;
	if (p->nerrors > CONF_ERRORS_MAX + 1)
		return;
	memset(&err, 0, sizeof(err));
	vg_strlcpy(err.file, file, sizeof(err.file));
	err.line = line;
	if (p->nerrors == CONF_ERRORS_MAX + 1)
		snprintf(err.message, sizeof(err.message),
		    "too many errors (%d), not reporting more",
		    CONF_ERRORS_MAX);
	else {
		va_start(ap, fmt);
		vsnprintf(err.message, sizeof(err.message), fmt, ap);
		va_end(ap);
	}
	if (p->err_fn != NULL)
		p->err_fn(&err, p->arg);
}

/* Return the conf's copy of PATH, adding it on first use. */
static const char *
conf_file_name(struct vg_conf *conf, const char *path)
{
	struct conf_file *f;

	for (f = conf->files; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			return (f->path);
	f = vg_xcalloc(1, sizeof(*f));
	f->path = vg_xstrdup(path);
	f->next = conf->files;
	conf->files = f;
	return (f->path);
}

/* Trim white space from both ends of S, in place; returns the new start. */
static char *
conf_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
	    *s == '\v')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\f' || end[-1] == '\v'))
		end--;
	*end = '\0';
	return (s);
}

/* Cut LINE at its first unescaped ";" and turn "\;" into ";", in place. */
static void
conf_strip_comment(char *line)
{
	char *r, *w;

	for (r = w = line; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] == ';') {
			*w++ = ';';
			r++;
		} else if (*r == ';')
			break;
		else
			*w++ = *r;
	}
	*w = '\0';
}

/* Append LEN bytes of S to the growing buffer *BUF; -1 past the cap. */
static int
conf_append(char **buf, size_t *len, size_t *size, const char *s, size_t n)
{
	if (*len + n + 1 > CONF_VALUE_MAX)
		return (-1);
	if (*len + n + 1 > *size) {
		while (*len + n + 1 > *size)
			*size *= 2;
		*buf = vg_xrealloc(*buf, *size);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return (0);
}

/*
 * Expand ${VAR} and ${VAR:-default} in IN. ":-" gives DEFAULT when VAR is
 * unset or empty, as in sh. Returns new, or NULL after reporting an error.
 */
static char *
conf_expand(struct conf_parse *p, const char *file, int line, const char *in)
{
	const char *s = in, *name, *end, *val, *def;
	size_t len = 0, size = 64, nlen;
	char *buf, var[256];
	int bad = 0;

	buf = vg_xmalloc(size);
	buf[0] = '\0';
	while (*s != '\0') {
		if (s[0] != '$' || s[1] != '{') {
			end = s + 1;
			while (*end != '\0' && *end != '$')
				end++;
			if (conf_append(&buf, &len, &size, s, end - s) == -1)
				goto too_long;
			s = end;
			continue;
		}
		name = s + 2;
		end = name;
		if ((*end >= 'A' && *end <= 'Z') ||
		    (*end >= 'a' && *end <= 'z') || *end == '_') {
			while ((*end >= 'A' && *end <= 'Z') ||
			    (*end >= 'a' && *end <= 'z') ||
			    (*end >= '0' && *end <= '9') || *end == '_')
				end++;
		}
		nlen = end - name;
		if (nlen == 0 || nlen >= sizeof(var) ||
		    (*end != '}' && !(end[0] == ':' && end[1] == '-'))) {
			conf_error(p, file, line, "malformed variable "
			    "reference '%.40s': expected ${NAME} or "
			    "${NAME:-default}", s);
			bad = 1;
			break;
		}
		memcpy(var, name, nlen);
		var[nlen] = '\0';
		val = getenv(var);
		if (*end == '}') {
			if (val == NULL) {
				conf_error(p, file, line, "environment "
				    "variable %s is not set (use ${%s:-} to "
				    "allow that)", var, var);
				bad = 1;
				val = "";
			}
			s = end + 1;
		} else {
			def = end + 2;
			if ((end = strchr(def, '}')) == NULL) {
				conf_error(p, file, line, "unterminated "
				    "'${%s:-': missing '}'", var);
				bad = 1;
				break;
			}
			if (val == NULL || *val == '\0') {
				if (conf_append(&buf, &len, &size, def,
				    end - def) == -1)
					goto too_long;
				val = "";
			}
			s = end + 1;
		}
		if (conf_append(&buf, &len, &size, val, strlen(val)) == -1)
			goto too_long;
	}
	if (bad) {
		free(buf);
		return (NULL);
	}
	return (buf);

too_long:
	conf_error(p, file, line, "value longer than %d bytes after "
	    "expansion", CONF_VALUE_MAX);
	free(buf);
	return (NULL);
}

/* Start a new section called NAME at the end of the conf. */
static void
conf_add_section(struct conf_parse *p, const char *name)
{
	struct vg_conf_section *sec;

	sec = vg_xcalloc(1, sizeof(*sec));
	sec->name = vg_xstrdup(name);
	if (p->conf->last != NULL)
		p->conf->last->next = sec;
	else
		p->conf->first = sec;
	p->conf->last = sec;
	p->cur = sec;
}

/* Add an entry to the current section. Takes VALUE. */
static void
conf_add_entry(struct conf_parse *p, const char *file, int line,
    const char *key, char *value, int is_object)
{
	struct vg_conf_entry *ent;

	ent = vg_xcalloc(1, sizeof(*ent));
	ent->key = vg_xstrdup(key);
	ent->value = value;
	ent->file = conf_file_name(p->conf, file);
	ent->line = line;
	ent->is_object = is_object;
	if (p->cur->last != NULL)
		p->cur->last->next = ent;
	else
		p->cur->first = ent;
	p->cur->last = ent;
}

/* Handle "#include file" or "#include "file"" found in FILE at LINE. */
static void
conf_include(struct conf_parse *p, const char *file, int line, char *arg)
{
	char *name, *q, *path;
	const char *slash;

	name = conf_trim(arg);
	if (*name == '"') {
		name++;
		if ((q = strchr(name, '"')) == NULL) {
			conf_error(p, file, line, "#include: missing closing "
			    "'\"'");
			return;
		}
		if (*conf_trim(q + 1) != '\0') {
			conf_error(p, file, line, "#include: unexpected text "
			    "after the closing '\"'");
			return;
		}
		*q = '\0';
	}
	if (*name == '\0') {
		conf_error(p, file, line, "#include: no file name");
		return;
	}
	if (*name == '/' || (slash = strrchr(file, '/')) == NULL)
		path = vg_xstrdup(name);
	else
		path = vg_asprintf("%.*s/%s", (int)(slash - file), file, name);
	conf_read_file(p, path, file, line);
	free(path);
}

/* Parse one line (no newline) of FILE, numbered LINE. */
static void
conf_line(struct conf_parse *p, const char *file, int line, char *buf)
{
	char *s, *end, *key, *eq, *value;
	int is_object = 0;

	conf_strip_comment(buf);
	s = conf_trim(buf);
	if (*s == '\0')
		return;

	if (*s == '#') {
		if (strncmp(s, "#include", 8) == 0 &&
		    (s[8] == ' ' || s[8] == '\t' || s[8] == '"' ||
		    s[8] == '\0')) {
			conf_include(p, file, line, s + 8);
			return;
		}
		conf_error(p, file, line, "unknown directive '%.40s' (only "
		    "#include is known; comments start with ';')", s);
		return;
	}

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			conf_error(p, file, line, "unterminated section "
			    "header: missing ']'");
			return;
		}
		if (*conf_trim(end + 1) != '\0') {
			conf_error(p, file, line, "unexpected text after "
			    "section header ']'");
			return;
		}
		*end = '\0';
		s = conf_trim(s + 1);
		if (*s == '\0') {
			conf_error(p, file, line, "empty section name");
			return;
		}
		conf_add_section(p, s);
		return;
	}

	if ((eq = strchr(s, '=')) == NULL) {
		conf_error(p, file, line, "expected 'key = value', "
		    "'key => value', '[section]' or '#include', got "
		    "'%.40s'", s);
		return;
	}
	*eq = '\0';
	value = eq + 1;
	if (*value == '>') {
		is_object = 1;
		value++;
	}
	key = conf_trim(s);
	value = conf_trim(value);
	if (*key == '\0') {
		conf_error(p, file, line, "empty key before '%s'",
		    is_object ? "=>" : "=");
		return;
	}
	if (p->cur == NULL) {
		conf_error(p, file, line, "key '%.40s' outside any section: "
		    "put a [section] line first", key);
		return;
	}
	if ((value = conf_expand(p, file, line, value)) == NULL)
		return;
	conf_add_entry(p, file, line, key, value, is_object);
}

/*
 * Read PATH and parse each line. FROM and FROM_LINE name the #include that
 * asked for it (NULL for the top file). Returns 0, or -1 if PATH could not
 * be read (reported).
 */
static int
conf_read_file(struct conf_parse *p, const char *path, const char *from,
    int from_line)
{
	char buf[CONF_LINE_MAX + 1], *real;
	const char *efile = from != NULL ? from : path;
	int eline = from != NULL ? from_line : 0;
	int c, i, line = 0, too_long, nul;
	size_t len;
	struct stat st;
	FILE *fp;

	if (p->depth >= CONF_INCLUDE_DEPTH) {
		conf_error(p, efile, eline, "#include %s: includes nested "
		    "too deeply (more than %d levels)", path,
		    CONF_INCLUDE_DEPTH);
		return (-1);
	}
	if ((fp = fopen(path, "r")) == NULL) {
		conf_error(p, efile, eline, "%s%s: cannot open: %s",
		    from != NULL ? "#include " : "", path, strerror(errno));
		return (-1);
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_error(p, efile, eline, "%s%s: not a regular file",
		    from != NULL ? "#include " : "", path);
		goto fail_fp;
	}
	if ((real = realpath(path, NULL)) == NULL) {
		conf_error(p, efile, eline, "%s%s: %s",
		    from != NULL ? "#include " : "", path, strerror(errno));
		goto fail_fp;
	}
	for (i = 0; i < p->depth; i++) {
		if (strcmp(p->stack[i], real) == 0) {
			conf_error(p, efile, eline, "#include loop: %s "
			    "includes %s, which is already being read", efile,
			    path);
			goto fail_real;
		}
	}
	p->stack[p->depth++] = real;

	for (;;) {
		len = 0;
		too_long = nul = 0;
		while ((c = getc(fp)) != EOF && c != '\n') {
			if (c == '\0')
				nul = 1;
			if (len < CONF_LINE_MAX)
				buf[len++] = (char)c;
			else
				too_long = 1;
		}
		if (c == EOF && len == 0 && !too_long)
			break;
		line++;
		buf[len] = '\0';
		if (too_long)
			conf_error(p, path, line, "line longer than %d bytes",
			    CONF_LINE_MAX);
		else if (nul)
			conf_error(p, path, line, "NUL byte in line");
		else
			conf_line(p, path, line, buf);
		if (c == EOF)
			break;
	}
	if (ferror(fp))
		conf_error(p, path, line, "read error: %s", strerror(errno));

	p->depth--;
	free(real);
	fclose(fp);
	return (0);

fail_real:
	free(real);
fail_fp:
	fclose(fp);
	return (-1);
}

/* Parse PATH; see conf.h. */
struct vg_conf *
vg_conf_parse(const char *path, vg_conf_error_fn err_fn, void *arg)
{
	struct conf_parse p;

	memset(&p, 0, sizeof(p));
	p.err_fn = err_fn;
	p.arg = arg;
	p.conf = vg_xcalloc(1, sizeof(*p.conf));
	p.conf->path = vg_xstrdup(path);
	conf_read_file(&p, path, NULL, 0);
	if (p.nerrors > 0) {
		vg_conf_free(p.conf);
		return (NULL);
	}
	return (p.conf);
}

/* Free CONF and all it holds. */
void
vg_conf_free(struct vg_conf *conf)
{
	struct vg_conf_section *sec, *nsec;
	struct vg_conf_entry *ent, *nent;
	struct conf_file *f, *nf;

	if (conf == NULL)
		return;
	for (sec = conf->first; sec != NULL; sec = nsec) {
		nsec = sec->next;
		for (ent = sec->first; ent != NULL; ent = nent) {
			nent = ent->next;
			free(ent->key);
			free(ent->value);
			free(ent);
		}
		free(sec->name);
		free(sec);
	}
	for (f = conf->files; f != NULL; f = nf) {
		nf = f->next;
		free(f->path);
		free(f);
	}
	free(conf->path);
	free(conf);
}

/* The path CONF was parsed from. */
const char *
vg_conf_path(const struct vg_conf *conf)
{
	return (conf->path);
}

/* The section after PREV (the first when PREV is NULL). */
const struct vg_conf_section *
vg_conf_next_section(const struct vg_conf *conf,
    const struct vg_conf_section *prev)
{
	if (prev == NULL)
		return (conf != NULL ? conf->first : NULL);
	return (prev->next);
}

/* The first section called NAME. */
const struct vg_conf_section *
vg_conf_section(const struct vg_conf *conf, const char *name)
{
	const struct vg_conf_section *sec;

	if (conf == NULL)
		return (NULL);
	for (sec = conf->first; sec != NULL; sec = sec->next)
		if (strcmp(sec->name, name) == 0)
			return (sec);
	return (NULL);
}

/* The name of SEC. */
const char *
vg_conf_section_name(const struct vg_conf_section *sec)
{
	return (sec->name);
}

/* The entry after PREV in SEC (the first when PREV is NULL). */
const struct vg_conf_entry *
vg_conf_next_entry(const struct vg_conf_section *sec,
    const struct vg_conf_entry *prev)
{
	if (prev == NULL)
		return (sec != NULL ? sec->first : NULL);
	return (prev->next);
}

/* The key of ENT. */
const char *
vg_conf_entry_key(const struct vg_conf_entry *ent)
{
	return (ent->key);
}

/* The expanded value of ENT. */
const char *
vg_conf_entry_value(const struct vg_conf_entry *ent)
{
	return (ent->value);
}

/* The file ENT was read from. */
const char *
vg_conf_entry_file(const struct vg_conf_entry *ent)
{
	return (ent->file);
}

/* The line ENT was read from. */
int
vg_conf_entry_line(const struct vg_conf_entry *ent)
{
	return (ent->line);
}

/* True when ENT was written with "=>". */
int
vg_conf_entry_is_object(const struct vg_conf_entry *ent)
{
	return (ent->is_object);
}

/* The last entry KEY in any section called SECTION, or NULL. */
static const struct vg_conf_entry *
conf_find(const struct vg_conf *conf, const char *section, const char *key)
{
	const struct vg_conf_section *sec;
	const struct vg_conf_entry *ent, *found = NULL;

	if (conf == NULL)
		return (NULL);
	for (sec = conf->first; sec != NULL; sec = sec->next) {
		if (strcmp(sec->name, section) != 0)
			continue;
		for (ent = sec->first; ent != NULL; ent = ent->next)
			if (strcmp(ent->key, key) == 0)
				found = ent;
	}
	return (found);
}

/* The last value of KEY in SECTION. */
const char *
vg_conf_get(const struct vg_conf *conf, const char *section, const char *key)
{
	const struct vg_conf_entry *ent;

	ent = conf_find(conf, section, key);
	return (ent != NULL ? ent->value : NULL);
}

/* Parse a boolean word: 1 or 0 in *OUT and return 0, or -1. */
int
vg_conf_bool_parse(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < VG_NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (-1);
}

/* Parse a decimal integer in [MIN, MAX] into *OUT; returns 0 or -1. */
int
vg_conf_int_parse(const char *s, long long min, long long max,
    long long *out)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* Parse a size ("4096", "64k", "1m", "1g"; 1024-based) in [MIN, MAX]. */
int
vg_conf_size_parse(const char *s, size_t min, size_t max, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return (-1);
	switch (*end) {
	case 'k': case 'K':
		mult = 1024ULL;
		end++;
		break;
	case 'm': case 'M':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'g': case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	}
	if (*end != '\0' || v > SIZE_MAX / mult)
		return (-1);
	v *= mult;
	if (v < min || v > max)
		return (-1);
	*out = (size_t)v;
	return (0);
}

/* KEY in SECTION as a boolean; see conf.h. */
int
vg_conf_get_bool(const struct vg_conf *conf, const char *section,
    const char *key, int *out)
{
	const struct vg_conf_entry *ent;

	if ((ent = conf_find(conf, section, key)) == NULL)
		return (0);
	if (vg_conf_bool_parse(ent->value, out) == -1) {
		vg_log(VG_LOG_ERROR, "%s:%d: [%s] %s = '%s': expected "
		    "yes/no, true/false, on/off or 1/0", ent->file, ent->line,
		    section, key, ent->value);
		return (-1);
	}
	return (0);
}

/* KEY in SECTION as an integer in [MIN, MAX]; see conf.h. */
int
vg_conf_get_int(const struct vg_conf *conf, const char *section,
    const char *key, long long min, long long max, long long *out)
{
	const struct vg_conf_entry *ent;

	if ((ent = conf_find(conf, section, key)) == NULL)
		return (0);
	if (vg_conf_int_parse(ent->value, min, max, out) == -1) {
		vg_log(VG_LOG_ERROR, "%s:%d: [%s] %s = '%s': expected an "
		    "integer from %lld to %lld", ent->file, ent->line,
		    section, key, ent->value, min, max);
		return (-1);
	}
	return (0);
}

/* KEY in SECTION as a size in [MIN, MAX]; see conf.h. */
int
vg_conf_get_size(const struct vg_conf *conf, const char *section,
    const char *key, size_t min, size_t max, size_t *out)
{
	const struct vg_conf_entry *ent;

	if ((ent = conf_find(conf, section, key)) == NULL)
		return (0);
	if (vg_conf_size_parse(ent->value, min, max, out) == -1) {
		vg_log(VG_LOG_ERROR, "%s:%d: [%s] %s = '%s': expected a size "
		    "(bytes, or with a k/m/g suffix) from %zu to %zu",
		    ent->file, ent->line, section, key, ent->value, min, max);
		return (-1);
	}
	return (0);
}
