/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - whether a local part can be delivered.  See local.h.
 *
 * Extensions (user-ext) and virtual domains come with issue 7; until
 * then a local part is an alias or a user exactly, as in lspawn.
 */
#include <stddef.h>

#include "aliases.h"
#include "local.h"
#include "sa.h"
#include "users.h"

/*
 * local_exists - whether localpart (the plain form, as lspawn resolves
 * it; case ignored) is an alias or a user other than uid 0.  Returns 1,
 * 0, or -1 on a temporary error (logged by the lookups).  An alias
 * counts as it stands: its targets were checked by qcdb, and one that
 * leads nowhere bounces at delivery, as lspawn decides.
 */
int
local_exists(const char *localpart)
{
	struct user_entry u;
	struct sa targets = SA_INIT;
	int r;

	if (localpart == NULL || localpart[0] == '\0')
		return 0;
	r = aliases_lookup(localpart, &targets);
	sa_free(&targets);
	if (r != 0)
		return r;
	if ((r = users_lookup(localpart, &u)) != 1)
		return r;
	/* lspawn never delivers as root: such mail would bounce */
	return u.uid != 0;
}
