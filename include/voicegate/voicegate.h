/*
 * The whole public module API in one include.
 */
#ifndef VG_VOICEGATE_H
#define VG_VOICEGATE_H

#include <voicegate/module.h>
#include <voicegate/agent.h>
#include <voicegate/bus.h>
#include <voicegate/call.h>
#include <voicegate/cli.h>
#include <voicegate/conf.h>
#include <voicegate/http.h>
#include <voicegate/log.h>
#include <voicegate/loop.h>
#include <voicegate/metrics.h>
#include <voicegate/util.h>
#include <voicegate/ws.h>

#endif /* VG_VOICEGATE_H */
