/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - whether and where a local part goes.  See local.h.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aliases.h"
#include "ctl.h"
#include "local.h"
#include "log.h"
#include "sa.h"
#include "users.h"
#include "vdomains.h"

/*
 * local_extsep - control/extsep: one punctuation byte that cannot be
 * part of an address's syntax ('@', quotes, brackets...), default '+'.
 * Returns 0 and sets *sep, or -1 if the file is broken (logged).
 */
int
local_extsep(char *sep)
{
	struct sa v = SA_INIT;
	int r;

	*sep = LOCAL_EXTSEP_DEFAULT;
	if ((r = ctl_line("extsep", &v)) == 1) {
		if (v.len != 1 || !ispunct((unsigned char)v.s[0]) ||
		    strchr("@\"\\()<>[],:;.", v.s[0]) != NULL) {
			log_warnx("control file extsep: want one character "
			    "such as + or -");
			r = -1;
		} else
			*sep = v.s[0];
	}
	sa_free(&v);
	return r == -1 ? -1 : 0;
}

/*
 * local_prefix - domain's prefix from control/virtualdomains (read now)
 * into prefix, "" when it is no virtual domain.  Returns 1 (virtual), 0
 * (not), or -1 if virtualdomains is broken.
 */
int
local_prefix(const char *domain, char *prefix, size_t size)
{
	int r;

	if ((r = vdom_lookup(domain, prefix, size)) == 0)
		prefix[0] = '\0';
	return r;
}

/*
 * local_domain - whether domain is local: a virtual domain
 * (control/virtualdomains, read now), with its prefix put in prefix; or
 * in locals (control/locals, or control/me when locals is absent, as the
 * caller loaded it), with prefix "".  Returns 1, 0, or -1 if
 * virtualdomains is broken.
 */
int
local_domain(const struct sa *locals, const char *domain, char *prefix,
    size_t size)
{
	int r;

	if ((r = local_prefix(domain, prefix, size)) != 0)
		return r;
	return ctl_list_has(locals, domain) ? 1 : 0;
}

/*
 * local_rewrite - L for plain in a domain of prefix ("" when not
 * virtual): plain, or prefix<sep>plain, lowercased, into out.  Returns
 * 0, or -2 if too long (no such mailbox can exist).
 */
int
local_rewrite(const char *plain, const char *prefix, char sep, char *out,
    size_t size)
{
	size_t i;
	int n;

	if (prefix[0] != '\0')
		n = snprintf(out, size, "%s%c%s", prefix, sep, plain);
	else
		n = snprintf(out, size, "%s", plain);
	if (n < 0 || (size_t)n >= size)
		return -2;
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return 0;
}

/* builtin - postmaster, mailer-daemon and root when no alias says. */
static int
builtin(const char *name, struct local_found *f)
{
	struct sa admin = SA_INIT;
	int r;

	if (strcmp(name, "postmaster") == 0 ||
	    strcmp(name, "mailer-daemon") == 0) {
		f->kind = LFIND_DEFAULT;
		return sa_copys(&f->targets, "root") == -1 ||
		    sa_catc(&f->targets, '\0') == -1 ? -1 : 1;
	}
	if (strcmp(name, "root") != 0)
		return 0;
	if ((r = ctl_line("admin", &admin)) == -1) {
		sa_free(&admin);
		return -1;
	}
	f->kind = r == 1 ? LFIND_DEFAULT : LFIND_NOADMIN;
	f->targets.len = 0;
	if (r == 1 && (sa_catb(&f->targets, admin.s, admin.len) == -1 ||
	    sa_catc(&f->targets, '\0') == -1))
		r = -1;
	sa_free(&admin);
	return r == -1 ? -1 : 1;
}

/*
 * The cdbs one local_find reads, each opened once for all the names it
 * tries (not once a name: four opens a recipient with an extension).
 */
struct cdbs {
	int	 aliases;	/* -1: there is no aliases.cdb */
	int	 users;		/* -1: there is no users.cdb; -2: not yet open */
};

