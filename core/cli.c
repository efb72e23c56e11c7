/*
 * The command registry behind the control socket: modules add const tables
 * of commands, a request is dispatched on the longest matching word prefix,
 * and the answer (text for people, JSON for scripts) goes back through the
 * caller's done function, now or later (VG_CLI_PENDING). Also the core's own
 * commands: module, calls, bus and core. Core thread only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define CLI_MAX_WORDS	8		/* words in a command's name */
#define CLI_TEXT_MAX	(4 * 1024 * 1024)	/* cap on one answer's text */

/* One registered command. */
struct cli_entry {
	struct vg_module	*mod;		/* owner, borrowed */
	const struct vg_cli_cmd	*cmd;		/* the module's table, borrowed */
	char			*words[CLI_MAX_WORDS];	/* owned copies */
	int			 nwords;
	struct cli_entry	*next;
};

/* One command being answered. */
struct vg_cli {
	struct vg_module	*owner;		/* whose command runs */
	char			*text;		/* owned, NUL-terminated */
	size_t			 len;
	size_t			 size;
	int			 truncated;
	struct json_object	*json;		/* owned, or NULL */
	int			 wants_json;
	int			 in_handler;	/* inside the command's fn */
	int			 finished;	/* vg_cli_finish() ran in fn */
	int			 result;
	vg_cli_done_fn		 done;		/* NULL once abandoned */
	void			*done_arg;
	struct vg_cli		*next;		/* pending list */
};

static struct {
	struct cli_entry	*cmds;		/* in registration order */
	struct vg_cli		*pending;	/* answered later */
} g_cli;

/* Split WORDS on spaces into E's owned copies. Returns 0, or -1 if empty
 * or too long. */
static int
cli_split(struct cli_entry *e, const char *words)
{
	const char *p = words, *q;

	e->nwords = 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if (e->nwords == CLI_MAX_WORDS)
			return (-1);
		e->words[e->nwords++] = vg_xstrndup(p, q - p);
		p = q;
	}
	return (e->nwords == 0 ? -1 : 0);
}

/* Free E and its words. */
static void
cli_entry_free(struct cli_entry *e)
{
	int i;

	for (i = 0; i < e->nwords; i++)
		free(e->words[i]);
	free(e);
}

/* True when A and B name the same command. */
static int
cli_same_words(const struct cli_entry *a, const struct cli_entry *b)
{
	int i;

	if (a->nwords != b->nwords)
		return (0);
	for (i = 0; i < a->nwords; i++)
		if (strcmp(a->words[i], b->words[i]) != 0)
			return (0);
	return (1);
}

/* Register N commands from CMDS for MOD, all or none. */
int
vg_cli_add(struct vg_module *mod, const struct vg_cli_cmd *cmds, size_t n)
{
	struct cli_entry *fresh = NULL, **tail = &fresh, *e, *o, *next;
	size_t i;

	if (mod == NULL || (cmds == NULL && n > 0))
		return (-1);
	for (i = 0; i < n; i++) {
		e = vg_xcalloc(1, sizeof(*e));
		e->mod = mod;
		e->cmd = &cmds[i];
		if (cmds[i].words == NULL || cmds[i].fn == NULL ||
		    cli_split(e, cmds[i].words) == -1) {
			vg_log(VG_LOG_ERROR, "%s: bad command \"%s\"",
			    vg_module_name(mod),
			    cmds[i].words ? cmds[i].words : "(null)");
			cli_entry_free(e);
			goto fail;
		}
		if (strcmp(e->words[0], "help") == 0)
			goto taken;
		for (o = g_cli.cmds; o != NULL; o = o->next)
			if (cli_same_words(o, e))
				goto taken;
		for (o = fresh; o != NULL; o = o->next)
			if (cli_same_words(o, e))
				goto taken;
		*tail = e;
		tail = &e->next;
		continue;
taken:
		vg_log(VG_LOG_ERROR, "%s: command \"%s\" is taken",
		    vg_module_name(mod), cmds[i].words);
		cli_entry_free(e);
		goto fail;
	}
	for (tail = &g_cli.cmds; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = fresh;
	return (0);

fail:
	for (e = fresh; e != NULL; e = next) {
		next = e->next;
		cli_entry_free(e);
	}
	return (-1);
}

/* Remove MOD's commands that come from CMDS[0..N). */
void
vg_cli_remove(struct vg_module *mod, const struct vg_cli_cmd *cmds, size_t n)
{
	struct cli_entry **pp = &g_cli.cmds, *e;

	while ((e = *pp) != NULL) {
		if (e->mod == mod && e->cmd >= cmds && e->cmd < cmds + n) {
			*pp = e->next;
			cli_entry_free(e);
		} else
			pp = &e->next;
	}
}

/* Drop CLI from the pending list, if it is there. */
static void
cli_unpend(struct vg_cli *cli)
{
	struct vg_cli **pp;

	for (pp = &g_cli.pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == cli) {
			*pp = cli->next;
			cli->next = NULL;
			return;
		}
	}
}

