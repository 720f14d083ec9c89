/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote - carry one message to one domain for all of its recipients
 * there: find the hosts (remote_route), try them in order (remote_conn,
 * remote_smtp) until one has answered for the recipients, and report a
 * result per recipient to rspawn.
 *
 * It runs as qpremote, started by rspawn: the message (as the queue
 * stores it, LF line ends) on fd 0, a regular file it reads from its
 * start for each attempt; the result record on fd 1; the log on fd 2.
 * Everything it reads from DNS and from the network is hostile: both
 * parsers are strict and bounded.  See qpost-remote(8).
 */
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "rec.h"
#include "remote.h"
#include "sandbox.h"

#define USAGE	"usage: remote [-i id] [-R ret] [-E envid] [-N notify ...] " \
		"[-O orcpt ...] domain sender recipient ..."
#define ENV_DOWN	"QPOST_REMOTE_DOWN"

/* remote_set - recipient i's result, unless a server has given one. */
void
remote_set(struct remote_job *j, size_t i, char status, int is_final,
    const char *fmt, ...)
{
	va_list ap;

	if (j->is_final[i])
		return;
	j->st[i].status = status;
	va_start(ap, fmt);
	(void)vsnprintf(j->st[i].text, sizeof(j->st[i].text), fmt, ap);
	va_end(ap);
	j->is_final[i] = is_final;
}

/* remote_set_all - one final result for every open recipient. */
void
remote_set_all(struct remote_job *j, char status, const char *fmt, ...)
{
	char text[SPAWN_TEXT_MAX + 1];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; i < j->nrcpt; i++)
		remote_set(j, i, status, 1, "%s", text);
}

/*
 * check_args - the recipients must be addresses in the domain, and the
 * sender an address or empty; bad ones get a permanent result.
 */
static void
check_args(struct remote_job *j)
{
	struct addr a;
	size_t i;
	int sender_ok;

	sender_ok = j->sender[0] == '\0' ||
	    addr_parse(j->sender, strlen(j->sender), &a, ADDR_UTF8) == 1;
	j->is_utf8 = !addr_is_ascii(j->sender);
	for (i = 0; i < j->nrcpt; i++) {
		if (!sender_ok)
			remote_set(j, i, SPAWN_PERM, 1, "5.1.7 bad sender "
			    "address syntax");
		else if (addr_parse(j->rcpt[i], strlen(j->rcpt[i]), &a,
		    ADDR_UTF8) != 1 || strcasecmp(a.domain, j->domain) != 0)
			remote_set(j, i, SPAWN_PERM, 1, "5.1.3 bad recipient "
			    "address for domain %s", j->domain);
		j->is_utf8 |= !addr_is_ascii(j->rcpt[i]);
	}
}

/* scan_message - its size on the wire and whether it has 8-bit bytes. */
static int
scan_message(struct remote_job *j)
{
	char chunk[16384];
	struct stat st;
	ssize_t n, k;
	off_t off = 0;

	if (fstat(j->msgfd, &st) == -1 || !S_ISREG(st.st_mode))
		return -1;
	j->msgsize = (unsigned long long)st.st_size;
	while ((n = pread(j->msgfd, chunk, sizeof(chunk), off)) > 0) {
		off += n;
		for (k = 0; k < n; k++) {
			j->msgsize += chunk[k] == '\n';	/* becomes CRLF */
			j->is_8bit |= (unsigned char)chunk[k] > 0x7f;
		}
	}
	return n == -1 ? -1 : 0;
}

