// SPDX-License-Identifier: GPL-2.0
/*
 * A period's snapshot (profile.h): the stack table and what the profile
 * says of the period, handed from the loop's thread to the export thread.
 */
#include <stdlib.h>

#include "profile.h"

void snapshot__free(struct snapshot *s)
{
	if (!s)
		return;
	stack_table__free(s->stacks);
	free(s);
}

struct snapshot *snapshot__new(struct stack_table *stacks)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (s)
		s->stacks = stacks;
	return s;
}
