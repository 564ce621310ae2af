// SPDX-License-Identifier: GPL-2.0
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
