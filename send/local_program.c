/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_program - SCAFFOLD: replaced by the real delivery before this
 * branch lands; until then the instruction fails temporarily.
 */
#include <stdio.h>

#include "local.h"

int
local_program(const struct local_msg *m, const char *command, char *text,
    size_t size)
{
	(void)command;
	(void)snprintf(text, size, "4.3.0 <%s>: program delivery is not built "
	    "yet", m->recipient);
	return LOCAL_TEMP;
}
