/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * log - one line per event on stderr, and the die helpers.
 *
 * Lines read "prog: text"; every byte below 0x20 or 0x7f and above is
 * written as \ooo so that hostile input can never start a new log line.
 * die() and diex() never return: they exit with the given code (0, 100
 * or 111 for our own tools, the fine-grained table for qinject).
 */
#ifndef QPOST_LOG_H
#define QPOST_LOG_H

#include <stdarg.h>

#define EXIT_PERM	100	/* permanent: usage, hostile input, refused */
#define EXIT_TEMP	111	/* temporary: system call, memory, control */

void	log_init(const char *);
void	log_on_die(void (*)(void));
void	log_options_h(int, char *[], const char *);
void	usage_exit(const char *, int)
	    __attribute__((noreturn));
const char *log_prog(void);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vline(const char *, int, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	die(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	diex(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	panic(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
