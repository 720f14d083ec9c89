/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn_msg - what both spawners do around their children: find the
 * queue, open the message file a request names, safely, and wake the
 * poll loop on SIGCHLD through a self-pipe; the poll set itself.
 */
#ifndef QPOST_SPAWN_MSG_H
#define QPOST_SPAWN_MSG_H

#include <sys/types.h>
#include <poll.h>
#include <stddef.h>

void	spawn_setup(int *, uid_t *);
int	spawn_open_message(int, uid_t, const char *, char *, size_t);
int	spawn_sigchld_pipe(void);
void	spawn_sigchld_drain(int);
struct pollfd *spawn_poll_set(struct pollfd **, size_t *, size_t, int, int);

#endif
