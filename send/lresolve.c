/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lresolve - one local recipient to its deliveries.  See lresolve.h.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "ctl.h"
/* lookup/local.h: a bare "local.h" here would be send/local.h */
#include "../lookup/local.h"
#include "log.h"
#include "lresolve.h"
#include "priv.h"
#include "sa.h"
#include "users.h"
#include "vdomains.h"

/* the names being expanded, outermost first, for loop detection */
struct path {
	const char	*name[ALIASES_DEPTH_MAX + 2];
	size_t		 depth;
};

static void	expand_mailbox(struct lres *, const char *, const char *);
static void	expand_name(struct lres *, const char *, const char *,
		    struct path *);
static void	expand_target(struct lres *, const char *, const char *,
		    struct path *);

/* failed - the first failure decides; later steps stop on it. */
static void __attribute__((format(printf, 3, 4)))
failed(struct lres *r, char status, const char *fmt, ...)
{
	va_list ap;

	if (r->status != 0)
		return;
	r->status = status;
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* grow - room for one more delivery, zeroed; NULL after a failure. */
static struct lres_delivery *
grow(struct lres *r)
{
	struct lres_delivery *d;

	if (r->n == ALIASES_TARGETS_MAX) {
		failed(r, SPAWN_PERM, "5.4.6 <%s>: more than %d deliveries",
		    r->rcpt, ALIASES_TARGETS_MAX);
		return NULL;
	}
	if ((d = reallocarray(r->d, r->n + 1, sizeof(*d))) == NULL) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: out of memory", r->rcpt);
		return NULL;
	}
	r->d = d;
	d = &r->d[r->n++];
	memset(d, 0, sizeof(*d));
	return d;
}

/*
 * add_mailbox - deliver to user name (found as L with extension ext),
 * once however many aliases lead there.  RECIPIENT is the address that
 * named it (the envelope's for the recipient itself, an alias target's
 * address), else, for a bare local part, L@domain as before.
 */
static void
add_mailbox(struct lres *r, const char *name, const struct user_entry *u,
    const char *L, const char *ext, const char *shown, const char *alias)
{
	struct lres_delivery *d;
	size_t i;
	int n;

	for (i = 0; i < r->n; i++)
		if (r->d[i].is_mailbox && strcmp(r->d[i].local, L) == 0)
			return;
	if (u->uid == 0) {
		failed(r, SPAWN_PERM, "5.7.1 <%s>: refusing to deliver to %s "
		    "as uid 0: alias the name to a user", r->rcpt, name);
		return;
	}
	if ((d = grow(r)) == NULL)
		return;
	d->is_mailbox = 1;
	d->user = *u;
	(void)strlcpy(d->name, name, sizeof(d->name));
	(void)strlcpy(d->local, L, sizeof(d->local));
	(void)strlcpy(d->ext, ext, sizeof(d->ext));
	(void)strlcpy(d->alias, alias, sizeof(d->alias));
	if (strchr(shown, '@') != NULL)
		n = snprintf(d->rcpt, sizeof(d->rcpt), "%s", shown);
	else
		n = snprintf(d->rcpt, sizeof(d->rcpt), "%s@%s", L,
		    r->addr.domain);
	if (n < 0 || (size_t)n >= sizeof(d->rcpt))
		failed(r, SPAWN_PERM, "5.1.3 <%s@%s>: address too long", L,
		    r->addr.domain);
}

/*
 * load_aliasuser - who runs the files, programs, forwards and LMTP
 * targets of aliases: control/aliasuser (default nobody), in
 * single-user mode the instance's user; home "/" unless the account
 * has a home that exists.  Never uid 0.  Returns 0 or -1 (failed).
 */
