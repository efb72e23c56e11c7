/*
 * Logging. Every line carries level, origin (module name or "core"), file
 * and line, and the call id when it concerns a call. Callable from any
 * thread; the line is written whole.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <stdarg.h>

enum vg_log_level {
	VG_LOG_ERROR = 0,	/* the operator must act */
	VG_LOG_WARN,		/* degraded */
	VG_LOG_NOTICE,		/* lifecycle */
	VG_LOG_INFO,		/* development */
	VG_LOG_DEBUG,
};

/* Write one log line from ORIGIN (a module name, or "core"). CALL_ID may be
 * NULL. Borrows everything. Any thread. */
void	vg_log_at(const char *origin, const char *file, int line,
	    enum vg_log_level level, const char *call_id, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* True when LEVEL would be written: skip costly formatting otherwise. */
int	vg_log_enabled(enum vg_log_level level);

/* The origin of a log line: the core builds with VG_CORE defined; a module
 * names itself through its own descriptor. */
#ifdef VG_CORE
#define VG_LOG_ORIGIN	"core"
#else
#define VG_LOG_ORIGIN	(vg_module_info.name)
#include <voicegate/module.h>
#endif

#define vg_log(level, ...)						\
	vg_log_at(VG_LOG_ORIGIN, __FILE__, __LINE__, (level), NULL, __VA_ARGS__)
#define vg_log_call(level, call_id, ...)				\
	vg_log_at(VG_LOG_ORIGIN, __FILE__, __LINE__, (level), (call_id),	\
	    __VA_ARGS__)

#endif /* VG_LOG_H */
