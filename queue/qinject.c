/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject - put one message into the queue, durably.
 *
 * Runs as whoever calls it: no setuid, no setgid.  It trusts nothing it
 * is given; the uid it runs as is recorded by the kernel as the owner
 * of the drop file, and sched decides from that uid what the message
 * may claim.  It writes drop/<id>.tmp, fsyncs it, renames it to
 * drop/<id>, fsyncs drop/, pokes sched through the trigger FIFO, and
 * only then exits 0.
 *
 * Two interfaces:
 *	qinject [-f sender] [-t] [-i] [-N notify] [-R ret] [-V envid]
 *	    [recipient ...]	for people and scripts: adds Date and
 *	    Message-ID when absent;
 *	qinject -Q	qmail-queue's protocol: message on fd 0, envelope
 *	    on fd 1 (with qpost's DSN trailer after it, if any), its exit
 *	    codes.
 *
 * When control/filter names a program, it runs in place of the commit
 * and queues the message by running qinject -Q itself, under the id
 * this qinject chose (qinject_filter.c).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "ctl.h"
#include "dsnparam.h"
#include "header.h"
#include "log.h"
#include "paths.h"
#include "qinject_dkim.h"
#include "qinject_exit.h"
#include "qinject_verify.h"
#include "qinject_filter.h"
#ifdef QINJECT_NSS_FALLBACK
#include "qinject_nss.h"
#endif
#include "queue_drop.h"
#include "queue_id.h"
#include "queue_space.h"
#include "queue_spare.h"
#include "queue_trust.h"

/* after "usage: " and the name it runs under (qinject or qinject-nss) */
#define USAGE	"[-hitQ] [-f sender] [-N notify] [-R ret] [-V envid] " \
		"[recipient ...]"
#define LINE_MAX_BYTES	(64u * 1024)
#define MESSAGE_MAX	(1024ULL * 1024 * 1024)

struct inject {
	struct trust	 trust;
	int		 queue_fd;
	int		 drop_fd;
	int		 spare_fd;	/* -1 in a queue without spare/ */
	struct atomic	 file;
	char		 id[QID_LEN + 1];
	struct buf	 out;
	char		 outbuf[65536];
	uint64_t	 msglen;
	struct sa	 sender;
	struct sa	 rcpts;		/* NUL-terminated, back to back */
	size_t		 nrcpt;
	int		 is_utf8;
	struct dsn_msg	 dsn;		/* RET and ENVID asked */
	struct sa	 rcpt_dsn;	/* NOTIFY and ORCPT: a dsnparam.h list,
					   an entry for each, or empty */
	struct dsn_rcpt	 every_rcpt;	/* -N, for each once all are known */
	struct qfilter	 filter;	/* control/filter, if any */
	const char	*claim;		/* run by a filter: the id to take */
};

static struct atomic *pending;	/* the drop file being written */

/* remove_pending - on any failure, leave no .tmp file behind. */
static void
remove_pending(void)
{
	if (pending != NULL && pending->fd != -1)
		atomic_abort(pending);
}

static void
fail(int code, const char *what)
{
	die(code, "%s", what);
}

/* count - n more message bytes are in the drop file's buffer. */
static void
count(struct inject *q, size_t n)
{
	q->msglen += n;
	if (q->msglen > MESSAGE_MAX)
		diex(QI_REFUSED, "message is larger than %llu bytes",
		    MESSAGE_MAX);
}

/* put - append message bytes to the drop file, counting them. */
static void
put(struct inject *q, const void *p, size_t n)
{
	if (buf_put(&q->out, p, n) == -1)
		fail(QI_WRITE, "unable to write the drop file");
	count(q, n);
}

/* check_minfree - refuse, temporarily, when the queue is short of space. */
static void
check_minfree(struct inject *q)
{
	long long minfree;

	switch (queue_space_ok(q->queue_fd, &minfree)) {
	case -1:
		diex(QI_CONTROL, "unable to check free space: see above");
	case 0:
		diex(QI_WRITE, "the queue's filesystem has less than "
		    "control/minfree (%lld bytes) free: try again later",
		    minfree);
	}
}

/* open_queue - the queue root and drop/, and the control files. */
static void
open_queue(struct inject *q)
{
	/* O_PATH: the queue root is 0751, to be passed through, not read */
	/* openat: musl's open follows an O_CLOEXEC open with an fcntl */
	q->queue_fd = openat(AT_FDCWD, paths_queue(),
	    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (q->queue_fd == -1)
		die(QI_QUEUEDIR, "unable to open the queue %s", paths_queue());
	q->drop_fd = openat(q->queue_fd, QDIR_DROP,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->drop_fd == -1)
		die(QI_QUEUEDIR, "unable to open %s/drop", paths_queue());
	q->spare_fd = openat(q->queue_fd, QDIR_SPARE,
	    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (trust_load(&q->trust, q->queue_fd) == -1)
		diex(QI_CONTROL, "unable to read the control files");
	if (qfilter_load(&q->filter) == -1)
		diex(QI_CONTROL, "control/filter is broken: see above");
	q->claim = qfilter_claim_id();
	check_minfree(q);
}

/*
 * report_id - tell the caller the message id before the message is
 * read, on the descriptor QPOST_ID_FD names, if any: smtpd puts it in
 * its Received: line.  The descriptor is closed either way.
 */
static void
report_id(const char *id)
{
	const char *v = getenv("QPOST_ID_FD"), *err;
	char line[QID_LEN + 2];
	long long fd;

	if (v == NULL)
		return;
	fd = strtonum(v, 3, 1000, &err);
	if (err != NULL)
		diex(QI_REFUSED, "QPOST_ID_FD=%s is not a descriptor above 2", v);
	snprintf(line, sizeof(line), "%s\n", id);
	if (fd_write_all((int)fd, line, QID_LEN + 1) == -1)
		die(QI_READ, "unable to report the message id on fd %lld", fd);
	close((int)fd);
}

/*
 * begin_drop - make drop/<id>.tmp, from one of our spare drop files
 * (queue_spare.h) or a new file, and reserve the header.
 */
static void
begin_drop(struct inject *q)
{
	char tmp[QID_LEN + 8], hdr[QDROP_HDR_LEN];
	int tries;

	for (tries = 0; tries < 3; tries++) {
		qid_new(q->id);
		snprintf(tmp, sizeof(tmp), "%s.tmp", q->id);
		/* run by a filter: a fresh name now, the filtered id at last */
		if (q->claim != NULL)
			memcpy(q->id, q->claim, QID_LEN);
		if (tries == 0 && spare_take(q->spare_fd, q->drop_fd, tmp) == 0) {
			if (atomic_reuse(&q->file, q->drop_fd, tmp, q->drop_fd,
			    q->id, 0640) == 0)
				break;
			/* not ours to write: a new file, under a new name */
			continue;
		}
		if (atomic_begin(&q->file, q->drop_fd, tmp, q->drop_fd, q->id,
		    0640) == 0)
			break;
		/* a name clash (another uid's stale file) is worth a retry */
		if (errno != EEXIST && errno != EPERM && errno != EACCES) {
			tries = 3;
			break;
		}
	}
	/*
	 * Out of inodes or quota is a full queue (53, which smtpd turns
	 * into 452 4.3.1), not a broken drop file (63).
	 */
	if (tries == 3)
		die(errno == ENOSPC || errno == EDQUOT ? QI_WRITE : QI_DROPFILE,
		    "unable to create a drop file in %s/drop", paths_queue());
	pending = &q->file;
	log_on_die(remove_pending);
	report_id(q->id);
	buf_init(&q->out, q->file.fd, q->outbuf, sizeof(q->outbuf));
	memset(hdr, '0', sizeof(hdr));
	if (buf_put(&q->out, hdr, sizeof(hdr)) == -1)
		fail(QI_WRITE, "unable to write the drop file");
}

/*
 * pwrite_all - write all n bytes at offset off: a short pwrite (a full
 * disk, a signal) is not an error, and must not leave a header cut off.
 */
static int
pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, c, n, off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		if (w == 0)
			return (errno = ENOSPC, -1);
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/*
 * commit_drop - write the envelope and the real header, then fsync,
 * rename, fsync drop/.  After this returns the message is durable.
 */
static void
commit_drop(struct inject *q)
{
	struct sa env = SA_INIT;
	char hdr[QDROP_HDR_LEN];
	int fd;

	if (qdrop_env_encode(&env, q->sender.s, &q->rcpts, q->is_utf8,
	    &q->dsn, &q->rcpt_dsn) == -1)
		fail(QI_NOMEM, "out of memory");
	if (buf_put(&q->out, env.s, env.len) == -1 || buf_flush(&q->out) == -1)
		fail(QI_WRITE, "unable to write the drop file");
	qdrop_header(hdr, q->msglen);
	if (pwrite_all(q->file.fd, hdr, sizeof(hdr), 0) == -1)
		fail(QI_WRITE, "unable to write the drop file");
	/* one message only under the id a filter was given */
	if (q->claim != NULL && qfilter_claim(q->drop_fd, q->claim) == -1)
		die(QI_TEMPREFUSED, "id=%s is not waiting for its filter "
		    "(queued already, or %s was not set by qinject): nothing "
		    "queued", q->id, QFILTER_ENV);
	if (atomic_commit(&q->file, ATOMIC_SYNC_DIR) == -1)
		fail(QI_WRITE, "unable to commit the drop file");
	sa_free(&env);
	/* a poke only hurries sched along: it also scans on a timer */
	fd = openat(q->queue_fd, QFILE_TRIGGER, O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd != -1) {
		if (write(fd, "", 1) == -1 && errno != EAGAIN)
			log_warn("id=%s unable to poke sched", q->id);
		close(fd);
	}
}

/*
 * run_filter - control/filter, in place of the commit: it queues the
 * message (through qinject again) or not, and its exit code is ours.
 */
static int
run_filter(struct inject *q)
{
	/* the filter reads to the end: a spare's old bytes must be gone */
	if (buf_flush(&q->out) == -1 || atomic_cut(&q->file) == -1)
		fail(QI_WRITE, "unable to write the drop file");
	return qfilter_run(&q->filter, q->drop_fd, &q->file, q->id,
	    q->sender.s, &q->rcpts, q->is_utf8, &q->dsn, &q->rcpt_dsn);
}

/*
 * qualify - copy the address s (n bytes) into full, adding "@" and
 * control/origin (else this host's name) when it has no domain, and
 * check it; dies if it is not a
 * valid RFC 5321 address.  Returns its length.
 */
static size_t
qualify(const struct inject *q, const char *what, const char *s, size_t n,
    char full[ADDR_PATH_MAX + 1])
{
	struct addr a;
	int len;

	if (memchr(s, '@', n) == NULL)
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s@%s", (int)n, s,
		    q->trust.origin.s);
	else
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s", (int)n, s);
	if (len < 0 || len > ADDR_PATH_MAX ||
	    memchr(s, '\0', n) != NULL ||
	    addr_parse(full, (size_t)len, &a, ADDR_UTF8) != 1)
		diex(QI_TOOLONG, "%s <%.*s> is not a valid address (RFC 5321: "
		    "local-part@domain, at most %d octets)", what, (int)n, s,
		    ADDR_PATH_MAX - 2);
	return (size_t)len;
}

/* add_rcpt - check one recipient and add it. */
static void
add_rcpt(struct inject *q, const char *s, size_t n)
{
	char full[ADDR_PATH_MAX + 1];

	n = qualify(q, "recipient", s, n, full);
	if (sa_catb(&q->rcpts, full, n) == -1 ||
	    sa_catc(&q->rcpts, '\0') == -1)
		fail(QI_NOMEM, "out of memory");
	q->nrcpt++;
}

/* set_sender - check and set the envelope sender ("" is the null one). */
static void
set_sender(struct inject *q, const char *s, size_t n)
{
	char full[ADDR_PATH_MAX + 1] = "";

	if (n > 0)
		n = qualify(q, "sender", s, n, full);
	if (sa_copyb(&q->sender, full, n) == -1 || sa_0(&q->sender) == -1)
		fail(QI_NOMEM, "out of memory");
	if (!trust_sender_ok(&q->trust, getuid(), q->sender.s))
		diex(QI_REFUSED, "uid %lu may not use the envelope sender <%s>: "
		    "send as yourself, or ask the admin to list you in "
		    "control/trusted", (unsigned long)getuid(), q->sender.s);
}

/* default_sender - login@origin for whoever runs us. */
static void
default_sender(struct inject *q)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL)
		diex(QI_REFUSED, "uid %lu has no name: use -f",
		    (unsigned long)getuid());
	set_sender(q, pw->pw_name, strlen(pw->pw_name));
}

