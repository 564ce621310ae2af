// SPDX-License-Identifier: GPL-2.0
/*
 * The names of the backend settings' values, as options and logs write them.
 */
#include "backend.h"

const char *event_name(enum event_kind event)
{
	return event == EVENT_CYCLES ? "cycles" : "cpu-clock";
}

const char *backend_name(enum backend_kind backend)
{
	switch (backend) {
	case BACKEND_KMOD:
		return "kmod";
	case BACKEND_PERF:
		return "perf";
	default:
		return "auto";
	}
}
