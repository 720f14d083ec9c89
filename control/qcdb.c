/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qcdb - rebuild control/<name>.cdb from the text file control/<name>.
 *
 * Run by the admin (or the instance's user in single-user mode), with
 * whatever ids it was started with; it trusts nothing in the text file
 * and checks every line with the same parsers the readers use
 * (users_parse_value, addr_parse, addr_valid_domain, relay_key,
 * relayrcpt_key, clientaccess_parse), so a
 * cdb it writes is one the lookups accept.  The new cdb is written to
 * <name>.cdb.tmp, fsynced and renamed over the old one, and the
 * directory is fsynced (lib/atomic.h): a reader sees the old cdb or
 * the new one, never a half-written one, and a crash cannot leave an
 * empty one.  Any error leaves the old cdb as it was.
 *
 * With -n it only checks: the same parsers, no cdb written (qpost-check
 * runs it so that the text files are read by the one parser there is).
 *
 * Exit: 0 built (or, with -n, good), 100 bad input or usage, 111 system
 * error.
 */
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cdb.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "atomic.h"
#include "buf.h"
#include "clientaccess.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "relay.h"
#include "relayrcpt.h"
#include "sa.h"
#include "senders.h"
#include "users.h"

#define USAGE	"usage: qcdb [-hn] [name ...]\n" \
		"  rebuild control/<name>.cdb from control/<name>;\n" \
		"  -n: check the text only, write nothing;\n" \
		"  names: users, aliases, rcpthosts, relay, senders,\n" \
		"  relayrecipients, clientaccess\n" \
		"  (default: each\n" \
		"  whose text exists)\n"

/* the kinds of file, in the order of known[] in main() */
enum kind {
	KIND_USERS,
	KIND_ALIASES,
	KIND_RCPTHOSTS,
	KIND_RELAY,
	KIND_SENDERS,
	KIND_RELAYRCPT,
	KIND_CLIENTACCESS
};

/* a key already added, for duplicate detection */
struct seen_key {
	char	*key;
	size_t	 line;
};

/* one rebuild in progress: what the error helpers need to clean up */
struct build {
	const char	*name;		/* "users", "aliases", ... */
	enum kind	 kind;
	int		 dirfd;		/* the control directory */
	struct atomic	 at;		/* the temporary cdb */
	int		 is_open;	/* at holds a temporary file */
	struct cdb_make	 cm;
	void		*seen;		/* tsearch tree of keys */
	struct seen_key	**keys;		/* the same keys, to free them */
	size_t		 entries;
	int		 has_names;	/* clientaccess: a rule by name */
};

static struct build *current;
static int	 check_only;	/* -n: parse, write nothing */

/* cleanup - remove the temporary cdb, so the old one stays in force. */
static void
cleanup(void)
{
	if (current != NULL && current->is_open) {
		atomic_abort(&current->at);
		current->is_open = 0;
	}
}

/*
 * bad - report bad input at a line of the text file and exit 100.
 * The line reads "qcdb: control/aliases: line 3: ...", like a
 * compiler's, so an editor can jump to it; it is a fact about the
 * input, not a failure of qcdb, hence no "fatal:" word.
 */
static void __attribute__((format(printf, 2, 3), noreturn))
bad(size_t line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cleanup();
	if (line > 0)
		log_info("control/%s: line %zu: %s", current->name, line, msg);
	else
		log_info("control/%s: %s", current->name, msg);
	if (!check_only)
		log_info("control/%s.cdb left as it was", current->name);
	_exit(EXIT_PERM);
}

/* fail - a system error (errno set): remove the temporary cdb, exit 111. */
static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cleanup();
	errno = saved;
	die(EXIT_TEMP, "%s", msg);
}

static int
seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen_key *)a)->key,
	    ((const struct seen_key *)b)->key);
}

/*
 * add_key - add key/value to the cdb, refusing a key seen before
 * unless is_set (the lists with empty values: a repeated entry says
 * nothing new, so it is skipped).  tinycdb's cdb_make_exists() would
 * read the temporary file back; we keep our own set instead, which
 * also remembers the first line.
 */
