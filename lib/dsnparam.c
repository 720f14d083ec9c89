/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dsnparam - parse, check and write the DSN requests of RFC 3461.  See
 * dsnparam.h.
 */
#include <string.h>
#include <strings.h>

#include "dsnparam.h"
#include "rec.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * dsn_xtext_ok - s (n bytes) is xtext (RFC 3461 4): printable ASCII but
 * '=' and space, "+XX" for any other byte.  A byte it decodes to must
 * not be a control byte either: decoded, it goes into a notice.  The
 * hex digits are upper case, as the RFC has them.
 */
int
dsn_xtext_ok(const char *s, size_t n)
{
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '=')
			return 0;
		if (s[i] != '+')
			continue;
		if (i + 2 >= n)
			return 0;
		if (hexval(s[i + 1]) == -1 || hexval(s[i + 2]) == -1)
			return 0;
		v = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
		if (v < 0x20 || v == 0x7f)
			return 0;
		i += 2;
	}
	return 1;
}

/* dsn_xtext_decode - valid xtext s (n bytes) decoded into out, with a NUL */
int
dsn_xtext_decode(const char *s, size_t n, struct sa *out)
{
	size_t i;
	char c;

	out->len = 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '+' && i + 2 < n) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (sa_catc(out, c) == -1)
			return -1;
	}
	return sa_0(out);
}

/* dsn_xtext_encode - s (n bytes) as xtext, appended to out */
int
dsn_xtext_encode(struct sa *out, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c > 0x20 && c < 0x7f && c != '+' && c != '=') {
			if (sa_catc(out, (char)c) == -1)
				return -1;
		} else if (sa_catf(out, "+%02X", c) == -1)
			return -1;
	}
	return 0;
}

static const struct {
	const char	*word;
	unsigned	 bit;
	char		 letter;
} notify_words[] = {
	{ "SUCCESS", DSN_NOTIFY_SUCCESS, 'S' },
	{ "FAILURE", DSN_NOTIFY_FAILURE, 'F' },
	{ "DELAY", DSN_NOTIFY_DELAY, 'D' },
};
#define NWORDS	(sizeof(notify_words) / sizeof(notify_words[0]))

/*
 * dsn_notify_parse - NOTIFY's value (RFC 3461 4.1): NEVER, or a list of
 * SUCCESS, FAILURE and DELAY, case ignored.  0 with *mask set, or -1.
 */
int
dsn_notify_parse(const char *s, size_t n, unsigned *mask)
{
	size_t start = 0, end, len, k;
	unsigned m = 0;

	if (n == 5 && strncasecmp(s, "NEVER", 5) == 0) {
		*mask = DSN_NOTIFY_NEVER;
		return 0;
	}
	while (start <= n) {
		for (end = start; end < n && s[end] != ','; end++)
			;
		len = end - start;
		for (k = 0; k < NWORDS; k++)
			if (strlen(notify_words[k].word) == len &&
			    strncasecmp(s + start, notify_words[k].word, len) ==
			    0)
				break;
		if (k == NWORDS || (m & notify_words[k].bit))
			return -1;
		m |= notify_words[k].bit;
		start = end + 1;
	}
	*mask = m;
	return 0;
}

/* dsn_notify_smtp - the mask as NOTIFY's value, appended to out */
int
dsn_notify_smtp(unsigned mask, struct sa *out)
{
	const char *sep = "";
	size_t k;

	if (mask & DSN_NOTIFY_NEVER)
		return sa_cats(out, "NEVER");
	for (k = 0; k < NWORDS; k++)
		if (mask & notify_words[k].bit) {
			if (sa_cats(out, sep) == -1 ||
			    sa_cats(out, notify_words[k].word) == -1)
				return -1;
			sep = ",";
		}
	return 0;
}

/* dsn_notify_letters - the mask as a word of the queue's files */
void
dsn_notify_letters(unsigned mask, char out[DSN_LETTERS_MAX + 1])
{
	size_t k, n = 0;

	if (mask & DSN_NOTIFY_NEVER)
		out[n++] = 'N';
	else
		for (k = 0; k < NWORDS; k++)
			if (mask & notify_words[k].bit)
				out[n++] = notify_words[k].letter;
	out[n] = '\0';
}