/* is_down - whether rspawn said the address timed out recently. */
static int
is_down(const char *ip)
{
	const char *list = getenv(ENV_DOWN), *p;
	size_t n = strlen(ip);

	for (p = list; p != NULL && *p != '\0'; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (strncmp(p, ip, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* note_down - an address that timed out, for rspawn to remember. */
static void
note_down(struct remote_job *j, const char *ip)
{
	if (j->ndown < REMOTE_DOWN_MAX)
		(void)strlcpy(j->down[j->ndown++], ip, sizeof(j->down[0]));
}

/* result_word - the log's word for a status. */
static const char *
result_word(char status)
{
	return status == SPAWN_OK ? "sent" : status == SPAWN_PERM ? "bounce" :
	    "defer";
}

/* log_text - text for a quoted log field: '"' becomes '\''. */
static void
log_text(char *dst, size_t size, const char *src)
{
	size_t i;

	(void)strlcpy(dst, src, size);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == '"')
			dst[i] = '\'';
}

/*
 * log_results - the open recipients' results, those with the same
 * status and text in one field ("to=<a>,<b> result=sent text=..."), so
 * 50 recipients accepted alike make a short line.
 */
static void
log_results(struct sa *line, const struct remote_job *j,
    const int *was_open)
{
	char text[SPAWN_TEXT_MAX + 1];
	size_t i, k;
	int *done;

	if ((done = calloc(j->nrcpt, sizeof(int))) == NULL)
		return;
	for (i = 0; i < j->nrcpt; i++) {
		if (!was_open[i] || done[i])
			continue;
		(void)sa_cats(line, " to=");
		for (k = i; k < j->nrcpt; k++) {
			if (!was_open[k] || done[k] ||
			    j->st[k].status != j->st[i].status ||
			    strcmp(j->st[k].text, j->st[i].text) != 0)
				continue;
			done[k] = 1;
			(void)sa_cats(line, k == i ? "<" : ",<");
			(void)sa_cats(line, j->rcpt[k]);
			(void)sa_cats(line, ">");
		}
		log_text(text, sizeof(text), j->st[i].text);
		(void)sa_cats(line, " result=");
		(void)sa_cats(line, result_word(j->st[i].status));
		(void)sa_cats(line, " text=\"");
		(void)sa_cats(line, text);
		(void)sa_cats(line, "\"");
	}
	free(done);
}

/*
 * dane_word - what DANE asked of the host, for the attempt's line: ""
 * when nothing (no TLSA records DNSSEC vouches for, or not the policy).
 */
static const char *
dane_word(const struct remote_attempt *at)
{
	if (at->host->dane == DANE_ENCRYPT)
		return " dane=encrypt";
	if (at->host->dane != DANE_AUTH)
		return "";
	if (at->dane_usage == USAGE_DANE_EE)
		return " dane=ee";
	return at->dane_usage == USAGE_DANE_TA ? " dane=ta" : " dane=failed";
}

/* sts_word - what MTA-STS asked of the host, for the attempt's line */
static const char *
sts_word(const struct remote_attempt *at)
{
	if (at->host->sts == STS_ENFORCE)
		return " sts=enforce";
	return at->host->sts == STS_TESTING ? " sts=testing" : "";
}

/*
 * dsn_word - " dsn=passed" when the sender's DSN requests went on to a
 * server that took the message for one of this attempt's recipients:
 * from now on the notices are that server's (RFC 3461 5.2.1).
 */
static const char *
dsn_word(const struct remote_job *j, const int *was_open)
{
	size_t i;

	if (j->rcpt_dsn == NULL && j->dsn.ret == 0 && j->dsn.envid[0] == '\0')
		return "";
	for (i = 0; i < j->nrcpt; i++)
		if (was_open[i] && j->st[i].dsn_passed)
			return " dsn=passed";
	return "";
}

/*
 * log_attempt - one line for an attempt: the host, its address, TLS,
 * the time it took and the open recipients' results with their text.
 */
static void
log_attempt(const struct remote_job *j, const struct remote_attempt *at,
    const int *was_open, const struct timespec *t0)
{
	struct timespec t1;
	struct sa line = SA_INIT;
	char head[512];

	clock_gettime(CLOCK_MONOTONIC, &t1);
	(void)snprintf(head, sizeof(head), "id=%s domain=%s mx=%s ip=%s "
	    "port=%d tls=%s verified=%s%s%s%s%s time=%.3fs", j->id, j->domain,
	    at->host->name, at->ip, at->host->port, at->tls[0] != '\0' ?
	    at->tls : "none", at->is_verified ? "yes" : "no",
	    dane_word(at), sts_word(at), at->is_seven ? " body=7bit" : "",
	    dsn_word(j, was_open),
	    (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
	(void)sa_cats(&line, head);
	log_results(&line, j, was_open);
	if (sa_0(&line) == 0)
		log_info("%s", line.s);
	sa_free(&line);
}

/* open_count - how many recipients still want an answer. */
static size_t
open_count(const struct remote_job *j, int *was_open)
{
	size_t i, n = 0;

	for (i = 0; i < j->nrcpt; i++)
		n += (was_open[i] = !j->is_final[i]);
	return n;
}

/*
 * try_address - one connection and session to one address of host h.
 * Returns 1 when the next address or host should be tried.
 */
static int
try_address(const struct remote_cfg *c, const struct remote_route *rt,
    struct remote_job *j, const struct remote_host *h, size_t k,
    int *was_open)
{
	struct remote_attempt at;
	struct timespec t0;
	char why[256];
	int fd;

	memset(&at, 0, sizeof(at));
	at.host = h;
	if (remote_addr_text(&h->addr[k], at.ip, sizeof(at.ip)) == -1)
		return 1;
	if (is_down(at.ip)) {
		log_info("id=%s domain=%s mx=%s ip=%s skipped: it timed out "
		    "recently", j->id, j->domain, h->name, at.ip);
		return 1;
	}
	(void)open_count(j, was_open);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = remote_connect(c, &h->addr[k], h->port, why,
	    sizeof(why))) == -1) {
		if (errno == ETIMEDOUT)
			note_down(j, at.ip);
		for (size_t i = 0; i < j->nrcpt; i++)
			remote_set(j, i, SPAWN_TEMP, 0, "4.4.1 %s[%s]: %s",
			    h->name, at.ip, why);
		log_attempt(j, &at, was_open, &t0);
		return 1;
	}
	remote_smtp(c, rt, j, fd, &at);
	if (at.timed_out)
		note_down(j, at.ip);
	log_attempt(j, &at, was_open, &t0);
	return at.is_next;
}

/*
 * dane_only_refuses - under dane-only, a host without usable TLSA
 * records that DNSSEC validated is not tried: 1 when so (logged, the
 * open recipients deferred).
 */
static int
dane_only_refuses(const struct remote_cfg *c, struct remote_job *j,
    const struct remote_host *h)
{
	size_t i;

	if (c->tls_policy != TLS_DANE_ONLY || h->dane == DANE_AUTH)
		return 0;
	log_info("id=%s domain=%s mx=%s skipped: no usable TLSA records "
	    "that DNSSEC validated, which dane-only requires", j->id,
	    j->domain, h->name);
	for (i = 0; i < j->nrcpt; i++)
		remote_set(j, i, SPAWN_TEMP, 0, "4.7.5 %s has no usable TLSA "
		    "records that DNSSEC validated, which control/"
		    "tlsdestinations requires for %s (dane-only)", h->name,
		    j->domain);
	return 1;
}

/*
 * sts_refuses - a host that an MTA-STS policy in mode enforce does not
 * name is not tried (RFC 8461 4.1): 1 when so (logged, the open
 * recipients deferred).  In mode testing it is tried, and logged.
 */
static int
sts_refuses(struct remote_job *j, const struct remote_host *h)
{
	size_t i;

	if (h->sts == STS_NONE || h->sts_match)
		return 0;
	if (h->sts == STS_TESTING) {
		log_info("id=%s domain=%s mx=%s is not named by the MTA-STS "
		    "policy, which is in mode testing: tried", j->id,
		    j->domain, h->name);
		return 0;
	}
	log_info("id=%s domain=%s mx=%s skipped: not named by the domain's "
	    "MTA-STS policy (enforce)", j->id, j->domain, h->name);
	for (i = 0; i < j->nrcpt; i++)
		remote_set(j, i, SPAWN_TEMP, 0, "4.7.5 %s is not an MX host "
		    "the MTA-STS policy of %s names", h->name, j->domain);
	return 1;
}

/* deliver - try the route's hosts in order until one answers. */
static void
deliver(const struct remote_cfg *c, const struct remote_route *rt,
    struct remote_job *j)
{
	int *was_open;
	size_t h, k;

	if ((was_open = calloc(j->nrcpt, sizeof(int))) == NULL)
		die(EXIT_TEMP, "unable to allocate");
	/* until a host answers, this is what the recipients get */
	for (k = 0; k < j->nrcpt; k++)
		remote_set(j, k, SPAWN_TEMP, 0, "4.4.1 every host for %s timed "
		    "out recently; will retry", j->domain);
	for (h = 0; h < rt->nhost; h++) {
		if (dane_only_refuses(c, j, &rt->host[h]) ||
		    sts_refuses(j, &rt->host[h]))
			continue;
		for (k = 0; k < rt->host[h].naddr; k++)
			if (open_count(j, was_open) == 0 ||
			    !try_address(c, rt, j, &rt->host[h], k, was_open))
				goto done;
	}
done:
	free(was_open);
}

/* has_open - whether any recipient still wants a delivery. */
static int
has_open(const struct remote_job *j)
{
	size_t i;

	for (i = 0; i < j->nrcpt; i++)
		if (!j->is_final[i])
			return 1;
	return 0;
}

/*
 * report - the result record to rspawn: S and T per recipient, P1 after
 * a delivery whose notices the next hop took on, X each.
 */
static void
report(struct remote_job *j)
{
	struct sa rec = SA_INIT;
	struct buf out;
	char store[4096];
	size_t i;

	if (j->is_reported)
		return;
	for (i = 0; i < j->nrcpt; i++)
		if (rec_put(&rec, 'S', &j->st[i].status, 1) == -1 ||
		    rec_puts(&rec, 'T', j->st[i].text) == -1 ||
		    (j->st[i].dsn_passed && rec_puts(&rec, 'P', "1") == -1))
			die(EXIT_TEMP, "unable to encode the result");
	for (i = 0; i < j->ndown; i++)
		if (rec_puts(&rec, 'X', j->down[i]) == -1)
			die(EXIT_TEMP, "unable to encode the result");
	buf_init(&out, 1, store, sizeof(store));
	if (rec_frame_write(&out, &rec) == -1 || buf_flush(&out) == -1)
		die(EXIT_TEMP, "unable to write the result");
	sa_free(&rec);
	j->is_reported = 1;
}

/*
 * remote_report_final - once a server has answered for every recipient
 * (the reply to the end of data), the results go to rspawn at once,
 * before QUIT and our exit: a copy the peer has stored is redelivered
 * if sched, rspawn or we die before the queue records it, so that
 * window is kept as short as it can be.  Closing fd 1 is what tells
 * rspawn the record is whole.  An address that times out after this
 * (in QUIT) is not reported as down: it has just taken a message.
 */
void
remote_report_final(struct remote_job *j)
{
	if (j->is_reported || has_open(j))
		return;
	report(j);
	(void)close(1);
}

/*
 * dsn_option - one DSN option of the command line, checked as smtpd
 * checks the parameter: -R and -E into j->dsn; the k-th -N and the k-th
 * -O into j->rcpt_dsn[k] (*nn, *no count them), an empty value for a
 * recipient that asked nothing.  Bad usage is fatal.
 */
static void
dsn_option(struct remote_job *j, int ch, const char *v, size_t *nn,
    size_t *no)
{
	static const char *const key[] = { "RET", "ENVID", "NOTIFY", "ORCPT" };
	const char *err = "", *opts = "RENO";
	size_t k = (size_t)(strchr(opts, ch) - opts);	/* key[k] is -ch's */
	int r = 1;

	if (k < 2)
		r = dsn_mail_param(key[k], strlen(key[k]), v, strlen(v),
		    &j->dsn, &err);
	else if (v[0] != '\0')
		r = dsn_rcpt_param(key[k], strlen(key[k]), v, strlen(v),
		    &j->rcpt_dsn[k == 2 ? *nn : *no], &err);
	if (r != 1)
		diex(EXIT_PERM, "-%c %s: %s", ch, v, err);
	if (k == 2)
		(*nn)++;
	if (k == 3)
		(*no)++;
}

/*
 * dsn_counts - -N and -O each come for every recipient or not at all;
 * with neither, no recipient asked anything.  Bad usage is fatal.
 */
static void
dsn_counts(struct remote_job *j, size_t nn, size_t no)
{
	if ((nn != 0 && nn != j->nrcpt) || (no != 0 && no != j->nrcpt))
		diex(EXIT_PERM, "-N and -O must each be given once for every "
		    "recipient, or not at all: %zu recipients, %zu -N, %zu -O",
		    j->nrcpt, nn, no);
	if (nn == 0 && no == 0) {
		free(j->rcpt_dsn);
		j->rcpt_dsn = NULL;
	}
}

/* run - read the message and the control files, route, deliver. */
static void
run(struct remote_job *j, struct remote_route *rt)
{
	struct remote_cfg cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.sts_fd = -1;
	if (scan_message(j) == -1) {
		log_warn("id=%s unable to read the message on fd 0", j->id);
		remote_set_all(j, SPAWN_TEMP, "4.3.0 unable to read the "
		    "message file");
	} else if (remote_cfg_load(&cfg, j->domain) == -1)
		remote_set_all(j, SPAWN_TEMP, "4.3.5 a control file of the "
		    "remote sender is broken (see the log)");
	else if ((r = dns_init()) != 0)
		remote_set_all(j, SPAWN_TEMP, "%s", r == DNS_BROKEN ?
		    "4.3.5 control/resolvers is broken (see the log)" :
		    "4.4.3 unable to set up the DNS resolver");
	else {
		remote_sts_open(&cfg, j->domain);
		/* start-up done: the sandbox before DNS and the network */
		(void)sandbox_enter(SANDBOX_REMOTE);
		if (remote_route(&cfg, j, rt) == 0) {
			remote_sts_apply(&cfg, j, rt);
			deliver(&cfg, rt, j);
		}
	}
	remote_sts_close(&cfg);
	dns_close();
	remote_cfg_free(&cfg);
}

int
main(int argc, char *argv[])
{
	struct remote_route *rt;
	struct remote_job j;
	size_t nn = 0, no = 0;
	int ch;

	log_init(argv[0]);
	memset(&j, 0, sizeof(j));
	j.id = "-";
	/* at most one -N and one -O for each argument */
	if ((j.rcpt_dsn = calloc((size_t)argc, sizeof(*j.rcpt_dsn))) == NULL)
		die(EXIT_TEMP, "unable to allocate");
	while ((ch = getopt(argc, argv, "hi:E:N:O:R:")) != -1)
		switch (ch) {
		case 'h':
			usage_exit(USAGE, 0);
		case 'i':
			j.id = optarg;
			break;
		case 'E':
		case 'N':
		case 'O':
		case 'R':
			dsn_option(&j, ch, optarg, &nn, &no);
			break;
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage_exit(USAGE, EXIT_PERM);
	if (!priv_single_user())
		priv_drop(USER_REMOTE);
	(void)signal(SIGPIPE, SIG_IGN);
	j.domain = argv[0];
	j.sender = argv[1];
	j.nrcpt = (size_t)argc - 2;
	j.rcpt = argv + 2;
	j.msgfd = 0;
	dsn_counts(&j, nn, no);
	if ((j.st = calloc(j.nrcpt, sizeof(*j.st))) == NULL ||
	    (j.is_final = calloc(j.nrcpt, sizeof(int))) == NULL ||
	    (rt = calloc(1, sizeof(*rt))) == NULL)
		die(EXIT_TEMP, "unable to allocate");
	check_args(&j);
	if (has_open(&j))
		run(&j, rt);
	explicit_bzero(rt, sizeof(*rt));
	report(&j);
	free(rt);
	free(j.st);
	free(j.is_final);
	free(j.rcpt_dsn);
	sa_free(&j.seven);
	return 0;
}