/* ---- qmail-queue's protocol -------------------------------------- */

/*
 * copy_message - everything on fd 0 into the drop file, read straight
 * into the file's buffer.
 */
static void
copy_message(struct inject *q)
{
	char *room;
	size_t n;
	ssize_t r;

	for (;;) {
		if ((room = buf_room(&q->out, &n)) == NULL)
			fail(QI_WRITE, "unable to write the drop file");
		if ((r = fd_read(0, room, n)) == 0)
			return;
		if (r == -1)
			fail(QI_READ, "unable to read the message");
		q->out.len += (size_t)r;
		count(q, (size_t)r);
	}
}

/*
 * read_trailer - the DSN trailer (dsnparam.h) after the envelope's last
 * NUL: p, n bytes, possibly none.
 */
static void
read_trailer(struct inject *q, const char *p, size_t n)
{
	const char *why;
	size_t got;

	why = dsn_trailer_parse(p, n, &q->dsn, &q->rcpt_dsn, q->nrcpt, &got);
	if (why != NULL)
		diex(QI_ENVELOPE, "envelope format error: %s", why);
}

/*
 * read_envelope - "F" sender NUL ("T" recipient NUL)* NUL, then the
 * optional DSN trailer, on fd 1.
 */
static void
read_envelope(struct inject *q)
{
	struct sa env = SA_INIT;
	char chunk[4096];
	const char *p, *end, *nul;
	int first = 1;
	ssize_t r;

	while ((r = fd_read(1, chunk, sizeof(chunk))) > 0) {
		if (env.len + (size_t)r > QDROP_ENV_MAX)
			diex(QI_ENVELOPE, "envelope is too large");
		if (sa_catb(&env, chunk, (size_t)r) == -1)
			fail(QI_NOMEM, "out of memory");
	}
	if (r == -1)
		fail(QI_READ, "unable to read the envelope");
	p = env.s;
	end = env.s + env.len;
	for (;;) {
		if (p == end)
			diex(QI_READ, "envelope ends early: nothing queued");
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			diex(QI_READ, "envelope ends early: nothing queued");
		if (nul == p)
			break;	/* the extra NUL: end of the list */
		if (first && p[0] == 'F')
			set_sender(q, p + 1, (size_t)(nul - p - 1));
		else if (!first && p[0] == 'T')
			add_rcpt(q, p + 1, (size_t)(nul - p - 1));
		else
			diex(QI_ENVELOPE, "envelope format error");
		first = 0;
		p = nul + 1;
	}
	if (q->rcpts.len == 0)
		diex(QI_ENVELOPE, "envelope has no recipients");
	read_trailer(q, p + 1, (size_t)(end - p - 1));
	sa_free(&env);
}

