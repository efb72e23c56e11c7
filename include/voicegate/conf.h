/*
 * Asterisk-style INI configuration: "[section]", "key = value",
 * "key => value", ";" comments, "#include file", and ${VAR} / ${VAR:-default}
 * expanded from the environment. A parsed file is a read-only tree of
 * sections holding entries in file order; a key may repeat (routing tables).
 * Core thread (parsing is plain file I/O at start-up and reload).
 */
#ifndef VG_CONF_H
#define VG_CONF_H

#include <stddef.h>

struct vg_conf;			/* one parsed file (with its includes) */
struct vg_conf_section;		/* one [section], in file order */
struct vg_conf_entry;		/* one key/value line */

/* Where a problem was found, and what. */
struct vg_conf_error {
	char	file[256];
	int	line;
	char	message[256];
};

/* Called once per error found while parsing; ARG is the caller's. */
typedef void	(*vg_conf_error_fn)(const struct vg_conf_error *err, void *arg);

/*
 * Parse PATH. Every error (syntax, unreadable include, include loop, unset
 * ${VAR} without default) is reported through ERR_FN, with file and line;
 * parsing goes on after an error to find them all. Returns new (free with
 * vg_conf_free) when there was no error, NULL otherwise (also when PATH is
 * missing: ERR_FN says so). Borrows PATH.
 */
struct vg_conf	*vg_conf_parse(const char *path, vg_conf_error_fn err_fn,
		    void *arg);

/* Free CONF and everything it holds. NULL is fine. */
void		 vg_conf_free(struct vg_conf *conf);

/* The file CONF was read from. Borrowed. */
const char	*vg_conf_path(const struct vg_conf *conf);

/* Sections in file order: pass NULL for the first. Returns NULL at the end. */
const struct vg_conf_section *vg_conf_next_section(const struct vg_conf *conf,
		    const struct vg_conf_section *prev);

/* The first section called NAME, or NULL. */
const struct vg_conf_section *vg_conf_section(const struct vg_conf *conf,
		    const char *name);

/* A section's name. Borrowed. */
const char	*vg_conf_section_name(const struct vg_conf_section *sec);

/* Entries of SEC in file order: pass NULL for the first; NULL at the end. */
const struct vg_conf_entry *vg_conf_next_entry(
		    const struct vg_conf_section *sec,
		    const struct vg_conf_entry *prev);

/* An entry's key, value (expanded), file and line. Borrowed. */
const char	*vg_conf_entry_key(const struct vg_conf_entry *ent);
const char	*vg_conf_entry_value(const struct vg_conf_entry *ent);
const char	*vg_conf_entry_file(const struct vg_conf_entry *ent);
int		 vg_conf_entry_line(const struct vg_conf_entry *ent);
/* True when the line used "=>" rather than "=". */
int		 vg_conf_entry_is_object(const struct vg_conf_entry *ent);

/* The last value of KEY in SECTION, or NULL when absent. Borrowed. */
const char	*vg_conf_get(const struct vg_conf *conf, const char *section,
		    const char *key);

/* Typed getters: store the value in *OUT and return 0; return 0 leaving
 * *OUT untouched when absent; return -1 (and log file:line) when the value
 * does not parse or is out of [MIN, MAX]. Booleans take yes/no, true/false,
 * on/off, 1/0. */
int		 vg_conf_get_bool(const struct vg_conf *conf, const char *section,
		    const char *key, int *out);
int		 vg_conf_get_int(const struct vg_conf *conf, const char *section,
		    const char *key, long long min, long long max, long long *out);
/* Sizes accept k/m suffixes (1024-based): "64k". */
int		 vg_conf_get_size(const struct vg_conf *conf,
		    const char *section, const char *key, size_t min, size_t max,
		    size_t *out);

#endif /* VG_CONF_H */