/* Free CLI and what it holds. */
static void
cli_free(struct vg_cli *cli)
{
	free(cli->text);
	json_object_put(cli->json);
	free(cli);
}

/* Hand CLI's answer to its caller (unless abandoned) and free it. */
static void
cli_deliver(struct vg_cli *cli, int result)
{
	struct json_object *json;

	if (cli->done != NULL) {
		json = cli->json;
		if (json == NULL) {
			json = json_object_new_object();
			if (result != VG_CLI_OK)
				json_object_object_add(json, "error",
				    json_object_new_string(cli->text));
		}
		cli->json = NULL;
		cli->done(result == VG_CLI_OK, cli->text, json, cli->done_arg);
	}
	cli_free(cli);
}

/* Remove every command MOD registered, and fail its pending answers. */
unsigned
vg_cli_release_owner(struct vg_module *mod)
{
	struct cli_entry **pp = &g_cli.cmds, *e;
	struct vg_cli *cli, *next, *fail = NULL;
	unsigned n = 0;

	while ((e = *pp) != NULL) {
		if (e->mod == mod) {
			*pp = e->next;
			cli_entry_free(e);
			n++;
		} else
			pp = &e->next;
	}
	for (cli = g_cli.pending; cli != NULL; cli = next) {
		next = cli->next;
		if (cli->owner == mod) {
			cli_unpend(cli);
			cli->next = fail;
			fail = cli;
			n++;
		}
	}
	for (cli = fail; cli != NULL; cli = next) {
		next = cli->next;
		vg_cli_printf(cli, "%s%s was unloaded before answering\n",
		    cli->len > 0 && cli->text[cli->len - 1] != '\n' ? "\n" : "",
		    vg_module_name(mod));
		cli_deliver(cli, VG_CLI_ERROR);
	}
	return (n);
}

/* True when the client asked for --json. */
int
vg_cli_wants_json(const struct vg_cli *cli)
{
	return (cli->wants_json);
}

