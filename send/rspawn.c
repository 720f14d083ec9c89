/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rspawn - the remote spawner, for now a stub.
 *
 * qpost-start starts rspawn as qpremote (or the instance's one user)
 * with requests from sched on fd 0, results to sched on fd 1 and the
 * log on fd 2.  Until the remote sender lands it delivers nothing: it
 * answers every recipient of every request with a temporary failure,
 * so sched keeps remote mail queued and retries it.
 *
 * It trusts sched for nothing: every record is parsed strictly and a
 * malformed one is fatal (exit 111), as it will be once rspawn forks
 * `remote'.  If it is started as root it drops to qpremote first.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "rec.h"
#include "spawn_rec.h"

#define USAGE	"usage: rspawn"

#define STUB_TEXT	"4.4.1 remote delivery is not implemented yet"

/* valid_path - an address (or <> for the sender) that parses strictly. */
static int
valid_path(const char *s, int is_sender)
{
	struct addr a;

	if (is_sender && s[0] == '\0')
		return 1;
	return addr_parse(s, strlen(s), &a, ADDR_UTF8);
}

/* answer - the result record for one request: Z for every recipient. */
static void
answer(struct buf *out, const struct spawn_req *q)
{
	struct spawn_res res;
	struct sa rec = SA_INIT;
	int is_sender_ok;
	size_t i;

	if (spawn_res_alloc(&res, q->job, q->nrcpt) == -1)
		die(EXIT_TEMP, "unable to allocate a result");
	is_sender_ok = valid_path(q->sender, 1);
	for (i = 0; i < q->nrcpt; i++) {
		/* bad syntax would bounce later anyway; say so now */
		if (!is_sender_ok)
			spawn_res_set(&res, i, SPAWN_PERM, "5.1.7 bad sender "
			    "address syntax");
		else if (!valid_path(q->rcpt[i], 0))
			spawn_res_set(&res, i, SPAWN_PERM, "5.1.3 bad "
			    "recipient address syntax");
		else
			spawn_res_set(&res, i, SPAWN_TEMP, STUB_TEXT);
		log_info("id=%s job=%llu to=<%s> result=%s text=\"%s\"",
		    q->id, q->job, q->rcpt[i],
		    res.st[i].status == SPAWN_PERM ? "bounce" : "defer",
		    res.st[i].text);
	}
	if (spawn_res_encode(&rec, &res) == -1)
		die(EXIT_TEMP, "unable to encode a result");
	if (rec_frame_write(out, &rec) == -1)
		die(EXIT_TEMP, "unable to write a result to sched");
	sa_free(&rec);
	spawn_res_free(&res);
}

int
main(int argc, char *argv[])
{
	char instore[8192], outstore[8192];
	struct buf in, out;
	struct sa rec = SA_INIT;
	struct spawn_req q;
	int r;

	log_init(argv[0]);
	log_options_h(argc, argv, USAGE);
	if (!priv_single_user())
		priv_drop(USER_REMOTE);
	/* a gone sched must be EPIPE, then exit 111, not a silent death */
	(void)signal(SIGPIPE, SIG_IGN);
	buf_init(&in, 0, instore, sizeof(instore));
	buf_init(&out, 1, outstore, sizeof(outstore));

	while ((r = rec_frame_read(&in, &rec, REC_FRAME_MAX)) == 1) {
		if (spawn_req_decode(rec.s, rec.len, &q) == -1)
			diex(EXIT_TEMP, "malformed request record");
		answer(&out, &q);
		spawn_req_free(&q);
	}
	if (r == -1 && errno == EPROTO)
		diex(EXIT_TEMP, "malformed request frame");
	if (r == -1)
		die(EXIT_TEMP, "unable to read requests");
	sa_free(&rec);
	return 0;
}
