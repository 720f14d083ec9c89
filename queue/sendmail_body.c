/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sendmail_body - sendmail's input filter: CRLF to LF, and the lone
 * "." that ends input without -i.  See sendmail.h.  A byte machine,
 * not a line reader, so that no line length limits what passes.
 */
#include <string.h>

#include "sendmail.h"

void
body_filter_init(struct body_filter *f, int dot_ends)
{
	memset(f, 0, sizeof(*f));
	f->dot_ends = dot_ends;
	f->at_bol = 1;
}

/* flush_pend - give up on what was held back: it is ordinary text. */
static size_t
flush_pend(struct body_filter *f, char *out)
{
	size_t n = f->npend;

	memcpy(out, f->pend, n);
	f->npend = 0;
	f->at_bol = 0;
	return n;
}

/* body_filter_run - filter n bytes of input into out (n + 2 bytes). */
size_t
body_filter_run(struct body_filter *f, const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n && !f->ended; i++) {
		char c = in[i];

		if (f->npend > 0) {
			if (c == '\n' && f->pend[0] == '.') {
				f->ended = 1;	/* ".\n" or ".\r\n" */
				f->npend = 0;
				break;
			}
			if (c == '\n') {	/* "\r\n" */
				f->npend = 0;
				out[o++] = '\n';
				f->at_bol = 1;
				continue;
			}
			if (c == '\r' && f->npend == 1 && f->pend[0] == '.') {
				f->pend[f->npend++] = '\r';
				continue;
			}
			o += flush_pend(f, out + o);
		}
		if (c == '\r') {
			f->pend[f->npend++] = '\r';
		} else if (c == '.' && f->at_bol && f->dot_ends) {
			f->pend[f->npend++] = '.';
		} else {
			out[o++] = c;
			f->at_bol = c == '\n';
		}
	}
	return o;
}

/* body_filter_end - end of input: what was held back is text. */
size_t
body_filter_end(struct body_filter *f, char *out)
{
	if (f->ended)
		return 0;
	return flush_pend(f, out);
}
