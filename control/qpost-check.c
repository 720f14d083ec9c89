/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpost-check - load every control file through the parsers the
 * programs use, report each problem as "file:line: what is wrong", and
 * print the effective configuration in one canonical form.
 *
 * Run by the admin, as root or as the instance's user; it reads the
 * control directory and writes nothing.  The parsers are the programs'
 * own: control/ctl.c for every file, qcdb -n for the files qcdb
 * compiles, policy_cdb_open for a cdb missing or older than its text,
 * remote_cfg_load and remote_route_check for the remote sender's files,
 * dns_init for resolvers, dnsbl_load for smtpd's DNSBL files, dot_next
 * for defaultdelivery.  They report a
 * problem by a log line on stderr; qpost-check catches those lines on
 * a pipe and rewrites them as file:line (check_log.c).  What only qpost-check checks:
 * the owner and mode of the secret files, and unknown files.
 *
 * Exit: 0 no error (warnings allowed unless -w), 1 warnings only with
 * -w, 100 errors found, 111 could not check.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "check_log.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "dns.h"
#include "dnsbl.h"
#include "check_content.h"
#include "checks.h"
#include "policy.h"
#include "lmtp_client.h"
#include "local_parse.h"
#include "log.h"
#include "milter.h"
#include "paths.h"
#include "policy_cdb.h"
#include "qinject_filter.h"
#include "queue_trust.h"
#include "remote.h"
#include "sa.h"

#define USAGE	"usage: qpost-check [-hqw] [-c dir]\n" \
		"       qpost-check -m [-c dir] < message\n" \
		"  check the control files, print the effective " \
		"configuration;\n" \
		"  -m: try headerchecks and bodychecks on a message\n"

#define EXIT_WARNINGS	1	/* -w: warnings and no error */
#define PROBLEMS_MAX	1000	/* kept; the rest are counted */

enum kind {
	K_INT,		/* a decimal number in [min, max] */
	K_LINE,		/* one value */
	K_LIST,		/* entries, printed sorted */
	K_ORDERED,	/* entries whose order counts, printed in order */
	K_CDB,		/* a list qcdb compiles: entries, cdb fresh */
	K_ALIASES,	/* like K_CDB, printed in file order */
	K_DOT,		/* defaultdelivery: dot-qpost(5) lines */
	K_SECRET,	/* never printed: owner and mode only */
	K_FILE		/* a file whose content is not ours (tls.crt) */
};

/* who must own a secret file in system mode */
enum owner {
	O_NONE,
	O_QPAUTH,
	O_QPREMOTE,
	O_ROOT_QPSMTPD
};

struct setting {
	const char	*name;
	enum kind	 kind;
	const char	*dflt;		/* what absent means, as printed;
					   NULL for K_INT: ctl_knob's */
	enum owner	 owner;
};

/*
 * Every control file of qpost-control(5), sorted by name (checked at
 * start: the output's order is this order).  The numbers' ranges and
 * defaults are ctl_knob.c's, which the programs read them with.
 */