/* Append formatted text to CLI's answer, within CLI_TEXT_MAX. */
void
vg_cli_printf(struct vg_cli *cli, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (cli->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (cli->len + (size_t)n + 1 > CLI_TEXT_MAX) {
		cli->truncated = 1;
		return;
	}
	if (cli->len + (size_t)n + 1 > cli->size) {
		while (cli->len + (size_t)n + 1 > cli->size)
			cli->size *= 2;
		cli->text = vg_xrealloc(cli->text, cli->size);
	}
	va_start(ap, fmt);
	vsnprintf(cli->text + cli->len, cli->size - cli->len, fmt, ap);
	va_end(ap);
	cli->len += (size_t)n;
}

/* Set the answer for scripts; takes OBJ. */
void
vg_cli_set_json(struct vg_cli *cli, struct json_object *obj)
{
	json_object_put(cli->json);
	cli->json = obj;
}

/* Finish a pending command with RESULT. */
void
vg_cli_finish(struct vg_cli *cli, int result)
{
	if (result != VG_CLI_OK)
		result = VG_CLI_ERROR;
	if (cli->in_handler) {
		cli->finished = 1;
		cli->result = result;
		return;
	}
	cli_unpend(cli);
	cli_deliver(cli, result);
}

/* The client is gone: drop the answer when it comes. */
void
vg_cli_abandon(struct vg_cli *cli)
{
	if (cli != NULL)
		cli->done = NULL;
}

/* The command that matches the most leading words of ARGV, or NULL. */
static struct cli_entry *
cli_lookup(int argc, char **argv)
{
	struct cli_entry *e, *best = NULL;
	int i;

	for (e = g_cli.cmds; e != NULL; e = e->next) {
		if (e->nwords > argc)
			continue;
		for (i = 0; i < e->nwords; i++)
			if (strcmp(e->words[i], argv[i]) != 0)
				break;
		if (i == e->nwords && (best == NULL || e->nwords > best->nwords))
			best = e;
	}
	return (best);
}

/* True when E's words start with ARGV[0..ARGC). */
static int
cli_has_prefix(const struct cli_entry *e, int argc, char **argv)
{
	int i;

	if (argc > e->nwords)
		return (0);
	for (i = 0; i < argc; i++)
		if (strcmp(e->words[i], argv[i]) != 0)
			return (0);
	return (1);
}

/* The text a command shows in help: its usage, or its words. */
static const char *
cli_usage(const struct cli_entry *e)
{
	return (e->cmd->usage != NULL && *e->cmd->usage != '\0' ?
	    e->cmd->usage : e->cmd->words);
}

/* List the commands starting with ARGV (all when ARGC is 0), aligned.
 * Returns how many. */
static unsigned
cli_list(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *arr, *o;
	struct cli_entry *e;
	size_t w = 4, l;
	unsigned n = 0;

	for (e = g_cli.cmds; e != NULL; e = e->next) {
		if (cli_has_prefix(e, argc, argv) &&
		    (l = strlen(cli_usage(e))) > w)
			w = l;
	}
	arr = json_object_new_array();
	for (e = g_cli.cmds; e != NULL; e = e->next) {
		if (!cli_has_prefix(e, argc, argv))
			continue;
		vg_cli_printf(cli, "  %-*s  %s\n", (int)w, cli_usage(e),
		    e->cmd->summary ? e->cmd->summary : "");
		o = json_object_new_object();
		json_object_object_add(o, "command",
		    json_object_new_string(e->cmd->words));
		json_object_object_add(o, "usage",
		    json_object_new_string(cli_usage(e)));
		json_object_object_add(o, "summary",
		    json_object_new_string(e->cmd->summary ?
		    e->cmd->summary : ""));
		json_object_object_add(o, "module",
		    json_object_new_string(vg_module_name(e->mod)));
		json_object_array_add(arr, o);
		n++;
	}
	o = json_object_new_object();
	json_object_object_add(o, "commands", arr);
	vg_cli_set_json(cli, o);
	return (n);
}

/* The built-in "help [WORDS...]". */
static int
cli_help(struct vg_cli *cli, int argc, char **argv)
{
	vg_cli_printf(cli, "Commands%s:\n", argc > 0 ? " matching" : "");
	if (cli_list(cli, argc, argv) == 0) {
		vg_cli_printf(cli, "  (none)\n");
		return (argc > 0 ? VG_CLI_ERROR : VG_CLI_OK);
	}
	return (VG_CLI_OK);
}

/* Join ARGV[0..ARGC) with spaces into CLI's text. */
static void
cli_print_words(struct vg_cli *cli, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		vg_cli_printf(cli, "%s%s", i ? " " : "", argv[i]);
}

/*
 * Run the command ARGV[0..ARGC) for a client; WANTS_JSON as --json. DONE
 * gets the answer once, now or later, unless vg_cli_abandon() comes first.
 * Returns the command while it is pending (for vg_cli_abandon), else NULL
 * (DONE has run).
 */
struct vg_cli *
vg_cli_exec(int argc, char **argv, int wants_json, vg_cli_done_fn done,
    void *arg)
{
	struct vg_cli *cli;
	struct cli_entry *e;
	int rc;

	cli = vg_xcalloc(1, sizeof(*cli));
	cli->size = 256;
	cli->text = vg_xcalloc(1, cli->size);
	cli->wants_json = wants_json;
	cli->done = done;
	cli->done_arg = arg;
	if (argc == 0 || strcmp(argv[0], "help") == 0) {
		rc = cli_help(cli, argc > 0 ? argc - 1 : 0, argv + 1);
		cli_deliver(cli, rc);
		return (NULL);
	}
	if ((e = cli_lookup(argc, argv)) == NULL) {
		vg_cli_printf(cli, "unknown command \"");
		cli_print_words(cli, argc, argv);
		vg_cli_printf(cli, "\": try \"help\"\n");
		for (e = g_cli.cmds; e != NULL; e = e->next)
			if (cli_has_prefix(e, 1, argv))
				break;
		if (e != NULL) {
			vg_cli_printf(cli, "Commands starting with \"%s\":\n",
			    argv[0]);
			cli_list(cli, 1, argv);
			json_object_put(cli->json);
			cli->json = NULL;
		}
		cli_deliver(cli, VG_CLI_ERROR);
		return (NULL);
	}
	cli->owner = e->mod;
	cli->in_handler = 1;
	rc = e->cmd->fn(cli, argc - e->nwords, argv + e->nwords);
	cli->in_handler = 0;
	if (rc == VG_CLI_PENDING && cli->finished)
		rc = cli->result;
	if (rc == VG_CLI_PENDING) {
		cli->next = g_cli.pending;
		g_cli.pending = cli;
		return (cli);
	}
	cli_deliver(cli, rc == VG_CLI_OK ? VG_CLI_OK : VG_CLI_ERROR);
	return (NULL);
}

/* ---- the core's own commands ---- */

/* A string member of O, or "" when absent. */
static const char *
cli_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return ("");
	return (json_object_get_string(v));
}

