/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * aliases - look up one alias in aliases.cdb.  See aliases.h.
 */
#include <cdb.h>
#include <ctype.h>
#include <string.h>

#include "aliases.h"
#include "log.h"


/*
 * aliases_get - the targets of name (case ignored) in aliases.cdb open
 * on fd (-1: there is none), NUL-terminated one after another in out.
 * Returns 1, 0 if name is no alias, -1 on a temporary error or a
 * broken cdb.
 */
int
aliases_get(int fd, const char *name, struct sa *out)
{
	char key[256];
	unsigned vlen;
	size_t i;
	int r;

	out->len = 0;
	if (fd == -1 || strlcpy(key, name, sizeof(key)) >= sizeof(key))
		return 0;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	r = cdb_seek(fd, key, (unsigned)strlen(key), &vlen);
	if (r > 0) {
		if (vlen == 0 || vlen > ALIASES_VALUE_MAX ||
		    sa_ready(out, vlen) == -1 ||
		    cdb_bread(fd, out->s, vlen) == -1 ||
		    out->s[vlen - 1] != '\0') {
			log_warnx("control/aliases.cdb: bad entry for %s: "
			    "rebuild it with qcdb aliases", key);
			r = -1;
		} else {
			out->len = vlen;
			r = 1;
		}
	} else if (r < 0)
		log_warn("unable to read control/aliases.cdb");
	return r;
}