static const struct setting settings[] = {
	{ "admin", K_LINE, "<none: root's mail waits>", O_NONE },
	{ "aliases", K_ALIASES, "<none>", O_NONE },
	{ "aliasuser", K_LINE, "nobody", O_NONE },
	{ "authdelay", K_INT, NULL, O_NONE },
	{ "authfailmax", K_INT, NULL, O_NONE },
	{ "authservid", K_LINE, "<me>", O_NONE },
	{ "authstate", K_LINE, "/var/lib/qpost/auth", O_NONE },
	{ "authwindow", K_INT, NULL, O_NONE },
	{ "badmailfrom", K_LIST, "<none>", O_NONE },
	{ "badrcptto", K_LIST, "<none>", O_NONE },
	{ "bodychecks", K_ORDERED, "<none>", O_NONE },
	{ "bouncemaxbytes", K_INT, NULL, O_NONE },
	{ "clientaccess", K_CDB, "<none>", O_NONE },
	{ "concurrencylocal", K_INT, NULL, O_NONE },
	{ "concurrencyperdomain", K_INT, NULL, O_NONE },
	{ "concurrencyremote", K_INT, NULL, O_NONE },
	{ "databytes", K_INT, NULL, O_NONE },
	{ "defaultdelivery", K_DOT, "./Maildir/", O_NONE },
	{ "delaynotice", K_INT, NULL, O_NONE },
	{ "dkim", K_LIST, "<none: nothing DKIM-signed>", O_NONE },
	{ "dkimrequired", K_INT, NULL, O_NONE },
	{ "dkimsocket", K_LINE, "/run/qpost/qpdkim.sock", O_NONE },
	{ "dnsbl", K_ORDERED, "<none>", O_NONE },
	{ "dnsblrefuse", K_LINE, "rcpt", O_NONE },
	{ "doublebounceto", K_LIST, "postmaster", O_NONE },
	{ "extsep", K_LINE, "+", O_NONE },
	{ "filter", K_ORDERED, "<none>", O_NONE },
	{ "greetdelay", K_INT, NULL, O_NONE },
	{ "headerchecks", K_ORDERED, "<none>", O_NONE },
	{ "helohost", K_LINE, "<me>", O_NONE },
	{ "locals", K_LIST, "<me>", O_NONE },
	{ "localworkers", K_INT, NULL, O_NONE },
	{ "lookupclientname", K_INT, NULL, O_NONE },
	{ "mailboxsizelimit", K_INT, NULL, O_NONE },
	{ "maxerrors", K_INT, NULL, O_NONE },
	{ "maxrcpt", K_INT, NULL, O_NONE },
	{ "me", K_LINE, "<the host name>", O_NONE },
	{ "minfree", K_INT, NULL, O_NONE },
	{ "origin", K_LINE, "<me>", O_NONE },
	{ "outgoingip", K_LIST, "<the kernel chooses>", O_NONE },
	{ "passwd", K_SECRET, "<none: AUTH fails>", O_QPAUTH },
	{ "passwd.cdb", K_SECRET, "<none: AUTH fails>", O_QPAUTH },
	{ "policy", K_ORDERED, "<none>", O_NONE },
	{ "proxyfrom", K_LIST, "<none>", O_NONE },
	{ "queuelifetime", K_INT, NULL, O_NONE },
	{ "rcpthosts", K_CDB, "<none>", O_NONE },
	{ "rejectbadhelo", K_INT, NULL, O_NONE },
	{ "rejectunknownclient", K_INT, NULL, O_NONE },
	{ "rejectunknownsender", K_INT, NULL, O_NONE },
	{ "relay", K_CDB, "<none>", O_NONE },
	{ "relayrecipients", K_CDB, "<none: any address of a relay domain>",
	    O_NONE },
	{ "remoteport", K_INT, NULL, O_NONE },
	{ "resolvers", K_LIST, "</etc/resolv.conf>", O_NONE },
	{ "retrymax", K_INT, NULL, O_NONE },
	{ "retrymin", K_INT, NULL, O_NONE },
	{ "senders", K_CDB, "<none>", O_NONE },
	{ "singleuser", K_LINE, "<none>", O_NONE },
	{ "smtpauth", K_SECRET, "<none>", O_QPREMOTE },
	{ "smtproutes", K_LIST, "<none: MX>", O_NONE },
	{ "softbounce", K_INT, NULL, O_NONE },
	{ "srsdomain", K_LINE, "<me>", O_NONE },
	{ "srskey", K_SECRET, "<none: forwards keep their sender>",
	    O_ROOT_QPSMTPD },
	{ "timeoutconnect", K_INT, NULL, O_NONE },
	{ "timeoutdnsbl", K_INT, NULL, O_NONE },
	{ "timeoutmboxlock", K_INT, NULL, O_NONE },
	{ "timeoutpolicy", K_INT, NULL, O_NONE },
	{ "timeoutprogram", K_INT, NULL, O_NONE },
	{ "timeoutremote", K_INT, "<RFC 5321>", O_NONE },
	{ "timeoutsession", K_INT, NULL, O_NONE },
	{ "timeoutsmtpd", K_INT, NULL, O_NONE },
	{ "tls.crt", K_FILE, "<none: no STARTTLS>", O_NONE },
	{ "tls.key", K_SECRET, "<none>", O_ROOT_QPSMTPD },
	{ "tlscafile", K_LINE, "<the libtls bundle>", O_NONE },
	{ "tlsdestinations", K_LIST, "<may>", O_NONE },
	{ "trusted", K_LIST, "<root, and qpsmtpd in system mode>",
	    O_NONE },
	{ "users", K_CDB, "<none>", O_NONE },
	{ "verify", K_LINE, "off", O_NONE },
	{ "virtualdomains", K_LIST, "<none>", O_NONE },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

/* files that belong in the control directory without a setting, and
   the folders of qpdkim's keys and smtpd's certificates by host name */
static const char *const extra_files[] = {
	"aliases.cdb", "rcpthosts.cdb", "relay.cdb", "senders.cdb",
	"users.cdb", "relayrecipients.cdb", "clientaccess.cdb", "dkimkeys",
	"tlshosts",
};

struct problem {
	char	 file[64];
	size_t	 line;		/* 0: none */
	int	 is_warning;
	char	 what[512];
};

static struct problem	*problems;
static size_t		 nproblems, nerrors, nwarnings;
static int		 cap_rd = -1, cap_wr = -1, saved_err = -1;

/* add_problem - keep one problem (duplicates are dropped on output). */
static void
add_problem(const char *file, size_t line, int is_warning, const char *what)
{
	struct problem *p;

	if (nproblems >= PROBLEMS_MAX)
		return;
	if (problems == NULL &&
	    (problems = calloc(PROBLEMS_MAX, sizeof(*problems))) == NULL)
		die(EXIT_TEMP, "out of memory");
	p = &problems[nproblems++];
	(void)strlcpy(p->file, file, sizeof(p->file));
	p->line = line;
	p->is_warning = is_warning;
	(void)strlcpy(p->what, what, sizeof(p->what));
}

/* entry_line - the line of name where its n-th entry (from 1) is; 0. */
static size_t
entry_line(const char *name, size_t n)
{
	struct sa raw = SA_INIT;
	const char *line, *next, *end, *s;
	size_t len, lineno = 0, found = 0;

	if (ctl_read(name, &raw) != 1)
		goto out;
	end = raw.s + raw.len;
	for (line = raw.s; line < end; line = next) {
		lineno++;
		next = memchr(line, '\n', (size_t)(end - line));
		next = next ? next + 1 : end;
		/* ctl_list's rule: blanks trimmed, '#' lines skipped */
		for (s = line, len = (size_t)(next - line); len > 0 &&
		    strchr(" \t\r\n", s[len - 1]) != NULL; len--)
			;
		while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
			s++;
			len--;
		}
		if (len == 0 || s[0] == '#')
			continue;
		if (++found == n) {
			sa_free(&raw);
			return lineno;
		}
	}
out:
	sa_free(&raw);
	return 0;
}