/* Check that the command got exactly WANT arguments, else say its usage. */
static int
cli_nargs(struct vg_cli *cli, int argc, int want, const char *usage)
{
	if (argc == want)
		return (0);
	vg_cli_printf(cli, "usage: %s\n", usage);
	return (-1);
}

/* "module show": the modules and their state. */
static int
cmd_module_show(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *arr, *o;
	size_t i, n, wn = 4, ws = 5, wv = 7, l;

	if (cli_nargs(cli, argc, 0, "module show") == -1)
		return (VG_CLI_ERROR);
	if ((arr = vg_loader_json()) == NULL)
		arr = json_object_new_array();
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if ((l = strlen(cli_jstr(o, "name"))) > wn)
			wn = l;
		if ((l = strlen(cli_jstr(o, "state"))) > ws)
			ws = l;
		if ((l = strlen(cli_jstr(o, "version"))) > wv)
			wv = l;
	}
	vg_cli_printf(cli, "%-*s  %-*s  %-*s  %s\n", (int)wn, "NAME",
	    (int)ws, "STATE", (int)wv, "VERSION", "DESCRIPTION");
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		vg_cli_printf(cli, "%-*s  %-*s  %-*s  %s%s%s%s\n", (int)wn,
		    cli_jstr(o, "name"), (int)ws, cli_jstr(o, "state"),
		    (int)wv, cli_jstr(o, "version"),
		    cli_jstr(o, "description"),
		    *cli_jstr(o, "reason") ? " (" : "",
		    cli_jstr(o, "reason"),
		    *cli_jstr(o, "reason") ? ")" : "");
	}
	vg_cli_printf(cli, "%zu module%s\n", n, n == 1 ? "" : "s");
	o = json_object_new_object();
	json_object_object_add(o, "modules", arr);
	vg_cli_set_json(cli, o);
	return (VG_CLI_OK);
}

