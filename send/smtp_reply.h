/* placeholder: the helper's version replaces this file */
#ifndef QPOST_SMTP_REPLY_H
#define QPOST_SMTP_REPLY_H
#include <stddef.h>
#include "buf.h"
#define SMTP_REPLY_LINE_MAX	2048
#define SMTP_REPLY_LINES_MAX	200
#define SMTP_REPLY_TEXT_MAX	4000
struct smtp_reply {
	int	code;
	size_t	nlines;
	size_t	textlen;
	char	text[SMTP_REPLY_TEXT_MAX + 1];
};
void	smtp_reply_init(struct smtp_reply *);
int	smtp_reply_feed(struct smtp_reply *, const char *, size_t);
#define SMTP_R_TIMEOUT	(-1)
#define SMTP_R_EOF	(-2)
#define SMTP_R_TOOLONG	(-3)
#define SMTP_R_MALFORMED (-4)
#define SMTP_R_IOERR	(-5)
int	smtp_reply_read(struct buf *, struct smtp_reply *, int);
const char *smtp_reply_strerror(int);
struct smtp_ext {
	int			pipelining, starttls, eightbitmime, smtputf8,
				enhancedstatuscodes, chunking;
	int			has_size;
	unsigned long long	size;
	int			auth_plain, auth_login;
};
void	smtp_ehlo_parse(const struct smtp_reply *, struct smtp_ext *);
void	smtp_reply_oneline(const struct smtp_reply *, char *, size_t);
#endif