/* from_log - one log line of a parser as a problem of file. */
static void
from_log(const char *file, const char *text, int is_warning)
{
	struct check_log l;

	check_log_parse(file, text, &l);
	if (l.entry > 0)
		l.line = entry_line(l.file, l.entry);
	add_problem(l.file, l.line, is_warning, l.what);
}

/* cap_begin - send the log (fd 2) into the capture pipe. */
static void
cap_begin(void)
{
	if (dup2(cap_wr, 2) == -1)
		die(EXIT_TEMP, "unable to catch the log");
}

/*
 * cap_end - the log back on fd 2, and what was caught as problems of
 * file: errors when the parser said the file is broken, else warnings.
 */
static void
cap_end(const char *file, int is_broken)
{
	char buf[8192], *line, *nl;
	size_t len = 0;
	ssize_t r;
	int any = 0;

	if (dup2(saved_err, 2) == -1)
		_exit(EXIT_TEMP);
	for (;;) {
		r = read(cap_rd, buf + len, sizeof(buf) - 1 - len);
		if (r > 0)
			len += (size_t)r;
		if (r <= 0 || len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (*line != '\0') {
			from_log(file, line, !is_broken);
			any = 1;
		}
		if (nl[1] == '\0')
			break;
	}
	if (is_broken && !any)
		add_problem(file, 0, 0, "broken (no reason given)");
}

/* ---- the files ---------------------------------------------------- */

struct value {
	int		 state;		/* ctl_*: 1 read, 0 absent, -1 broken */
	struct sa	 text;		/* K_LINE, K_INT: the value */
	struct sa	 list;		/* entries, NUL-terminated */
	char		 secret[128];	/* K_SECRET, K_FILE: what to print */
	int		 is_cdb_only;	/* a cdb in force without its text */
};

static struct value	values[NSETTINGS];
static uid_t		single_uid;
static int		is_system;	/* root without control/singleuser */

/* want_owner - the uid and gid a secret must have; 0, or -1 unknown. */
static int
want_owner(enum owner o, uid_t *uid, gid_t *gid)
{
	const char *user = o == O_QPAUTH ? "qpauth" : o == O_QPREMOTE ?
	    "qpremote" : NULL;
	struct passwd *pw;
	struct group *gr;

	*gid = (gid_t)-1;
	if (!is_system) {
		*uid = single_uid;
		return 0;
	}
	if (user == NULL) {
		*uid = 0;
		if ((gr = getgrnam("qpsmtpd")) == NULL)
			return -1;
		*gid = gr->gr_gid;
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

/* owner_name - a uid as a name, else its number. */
static void
owner_name(uid_t uid, char *dst, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		(void)strlcpy(dst, pw->pw_name, size);
	else
		(void)snprintf(dst, size, "%lu", (unsigned long)uid);
}

/*
 * check_secret - a file of passwords or keys: a regular file, owned
 * by the user that reads it, readable by no one else (tls.key and
 * srskey: their group, qpsmtpd, may read them in system mode).  Never
 * read here.
 */
static void
check_secret(const struct setting *s, struct value *v)
{
	char path[PATH_MAX], who[64], what[256];
	struct stat st;
	uid_t uid;
	gid_t gid;
	mode_t loose = s->owner == O_ROOT_QPSMTPD ? 027 : 077;

	if (ctl_path(path, sizeof(path), s->name) == -1)
		die(EXIT_TEMP, "control directory path too long");
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT)
			add_problem(s->name, 0, 0, strerror(errno));
		v->state = errno == ENOENT ? 0 : -1;
		return;
	}
	v->state = 1;
	owner_name(st.st_uid, who, sizeof(who));
	(void)snprintf(v->secret, sizeof(v->secret), "<set, %04o %s>",
	    (unsigned)(st.st_mode & 07777), who);
	if (s->kind == K_FILE)
		return;
	if (!S_ISREG(st.st_mode)) {
		add_problem(s->name, 0, 0, "not a regular file");
		v->state = -1;
		return;
	}
	if ((st.st_mode & loose) != 0) {
		(void)snprintf(what, sizeof(what), "mode %04o is too loose: "
		    "it holds secrets (want %s)", (unsigned)(st.st_mode & 07777),
		    loose == 027 ? "0440 or 0400" : "0600 or 0400");
		add_problem(s->name, 0, 0, what);
		v->state = -1;
	}
	if (want_owner(s->owner, &uid, &gid) == -1) {
		add_problem(s->name, 0, 0, "its owner's account does not "
		    "exist: run qpost-setup");
		v->state = -1;
	} else if (st.st_uid != uid || (gid != (gid_t)-1 && st.st_gid != gid)) {
		owner_name(uid, who, sizeof(who));
		(void)snprintf(what, sizeof(what), "wrong owner: want %s%s",
		    who, gid != (gid_t)-1 ? " and group qpsmtpd" : "");
		add_problem(s->name, 0, 0, what);
		v->state = -1;
	}
}

/*
 * check_passwd_cdb - passwd.cdb, the only file qpauth reads, must be
 * at least as new as passwd: an edit of the text by hand, without
 * qpasswd, is not in force (policy_cdb_open's test, with qpasswd's name).
 */
static void
check_passwd_cdb(void)
{
	char text[PATH_MAX], cdb[PATH_MAX];
	struct stat ts, cs;

	if (ctl_path(text, sizeof(text), "passwd") == -1 ||
	    ctl_path(cdb, sizeof(cdb), "passwd.cdb") == -1)
		die(EXIT_TEMP, "control directory path too long");
	if (lstat(text, &ts) == -1)
		return;
	if (lstat(cdb, &cs) == -1)
		add_problem("passwd", 0, 0, "passwd.cdb does not exist: "
		    "run qpasswd");
	else if (cs.st_mtim.tv_sec < ts.st_mtim.tv_sec ||
	    (cs.st_mtim.tv_sec == ts.st_mtim.tv_sec &&
	    cs.st_mtim.tv_nsec < ts.st_mtim.tv_nsec))
		add_problem("passwd.cdb", 0, 0, "is older than control/passwd: "
		    "run qpasswd");
}

/* run_qcdb - "qcdb -n name": the text checked by qcdb's own parser. */
static void
run_qcdb(const char *name)
{
	char prog[PATH_MAX];
	pid_t pid;
	int status;

	if (paths_program(prog, sizeof(prog), "qcdb") == -1)
		die(EXIT_TEMP, "libexec path too long");
	cap_begin();
	if ((pid = fork()) == -1) {
		cap_end(name, 0);
		die(EXIT_TEMP, "unable to fork");
	}
	if (pid == 0) {
		(void)close(cap_rd);
		execl(prog, "qcdb", "-n", name, (char *)NULL);
		log_warn("unable to run %s", prog);
		_exit(EXIT_TEMP);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			cap_end(name, 0);
			die(EXIT_TEMP, "unable to wait for qcdb");
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_TEMP) {
		cap_end(name, 1);
		die(EXIT_TEMP, "qcdb -n %s could not check it", name);
	}
	cap_end(name, !WIFEXITED(status) || WEXITSTATUS(status) != 0);
}

/* check_dot - defaultdelivery's lines through local's dot_next. */
static void
check_dot(const char *name, struct value *v)
{
	struct dot_reader d;
	char line[CTL_LINE_MAX + 1], what[256];
	int r;

	dot_init(&d, v->text.s, v->text.len);
	while ((r = dot_next(&d, line, sizeof(line))) == 1)
		if (sa_cats(&v->list, line) == -1 || sa_catc(&v->list, '\0')
		    == -1)
			die(EXIT_TEMP, "out of memory");
	if (r < 0) {
		(void)snprintf(what, sizeof(what), "%s", dot_strerror(r));
		add_problem(name, d.lineno, 0, what);
		v->state = -1;
	}
}

/*
 * check_address - doublebounceto's first entry as sched uses it (one
 * without '@' is at me), through the address parser the queue applies
 * to every recipient: sched would find out only when a double bounce
 * could not be queued.
 */
static void
check_address(const char *name, const struct value *v)
{
	struct sa me = SA_INIT, a = SA_INIT;
	struct addr parsed;
	char what[512];

	if (v->state != 1 || v->list.len == 0)
		return;			/* absent: postmaster; empty: none */
	cap_begin();
	if (trust_me(&me) == -1 || sa_cats(&a, v->list.s) == -1 ||
	    (strchr(v->list.s, '@') == NULL &&
	    sa_catf(&a, "@%s", me.s) == -1)) {
		cap_end(name, 1);
		goto out;
	}
	cap_end(name, 0);
	if (addr_parse(a.s, a.len, &parsed, ADDR_UTF8) != 1) {
		(void)snprintf(what, sizeof(what), "\"%s\" is not an address",
		    v->list.s);
		add_problem(name, entry_line(name, 1), 0, what);
	}
out:
	sa_free(&me);
	sa_free(&a);
}

/*
 * check_trusted - each entry of trusted names an account, or is a uid
 * (queue_trust.c's listed() takes both): a name that is no account
 * trusts no one, which is likely a typo, so it is a warning.
 */
static void
check_trusted(const char *name, const struct value *v)
{
	const char *p;
	char what[512];
	size_t entry = 0;

	if (v->state != 1)
		return;
	for (p = v->list.s; p < v->list.s + v->list.len; p += strlen(p) + 1) {
		entry++;
		if (p[strspn(p, "0123456789")] == '\0' || getpwnam(p) != NULL)
			continue;
		(void)snprintf(what, sizeof(what), "no account is named %s",
		    p);
		add_problem(name, entry_line(name, entry), 1, what);
	}
}

/*
 * check_milters - qpmilter's arguments: options, then sockets; a local
 * socket that is not there is a warning (the milter may start later),
 * and until it is, qpmilter refuses every message for now by default.
 */
static void
check_milters(const char *name, char *const argv[], int argc)
{
	char what[512];
	struct lmtp_dest d;
	struct stat st;
	const char *a;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if ((strcmp(a, "-d") == 0 || strcmp(a, "-t") == 0) &&
		    i + 1 < argc) {
			i++;
			continue;
		}
		/* qpmilter's own reading of the socket */
		if (milter_dest_parse(a, &d) == -1) {
			(void)snprintf(what, sizeof(what), "qpmilter: \"%s\" "
			    "is not unix:/path or inet:host:port", a);
			add_problem(name, 1, 0, what);
		} else if (d.is_unix && (stat(d.path, &st) == -1 ?
		    errno != EACCES : !S_ISSOCK(st.st_mode))) {
			(void)snprintf(what, sizeof(what), "qpmilter: no "
			    "socket at %s: is the milter running? Until it is, "
			    "mail is refused for now (qpmilter -d)", d.path);
			add_problem(name, 1, 1, what);
		}
	}
}