typedef int	(*cli_loader_fn)(const char *name, char *err, size_t err_size);

/* Shared body of module load/unload/reload NAME. */
static int
cli_module_op(struct vg_cli *cli, int argc, char **argv, const char *verb,
    cli_loader_fn fn)
{
	struct json_object *o;
	char err[256] = "", usage[64];

	snprintf(usage, sizeof(usage), "module %s NAME", verb);
	if (cli_nargs(cli, argc, 1, usage) == -1)
		return (VG_CLI_ERROR);
	if (fn(argv[0], err, sizeof(err)) == -1) {
		vg_cli_printf(cli, "module %s %s: %s\n", verb, argv[0],
		    err[0] ? err : "failed");
		return (VG_CLI_ERROR);
	}
	vg_cli_printf(cli, "module %s: %sed\n", argv[0],
	    strcmp(verb, "reload") == 0 ? "reload" : verb);
	o = json_object_new_object();
	json_object_object_add(o, "module", json_object_new_string(argv[0]));
	json_object_object_add(o, "action", json_object_new_string(verb));
	vg_cli_set_json(cli, o);
	return (VG_CLI_OK);
}

/* "module load NAME". */
static int
cmd_module_load(struct vg_cli *cli, int argc, char **argv)
{
	return (cli_module_op(cli, argc, argv, "load", vg_loader_load));
}

/* "module unload NAME". */
static int
cmd_module_unload(struct vg_cli *cli, int argc, char **argv)
{
	return (cli_module_op(cli, argc, argv, "unload", vg_loader_unload));
}

/* "module reload NAME". */
static int
cmd_module_reload(struct vg_cli *cli, int argc, char **argv)
{
	return (cli_module_op(cli, argc, argv, "reload", vg_loader_reload));
}

/* "calls show": the calls that have not ended. */
static int
cmd_calls_show(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *arr, *o, *v;
	size_t i, n, wf = 4, wt = 2, l;
	uint64_t now = vg_wall_ms(), started;

	if (cli_nargs(cli, argc, 0, "calls show") == -1)
		return (VG_CLI_ERROR);
	arr = vg_calls_json();
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if ((l = strlen(cli_jstr(o, "from"))) > wf)
			wf = l;
		if ((l = strlen(cli_jstr(o, "to"))) > wt)
			wt = l;
	}
	vg_cli_printf(cli, "%-20s  %-8s  %-11s  %-*s  %-*s  %s\n", "ID", "DIR",
	    "STATE", (int)wf, "FROM", (int)wt, "TO", "AGE");
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		started = 0;
		if (json_object_object_get_ex(o, "started_ms", &v))
			started = (uint64_t)json_object_get_int64(v);
		vg_cli_printf(cli, "%-20s  %-8s  %-11s  %-*s  %-*s  %llus\n",
		    cli_jstr(o, "id"), cli_jstr(o, "direction"),
		    cli_jstr(o, "state"), (int)wf, cli_jstr(o, "from"),
		    (int)wt, cli_jstr(o, "to"), (unsigned long long)
		    (now > started ? (now - started) / 1000 : 0));
	}
	vg_cli_printf(cli, "%zu active call%s\n", n, n == 1 ? "" : "s");
	o = json_object_new_object();
	json_object_object_add(o, "calls", arr);
	vg_cli_set_json(cli, o);
	return (VG_CLI_OK);
}

