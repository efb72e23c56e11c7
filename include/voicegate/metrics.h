/*
 * Metrics, served by GET /metrics in the Prometheus text format. Names are
 * prefixed "voicegate_" by the core. Core-thread only.
 */
#ifndef VG_METRICS_H
#define VG_METRICS_H

#include <stdint.h>

struct vg_module;
struct vg_metric;

enum vg_metric_kind {
	VG_METRIC_COUNTER = 0,
	VG_METRIC_GAUGE,
};

/* Register NAME ("media_ws_frames_in_total") with HELP for MOD. Borrows the
 * strings (use literals). Returns the metric, or NULL if NAME is taken. */
struct vg_metric *vg_metric_add(struct vg_module *mod, const char *name,
		    enum vg_metric_kind kind, const char *help);

/* Remove M, registered by the caller's module (unload does it for what is
 * left, and counts it as forgotten). NULL is ignored. */
void		 vg_metric_remove(struct vg_metric *m);

/* Add to a counter or gauge; set a gauge. NULL is ignored. */
void		 vg_metric_inc(struct vg_metric *m, int64_t n);
void		 vg_metric_set(struct vg_metric *m, int64_t v);
int64_t		 vg_metric_value(const struct vg_metric *m);

#endif /* VG_METRICS_H */