/* check_filter - what qinject makes of the line, and its program. */
static void
check_filter(const char *name, const struct value *v)
{
	struct qfilter f;
	char what[512];
	const char *base;
	int r;

	if (v->state != 1 || v->list.len == 0)
		return;
	cap_begin();
	r = qfilter_load(&f);
	cap_end(name, r == -1);
	/* r: 1, or a broken line, which cap_end made a problem of */
	if (r == 1 && access(f.argv[0], X_OK) == -1) {
		(void)snprintf(what, sizeof(what), "%s: %s: qinject refuses "
		    "every message for now", f.argv[0], strerror(errno));
		add_problem(name, 1, 0, what);
	} else if (r == 1 && (base = strrchr(f.argv[0], '/')) != NULL &&
	    strcmp(base + 1, "qpmilter") == 0)
		check_milters(name, f.argv, f.argc);
	qfilter_free(&f);		/* also after a broken line */
}

/* check_file - one setting through the reader its kind has. */
static void
check_file(const struct setting *s, struct value *v)
{
	int fd, r;

	if (s->kind == K_SECRET || s->kind == K_FILE) {
		check_secret(s, v);
		return;
	}
	cap_begin();
	switch (s->kind) {
	case K_INT:
	case K_LINE:
		v->state = ctl_line(s->name, &v->text);
		if (v->state == 1 && s->kind == K_INT) {
			long long n;

			v->state = ctl_knob(s->name, &n);
		}
		break;
	case K_DOT:
		v->state = ctl_read(s->name, &v->text);
		break;
	default:
		v->state = ctl_list(s->name, &v->list);
		break;
	}
	cap_end(s->name, v->state == -1);
	if (v->state == 1 && s->kind == K_DOT)
		check_dot(s->name, v);
	if (s->kind == K_LINE && v->state == 1 && strcmp(s->name, "extsep") ==
	    0 && v->text.len != 1) {	/* local_dot.c's extsep() */
		add_problem(s->name, 1, 0, "want one character");
		v->state = -1;
	}
	if (s->kind == K_LINE && v->state == 1 && strcmp(s->name,
	    "dnsblrefuse") == 0 && strcmp(v->text.s, "rcpt") != 0 &&
	    strcmp(v->text.s, "connect") != 0) {	/* dnsbl.c's */
		char what[CTL_LINE_MAX + 32];

		snprintf(what, sizeof(what), "\"%s\": want connect or rcpt",
		    v->text.s);
		add_problem(s->name, 1, 0, what);
		v->state = -1;
	}
	if (strcmp(s->name, "doublebounceto") == 0)
		check_address(s->name, v);
	if (strcmp(s->name, "trusted") == 0)
		check_trusted(s->name, v);
	if (strcmp(s->name, "filter") == 0)
		check_filter(s->name, v);
	if (s->kind != K_CDB && s->kind != K_ALIASES)
		return;
	if (v->state == 1)
		run_qcdb(s->name);
	/* smtpd's own test: a cdb missing, unreadable or older */
	cap_begin();
	if ((r = policy_cdb_open(s->name, &fd)) == 1) {
		(void)close(fd);
		v->is_cdb_only = v->state == 0;
	}
	cap_end(s->name, r == -1);
}