/*
 * find_base - name in aliases, the defaults, users.cdb, then (if
 * has_sep is false) the passwd file.  1 found, 0 not, -1 temporary.
 */
static int
find_base(struct cdbs *c, const char *name, int has_sep,
    struct local_found *f)
{
	int r;

	if ((r = aliases_get(c->aliases, name, &f->targets)) != 0) {
		f->kind = LFIND_ALIAS;
		return r;
	}
	if ((r = builtin(name, f)) != 0)
		return r;
	/* opened when first needed: an alias found does not depend on it */
	if (c->users == -2 && ctl_cdb_open_opt("users.cdb", &c->users) == -1)
		return -1;
	if ((r = users_get(c->users, name, !has_sep, &f->user)) == 1)
		f->kind = LFIND_USER;
	return r;
}

/* find_all - local_find's search, f->local set, the cdbs open in c */
static int
find_all(struct cdbs *c, char sep, struct local_found *f)
{
	size_t n = strlen(f->local);
	int r;

	for (;;) {
		memcpy(f->base, f->local, n);
		f->base[n] = '\0';
		f->ext = n < strlen(f->local) ? f->local + n + 1 : "";
		r = find_base(c, f->base, memchr(f->base, sep, n) != NULL, f);
		if (r != 0)
			return r;
		/* the next extsep from the right, before n */
		while (n > 0 && f->local[--n] != sep)
			;
		if (n == 0)
			return 0;
	}
}

/*
 * local_find - resolve L (lowercased: local_rewrite's result) with the
 * separator sep into f (f->targets must be initialised; the caller
 * frees it).  Returns 1 found, 0 no such recipient, -1 temporary.
 */
int
local_find(const char *L, char sep, struct local_found *f)
{
	struct cdbs c = { -1, -2 };
	int r;

	if (strlcpy(f->local, L, sizeof(f->local)) >= sizeof(f->local) ||
	    L[0] == '\0')
		return 0;
	if (ctl_cdb_open_opt("aliases.cdb", &c.aliases) == -1)
		return -1;
	r = find_all(&c, sep, f);
	if (c.aliases != -1)
		close(c.aliases);
	if (c.users >= 0)
		close(c.users);
	return r;
}

/*
 * local_mailbox - whether plain (the local part unquoted, as lspawn
 * resolves it) has somewhere to go in a local domain whose virtual
 * prefix local_domain gave ("" when not virtual).  Returns 1, 0, or -1
 * on a temporary error (logged).  An alias counts as it stands (qcdb
 * checked its targets; one that leads nowhere bounces at delivery); a
 * user of uid 0 does not (lspawn never delivers as root); root with no
 * control/admin does (the mail waits until the admin sets it).
 */
int
local_mailbox(const char *plain, const char *prefix)
{
	char L[ADDR_LOCAL_MAX + 1], sep;
	struct local_found f;
	int r;

	if (plain == NULL || plain[0] == '\0')
		return 0;
	if (local_extsep(&sep) == -1)
		return -1;
	if (local_rewrite(plain, prefix, sep, L, sizeof(L)) == -2)
		return 0;
	memset(&f, 0, sizeof(f));
	r = local_find(L, sep, &f);
	/* a virtual domain's postmaster is ours, as lspawn has it */
	if (r == 0 && prefix[0] != '\0' && strcasecmp(plain, "postmaster") == 0)
		r = local_find("postmaster", sep, &f);
	sa_free(&f.targets);
	if (r == 1 && f.kind == LFIND_USER && f.user.uid == 0)
		return 0;
	return r;
}

/*
 * local_exists - local_mailbox for plain@domain, domain a local or
 * virtual one, for a caller that has not looked the domain up (smtpd
 * has: local_domain gave it the prefix).  Returns 1, 0, or -1 on a
 * temporary error (logged).
 */
int
local_exists(const char *plain, const char *domain)
{
	char prefix[VDOM_PREFIX_MAX + 1];

	if (local_prefix(domain, prefix, sizeof(prefix)) == -1)
		return -1;
	return local_mailbox(plain, prefix);
}