/* "bus show": counters and the registered event types. */
static int
cmd_bus_show(struct vg_cli *cli, int argc, char **argv)
{
	struct vg_bus_stats st;
	struct json_object *types, *o, *s;
	size_t i, n, wt = 4, wm = 6, l;

	if (cli_nargs(cli, argc, 0, "bus show") == -1)
		return (VG_CLI_ERROR);
	vg_bus_stats(&st);
	if ((types = vg_bus_types_json()) == NULL)
		types = json_object_new_array();
	vg_cli_printf(cli,
	    "published         %llu\n"
	    "delivered         %llu\n"
	    "queue depth       %llu\n"
	    "queue high water  %llu\n"
	    "subscribers       %u\n"
	    "types             %u\n",
	    (unsigned long long)st.published,
	    (unsigned long long)st.delivered,
	    (unsigned long long)st.queue_depth,
	    (unsigned long long)st.queue_high_water, st.subscribers,
	    st.types);
	n = json_object_array_length(types);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(types, i);
		if ((l = strlen(cli_jstr(o, "type"))) > wt)
			wt = l;
		if ((l = strlen(cli_jstr(o, "module"))) > wm)
			wm = l;
	}
	if (n > 0) {
		vg_cli_printf(cli, "\n%-*s  %-*s  %s\n", (int)wt, "TYPE",
		    (int)wm, "MODULE", "DESCRIPTION");
		for (i = 0; i < n; i++) {
			o = json_object_array_get_idx(types, i);
			vg_cli_printf(cli, "%-*s  %-*s  %s\n", (int)wt,
			    cli_jstr(o, "type"), (int)wm,
			    cli_jstr(o, "module"),
			    cli_jstr(o, "description"));
		}
	}
	s = json_object_new_object();
	json_object_object_add(s, "published",
	    json_object_new_int64((int64_t)st.published));
	json_object_object_add(s, "delivered",
	    json_object_new_int64((int64_t)st.delivered));
	json_object_object_add(s, "queue_depth",
	    json_object_new_int64((int64_t)st.queue_depth));
	json_object_object_add(s, "queue_high_water",
	    json_object_new_int64((int64_t)st.queue_high_water));
	json_object_object_add(s, "subscribers",
	    json_object_new_int64(st.subscribers));
	json_object_object_add(s, "types", types);
	vg_cli_set_json(cli, s);
	return (VG_CLI_OK);
}

/* "core reload": re-read the configuration. */
static int
cmd_core_reload(struct vg_cli *cli, int argc, char **argv)
{
	if (cli_nargs(cli, argc, 0, "core reload") == -1)
		return (VG_CLI_ERROR);
	if (vg_core_request_reload() == -1) {
		vg_cli_printf(cli, "reload is not available\n");
		return (VG_CLI_ERROR);
	}
	vg_cli_printf(cli, "reload requested\n");
	return (VG_CLI_OK);
}

/* "core stop [now]": stop the daemon, after the grace period unless now. */
static int
cmd_core_stop(struct vg_cli *cli, int argc, char **argv)
{
	int now = 0;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "now") != 0)) {
		vg_cli_printf(cli, "usage: core stop [now]\n");
		return (VG_CLI_ERROR);
	}
	now = argc == 1;
	if (vg_core_request_stop(now) == -1) {
		vg_cli_printf(cli, "stop is not available\n");
		return (VG_CLI_ERROR);
	}
	vg_cli_printf(cli, "stop requested%s\n", now ? " (now)" : "");
	return (VG_CLI_OK);
}