/* is_loopback - whether a resolver's address is on this host. */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return ntohl(s4->sin_addr.s_addr) >> 24 == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

/*
 * check_dane - the policy dane trusts the AD bit of the resolvers'
 * answers, which only a resolver on this host can vouch for: on the
 * way from another, anyone on the path can set it.
 */
static void
check_dane(void)
{
	struct sockaddr_storage srv[DNS_SERVERS_MAX];
	size_t n, i;

	n = remote_any_dane() == 1 ? dns_servers(srv, DNS_SERVERS_MAX) : 0;
	for (i = 0; i < n && i < DNS_SERVERS_MAX; i++)
		if (!is_loopback(&srv[i])) {
			add_problem("tlsdestinations", 0, 1, "the policy dane "
			    "(or dane-only) trusts the AD bit of resolvers "
			    "off this host, which anyone on the way can set: "
			    "name a validating resolver on 127.0.0.1 or ::1 "
			    "in resolvers");
			return;
		}
}

/*
 * check_programs - what a program reads as a whole: remote's files for
 * a delivery (any domain: every line is parsed), its routes and
 * credentials, and the DNS servers.
 */
static void
check_programs(void)
{
	static struct dnsbl_list zones;
	struct lmtp_dest servers[POLICY_MAX];
	struct checks table;
	struct remote_cfg c;
	size_t n;
	int r, at_connect, timeout;

	cap_begin();
	r = remote_cfg_load(&c, "");
	remote_cfg_free(&c);
	cap_end("remote", r == -1);
	cap_begin();
	r = remote_route_check();
	cap_end("smtproutes", r == -1);
	cap_begin();
	r = dns_init();
	cap_end("resolvers", r == DNS_BROKEN);
	if (r == 0)
		check_dane();
	cap_begin();
	r = dnsbl_load(&zones, &at_connect, &timeout);
	cap_end("dnsbl", r == -1);
	cap_begin();
	r = policy_load(servers, &n);
	cap_end("policy", r == -1);
	memset(&table, 0, sizeof(table));
	cap_begin();
	r = checks_load("headerchecks", &table, 1);
	checks_free(&table);
	cap_end("headerchecks", r == -1);
	cap_begin();
	r = checks_load("bodychecks", &table, 0);
	checks_free(&table);
	cap_end("bodychecks", r == -1);
}

