/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local.h - the parts of `local', one delivery of one message to one
 * recipient under the recipient's (or the alias user's) uid.
 *
 * local runs a list of delivery instructions: the single one lspawn
 * gave with -t, else those of the user's dot file, else the default
 * "./Maildir/".  An instruction is one line of the dot-qpost(5) format:
 *
 *	/path/ or ./path/	a Maildir (the trailing slash says so)
 *	/path or ./path		an mbox file
 *	|command		a program, run with /bin/sh -c
 *	&address or address	forward: sched queues a copy, same sender
 *	lmtp:unix:/path		hand over by LMTP (RFC 2033) on a socket
 *	lmtp:host:port		... or over TCP
 *	# text			a comment; empty lines are ignored too
 *
 * Each kind lives in its own file and has the same shape: it takes the
 * message and its envelope (struct local_msg), the rest of the line,
 * and a buffer for one line of result text ("2.0.0 ...", "4.2.2 ...",
 * "5.2.2 ..."), and returns one of the LOCAL_* codes.  It never exits
 * and leaves nothing half-written behind when it fails.
 */
#ifndef QPOST_LOCAL_SEND_H
#define QPOST_LOCAL_SEND_H

#include <sys/types.h>

#define LOCAL_OK	0	/* delivered */
#define LOCAL_STOP	99	/* delivered; skip the dot file's other lines */
#define LOCAL_PERM	100	/* permanent failure: bounce */
#define LOCAL_TEMP	111	/* temporary failure: try again later */

#define LOCAL_LINE_MAX	4096	/* bytes in one instruction line */

/* what every instruction needs to know about the message */
struct local_msg {
	const char	*id;		/* queue id, or "-" */
	const char	*sender;	/* envelope sender; "" for <> */
	const char	*recipient;	/* the address delivered to */
	const char	*orcpt;		/* the envelope's, before aliases */
	const char	*user;		/* the account this runs as */
	const char	*home;		/* its home: ./paths start here */
	const char	*local;		/* LOCAL: the recipient's local part */
	const char	*ext;		/* EXT: its extension, "" for none */
	const char	*host;		/* HOST: the recipient's domain */
	int		 msgfd;		/* the message; read it with pread */
	off_t		 size;		/* its size in bytes */
	time_t		 queued;	/* its queue file's mtime */
	int		 is_again;	/* -a: may repeat one made */
	char		*rpline;	/* "Return-Path: <sender>\n" */
	char		*dtline;	/* "Delivered-To: <recipient>\n" */
};

int	local_maildir(const struct local_msg *, const char *, char *, size_t);
int	local_mbox(const struct local_msg *, const char *, char *, size_t);
int	local_program(const struct local_msg *, const char *, char *, size_t);
int	local_forward(const struct local_msg *, const char *, char *, size_t);
/* the "forward <address>" lines for lspawn, after a success */
int	local_forward_report(int);
void	local_forward_reset(void);
int	local_lmtp(const struct local_msg *, const char *, char *, size_t);

/* run one instruction line; the code of the kind that ran it */
int	local_instruction(const struct local_msg *, const char *, char *,
	    size_t);
/* the SIGTERM handler: drops a Maildir tmp/ file being written */
void	local_on_term(int);
/* the code for a failed system call: 4.2.2 for EDQUOT, 4.3.1 ENOSPC */
const char *local_temp_code(int);
/* write rpline, dtline and the message (from offset 0) to fd */
int	local_copy(const struct local_msg *, int);

/*
 * local -W: serve lspawn's requests through children that each call
 * deliver for one request after another; deliver returns the exit code
 */
int	local_worker(int (*)(int, char **));

/* the loop stop (local_loop.c): 5.4.6 when the header shows a loop */
int	local_loop_check(const struct local_msg *, char *, size_t);
/* run the user's dot file, else the default delivery (local_dot.c) */
int	local_dot(const struct local_msg *, char *, size_t);
/* local_program's output made one printable line (local_program.c) */
size_t	local_printable(char *, size_t, const char *, size_t);

#endif