/* "core show": version, uptime and the settings in force. */
static int
cmd_core_show(struct vg_cli *cli, int argc, char **argv)
{
	const struct vg_settings *s = vg_settings();
	struct json_object *o, *so;
	uint64_t up = vg_core_uptime_s();

	if (cli_nargs(cli, argc, 0, "core show") == -1)
		return (VG_CLI_ERROR);
	o = json_object_new_object();
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "abi_major",
	    json_object_new_int(VG_ABI_MAJOR));
	json_object_object_add(o, "abi_minor",
	    json_object_new_int(VG_ABI_MINOR));
	json_object_object_add(o, "uptime_s", json_object_new_int64(
	    (int64_t)up));
	json_object_object_add(o, "confdir",
	    json_object_new_string(vg_confdir()));
	json_object_object_add(o, "calls",
	    json_object_new_int64(vg_call_count()));
	vg_cli_printf(cli, "voicegate %s (module ABI %d.%d)\n",
	    PACKAGE_VERSION, VG_ABI_MAJOR, VG_ABI_MINOR);
	vg_cli_printf(cli, "uptime            %llud %02lluh%02llum%02llus\n",
	    (unsigned long long)(up / 86400),
	    (unsigned long long)(up / 3600 % 24),
	    (unsigned long long)(up / 60 % 60),
	    (unsigned long long)(up % 60));
	vg_cli_printf(cli, "confdir           %s\n", vg_confdir());
	vg_cli_printf(cli, "active calls      %u\n", vg_call_count());
	if (s != NULL) {
		vg_cli_printf(cli,
		    "listen            %s:%d\n"
		    "public url        %s\n"
		    "log               %s, %s\n"
		    "control socket    %s\n"
		    "max body          %zu\n"
		    "max ws message    %zu\n"
		    "max send queue    %zu\n"
		    "shutdown grace    %us\n"
		    "module dir        %s\n",
		    s->listen_addr, s->listen_port, s->public_url,
		    s->log_target, vg_log_level_name(s->log_level),
		    s->control_socket, s->max_body, s->max_ws_message,
		    s->max_send_queue, s->shutdown_grace_s,
		    s->module_dir[0] ? s->module_dir : VG_MODULE_DIR);
		so = json_object_new_object();
		json_object_object_add(so, "listen_addr",
		    json_object_new_string(s->listen_addr));
		json_object_object_add(so, "listen_port",
		    json_object_new_int(s->listen_port));
		json_object_object_add(so, "public_url",
		    json_object_new_string(s->public_url));
		json_object_object_add(so, "log_level", json_object_new_string(
		    vg_log_level_name(s->log_level)));
		json_object_object_add(so, "log_target",
		    json_object_new_string(s->log_target));
		json_object_object_add(so, "control_socket",
		    json_object_new_string(s->control_socket));
		json_object_object_add(so, "max_body",
		    json_object_new_int64((int64_t)s->max_body));
		json_object_object_add(so, "max_ws_message",
		    json_object_new_int64((int64_t)s->max_ws_message));
		json_object_object_add(so, "max_send_queue",
		    json_object_new_int64((int64_t)s->max_send_queue));
		json_object_object_add(so, "shutdown_grace_s",
		    json_object_new_int64(s->shutdown_grace_s));
		json_object_object_add(so, "module_dir", json_object_new_string(
		    s->module_dir[0] ? s->module_dir : VG_MODULE_DIR));
		json_object_object_add(o, "settings", so);
	}
	vg_cli_set_json(cli, o);
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd core_cmds[] = {
	{ "module show", "module show", "list modules and their state",
	    cmd_module_show },
	{ "module load", "module load NAME", "load a module",
	    cmd_module_load },
	{ "module unload", "module unload NAME", "unload a module",
	    cmd_module_unload },
	{ "module reload", "module reload NAME",
	    "re-read a module's configuration", cmd_module_reload },
	{ "calls show", "calls show", "list active calls", cmd_calls_show },
	{ "bus show", "bus show", "event bus counters and event types",
	    cmd_bus_show },
	{ "core reload", "core reload", "re-read every configuration file",
	    cmd_core_reload },
	{ "core stop", "core stop [now]",
	    "stop the daemon (now: without the grace period)", cmd_core_stop },
	{ "core show", "core show", "version, uptime and settings",
	    cmd_core_show },
};

/* Register the core's own commands, owned by the core's handle. */
int
vg_cli_core_commands(void)
{
	return (vg_cli_add(vg_core_module(), core_cmds, VG_NELEM(core_cmds)));
}