/* value_of - the value read for the setting name */
static const struct value *
value_of(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(name, settings[i].name) == 0)
			return &values[i];
	panic("no setting %s", name);
}

/* lists - whether the list holds an entry that ends in "@domain" */
static int
lists(const struct sa *list, const char *domain)
{
	const char *p;
	size_t n, dn = strlen(domain);

	for (p = list->s; p != NULL && p < list->s + list->len;
	    p += strlen(p) + 1)
		if ((n = strlen(p)) > dn && p[n - dn - 1] == '@' &&
		    strcasecmp(p + n - dn, domain) == 0)
			return 1;
	return 0;
}

/*
 * check_relay_recipients - with relayrecipients, a domain of rcpthosts
 * that it does not name has every address refused: most likely a
 * domain forgotten when the list was made.  (".parent" entries cannot
 * be checked: the domains below them are not known here.)
 */
static void
check_relay_recipients(void)
{
	const struct value *hosts = value_of("rcpthosts"),
	    *rr = value_of("relayrecipients");
	char what[512];
	const char *p;

	if (rr->state != 1 || hosts->state != 1 || rr->is_cdb_only ||
	    hosts->is_cdb_only)
		return;
	for (p = hosts->list.s; p != NULL && p < hosts->list.s +
	    hosts->list.len; p += strlen(p) + 1)
		if (p[0] != '.' && !lists(&rr->list, p)) {
			(void)snprintf(what, sizeof(what), "no line for %s of "
			    "rcpthosts: smtpd refuses every address there "
			    "(@%s takes them all)", p, p);
			add_problem("relayrecipients", 0, 1, what);
		}
}