/* ---- the command line -------------------------------------------- */

struct headers {
	int	has_date;
	int	has_msgid;
	int	in_bcc;		/* the field being read is Bcc */
	int	in_rcpt;	/* the field being read is To, Cc or Bcc */
	struct sa field;	/* unfolded value of that field */
};

/* take_addresses - the To/Cc/Bcc field just ended: add its addresses. */
static void
take_addresses(struct inject *q, struct headers *h)
{
	struct sa list = SA_INIT;
	size_t n = 0;
	const char *a;

	if (!h->in_rcpt)
		return;
	if (header_addresses(h->field.s, h->field.len, &list, &n) == -1)
		fail(QI_NOMEM, "out of memory");
	for (a = list.s; n > 0; a += strlen(a) + 1, n--)
		add_rcpt(q, a, strlen(a));
	sa_free(&list);
	h->in_rcpt = 0;
	h->field.len = 0;
}

/* is_dot - a lone "." line, which ends input unless -i was given. */
static int
is_dot(const struct sa *line)
{
	return (line->len == 2 && memcmp(line->s, ".\n", 2) == 0) ||
	    (line->len == 3 && memcmp(line->s, ".\r\n", 3) == 0);
}

/*
 * header_line - one physical header line.  Returns 1 if it is part of
 * the header (kept or dropped), 0 if the header ended before it.
 */