/* dsn_letters_parse - strictly what dsn_notify_letters writes; 0 or -1 */
int
dsn_letters_parse(const char *s, size_t n, unsigned *mask)
{
	char again[DSN_LETTERS_MAX + 1];
	size_t i, k;
	unsigned m = 0;

	if (n == 1 && s[0] == 'N')
		m = DSN_NOTIFY_NEVER;
	else
		for (i = 0; i < n; i++)
			for (k = 0; k < NWORDS; k++)
				if (s[i] == notify_words[k].letter)
					m |= notify_words[k].bit;
	/* in order, each once, nothing else: as written, or not ours */
	dsn_notify_letters(m, again);
	if (strlen(again) != n || memcmp(again, s, n) != 0)
		return -1;
	*mask = m;
	return 0;
}

/* dsn_ret_parse - RET's value: DSN_RET_FULL, DSN_RET_HDRS, or -1 */
int
dsn_ret_parse(const char *s, size_t n)
{
	if (n == 4 && strncasecmp(s, "FULL", 4) == 0)
		return DSN_RET_FULL;
	if (n == 4 && strncasecmp(s, "HDRS", 4) == 0)
		return DSN_RET_HDRS;
	return -1;
}

/* dsn_envid_ok - ENVID's value: 1 to DSN_ENVID_MAX bytes of xtext */
int
dsn_envid_ok(const char *s, size_t n)
{
	return n > 0 && n <= DSN_ENVID_MAX && dsn_xtext_ok(s, n);
}

/*
 * dsn_orcpt_ok - ORCPT's value (RFC 3461 4.2): an address type (letters,
 * digits and '-', as "rfc822" and "utf-8"), ';', the address in xtext,
 * DSN_ORCPT_MAX bytes at most.
 */
int
dsn_orcpt_ok(const char *s, size_t n)
{
	size_t t = 0;

	if (n > DSN_ORCPT_MAX)
		return 0;
	while (t < n && ((s[t] >= 'a' && s[t] <= 'z') ||
	    (s[t] >= 'A' && s[t] <= 'Z') || (s[t] >= '0' && s[t] <= '9') ||
	    s[t] == '-'))
		t++;
	return t > 0 && t + 1 < n && s[t] == ';' &&
	    dsn_xtext_ok(s + t + 1, n - t - 1);
}

static int
is_key(const char *k, size_t kn, const char *want)
{
	return kn == strlen(want) && strncasecmp(k, want, kn) == 0;
}

/*
 * dsn_mail_param - MAIL's parameter k (kn bytes) with its value v (vn
 * bytes; v NULL when there was no '='): 1 when it was RET or ENVID
 * and is fine (stored in m), 0 when it is another parameter, -1 when it
 * is wrong (*err says why, for a 501).
 */
int
dsn_mail_param(const char *k, size_t kn, const char *v, size_t vn,
    struct dsn_msg *m, const char **err)
{
	int ret;

	if (is_key(k, kn, "RET")) {
		if (m->ret != 0)
			return (*err = "duplicate RET parameter", -1);
		if (v == NULL || (ret = dsn_ret_parse(v, vn)) == -1)
			return (*err = "RET takes FULL or HDRS", -1);
		m->ret = (char)ret;
		return 1;
	}
	if (is_key(k, kn, "ENVID")) {
		if (m->envid[0] != '\0')
			return (*err = "duplicate ENVID parameter", -1);
		if (v == NULL || !dsn_envid_ok(v, vn))
			return (*err = "ENVID takes 1 to 100 characters of "
			    "xtext (RFC 3461)", -1);
		memcpy(m->envid, v, vn);
		m->envid[vn] = '\0';
		return 1;
	}
	return 0;
}