/*
 * check_soft_bounce - softbounce is a safety net for a while: left on,
 * mail that should bounce waits in the queue until it expires.
 */
static void
check_soft_bounce(void)
{
	const struct value *v = value_of("softbounce");

	if (v->state == 1 && strcmp(v->text.s, "1") == 0)
		add_problem("softbounce", 0, 1, "on: no mail is refused or "
		    "bounced for good until it is 0 again");
}

/* known_file - whether name belongs in the control directory. */
static int
known_file(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(name, settings[i].name) == 0)
			return 1;
	for (i = 0; i < sizeof(extra_files) / sizeof(extra_files[0]); i++)
		if (strcmp(name, extra_files[i]) == 0)
			return 1;
	return 0;
}

/* check_unknown - a warning for each file qpost does not read. */
static void
check_unknown(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		die(EXIT_TEMP, "unable to open the control directory %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || known_file(e->d_name))
			continue;
		add_problem(e->d_name, 0, 1, "unknown file: qpost does not "
		    "read it");
	}
	(void)closedir(d);
}

/*
 * check_tlshosts - smtpd's certificates by host name: each NAME.crt
 * wants its NAME.key (else smtpd leaves it out), and a key must be
 * readable by no one but its owner and group, as tls.key.
 */
static void
check_tlshosts(void)
{
	char dir[PATH_MAX], file[NAME_MAX + 16], other[NAME_MAX + 16];
	struct dirent *e;
	struct stat st;
	size_t n;
	DIR *d;

	if (ctl_path(dir, sizeof(dir), "tlshosts") == -1 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n < 5)
			continue;
		(void)snprintf(file, sizeof(file), "tlshosts/%s", e->d_name);
		(void)snprintf(other, sizeof(other), "tlshosts/%.*s.key",
		    (int)(n - 4), e->d_name);
		if (strcmp(e->d_name + n - 4, ".crt") == 0 &&
		    fstatat(dirfd(d), other + 9, &st, 0) == -1)
			add_problem(file, 0, 1, "no key beside it: smtpd "
			    "leaves it out");
		else if (strcmp(e->d_name + n - 4, ".key") == 0 &&
		    fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
		    (st.st_mode & 027) != 0)
			add_problem(file, 0, 0, "mode is too loose: it holds "
			    "a secret (want 0440 or 0400; qpost-setup sets it)");
	}
	(void)closedir(d);
}

/* ---- output ------------------------------------------------------- */

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *p = a, *q = b;
	int c;

	if ((c = strcmp(p->file, q->file)) != 0)
		return c;
	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	if (p->is_warning != q->is_warning)
		return p->is_warning - q->is_warning;
	return strcmp(p->what, q->what);
}

/* out - one line on stdout, control bytes shown as '?'. */
static void
out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
out(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	if (fd_write_all(1, line, (size_t)n) == -1)
		die(EXIT_TEMP, "unable to write the output");
}

