/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * check_content - qpost-check -m: the header and body checks tried on
 * one message.  See check_content.c.
 */
#ifndef QPOST_CHECK_CONTENT_H
#define QPOST_CHECK_CONTENT_H

int	check_message(int);
	/* the message read from fd through the tables, each match and the
	   verdict printed: 0, or -1 when a table is broken (logged) or
	   the message cannot be read or held */

#endif