static int
load_aliasuser(struct lres *r)
{
	struct sa v = SA_INIT;
	struct passwd *pw;
	struct stat st;
	int c;

	if (r->has_aliasuser)
		return 0;
	if (priv_single_user()) {
		pw = getpwuid(getuid());
		(void)strlcpy(r->aliasuser_name, pw != NULL ? pw->pw_name :
		    "-", sizeof(r->aliasuser_name));
		r->aliasuser.uid = getuid();
		r->aliasuser.gid = getgid();
	} else {
		if ((c = ctl_line("aliasuser", &v)) == -1) {
			sa_free(&v);
			failed(r, SPAWN_TEMP, "4.3.0 <%s>: control/aliasuser "
			    "is broken", r->rcpt);
			return -1;
		}
		(void)strlcpy(r->aliasuser_name, c == 1 ? v.s :
		    LRES_ALIASUSER_DEFAULT, sizeof(r->aliasuser_name));
		sa_free(&v);
		if ((pw = getpwnam(r->aliasuser_name)) == NULL) {
			failed(r, SPAWN_TEMP, "4.3.0 <%s>: the alias user %s "
			    "has no account: set control/aliasuser", r->rcpt,
			    r->aliasuser_name);
			return -1;
		}
		r->aliasuser.uid = pw->pw_uid;
		r->aliasuser.gid = pw->pw_gid;
	}
	if (r->aliasuser.uid == 0) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: the alias user must not be "
		    "root: set control/aliasuser", r->rcpt);
		return -1;
	}
	(void)strlcpy(r->aliasuser.home, "/", sizeof(r->aliasuser.home));
	if (pw != NULL && pw->pw_dir[0] == '/' && stat(pw->pw_dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		(void)strlcpy(r->aliasuser.home, pw->pw_dir,
		    sizeof(r->aliasuser.home));
	r->has_aliasuser = 1;
	return 0;
}

/*
 * add_target - an instruction for `local -t' (a file, a program, LMTP,
 * or "&address" to forward), run as the alias user, once.
 */
static void
add_target(struct lres *r, const char *prefix, const char *t,
    const char *alias)
{
	struct lres_delivery *d;
	char line[sizeof(d->target)];
	size_t i;
	int n;

	n = snprintf(line, sizeof(line), "%s%s", prefix, t);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		failed(r, SPAWN_PERM, "5.3.5 <%s>: alias %s: target too long",
		    r->rcpt, alias);
		return;
	}
	for (i = 0; i < r->n; i++)
		if (!r->d[i].is_mailbox && strcmp(r->d[i].target, line) == 0)
			return;
	if (load_aliasuser(r) == -1 || (d = grow(r)) == NULL)
		return;
	d->user = r->aliasuser;
	d->user.is_virtual = 0;
	(void)strlcpy(d->name, r->aliasuser_name, sizeof(d->name));
	(void)strlcpy(d->local, r->local, sizeof(d->local));
	(void)strlcpy(d->ext, r->ext, sizeof(d->ext));
	(void)strlcpy(d->rcpt, r->rcpt, sizeof(d->rcpt));
	(void)strlcpy(d->target, line, sizeof(d->target));
	(void)strlcpy(d->alias, alias, sizeof(d->alias));
}

/*
 * enter - put name on the path: a loop if it is there already, too
 * deep past ALIASES_DEPTH_MAX.  Returns 0, or -1 (failed).
 */
static int
enter(struct lres *r, struct path *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->depth; i++)
		if (strcmp(p->name[i], name) == 0) {
			failed(r, SPAWN_PERM, "5.4.6 <%s>: alias loop at %s",
			    r->rcpt, name);
			return -1;
		}
	if (p->depth >= ALIASES_DEPTH_MAX) {
		failed(r, SPAWN_PERM, "5.4.6 <%s>: aliases nested more than "
		    "%d deep at %s", r->rcpt, ALIASES_DEPTH_MAX, name);
		return -1;
	}
	p->name[p->depth++] = name;
	return 0;
}

/* expand_list - each target in list (NUL-terminated), for alias. */
static void
expand_list(struct lres *r, const struct sa *list, const char *alias,
    struct path *p)
{
	const char *t;

	for (t = list->s; r->status == 0 && t != NULL &&
	    t < list->s + list->len; t += strlen(t) + 1)
		expand_target(r, t, alias, p);
}

/*
 * read_include - the targets of an :include: file into list, after
 * the checks that make it as trusted as control/aliases: a regular
 * file, not a symbolic link, owned by root or the alias user, writable
 * by nobody else.  Returns 0 or -1 (failed).
 */
static int
read_include(struct lres *r, const char *file, const char *alias,
    struct sa *list)
{
	struct aliases_error err;
	struct sa raw = SA_INIT;
	struct stat st;
	char chunk[4096];
	size_t count;
	ssize_t n;
	int fd, e;

