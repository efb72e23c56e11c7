/*
 * Logging to stderr or syslog. Each line is formatted into one buffer and
 * written with one write(2), so lines from the two threads never interleave.
 * Any thread.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <voicegate/log.h>

#include "core.h"

#define LOG_LINE_MAX	2048

static struct {
	enum vg_log_level	 level;
	int			 use_syslog;
} g_log = { VG_LOG_NOTICE, 0 };

static const char *const level_names[] = {
	"ERROR", "WARN", "NOTICE", "INFO", "DEBUG",
};

/* Open the log TARGET ("stderr" or "syslog") at LEVEL. */
int
vg_log_open(const char *target, enum vg_log_level level)
{
	if (strcmp(target, "syslog") == 0) {
		openlog("voicegate", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		g_log.use_syslog = 1;
	} else if (strcmp(target, "stderr") == 0) {
		g_log.use_syslog = 0;
	} else
		return (-1);
	g_log.level = level;
	return (0);
}

/* Change the level in force. */
void
vg_log_set_level(enum vg_log_level level)
{
	__atomic_store_n(&g_log.level, level, __ATOMIC_RELAXED);
}

/* Close syslog if it was open. */
void
vg_log_close(void)
{
	if (g_log.use_syslog)
		closelog();
	g_log.use_syslog = 0;
}

/* Level for NAME ("notice"), or -1. */
int
vg_log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return ((int)i);
	if (strcasecmp(name, "warning") == 0)
		return (VG_LOG_WARN);
	return (-1);
}

/* Name of LEVEL. */
const char *
vg_log_level_name(enum vg_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return ("?");
	return (level_names[level]);
}

/* True when LEVEL is written. */
int
vg_log_enabled(enum vg_log_level level)
{
	return (level <= __atomic_load_n(&g_log.level, __ATOMIC_RELAXED));
}

/* Write one line. */
void
vg_log_at(const char *origin, const char *file, int line,
    enum vg_log_level level, const char *call_id, const char *fmt, ...)
{
	static const int syslog_prio[] = {
		LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
	};
	char buf[LOG_LINE_MAX];
	const char *base;
	size_t off = 0;
	va_list ap;
	int n;

	if (!vg_log_enabled(level))
		return;
	if ((base = strrchr(file, '/')) != NULL)
		file = base + 1;

	if (!g_log.use_syslog) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		off = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(buf + off, sizeof(buf) - off, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
		off += n > 0 ? (size_t)n : 0;
	}
	n = snprintf(buf + off, sizeof(buf) - off, "%s [%s]%s%s %s:%d: ",
	    vg_log_level_name(level), origin != NULL ? origin : "?",
	    call_id != NULL && *call_id != '\0' ? " call=" : "",
	    call_id != NULL ? call_id : "", file, line);
	if (n > 0)
		off += (size_t)n;
	if (off < sizeof(buf)) {
		va_start(ap, fmt);
		n = vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
		va_end(ap);
		if (n > 0)
			off += (size_t)n;
	}
	if (off > sizeof(buf) - 2)
		off = sizeof(buf) - 2;	/* truncated: still one line */

	if (g_log.use_syslog) {
		buf[off] = '\0';
		syslog(syslog_prio[level], "%s", buf);
		return;
	}
	buf[off++] = '\n';
	if (write(STDERR_FILENO, buf, off) == -1) {
		/* Nowhere left to report it. */
	}
}