/* print_problems - sorted, each once; counts errors and warnings. */
static void
print_problems(void)
{
	const struct problem *p, *prev = NULL;
	size_t i;

	if (nproblems == 0)
		return;
	qsort(problems, nproblems, sizeof(*problems), problem_cmp);
	for (i = 0; i < nproblems; prev = p, i++) {
		p = &problems[i];
		if (prev != NULL && problem_cmp(p, prev) == 0)
			continue;
		if (p->is_warning)
			nwarnings++;
		else
			nerrors++;
		if (p->line > 0)
			out("%s:%zu: %s%s", p->file, p->line,
			    p->is_warning ? "warning: " : "", p->what);
		else
			out("%s: %s%s", p->file, p->is_warning ?
			    "warning: " : "", p->what);
	}
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* print_list - "name: entry" for each entry, sorted unless in order. */
static void
print_list(const char *name, const struct sa *list, int keep_order)
{
	const char **e = NULL;
	const char *p;
	size_t n = 0, i;

	for (p = list->s; p != NULL && p < list->s + list->len;
	    p += strlen(p) + 1) {
		if ((e = reallocarray(e, n + 1, sizeof(*e))) == NULL)
			die(EXIT_TEMP, "out of memory");
		e[n++] = p;
	}
	if (!keep_order && n > 1)
		qsort(e, n, sizeof(*e), str_cmp);
	for (i = 0; i < n; i++)
		out("%s: %s", name, e[i]);
	if (n == 0)
		out("%s: <empty>", name);
	free(e);
}

/* print_config - every setting, sorted by name, "name: value". */
static void
print_config(void)
{
	const struct setting *s;
	const struct value *v;
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		s = &settings[i];
		v = &values[i];
		if (v->is_cdb_only) {
			out("%s: <%s.cdb alone, without its text>", s->name,
			    s->name);
			continue;
		}
		if (v->state != 1 && s->dflt == NULL) {
			out("%s: %lld", s->name, ctl_knob_find(s->name)->dflt);
			continue;
		}
		if (v->state != 1) {
			out("%s: %s", s->name, s->dflt);
			continue;
		}
		switch (s->kind) {
		case K_INT:
		case K_LINE:
			out("%s: %s", s->name, v->text.s);
			break;
		case K_SECRET:
		case K_FILE:
			out("%s: %s", s->name, v->secret);
			break;
		case K_ALIASES:
		case K_DOT:
		case K_ORDERED:
			print_list(s->name, &v->list, 1);
			break;
		default:
			print_list(s->name, &v->list, 0);
			break;
		}
	}
}

/* single_user - whether the instance runs as one user, and which. */
static void
single_user(void)
{
	struct sa name = SA_INIT;
	struct passwd *pw;
	int r;

	single_uid = geteuid();
	if (geteuid() != 0)
		return;
	cap_begin();
	r = ctl_line("singleuser", &name);
	cap_end("singleuser", r == -1);
	if (r == 1 && (pw = getpwnam(name.s)) != NULL && pw->pw_uid != 0)
		single_uid = pw->pw_uid;
	else {
		if (r == 1)	/* qpost-start refuses to start */
			add_problem("singleuser", 1, 0, "names no account "
			    "but root's or none");
		is_system = 1;
	}
	sa_free(&name);
}

int
main(int argc, char *argv[])
{
	char dir[PATH_MAX];
	int ch, quiet = 0, strict = 0, message = 0, p[2];
	size_t i, n;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "c:hmqw")) != -1) {
		switch (ch) {
		case 'c':
			if (realpath(optarg, dir) == NULL)
				die(EXIT_TEMP, "control directory %s", optarg);
			if (setenv("QPOST_CONTROL", dir, 1) == -1)
				die(EXIT_TEMP, "setenv");
			break;
		case 'h':
			usage_exit(USAGE, 0);
		case 'm':
			message = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'w':
			strict = 1;
			break;
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	if (optind != argc)
		usage_exit(USAGE, EXIT_PERM);
	if (access(paths_control(), R_OK | X_OK) == -1)
		die(EXIT_TEMP, "unable to read the control directory %s",
		    paths_control());
	if (message)
		return check_message(0) == 0 ? 0 : EXIT_PERM;
	/* the parsers' log lines are caught here; non-blocking both ways */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (saved_err = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1)
		die(EXIT_TEMP, "unable to make a pipe");
	cap_rd = p[0];
	cap_wr = p[1];
	/* the output is sorted because the table is: keep it so */
	for (i = 1; i < NSETTINGS; i++)
		if (strcmp(settings[i - 1].name, settings[i].name) >= 0)
			panic("settings[] is not sorted at %s", settings[i].name);
	/* every number here is in ctl_knob.c, and the other way round */
	for (i = 0, n = 0; i < NSETTINGS; i++)
		if ((settings[i].kind == K_INT) !=
		    (ctl_knob_find(settings[i].name) != NULL) ||
		    (settings[i].kind == K_INT && ++n == 0))
			panic("settings[] and ctl_knobs[] disagree on %s",
			    settings[i].name);
	if (n != ctl_nknobs)
		panic("ctl_knobs[] has a file settings[] lacks");
	single_user();
	for (i = 0; i < NSETTINGS; i++)
		check_file(&settings[i], &values[i]);
	check_programs();
	check_passwd_cdb();
	check_relay_recipients();
	check_soft_bounce();
	check_tlshosts();
	check_unknown(paths_control());
	print_problems();
	if (nerrors > 0)
		return EXIT_PERM;
	if (!quiet)
		print_config();
	return strict && nwarnings > 0 ? EXIT_WARNINGS : 0;
}
