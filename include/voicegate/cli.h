/*
 * Control commands, reached through the control socket and voicegatectl.
 * A module registers a const table; the core dispatches on the longest
 * matching word prefix. Core-thread only.
 */
#ifndef VG_CLI_H
#define VG_CLI_H

#include <stddef.h>

struct json_object;
struct vg_module;
struct vg_cli;			/* one command being answered */

/* Return VG_CLI_OK or VG_CLI_ERROR when done, or VG_CLI_PENDING to answer
 * later with vg_cli_finish(). ARGV[0..ARGC) are the words after the
 * command's own words; borrowed for the call. */
#define VG_CLI_OK	0
#define VG_CLI_ERROR	1
#define VG_CLI_PENDING	2
typedef int	(*vg_cli_fn)(struct vg_cli *cli, int argc, char **argv);

struct vg_cli_cmd {
	const char	*words;		/* "module show" */
	const char	*usage;		/* "module show": arguments shown */
	const char	*summary;	/* one line for help */
	vg_cli_fn	 fn;
};

/* Register N commands from CMDS (borrowed: a static table) for MOD.
 * Returns 0, or -1 if a command is taken. */
int		 vg_cli_add(struct vg_module *mod, const struct vg_cli_cmd *cmds,
		    size_t n);
void		 vg_cli_remove(struct vg_module *mod,
		    const struct vg_cli_cmd *cmds, size_t n);

/* True when the client asked for --json. */
int		 vg_cli_wants_json(const struct vg_cli *cli);

/* Append text for people. */
void		 vg_cli_printf(struct vg_cli *cli, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Set the answer for scripts (used with --json). Takes OBJ. */
void		 vg_cli_set_json(struct vg_cli *cli, struct json_object *obj);

/* Finish a VG_CLI_PENDING command with VG_CLI_OK or VG_CLI_ERROR. */
void		 vg_cli_finish(struct vg_cli *cli, int result);

#endif /* VG_CLI_H */