/* dsn_rcpt_param - as dsn_mail_param, for RCPT's NOTIFY and ORCPT */
int
dsn_rcpt_param(const char *k, size_t kn, const char *v, size_t vn,
    struct dsn_rcpt *r, const char **err)
{
	if (is_key(k, kn, "NOTIFY")) {
		if (r->notify != 0)
			return (*err = "duplicate NOTIFY parameter", -1);
		if (v == NULL || dsn_notify_parse(v, vn, &r->notify) == -1)
			return (*err = "NOTIFY takes NEVER, or SUCCESS, FAILURE "
			    "and DELAY separated by commas", -1);
		return 1;
	}
	if (is_key(k, kn, "ORCPT")) {
		if (r->orcpt[0] != '\0')
			return (*err = "duplicate ORCPT parameter", -1);
		if (v == NULL || !dsn_orcpt_ok(v, vn))
			return (*err = "ORCPT takes an address type, ';' and "
			    "the address in xtext, at most 500 characters",
			    -1);
		memcpy(r->orcpt, v, vn);
		r->orcpt[vn] = '\0';
		return 1;
	}
	return 0;
}

/* dsn_list_add - r's entry at the end of a list (see dsnparam.h) */
int
dsn_list_add(struct sa *list, const struct dsn_rcpt *r)
{
	char letters[DSN_LETTERS_MAX + 1];

	dsn_notify_letters(r->notify, letters);
	return sa_catb(list, letters, strlen(letters) + 1) == -1 ||
	    sa_catb(list, r->orcpt, strlen(r->orcpt) + 1) == -1 ? -1 : 0;
}

/*
 * dsn_list_get - the entry at p (of a list dsn_list_add made) into r;
 * returns where the next one starts.
 */
const char *
dsn_list_get(const char *p, struct dsn_rcpt *r)
{
	size_t n = strlen(p);

	memset(r, 0, sizeof(*r));
	(void)dsn_letters_parse(p, n, &r->notify);
	p += n + 1;
	n = strlen(p);
	if (n <= DSN_ORCPT_MAX)
		memcpy(r->orcpt, p, n + 1);
	return p + n + 1;
}

/* dsn_rec_put_msg - m's Y and J fields, those it has */
int
dsn_rec_put_msg(struct sa *out, const struct dsn_msg *m)
{
	if (m->ret != 0 && rec_put(out, 'Y', &m->ret, 1) == -1)
		return -1;
	return m->envid[0] != '\0' ? rec_puts(out, 'J', m->envid) : 0;
}

/*
 * dsn_rec_msg_field - a Y or J field (v, n bytes) into m, which holds
 * the fields before it: 0, or -1 when it is another field, out of
 * place, repeated or wrong.
 */
int
dsn_rec_msg_field(char tag, const char *v, size_t n, struct dsn_msg *m)
{
	if (m->envid[0] != '\0')
		return -1;
	if (tag == 'Y' && m->ret == 0 && n == 1 &&
	    (v[0] == DSN_RET_FULL || v[0] == DSN_RET_HDRS)) {
		m->ret = v[0];
		return 0;
	}
	if (tag == 'J' && dsn_envid_ok(v, n)) {
		memcpy(m->envid, v, n);
		m->envid[n] = '\0';
		return 0;
	}
	return -1;
}

/* dsn_rec_put_rcpt - a recipient's D and X fields, those it has */
int
dsn_rec_put_rcpt(struct sa *out, const struct dsn_rcpt *r)
{
	char letters[DSN_LETTERS_MAX + 1];

	dsn_notify_letters(r->notify, letters);
	if (letters[0] != '\0' && rec_puts(out, 'D', letters) == -1)
		return -1;
	return r->orcpt[0] != '\0' ? rec_puts(out, 'X', r->orcpt) : 0;
}

/*
 * dsn_rec_rcpt_field - a D or X field (v, n bytes) after a recipient,
 * into r; *stage (0 after the recipient) says which of its fields came
 * before.  0, or -1 when it is another field, out of place, repeated
 * or wrong.
 */
int
dsn_rec_rcpt_field(char tag, const char *v, size_t n, struct dsn_rcpt *r,
    int *stage)
{
	if (tag == 'D' && *stage < 1 && n > 0 &&
	    dsn_letters_parse(v, n, &r->notify) == 0) {
		*stage = 1;
		return 0;
	}
	if (tag == 'X' && *stage < 2 && dsn_orcpt_ok(v, n)) {
		memcpy(r->orcpt, v, n);
		r->orcpt[n] = '\0';
		*stage = 2;
		return 0;
	}
	return -1;
}

