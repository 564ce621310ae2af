// SPDX-License-Identifier: GPL-2.0
/*
 * ddprof's events and presets (-e, DD_PROFILING_NATIVE_EVENTS, --preset,
 * DD_PROFILING_NATIVE_PRESET), read into what hrprof samples: CPU time by
 * cpu-clock (sCPU) or by CPU cycles (hCPU), at a rate or every N events.
 *
 * Syntax (ddprof's event parser): configs separated by ';', each an event
 * name and key=value options separated by ',' or blanks, as in
 * "sCPU period=10000000" or "hCPU,f=999;sALLOC". What hrprof cannot sample
 * (other hardware and software events, tracepoints, allocations) is named
 * in a one-line warning and left out; what is left of a CPU event is used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "options_table.h"
#include "base/util.h"

/* ddprof's event names hrprof cannot sample, and hrprof's own names. */
static const char *const ddprof_other[] = {
    "hREF", "hINST", "hCREF", "hCMISS", "hBRANCH", "hBMISS", "hBUS", "hBSTF", "hBSTB",
    "sPF",  "sCS",   "sMig",  "sPFMAJ", "sPFMIN",  "sALGN",  "sEMU", "sDUM",  NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* A decimal number > 0 (or 0) fitting 64 bits. */
static int parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* Which of ddprof's keys a config's option is. */
enum ev_key { EK_PERIOD, EK_FREQ, EK_STACK, EK_OTHER, EK_UNKNOWN };

static enum ev_key key_of(const char *k)
{
	static const char *const period[] = {"p", "period", "per", NULL};
	static const char *const freq[] = {"f", "frequency", "freq", NULL};
	static const char *const stack[] = {"st", "stack_sample_size", "stcksz", NULL};
	static const char *const other[] = {
	    "s",	"value_scale", "scale",	  "e",	      "event", "eventname",  "ev",     "g",
	    "group",	"groupname",   "gr",	  "i",	      "id",    "l",	     "label",  "m",
	    "mode",	"n",	       "arg_num", "argno",    "o",     "raw_offset", "rawoff", "r",
	    "register", "regno",       "z",	  "raw_size", "rawsz", NULL};

	if (in_list(period, k))
		return EK_PERIOD;
	if (in_list(freq, k))
		return EK_FREQ;
	if (in_list(stack, k))
		return EK_STACK;
	if (in_list(other, k))
		return EK_OTHER;
	return EK_UNKNOWN;
}

static bool is_tracepoint_key(const char *k)
{
	static const char *const keys[] = {"e",		"event", "eventname", "ev", "g", "group",
					   "groupname", "gr",	 "i",	      "id", NULL};

	return in_list(keys, k);
}

/* One config: "EVENT k=v ...". *used says whether it set what is sampled. */
static int one_config(struct options *o, char *conf, const char *who, bool *used)
{
	char *toks[32], *save = NULL, *tok, *name = NULL, shown[256];
	unsigned long long period = 0, freq = 0, stack = 0;
	bool has_period = false, has_freq = false, has_stack = false, tracepoint = false;
	enum event_kind kind;
	size_t n = 0;

	snprintf(shown, sizeof(shown), "%s", conf);
	for (tok = strtok_r(conf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *eq = strchr(tok, '=');

		if (n == sizeof(toks) / sizeof(toks[0]))
			return options_bad("%s: '%s': too many options", who, shown);
		toks[n++] = tok;
		if (!eq) {
			if (name)
				return options_bad("%s: '%s': two event names ('%s', '%s')", who,
						   shown, name, tok);
			name = tok;
		} else {
			*eq = 0;
			tracepoint |= is_tracepoint_key(tok);
			*eq = '=';
		}
	}
	if (!n)
		return 0; /* an empty config, as ddprof allows */
	/* What hrprof does not sample: left out whatever its options say. */
	if (name && !strcmp(name, "sALLOC")) {
		options_warn(
		    "%s: allocation profiling (sALLOC) is not available yet: left out (-e sCPU or "
		    "--preset cpu_only profile CPU time)",
		    who);
		return 0;
	}
	if (tracepoint || !name || in_list(ddprof_other, name)) {
		options_warn("%s: '%s' left out: hrprof samples CPU time only (sCPU, hCPU)", who,
			     shown);
		return 0;
	}
	if (!strcmp(name, "sCPU") || !strcmp(name, "cpu-clock") || !strcmp(name, "cpu"))
		kind = EVENT_CPU_CLOCK;
	else if (!strcmp(name, "hCPU") || !strcmp(name, "cycles") || !strcmp(name, "cpu-cycles"))
		kind = EVENT_CYCLES;
	else
		return options_bad("%s: unknown event '%s' (sCPU, hCPU; -e help)", who, name);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(toks[i], '=');
		unsigned long long *to;
		enum ev_key k;

		if (!eq)
			continue;
		*eq++ = 0;
		k = key_of(toks[i]);
		if (k == EK_UNKNOWN)
			return options_bad("%s: unknown key '%s' (-e help)", who, toks[i]);
		if (k == EK_OTHER) {
			options_warn("%s: %s=%s has no effect: hrprof samples CPU time, summed",
				     who, toks[i], eq);
			continue;
		}
		if ((k == EK_PERIOD || k == EK_FREQ) && (has_period || has_freq))
			return options_bad("%s: '%s': a period or a frequency, once", who, shown);
		to = k == EK_PERIOD ? &period : k == EK_FREQ ? &freq : &stack;
		if (parse_u64(eq, to) || (k != EK_STACK && !*to))
			return options_bad("%s: %s=%s is not a positive number", who, toks[i], eq);
		has_period |= k == EK_PERIOD;
		has_freq |= k == EK_FREQ;
		has_stack |= k == EK_STACK;
	}
	if (*used) {
		options_warn(
		    "%s: '%s' left out: hrprof samples one event at a time, the first given", who,
		    name);
		return 0;
	}
	*used = true;
	o->event = kind;
	if (has_freq) {
		if (freq > UINT32_MAX)
			return options_bad("%s: frequency=%llu is too high", who, freq);
		o->frequency = (unsigned int)freq;
	}
	if (has_period && kind == EVENT_CPU_CLOCK) {
		/* cpu-clock counts nanoseconds: a period is a rate */
		if (period > 1000000000ULL)
			return options_bad("%s: period=%llu ns is longer than a second", who,
					   period);
		o->frequency = (unsigned int)(1000000000ULL / period);
	} else if (has_period) {
		o->period = period;
	}
	if (has_stack) {
		if (stack < 64 || stack > 65528)
			return options_bad("%s: stack_sample_size=%llu is not a size in bytes "
					   "(64-65528)",
					   who, stack);
		o->stack_sample_size = (unsigned int)stack;
	}
	return 0;
}

/* How the option at field offset off was given: its flag, or its variable. */
static const char *who_of(const struct options *o, size_t off, const char *flag)
{
	for (size_t i = 0; i < opts_count; i++)
		if (opts_table[i].off == off && opts_table[i].name)
			return o->given[i] == OPT_SRC_ENV ? opts_table[i].env : flag;
	return flag;
}

int options_resolve_events(struct options *o)
{
	const char *ev_who = who_of(o, offsetof(struct options, events), "-e");
	const char *pr_who = who_of(o, offsetof(struct options, preset), "--preset");
	bool used = false;
	char *list = NULL, *save = NULL, *conf;
	const char *p = o->preset;
	int err = 0;

	if (o->events) {
		list = strdup(o->events);
		if (!list)
			return -ENOMEM;
		for (conf = strtok_r(list, ";", &save); conf && !err;
		     conf = strtok_r(NULL, ";", &save))
			err = one_config(o, conf, ev_who, &used);
		free(list);
		if (err)
			return err;
	}
	if (p) {
		if (!strcmp(p, "default") || !strcmp(p, "default-pid") || !strcmp(p, "cpu_only")) {
			if (!strcmp(p, "default") && o->mode == TARGET_WRAP)
				options_warn("%s default: CPU time only (ddprof's default adds "
					     "allocations, not available yet)",
					     pr_who);
		} else if (!strcmp(p, "alloc_only") || !strcmp(p, "alloc_live_heap")) {
			options_warn("%s %s: allocation profiling is not available yet: profiling "
				     "CPU time instead (--preset cpu_only)",
				     pr_who, p);
		} else if (!strcmp(p, "cpu_live_heap")) {
			options_warn(
			    "%s cpu_live_heap: live heap profiling is not available yet: CPU "
			    "time only (--preset cpu_only)",
			    pr_who);
		} else {
			return options_bad("%s: unknown preset '%s' (default, cpu_only, "
					   "alloc_only, alloc_live_heap, cpu_live_heap)",
					   pr_who, p);
		}
	}
	if (o->events && !used)
		options_warn("%s '%s': no event hrprof samples: CPU time (sCPU) it is", ev_who,
			     o->events);
	return 0;
}

void options_event_help(FILE *out)
{
	fputs("hrprof -e EVENT: ddprof's event syntax, of which hrprof samples CPU time\n"
	      "\n"
	      "  -e \"NAME [key=value ...][;NAME ...]\"   keys and values separated by ',' or "
	      "blanks\n"
	      "\n"
	      "  sCPU   CPU time, by the cpu-clock timer (the default; also cpu-clock)\n"
	      "  hCPU   CPU time, by CPU cycles (needs a PMU; also cycles)\n"
	      "\n"
	      "  period=N, p=N       sCPU: every N ns of CPU time; hCPU: every N cycles\n"
	      "  frequency=HZ, f=HZ  samples per second (as -F)\n"
	      "  stack_sample_size=BYTES, st=BYTES  user stack copied per sample (perf backend)\n"
	      "\n"
	      "ddprof's other events (hINST, sPF, sALLOC, tracepoints...) and keys (mode,\n"
	      "scale...) are accepted and left out, each with a warning. One event is\n"
	      "sampled: the first CPU event given.\n",
	      out);
}