static void
add_key(struct build *b, size_t line, const char *key, const char *val,
    size_t vlen, int is_set)
{
	struct seen_key *k, **found;
	size_t klen = strlen(key);

	if ((k = malloc(sizeof(*k))) == NULL || (k->key = strdup(key)) == NULL)
		fail("unable to allocate memory");
	k->line = line;
	if ((found = tsearch(k, &b->seen, seen_cmp)) == NULL)
		fail("unable to allocate memory");
	if (*found != k) {
		if (!is_set)
			bad(line, "duplicate name %s (first on line %zu)", key,
			    (*found)->line);
		free(k->key);
		free(k);
		return;
	}
	if ((b->keys = reallocarray(b->keys, b->entries + 1,
	    sizeof(*b->keys))) == NULL)
		fail("unable to allocate memory");
	b->keys[b->entries] = k;
	if (check_only) {
		b->entries++;
		return;
	}
	if (klen > 0xffffffffu || vlen > 0xffffffffu ||
	    cdb_make_add(&b->cm, key, (unsigned)klen, val, (unsigned)vlen) != 0)
		fail("unable to write control/%s.cdb.tmp", b->name);
	b->entries++;
}

/*
 * localpart_key - check s (n bytes) is a local part with no domain and
 * store it lowercased in key; 0, or -1 if it is no local part.
 */
static int
localpart_key(const char *s, size_t n, char *key, size_t keysize)
{
	struct addr a;
	size_t i;

	if (addr_parse(s, n, &a, ADDR_BARE) != 1 || a.domain[0] != '\0' ||
	    strlcpy(key, a.local, keysize) >= keysize)
		return -1;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return 0;
}

/*
 * users_line - "localpart:uid:gid:home" to key localpart (lowercased),
 * value "uid:gid:home", checked with users_parse_value().
 */
static void
users_line(struct build *b, size_t line, const char *s, size_t n)
{
	char key[ADDR_LOCAL_MAX + 1];
	struct user_entry u;
	const char *colon, *v;
	size_t vlen;

	if ((colon = memchr(s, ':', n)) == NULL)
		bad(line, "want localpart:uid:gid:home");
	if (localpart_key(s, (size_t)(colon - s), key, sizeof(key)) == -1)
		bad(line, "\"%.*s\" is not a local part", (int)(colon - s), s);
	v = colon + 1;
	vlen = n - (size_t)(v - s);
	if (users_parse_value(v, vlen, &u) == -1)
		bad(line, "want localpart:uid:gid:home with decimal uid and "
		    "gid and an absolute home");
	if (u.uid == 0)
		log_warnx("control/users: line %zu: %s has uid 0; qpost "
		    "never delivers as root, so mail to it will bounce", line,
		    key);
	add_key(b, line, key, v, vlen, 0);
}

/* alias_add - aliases_parse's callback: one alias into the cdb. */
static int
alias_add(void *arg, const struct aliases_entry *e, struct aliases_error *err)
{
	(void)err;
	add_key(arg, e->line, e->key, e->val, e->vlen, 0);
	return ALIASES_OK;
}

/*
 * aliases_text - the whole of control/aliases through the parser lspawn
 * relies on (lookup/aliases_parse.c); an error names line and alias.
 */
static void
aliases_text(struct build *b, const struct sa *raw)
{
	struct aliases_error err;
	int r;

	r = aliases_parse(raw->s, raw->len, alias_add, b, &err);
	if (r == ALIASES_SYSERR)
		fail("unable to allocate memory");
	if (r != ALIASES_OK) {
		if (err.name[0] != '\0')
			bad(err.line, "alias %s: %s", err.name, err.text);
		bad(err.line, "%s", err.text);
	}
}

/*
 * rcpthosts_line - "example.org" or ".example.org" to the same key,
 * lowercased.  Address literals are refused: smtpd never relays to
 * one, so listing it could only mislead.
 */