/* dsn_trailer_msg - the trailer's "D" record for m */
int
dsn_trailer_msg(struct sa *out, const struct dsn_msg *m)
{
	const char *sep = "";

	if (sa_catc(out, 'D') == -1)
		return -1;
	if (m->ret != 0) {
		if (sa_cats(out, m->ret == DSN_RET_HDRS ? "RET=HDRS" :
		    "RET=FULL") == -1)
			return -1;
		sep = " ";
	}
	if (m->envid[0] != '\0') {
		if (sa_catf(out, "%sENVID=%s", sep, m->envid) == -1)
			return -1;
		sep = " ";
	}
	if (m->hold && sa_catf(out, "%sHOLD", sep) == -1)
		return -1;
	return sa_catc(out, '\0');
}

/* dsn_trailer_rcpt - the trailer's "N" record for one recipient */
int
dsn_trailer_rcpt(struct sa *out, const struct dsn_rcpt *r)
{
	const char *sep = "";

	if (sa_catc(out, 'N') == -1)
		return -1;
	if (r->notify != 0) {
		if (sa_cats(out, "NOTIFY=") == -1 ||
		    dsn_notify_smtp(r->notify, out) == -1)
			return -1;
		sep = " ";
	}
	if (r->orcpt[0] != '\0' &&
	    sa_catf(out, "%sORCPT=%s", sep, r->orcpt) == -1)
		return -1;
	return sa_catc(out, '\0');
}

/*
 * record - the parameters of one trailer record (p, n bytes, without
 * its letter and NUL), one space apart, into m (rcpt NULL) or r.
 */
static const char *
record(const char *p, size_t n, struct dsn_msg *m, struct dsn_rcpt *r)
{
	const char *end = p + n, *tok, *sp, *eq, *err = NULL;
	int rc;

	for (tok = p; n > 0 && tok <= end; tok = sp + 1) {
		if ((sp = memchr(tok, ' ', (size_t)(end - tok))) == NULL)
			sp = end;
		if (r == NULL && sp - tok == 4 && memcmp(tok, "HOLD", 4) == 0) {
			if (m->hold++)
				return "HOLD twice in the DSN trailer";
			continue;
		}
		if ((eq = memchr(tok, '=', (size_t)(sp - tok))) == NULL)
			return "a DSN parameter without '='";
		rc = r == NULL ? dsn_mail_param(tok, (size_t)(eq - tok),
		    eq + 1, (size_t)(sp - eq - 1), m, &err) :
		    dsn_rcpt_param(tok, (size_t)(eq - tok), eq + 1,
		    (size_t)(sp - eq - 1), r, &err);
		if (rc == 0)
			return "an unknown DSN parameter";
		if (rc == -1)
			return err;
	}
	return NULL;
}

/*
 * dsn_trailer_parse - the trailer after qmail-queue's envelope (p, n
 * bytes, possibly none): m gets the message's requests, list (emptied
 * first) an entry for each "N" record, at most maxrcpt, *nrcpt their
 * number.  NULL, or what is wrong with it.
 */
const char *
dsn_trailer_parse(const char *p, size_t n, struct dsn_msg *m,
    struct sa *list, size_t maxrcpt, size_t *nrcpt)
{
	const char *end, *nul, *why;
	struct dsn_rcpt r;

