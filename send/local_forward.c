/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_forward - SCAFFOLD: replaced by the real delivery before this
 * branch lands; until then the instruction fails temporarily.
 */
#include <stdio.h>

#include "local.h"

int
local_forward(const struct local_msg *m, const char *address, char *text,
    size_t size)
{
	(void)address;
	(void)snprintf(text, size, "4.3.0 <%s>: forward delivery is not built "
	    "yet", m->recipient);
	return LOCAL_TEMP;
}