	if (load_aliasuser(r) == -1)
		return -1;
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		e = errno;
		log_warn("unable to open %s (alias %s)", file, alias);
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: alias %s: unable to read "
		    ":include:%s: %s", r->rcpt, alias, file, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 022) != 0 ||
	    (st.st_uid != 0 && st.st_uid != r->aliasuser.uid) ||
	    st.st_size > (off_t)ALIASES_INCLUDE_MAX) {
		(void)close(fd);
		log_warnx("alias %s: %s is not a regular file of root or %s "
		    "that only its owner may write, or is too large: ignored",
		    alias, file, r->aliasuser_name);
		failed(r, SPAWN_TEMP, "4.7.0 <%s>: alias %s: :include:%s is "
		    "unsafe", r->rcpt, alias, file);
		return -1;
	}
	while ((n = fd_read(fd, chunk, sizeof(chunk))) > 0)
		if (raw.len + (size_t)n > ALIASES_INCLUDE_MAX ||
		    sa_catb(&raw, chunk, (size_t)n) == -1) {
			n = -1;
			break;
		}
	(void)close(fd);
	if (n == -1) {
		sa_free(&raw);
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: alias %s: unable to read "
		    ":include:%s", r->rcpt, alias, file);
		return -1;
	}
	e = aliases_parse_list(raw.s, raw.len, list, &count, &err);
	sa_free(&raw);
	if (e == ALIASES_SYSERR) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: out of memory", r->rcpt);
		return -1;
	}
	if (e != ALIASES_OK) {
		failed(r, SPAWN_PERM, "5.3.0 <%s>: alias %s: %s line %zu: %s",
		    r->rcpt, alias, file, err.line, err.text);
		return -1;
	}
	return 0;
}

/* expand_include - the targets of :include:file, one level deeper. */
static void
expand_include(struct lres *r, const char *t, const char *alias,
    struct path *p)
{
	struct sa list = SA_INIT;

	if (enter(r, p, t) == -1)
		return;
	if (read_include(r, t + 9, alias, &list) == 0)
		expand_list(r, &list, alias, p);
	sa_free(&list);
	p->depth--;
}

/*
 * expand_address - a local part or an address named by alias: expanded
 * again if its domain is local (a virtual one gets its prefix), else
 * forwarded.
 */
static void
expand_address(struct lres *r, const char *t, const char *alias,
    struct path *p)
{
	char plain[ADDR_LOCAL_MAX + 1], L[ADDR_LOCAL_MAX + 1];
	char prefix[VDOM_PREFIX_MAX + 1];
	struct addr a;
	size_t i;
	int is_local;

	if (addr_parse(t, strlen(t), &a, ADDR_UTF8 | ADDR_BARE) != 1 ||
	    addr_localpart_plain(&a, plain, sizeof(plain)) == -1) {
		failed(r, SPAWN_PERM, "5.1.3 <%s>: alias %s: bad target <%s>",
		    r->rcpt, alias, t);
		return;
	}
	if (a.domain[0] == '\0') {
		for (i = 0; plain[i] != '\0'; i++)
			plain[i] = (char)tolower((unsigned char)plain[i]);
		/*
		 * An alias naming itself ("bob: bob, bob@elsewhere") means
		 * the mailbox of that name, as sendmail and Postfix read it,
		 * not a loop: the same as "\bob".
		 */
		if (strcasecmp(plain, alias) == 0) {
			char self[ADDR_LOCAL_MAX + 2];

			(void)snprintf(self, sizeof(self), "\\%s", plain);
			expand_mailbox(r, self, alias);
			return;
		}
		expand_name(r, plain, t, p);
		return;
	}
	if (!r->has_locals) {
		if ((is_local = ctl_list("locals", &r->locals)) == 0)
			is_local = ctl_list("me", &r->locals);
		if (is_local != 1) {
			failed(r, SPAWN_TEMP, "4.3.0 <%s>: unable to read "
			    "control/locals or control/me", r->rcpt);
			return;
		}
		r->has_locals = 1;
	}
	is_local = local_domain(&r->locals, a.domain, prefix, sizeof(prefix));
	if (is_local == 0) {
		add_target(r, "&", t, alias);
		return;
	}
	if (is_local == -1) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: control/virtualdomains is "
		    "broken", r->rcpt);
		return;
	}
	if (local_rewrite(plain, prefix, r->sep, L, sizeof(L)) == -2) {
		failed(r, SPAWN_PERM, "5.1.1 <%s>: alias %s: no mailbox here "
		    "by that name", t, alias);
		return;
	}
	expand_name(r, L, t, p);
}

