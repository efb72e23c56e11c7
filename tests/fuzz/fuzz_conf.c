/*
 * Fuzz harness for the configuration parser (core/conf.c) and the settings
 * reader (core/settings.c): each input is written to a file and parsed,
 * and a good parse is walked end to end.
 *
 * `make check` links this with tests/fuzz/replay.c, which replays every
 * file of the seed corpus (tests/fuzz/corpus/conf, or the folder in
 * argv[1]); an input "passes" when it is processed without a crash. To fuzz for real
 * with libFuzzer (clang only; make check never needs it), from a
 * configured build tree (for config.h), SRC being the source tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -DVG_CORE -I. -I$SRC/include -I$SRC/core \
 *       $SRC/tests/fuzz/fuzz_conf.c $SRC/core/conf.c $SRC/core/settings.c \
 *       $SRC/core/log.c $SRC/core/util.c -o fuzz_conf
 *   mkdir corpus-work
 *   ./fuzz_conf -max_len=8192 -close_fd_mask=2 corpus-work/ \
 *       $SRC/tests/fuzz/corpus/conf
 *
 * (-close_fd_mask=2 silences the getters' log lines; crashes still show.)
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <voicegate/conf.h>
#include <voicegate/log.h>

#include "core.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The folder and file each input is written to (made once). */
static char fuzz_dir[64];
static char fuzz_path[128];

/* Check an error report is well formed; count it. */
static void
fuzz_err(const struct vg_conf_error *err, void *arg)
{
	unsigned *n = arg;

	if (memchr(err->file, '\0', sizeof(err->file)) == NULL ||
	    memchr(err->message, '\0', sizeof(err->message)) == NULL ||
	    err->line < 0 || err->message[0] == '\0')
		abort();
	(*n)++;
}

/* Walk every section and entry of CONF and use the getters. */
static void
fuzz_walk(const struct vg_conf *conf)
{
	const struct vg_conf_section *sec = NULL;
	const struct vg_conf_entry *ent;
	const char *name;
	long long ll;
	size_t sz;
	int b;

	while ((sec = vg_conf_next_section(conf, sec)) != NULL) {
		name = vg_conf_section_name(sec);
		if (vg_conf_section(conf, name) == NULL)
			abort();
		for (ent = vg_conf_next_entry(sec, NULL); ent != NULL;
		    ent = vg_conf_next_entry(sec, ent)) {
			if (vg_conf_entry_key(ent)[0] == '\0' ||
			    vg_conf_entry_line(ent) < 1 ||
			    vg_conf_entry_file(ent) == NULL)
				abort();
			(void)vg_conf_entry_is_object(ent);
			if (vg_conf_get(conf, name,
			    vg_conf_entry_key(ent)) == NULL)
				abort();
			vg_conf_get_bool(conf, name, vg_conf_entry_key(ent),
			    &b);
			vg_conf_get_int(conf, name, vg_conf_entry_key(ent),
			    -1000, 1000, &ll);
			vg_conf_get_size(conf, name, vg_conf_entry_key(ent),
			    0, SIZE_MAX, &sz);
		}
	}
}

/* Parse one input (libFuzzer entry point). Always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_settings s;
	struct vg_conf *conf;
	unsigned nerr = 0;
	FILE *fp;

	if (fuzz_dir[0] == '\0') {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vg-fuzz-conf-XXXXXX");
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/in.conf", fuzz_dir);
	}
	/* Inputs may #include each other's names: keep the folder clean. */
	if ((fp = fopen(fuzz_path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);

	setenv("VG_FUZZ_SET", "value", 1);
	unsetenv("VG_FUZZ_UNSET");
	conf = vg_conf_parse(fuzz_path, fuzz_err, &nerr);
	if ((conf == NULL) != (nerr > 0))
		abort();	/* NULL exactly when something was reported */
	if (conf != NULL) {
		fuzz_walk(conf);
		nerr = 0;
		if ((vg_settings_read(conf, &s, fuzz_err, &nerr) == -1) !=
		    (nerr > 0))
			abort();
		vg_conf_free(conf);
	}
	return (0);
}

/* After the replay (tests/fuzz/replay.c): remove the scratch folder. */
void	vg_fuzz_done(void);

void
vg_fuzz_done(void)
{
	if (fuzz_dir[0] != '\0') {
		unlink(fuzz_path);
		rmdir(fuzz_dir);
	}
}
