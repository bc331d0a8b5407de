/*  cli.h - what every fshare program's main() needs the same way.

    Numbers from the command line, checked whole (no trailing junk, no
    overflow, within a range); and signals taken as input rather than as
    interrupts: blocked in every thread, then read from a descriptor that
    a poll loop can watch next to an actor.
*/
#ifndef FSH_CLI_H_INCLUDED
#define FSH_CLI_H_INCLUDED

#include <stdbool.h>

//  "<program>: <message>" and "try '<program> --help'" on stderr; returns
//  2, the exit code of a usage error.
int fsh_usage_error (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  A whole decimal number in [min, max] (min >= 0), or -1.
long fsh_number (const char *text, long min, long max);

//  Block SIGINT and SIGTERM (and SIGHUP when `hangup`) in this thread and
//  every thread started after, and return a signalfd that reads them;
//  call it first in main(), before CZMQ starts any thread. -1 on failure.
int fsh_signals_open (bool hangup);

//  The signal read from a fsh_signals_open descriptor that polled
//  readable; 0 when there was none after all.
int fsh_signals_read (int fd);

#endif