/* expand_mailbox - \user: that user's mailbox, not expanded again. */
static void
expand_mailbox(struct lres *r, const char *t, const char *alias)
{
	char plain[ADDR_LOCAL_MAX + 1];
	struct user_entry u;
	struct addr a;
	size_t i;
	int found;

	if (addr_parse(t + 1, strlen(t + 1), &a, ADDR_UTF8 | ADDR_BARE) != 1 ||
	    addr_localpart_plain(&a, plain, sizeof(plain)) == -1) {
		failed(r, SPAWN_PERM, "5.1.3 <%s>: alias %s: bad target <%s>",
		    r->rcpt, alias, t);
		return;
	}
	for (i = 0; plain[i] != '\0'; i++)
		plain[i] = (char)tolower((unsigned char)plain[i]);
	if ((found = users_lookup(plain, &u)) == -1)
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: unable to look up the user "
		    "%s", r->rcpt, plain);
	else if (found == 0)
		failed(r, SPAWN_PERM, "5.1.1 <%s>: alias %s: no mailbox %s "
		    "here", r->rcpt, alias, plain);
	else
		add_mailbox(r, plain, &u, plain, "", plain, alias);
}

/* expand_target - one target of alias, by its kind. */
static void
expand_target(struct lres *r, const char *t, const char *alias,
    struct path *p)
{
	switch (aliases_kind(t)) {
	case ALIASES_ADDRESS:
		expand_address(r, t, alias, p);
		break;
	case ALIASES_MAILBOX:
		expand_mailbox(r, t, alias);
		break;
	case ALIASES_INCLUDE:
		expand_include(r, t, alias, p);
		break;
	default:	/* files, programs, LMTP: local -t knows them */
		add_target(r, "", t, alias);
		break;
	}
}

/*
 * expand_name - L (lowercased, virtual prefix applied; shown in texts
 * as shown): a mailbox, or an alias (or a built-in one) whose targets
 * are expanded in turn.
 */
static void
expand_name(struct lres *r, const char *L, const char *shown,
    struct path *p)
{
	struct local_found f;
	int found;

	memset(&f, 0, sizeof(f));
	found = local_find(L, r->sep, &f);
	/* every domain has a postmaster, virtual ones too (RFC 5321) */
	if (found == 0 && p->depth == 0 && r->is_virtual &&
	    strcasecmp(r->plain, "postmaster") == 0)
		found = local_find("postmaster", r->sep, &f);
	if (found == -1)
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: unable to look up %s",
		    r->rcpt, L);
	else if (found == 0)
		failed(r, SPAWN_PERM, "5.1.1 <%s>: no mailbox here by that "
		    "name", shown);
	else if (f.kind == LFIND_NOADMIN)
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: mail to root goes to the "
		    "administrator: set control/admin", r->rcpt);
	else if (f.kind == LFIND_USER)
		add_mailbox(r, f.base, &f.user, f.local, f.ext, shown,
		    p->depth > 0 ? p->name[p->depth - 1] : "");
	else if (enter(r, p, f.base) == 0) {
		if (p->depth == 1)
			(void)strlcpy(r->ext, f.ext, sizeof(r->ext));
		expand_list(r, &f.targets, f.base, p);
		p->depth--;
	}
	sa_free(&f.targets);
}

/*
 * lres_resolve - resolve rcpt (an address of a local domain, as sched
 * sends it).  Returns 0 with r->d[0..r->n) to start, or -1 with
 * r->status and r->text.  Call lres_free after either.
 */
int
lres_resolve(struct lres *r, const char *rcpt)
{
	char prefix[VDOM_PREFIX_MAX + 1];
	struct path p;
	int v;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->rcpt = rcpt;
	if (addr_parse(rcpt, strlen(rcpt), &r->addr, ADDR_UTF8) != 1 ||
	    addr_localpart_plain(&r->addr, r->plain, sizeof(r->plain)) == -1) {
		failed(r, SPAWN_PERM, "5.1.3 <%s>: bad recipient address "
		    "syntax", rcpt);
		return -1;
	}
	if (local_extsep(&r->sep) == -1) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: control/extsep is broken",
		    rcpt);
		return -1;
	}
	if ((v = local_prefix(r->addr.domain, prefix, sizeof(prefix))) == -1) {
		failed(r, SPAWN_TEMP, "4.3.0 <%s>: control/virtualdomains is "
		    "broken", rcpt);
		return -1;
	}
	if (local_rewrite(r->plain, prefix, r->sep, r->local,
	    sizeof(r->local)) == -2) {
		failed(r, SPAWN_PERM, "5.1.1 <%s>: no mailbox here by that "
		    "name", rcpt);
		return -1;
	}
	r->is_virtual = v;
	expand_name(r, r->local, rcpt, &p);
	if (r->status == 0 && r->n == 0)
		failed(r, SPAWN_PERM, "5.1.1 <%s>: no mailbox here by that "
		    "name", rcpt);
	return r->status == 0 ? 0 : -1;
}

void
lres_free(struct lres *r)
{
	free(r->d);
	r->d = NULL;
	r->n = 0;
	sa_free(&r->locals);
}