	memset(m, 0, sizeof(*m));
	list->len = 0;
	*nrcpt = 0;
	/* none at all: p may be an empty sa's NULL, and NULL + 0 is UB */
	if (n == 0)
		return NULL;
	end = p + n;
	if (p[0] != 'D' || (nul = memchr(p, '\0', n)) == NULL)
		return "the DSN trailer does not start with a D record";
	if ((why = record(p + 1, (size_t)(nul - p - 1), m, NULL)) != NULL)
		return why;
	for (p = nul + 1; p < end; p = nul + 1) {
		if (p[0] != 'N' ||
		    (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return "a DSN trailer record is not an N record";
		if (*nrcpt == maxrcpt)
			return "the DSN trailer has more N records than "
			    "there are recipients";
		memset(&r, 0, sizeof(r));
		if ((why = record(p + 1, (size_t)(nul - p - 1), NULL, &r)) !=
		    NULL)
			return why;
		if (dsn_list_add(list, &r) == -1)
			return "out of memory";
		(*nrcpt)++;
	}
	return NULL;
}

/* dsn_list_repeat - n entries of r at the end of a list: one for each */
int
dsn_list_repeat(struct sa *list, const struct dsn_rcpt *r, size_t n)
{
	while (n-- > 0)
		if (dsn_list_add(list, r) == -1)
			return -1;
	return 0;
}

/*
 * dsn_trailer - the whole trailer for m (NULL: nothing asked) and list
 * (the recipients' requests, in order; NULL, or shorter than the
 * recipients when the rest asked for nothing): a D record, then an N
 * record for each recipient up to the last one that asked for
 * something.  Nothing at all when nobody asked for anything, so that
 * such an envelope stays qmail-queue's to the byte.
 */
int
dsn_trailer(struct sa *out, const struct dsn_msg *m, const struct sa *list)
{
	static const struct dsn_msg none;
	struct dsn_rcpt r;
	const char *p, *end, *upto = NULL;

	if (list != NULL && list->len > 0)
		for (p = list->s, end = p + list->len; p < end;) {
			p = dsn_list_get(p, &r);
			if (r.notify != 0 || r.orcpt[0] != '\0')
				upto = p;
		}
	if (m == NULL)
		m = &none;
	if (upto == NULL && m->ret == 0 && m->envid[0] == '\0' && !m->hold)
		return 0;
	if (dsn_trailer_msg(out, m) == -1)
		return -1;
	for (p = upto != NULL ? list->s : NULL; p != upto;) {
		p = dsn_list_get(p, &r);
		if (dsn_trailer_rcpt(out, &r) == -1)
			return -1;
	}
	return 0;
}

/*
 * envid_raw - ENVID from a command line, as given (not xtext): encoded
 * into m.  NULL, or what is wrong with it.
 */
static const char *
envid_raw(const char *s, struct dsn_msg *m)
{
	struct sa x = SA_INIT;
	const char *why = NULL;

	if (dsn_xtext_encode(&x, s, strlen(s)) == -1)
		why = "out of memory";
	else if (x.len == 0)
		why = "-V takes an envelope id, not an empty word";
	else if (x.len > DSN_ENVID_MAX)
		why = "-V: the envelope id is longer than 100 bytes as xtext "
		    "(RFC 3461: a byte other than printable ASCII, '+' or "
		    "'=' counts 3)";
	else if (!dsn_xtext_ok(x.s, x.len))
		why = "-V: the envelope id has a control character";
	else {
		memcpy(m->envid, x.s, x.len);
		m->envid[x.len] = '\0';
	}
	sa_free(&x);
	return why;
}

/*
 * dsn_opts - the command line's requests (qinject's and sendmail's -N
 * notify, -R ret and -V envid; each NULL when not given, envid as is,
 * not xtext) into m and r, the request of every recipient.  NULL, or
 * what is wrong, for a usage message.
 */
const char *
dsn_opts(const char *notify, const char *ret, const char *envid,
    struct dsn_msg *m, struct dsn_rcpt *r)
{
	int v;

	memset(m, 0, sizeof(*m));
	memset(r, 0, sizeof(*r));
	if (notify != NULL &&
	    dsn_notify_parse(notify, strlen(notify), &r->notify) == -1)
		return "-N takes NEVER, or SUCCESS, FAILURE and DELAY "
		    "separated by commas";
	if (ret != NULL) {
		if ((v = dsn_ret_parse(ret, strlen(ret))) == -1)
			return "-R takes FULL or HDRS";
		m->ret = (char)v;
	}
	return envid != NULL ? envid_raw(envid, m) : NULL;
}
