/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_drop - encode and strictly parse drop files.  See queue_drop.h.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "queue_drop.h"
#include "rec.h"

/* qdrop_header - the fixed-size header for a message of len bytes. */
void
qdrop_header(char hdr[QDROP_HDR_LEN], uint64_t len)
{
	char tmp[QDROP_HDR_LEN + 1];

	snprintf(tmp, sizeof(tmp), "%s%020llu\n", QDROP_MAGIC,
	    (unsigned long long)len);
	memcpy(hdr, tmp, QDROP_HDR_LEN);
}

/* qdrop_parse_header - 0 and the message length, or -1 if malformed. */
int
qdrop_parse_header(const char *p, size_t n, uint64_t *len)
{
	uint64_t v = 0;
	size_t i, m = sizeof(QDROP_MAGIC) - 1;

	if (n != QDROP_HDR_LEN || memcmp(p, QDROP_MAGIC, m) != 0 ||
	    p[QDROP_HDR_LEN - 1] != '\n')
		return -1;
	for (i = m; i < QDROP_HDR_LEN - 1; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		/* exact: every value qdrop_header() can write reads back */
		if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*len = v;
	return 0;
}

/*
 * qdrop_layout - whether a drop file of size bytes whose header says
 * msglen can hold that message and an envelope of a sane size (at
 * least the 4 bytes of the end marker).  NULL if so, else the reason.
 */
const char *
qdrop_layout(uint64_t size, uint64_t msglen)
{
	if (msglen > QDROP_MSG_MAX)
		return "too large";
	if (size < QDROP_HDR_LEN + msglen + 4 ||
	    size - QDROP_HDR_LEN - msglen > QDROP_ENV_MAX)
		return "size does not match its header";
	return NULL;
}

/*
 * qdrop_env_encode - append the envelope: sender, the NUL-separated
 * recipients in rcpts each with its DSN requests (rcpt_dsn, a
 * dsnparam.h list: an entry for each recipient, or empty), the SMTPUTF8
 * flag, the hold request and the message's DSN requests (both in dsn,
 * or NULL) and the end marker.
 */
int
qdrop_env_encode(struct sa *out, const char *sender, const struct sa *rcpts,
    int is_utf8, const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
{
	struct dsn_rcpt d;
	const char *r, *dp = NULL;

	if (rec_puts(out, 'F', sender) == -1)
		return -1;
	if (rcpt_dsn != NULL && rcpt_dsn->len > 0)
		dp = rcpt_dsn->s;
	for (r = rcpts->s; r != NULL && r < rcpts->s + rcpts->len;
	    r += strlen(r) + 1) {
		if (rec_puts(out, 'T', r) == -1)
			return -1;
		if (dp != NULL && dp < rcpt_dsn->s + rcpt_dsn->len) {
			dp = dsn_list_get(dp, &d);
			if (dsn_rec_put_rcpt(out, &d) == -1)
				return -1;
		}
	}
	if (is_utf8 && rec_puts(out, 'O', "1") == -1)
		return -1;
	if (dsn != NULL && dsn->hold && rec_puts(out, 'H', "1") == -1)
		return -1;
	if (dsn != NULL && dsn_rec_put_msg(out, dsn) == -1)
		return -1;
	return rec_put(out, 'Z', "", 0);
}

/* valid_envaddr - an envelope address: RFC 5321 form, or empty sender. */
static int
valid_envaddr(const char *v, size_t n, int is_sender)
{
	struct addr a;

	if (n == 0)
		return is_sender;
	return rec_value_ok(v, n) &&
	    addr_parse(v, n, &a, ADDR_UTF8) == 1;
}

/* has_tail - whether a field after the recipients was read */
static int
has_tail(const struct qdrop_env *env)
{
	return env->is_utf8 || env->dsn.hold || env->dsn.ret != 0 ||
	    env->dsn.envid[0] != '\0';
}

/*
 * tail_field - O, H, Y or J, each at most once and in that order, after
 * the recipients: 0, or -1 when out of place or wrong.
 */
static int
tail_field(char tag, const char *v, size_t n, struct qdrop_env *env)
{
	int *flag = tag == 'O' ? &env->is_utf8 : &env->dsn.hold;

	if (env->nrcpt == 0)
		return -1;
	if ((tag == 'O' || tag == 'H') && n == 1 && v[0] == '1') {
		/* O before H, both before Y and J */
		if (*flag || env->dsn.ret != 0 || env->dsn.envid[0] != '\0' ||
		    (tag == 'O' && env->dsn.hold))
			return -1;
		*flag = 1;
		return 0;
	}
	return dsn_rec_msg_field(tag, v, n, &env->dsn);
}

/*
 * qdrop_env_parse - parse the envelope of n bytes strictly: F first,
 * then one or more T (each with its optional D and X), the optional O,
 * H, Y and J, then Z0 as the very last bytes.  Returns 0, or -1 if
 * anything is out of place.
 */
int
qdrop_env_parse(const char *p, size_t n, struct qdrop_env *env)
{
	struct rec_reader rr;
	struct dsn_rcpt cur;
	const char *v;
	size_t vlen;
	char tag;
	int r, seen_end = 0, in_rcpt = 0, stage = 0, any_dsn = 0;

	memset(env, 0, sizeof(*env));
	rec_reader_init(&rr, p, n);
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'F' ||
	    !valid_envaddr(v, vlen, 1) || sa_copyb(&env->sender, v, vlen) == -1)
		return -1;
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (seen_end)
			return -1;
		if (in_rcpt && (tag == 'D' || tag == 'X')) {
			if (dsn_rec_rcpt_field(tag, v, vlen, &cur,
			    &stage) == -1)
				return -1;
			any_dsn = 1;
			continue;
		}
		/* the recipient before is complete */
		if (in_rcpt && dsn_list_add(&env->rcpt_dsn, &cur) == -1)
			return -1;
		in_rcpt = 0;
		if (tag == 'T' && !has_tail(env)) {
			if (!valid_envaddr(v, vlen, 0) ||
			    env->nrcpt == QDROP_RCPT_MAX ||
			    sa_catb(&env->rcpts, v, vlen) == -1 ||
			    sa_catc(&env->rcpts, '\0') == -1)
				return -1;
			env->nrcpt++;
			memset(&cur, 0, sizeof(cur));
			in_rcpt = 1;
			stage = 0;
		} else if (tag == 'Z' && vlen == 0 && env->nrcpt > 0)
			seen_end = 1;
		else if (tail_field(tag, v, vlen, env) == -1)
			return -1;
	}
	if (!any_dsn)
		env->rcpt_dsn.len = 0;
	return r == 0 && seen_end ? 0 : -1;
}

void
qdrop_env_free(struct qdrop_env *env)
{
	sa_free(&env->sender);
	sa_free(&env->rcpts);
	sa_free(&env->rcpt_dsn);
	env->nrcpt = 0;
}