static int
header_line(struct inject *q, struct headers *h, struct sa *hdr,
    const struct sa *line, int want_rcpts)
{
	int cont = line->len > 0 && (line->s[0] == ' ' || line->s[0] == '\t');

	if (!cont) {
		if (want_rcpts)
			take_addresses(q, h);
		if (!header_is_field(line->s, line->len))
			return 0;
		h->in_bcc = header_is(line->s, line->len, "Bcc");
		h->in_rcpt = want_rcpts && (h->in_bcc ||
		    header_is(line->s, line->len, "To") ||
		    header_is(line->s, line->len, "Cc"));
		if (header_is(line->s, line->len, "Date"))
			h->has_date = 1;
		if (header_is(line->s, line->len, "Message-ID"))
			h->has_msgid = 1;
	}
	if (h->in_rcpt) {
		const char *v = line->s;
		size_t n = line->len;

		if (!cont) {
			const char *colon = memchr(v, ':', n);

			n -= (size_t)(colon + 1 - v);
			v = colon + 1;
		}
		if (sa_catb(&h->field, v, n) == -1)
			fail(QI_NOMEM, "out of memory");
	}
	if (h->in_bcc && want_rcpts)
		return 1;	/* -t: Bcc is removed */
	if (hdr->len + line->len > HEADER_BLOCK_MAX)
		diex(QI_REFUSED, "header is larger than %u bytes",
		    HEADER_BLOCK_MAX);
	if (sa_catb(hdr, line->s, line->len) == -1)
		fail(QI_NOMEM, "out of memory");
	return 1;
}