static void
rcpthosts_line(struct build *b, size_t line, const char *s, size_t n)
{
	char key[ADDR_DOMAIN_MAX + 2];
	size_t i, dot = n > 0 && s[0] == '.';

	if (n - dot > 0 && s[dot] == '[')
		bad(line, "\"%.*s\": an address literal is not a domain here",
		    (int)n, s);
	if (!addr_valid_domain(s + dot, n - dot, ADDR_UTF8))
		bad(line, "\"%.*s\" is not a domain or .domain", (int)n, s);
	memcpy(key, s, n);
	key[n] = '\0';
	for (i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	add_key(b, line, key, "", 0, 1);
}

/*
 * relay_line - "a.b.c.d", "a.b.c.d/len", "[v6]" or "[v6]/len" (read by
 * relay_net_parse, as smtpd reads control/proxyfrom) to the key
 * relay_key() makes of it (masked, canonical, with its length).
 */
static void
relay_line(struct build *b, size_t line, const char *s, size_t n)
{
	char key[RELAY_KEY_MAX];
	struct relay_net net;
	const char *why;

	if ((why = relay_net_parse(s, n, &net)) != NULL)
		bad(line, "\"%.*s\": %s", (int)n, s, why);
	if (relay_key(net.af, net.addr, net.len, key, sizeof(key)) == -1)
		bad(line, "\"%.*s\" is not a network", (int)n, s);
	/* host bits set: most likely a typo, so say what is stored */
	if (relay_net_has_host_bits(&net))
		log_warnx("control/relay: line %zu: %.*s has host bits set; "
		    "stored as %s", line, (int)n, s, key);
	add_key(b, line, key, "", 0, 1);
}

/*
 * senders_line - "user: address, address" to key user (lowercased, a
 * plain local part as qpasswd names users), value the addresses, each
 * checked with addr_parse (a domain is required) and NUL-terminated.
 * One line per user: a user's addresses all on its line.
 */
static void
senders_line(struct build *b, size_t line, const char *s, size_t n)
{
	char key[ADDR_LOCAL_MAX + 1];
	struct sa val = SA_INIT;
	const char *colon, *name, *t, *comma, *end = s + n;
	struct addr a;
	size_t nn, tn, count = 0;

	if ((colon = memchr(s, ':', n)) == NULL)
		bad(line, "want user: address, address");
	nn = (size_t)(colon - s);
	name = ctl_trim(s, &nn);
	if (localpart_key(name, nn, key, sizeof(key)) == -1 ||
	    strchr(key, '"') != NULL)
		bad(line, "\"%.*s\" is not a user name", (int)nn, name);
	for (s = colon + 1; s < end; s = comma + 1) {
		comma = memchr(s, ',', (size_t)(end - s));
		tn = (size_t)((comma ? comma : end) - s);
		t = ctl_trim(s, &tn);
		if (tn == 0)
			bad(line, "empty address in the list of %s", key);
		if (addr_parse(t, tn, &a, 0) != 1 || a.domain[0] == '\0')
			bad(line, "\"%.*s\" is not an address local@domain",
			    (int)tn, t);
		if (++count > SENDERS_MAX)
			bad(line, "%s has more than %d addresses", key,
			    SENDERS_MAX);
		if (sa_catb(&val, t, tn) == -1 || sa_catc(&val, '\0') == -1)
			fail("unable to allocate memory");
		if (comma == NULL)
			break;
	}
	if (count == 0)
		bad(line, "%s has no addresses", key);
	add_key(b, line, key, val.s, val.len, 0);
	sa_free(&val);
}

/*
 * relayrcpt_line - "user@example.org" or "@example.org" to the key
 * relayrcpt_key makes of it (lower case, the local part unquoted, as
 * smtpd looks it up).
 */
static void
relayrcpt_line(struct build *b, size_t line, const char *s, size_t n)
{
	char key[RELAYRCPT_KEY_MAX], plain[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];
	struct addr a;

	plain[0] = '\0';
	if (n > 1 && s[0] == '@') {
		if (s[1] == '[' || !addr_valid_domain(s + 1, n - 1, ADDR_UTF8))
			bad(line, "\"%.*s\": want @ and a domain", (int)n, s);
		memcpy(domain, s + 1, n - 1);
		domain[n - 1] = '\0';
	} else {
		if (addr_parse(s, n, &a, ADDR_UTF8) != 1 ||
		    a.domain[0] == '\0' || a.domain[0] == '[' ||
		    addr_localpart_plain(&a, plain, sizeof(plain)) == -1)
			bad(line, "\"%.*s\" is not an address local@domain or "
			    "@domain", (int)n, s);
		(void)strlcpy(domain, a.domain, sizeof(domain));
	}
	if (relayrcpt_key(plain, domain, key, sizeof(key)) == -1)
		bad(line, "\"%.*s\" is too long", (int)n, s);
	add_key(b, line, key, "", 0, 1);
}

/*
 * clientaccess_line - "PATTERN ACTION [TEXT]", read by
 * clientaccess_parse, to its key and value; the first rule by name
 * also adds the key that tells smtpd to look clients' names up.
 */
static void
clientaccess_line(struct build *b, size_t line, const char *s, size_t n)
{
	struct clientaccess_line l;
	const char *why;
	size_t pn = 0;

	if ((why = clientaccess_parse(s, n, &l)) != NULL)
		bad(line, "\"%.*s\": %s", (int)n, s, why);
	while (pn < n && s[pn] != ' ' && s[pn] != '\t')
		pn++;
	/* host bits set: most likely a typo, so say what is stored */
	if (l.masked)
		log_warnx("control/clientaccess: line %zu: %.*s has host bits "
		    "set; stored as %s", line, (int)pn, s, l.key);
	add_key(b, line, l.key, l.value, strlen(l.value), 0);
	if (l.is_name && !b->has_names) {
		add_key(b, line, CLIENTACCESS_NAMES_KEY, "", 0, 0);
		b->has_names = 1;
	}
}

/*
 * read_text - the whole text file, into raw; exits 100 if absent
 * (the caller asked for it), 111 if it cannot be read.
 */
static void
read_text(struct build *b, struct sa *raw)
{
	char chunk[8192];
	struct stat st;
	ssize_t r;
	int fd;

	if ((fd = openat(b->dirfd, b->name, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			bad(0, "no such file: nothing to build");
		fail("unable to open control/%s", b->name);
	}
	if (fstat(fd, &st) == -1)
		fail("unable to stat control/%s", b->name);
	if (!S_ISREG(st.st_mode))
		bad(0, "not a regular file");
	if (st.st_size > (off_t)CTL_FILE_MAX)
		bad(0, "larger than %u bytes", CTL_FILE_MAX);
	while ((r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (raw->len + (size_t)r > CTL_FILE_MAX)
			bad(0, "larger than %u bytes", CTL_FILE_MAX);
		if (sa_catb(raw, chunk, (size_t)r) == -1)
			fail("unable to allocate memory");
	}
	if (r == -1)
		fail("unable to read control/%s", b->name);
	(void)close(fd);
}

/* parse - walk the lines of raw, adding entries to the cdb. */
static void
parse(struct build *b, const struct sa *raw)
{
	const char *line, *next, *end, *s;
	size_t n, lineno = 0;
	int is_cont;

	if (raw->len == 0)
		return;		/* an empty file makes an empty cdb */
	if (b->kind == KIND_ALIASES) {
		aliases_text(b, raw);
		return;
	}
	end = raw->s + raw->len;
	for (line = raw->s; line < end; line = next) {
		lineno++;
		next = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((next ? next : end) - line);
		if (next != NULL)
			next++;
		if (n > CTL_LINE_MAX)
			bad(lineno, "longer than %u bytes", CTL_LINE_MAX);
		if (memchr(line, '\0', n) != NULL)
			bad(lineno, "contains a NUL byte");
		is_cont = n > 0 && (line[0] == ' ' || line[0] == '\t');
		s = ctl_trim(line, &n);
		if (n == 0 || s[0] == '#')
			continue;
		switch (b->kind) {
		case KIND_ALIASES:
			break;		/* aliases_text */
		case KIND_USERS:
			if (is_cont)
				bad(lineno, "starts with a blank: want "
				    "localpart:uid:gid:home");
			users_line(b, lineno, s, n);
			break;
		case KIND_RCPTHOSTS:
			rcpthosts_line(b, lineno, s, n);
			break;
		case KIND_RELAY:
			relay_line(b, lineno, s, n);
			break;
		case KIND_SENDERS:
			if (is_cont)
				bad(lineno, "starts with a blank: want "
				    "user: address, address on one line");
			senders_line(b, lineno, s, n);
			break;
		case KIND_RELAYRCPT:
			relayrcpt_line(b, lineno, s, n);
			break;
		case KIND_CLIENTACCESS:
			clientaccess_line(b, lineno, s, n);
			break;
		}
	}
}

/* build - rebuild control/<name>.cdb from control/<name>. */
static void
build(int dirfd, const char *name, enum kind kind)
{
	struct build b;
	struct sa raw = SA_INIT;
	char tmp[64], dst[64];
	size_t i;

	memset(&b, 0, sizeof(b));
	b.name = name;
	b.kind = kind;
	b.dirfd = dirfd;
	current = &b;
	read_text(&b, &raw);
	if (check_only) {
		parse(&b, &raw);
		goto done;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.cdb.tmp", name);
	(void)snprintf(dst, sizeof(dst), "%s.cdb", name);
	if (atomic_begin(&b.at, dirfd, tmp, dirfd, dst, 0644) == -1)
		fail("unable to create control/%s", tmp);
	b.is_open = 1;
	if (cdb_make_start(&b.cm, b.at.fd) != 0)
		fail("unable to start control/%s", tmp);
	parse(&b, &raw);
	if (cdb_make_finish(&b.cm) != 0)
		fail("unable to write control/%s", tmp);
	/* atomic_commit removes the temporary file itself on failure */
	b.is_open = 0;
	if (atomic_commit(&b.at, ATOMIC_SYNC_DIR) == -1)
		die(EXIT_TEMP, "unable to put control/%s in place", dst);
done:
	sa_free(&raw);
	for (i = 0; i < b.entries; i++) {
		(void)tdelete(b.keys[i], &b.seen, seen_cmp);
		free(b.keys[i]->key);
		free(b.keys[i]);
	}
	free(b.keys);
	current = NULL;
}

int
main(int argc, char **argv)
{
	static const char *const known[] = {
		[KIND_USERS] = "users",
		[KIND_ALIASES] = "aliases",
		[KIND_RCPTHOSTS] = "rcpthosts",
		[KIND_RELAY] = "relay",
		[KIND_SENDERS] = "senders",
		[KIND_RELAYRCPT] = "relayrecipients",
		[KIND_CLIENTACCESS] = "clientaccess",
	};
	const size_t nknown = sizeof(known) / sizeof(known[0]);
	const char *dir;
	size_t i;
	int ch, dirfd;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "hn")) != -1) {
		switch (ch) {
		case 'h':
			usage_exit(USAGE, 0);
		case 'n':
			check_only = 1;
			break;
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	argc -= optind;
	argv += optind;
	for (ch = 0; ch < argc; ch++) {
		for (i = 0; i < nknown; i++)
			if (strcmp(argv[ch], known[i]) == 0)
				break;
		if (i == nknown)
			diex(EXIT_PERM, "unknown control file %s: qcdb builds "
			    "users, aliases, rcpthosts, relay, senders, "
			    "relayrecipients and clientaccess",
			    argv[ch]);
	}
	/* new files are 0644 whatever the umask (atomic_begin fchmods) */
	dir = paths_control();
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(EXIT_TEMP, "unable to open control directory %s", dir);
	if (argc > 0) {
		for (ch = 0; ch < argc; ch++)
			for (i = 0; i < nknown; i++)
				if (strcmp(argv[ch], known[i]) == 0)
					build(dirfd, known[i], (enum kind)i);
		return 0;
	}
	for (i = 0; i < nknown; i++) {
		if (faccessat(dirfd, known[i], F_OK, 0) == -1) {
			if (errno == ENOENT)
				continue;
			die(EXIT_TEMP, "unable to look for control/%s",
			    known[i]);
		}
		build(dirfd, known[i], (enum kind)i);
	}
	return 0;
}
