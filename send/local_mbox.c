/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_mbox - SCAFFOLD: replaced by the real delivery before this
 * branch lands; until then the instruction fails temporarily.
 */
#include <stdio.h>

#include "local.h"

int
local_mbox(const struct local_msg *m, const char *path, char *text,
    size_t size)
{
	(void)path;
	(void)snprintf(text, size, "4.3.0 <%s>: mbox delivery is not built "
	    "yet", m->recipient);
	return LOCAL_TEMP;
}