/* added_headers - Message-ID and Date when the message has none. */
static void
added_headers(struct inject *q, const struct headers *h)
{
	char date[64], line[512];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!h->has_msgid) {
		n = snprintf(line, sizeof(line), "Message-ID: <%lld.%s@%s>\n",
		    (long long)now, q->id, q->trust.me.s);
		if (n > 0 && (size_t)n < sizeof(line))
			put(q, line, (size_t)n);
	}
	if (!h->has_date) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
		n = snprintf(line, sizeof(line), "Date: %s\n", date);
		put(q, line, (size_t)n);
	}
}

/* read_command_line_message - header, added fields, then the body. */
static void
read_command_line_message(struct inject *q, int want_rcpts, int dot_ends)
{
	struct headers h;
	struct sa hdr = SA_INIT, line = SA_INIT;
	struct buf in;
	char inbuf[65536];
	int r, in_header = 1, ended = 0;

	memset(&h, 0, sizeof(h));
	buf_init(&in, 0, inbuf, sizeof(inbuf));
	while (in_header) {
		r = buf_getline(&in, &line, '\n', LINE_MAX_BYTES);
		if (r == -1)
			fail(QI_READ, "unable to read the message");
		if (r == BUF_TOOLONG)
			diex(QI_REFUSED, "a header line is longer than %u bytes",
			    LINE_MAX_BYTES);
		if (r == BUF_EOF || (dot_ends && is_dot(&line))) {
			ended = 1;
			line.len = 0;
			break;
		}
		in_header = header_line(q, &h, &hdr, &line, want_rcpts);
	}
	if (want_rcpts)
		take_addresses(q, &h);
	added_headers(q, &h);
	put(q, hdr.s, hdr.len);
	if (!in_header || line.len > 0)
		put(q, line.s, line.len);
	while (!ended) {
		r = buf_getline(&in, &line, '\n', LINE_MAX_BYTES);
		if (r == -1)
			fail(QI_READ, "unable to read the message");
		if (r == BUF_EOF || (dot_ends && is_dot(&line)))
			break;
		if (r == BUF_TOOLONG)
			diex(QI_REFUSED, "a line is longer than %u bytes",
			    LINE_MAX_BYTES);
		put(q, line.s, line.len);
	}
	sa_free(&hdr);
	sa_free(&line);
	sa_free(&h.field);
}

