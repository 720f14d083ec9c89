/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_listen - smtpd -L: smtpd's own listener, which forks an
 * already-started smtpd per connection instead of tcpserver's fork and
 * exec.  See smtpd_listen.c and qpost-smtpd(8), LISTENER.
 */
#ifndef QPOST_SMTPD_LISTEN_H
#define QPOST_SMTPD_LISTEN_H

#define LISTEN_MAX_DEFAULT	100	/* sessions at once, as tcpserver -c */
#define LISTEN_MAX_LIMIT	65535	/* the most -c takes */
#define LISTEN_NICE_DEFAULT	5	/* -n: sessions yield to deliveries */
#define LISTEN_NICE_LIMIT	19

long	smtpd_listen_max(const char *);
	/* -c's, -C's or -R's argument: 1..LISTEN_MAX_LIMIT, or -1 */
long	smtpd_listen_nice(const char *);
	/* -n's argument: 0..LISTEN_NICE_LIMIT, or -1 */
void	smtpd_listen(const char *, long, long, long, long);
	/* binds "address:port" ("[v6]:port"), drops to qpsmtpd, becomes
	   that much nicer (with its runner and sessions), and accepts at
	   most that many sessions at once, of which at most the next
	   number (0: all) from one client, and from one client at most
	   the last number (0: any) of new connections a minute.  Returns
	   only in a
	   session's process: the connection on descriptors 0 and 1, the
	   variables tcpserver -R -H would set, the ids already dropped.
	   The listener itself exits 0 on SIGTERM; dies (logged) when it
	   cannot listen. */

#endif