/*
 * dsn_options - -N notify, -R ret and -V envid (each NULL when not
 * given): checked now, before anything is read or written.
 */
static void
dsn_options(struct inject *q, const char *notify, const char *ret,
    const char *envid)
{
	const char *why;

	why = dsn_opts(notify, ret, envid, &q->dsn, &q->every_rcpt);
	if (why != NULL) {
		log_warnx("%s", why);
		diex(QI_REFUSED, "usage: %s %s", log_prog(), USAGE);
	}
}

/* every_rcpt_dsn - -N for each recipient, once they are all known (-t) */
static void
every_rcpt_dsn(struct inject *q)
{
	if (q->every_rcpt.notify != 0 &&
	    dsn_list_repeat(&q->rcpt_dsn, &q->every_rcpt, q->nrcpt) == -1)
		fail(QI_NOMEM, "out of memory");
}

int
main(int argc, char *argv[])
{
	/*
	 * Static, not on the stack and zeroed there: its 64 KiB buffer
	 * would be sixteen page faults and a memset for every message,
	 * where a static one faults in only the pages a message uses.
	 */
	static struct inject q;
	const char *sender = NULL, *notify = NULL, *ret = NULL, *envid = NULL;
	int ch, want_rcpts = 0, dot_ends = 1, queue_mode = 0, code = 0;

	log_init(argv[0]);
#ifdef QINJECT_NSS_FALLBACK
	qinject_nss_check(argv);
#endif
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "f:hiN:QR:tV:")) != -1) {
		switch (ch) {
		case 'f':
			sender = optarg;
			break;
		case 'N':
			notify = optarg;
			break;
		case 'R':
			ret = optarg;
			break;
		case 'V':
			envid = optarg;
			break;
		case 'i':
			dot_ends = 0;
			break;
		case 't':
			want_rcpts = 1;
			break;
		case 'Q':
			queue_mode = 1;
			break;
		case 'h':
			printf("usage: %s %s\n", log_prog(), USAGE);
			return 0;
		default:
			diex(QI_REFUSED, "usage: %s %s", log_prog(), USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (queue_mode && (argc > 0 || sender != NULL || want_rcpts))
		diex(QI_REFUSED, "-Q takes the envelope on fd 1, not arguments");
	if (queue_mode && (notify != NULL || ret != NULL || envid != NULL))
		diex(QI_REFUSED, "-Q takes the DSN requests in the envelope's "
		    "trailer, not as -N, -R or -V");
	dsn_options(&q, notify, ret, envid);

	open_queue(&q);
	begin_drop(&q);
	if (queue_mode) {
		/* qmail-queue's envelope has no room for it: smtpd says so */
		q.is_utf8 = getenv("QPOST_UTF8") != NULL;
		qinject_verify(q.drop_fd);	/* smtpd's port-25 mail */
		copy_message(&q);
		read_envelope(&q);
	} else {
		if (sender != NULL)
			set_sender(&q, sender, strlen(sender));
		else
			default_sender(&q);
		for (; argc > 0; argc--, argv++)
			add_rcpt(&q, argv[0], strlen(argv[0]));
		read_command_line_message(&q, want_rcpts, dot_ends);
		if (q.rcpts.len == 0)
			diex(QI_REFUSED, "no recipients: name them as "
			    "arguments, or use -t");
		every_rcpt_dsn(&q);
	}
	if (buf_flush(&q.out) == -1)
		fail(QI_WRITE, "unable to write the drop file");
	if (qdkim_sign(&q.file, QDROP_HDR_LEN, &q.msglen, q.id,
	    qdkim_origin(queue_mode)) == -1)
		diex(QI_TEMPREFUSED, "not signed: try again later");
	check_minfree(&q);
	if (q.filter.argc > 0)
		code = run_filter(&q);
	else
		commit_drop(&q);
	qfilter_free(&q.filter);
	trust_free(&q.trust);
	sa_free(&q.sender);
	sa_free(&q.rcpts);
	sa_free(&q.rcpt_dsn);
	return code;
}
