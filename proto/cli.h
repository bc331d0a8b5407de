/*  cli.h - what every fshare program's main() needs the same way.

    Numbers from the command line, checked whole (no trailing junk, no
    overflow, within a range); signals taken as input rather than as
    interrupts: blocked in every thread, then read from a descriptor that
    a poll loop can watch next to an actor; and standard output that is
    known to have gone out, or said to have failed (SPEC 2).
*/
#ifndef FSH_CLI_H_INCLUDED
#define FSH_CLI_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

//  "<program>: <message>" (escaped, as fsh_error_line) and "try
//  '<program> --help'" on stderr; returns 2, the exit code of a usage error.
int fsh_usage_error (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  "<program>: <message>" on stderr, the message escaped (fsh_text_escape):
//  whatever it quotes (a word or path from the command line, a file's
//  name, a peer's text) cannot move the cursor, retitle or clear the
//  terminal. The one home of a program's error line.
void fsh_error_line (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  A whole decimal number in [min, max] (min >= 0), or -1.
long fsh_number (const char *text, long min, long max);

//  What an endpoint option is for: an endpoint to bind (may use '*'), one
//  to connect to, or an agent's control socket (ipc:// only: its 0700
//  directory is what keeps other local users from driving the agent, and
//  `disconnect` knows the agent's process from the socket's peer).
typedef enum { FSH_EP_BIND, FSH_EP_CONNECT, FSH_EP_CONTROL } fsh_ep_use_t;

//  NULL when `value` is an endpoint fit for `use`, else why not (static).
const char *fsh_endpoint_problem (const char *value, fsh_ep_use_t use);

//  -1 when `value`, given to `option`, is an endpoint fit for `use`;
//  else 2 after a usage error saying why (fsh_endpoint_invalid).
int fsh_endpoint_option (const char *program, const char *option, const char *value,
                         fsh_ep_use_t use);

//  NULL when `value` names a path at all (not empty, shorter than
//  PATH_MAX), else why not: "no path given" or "the path is too long".
//  The one home of that check and its words (options and ctl commands).
const char *fsh_path_problem (const char *value);

//  -1 when `value`, given to a path `option`, names a path at all
//  (fsh_path_problem); else 2 after a usage error.
int fsh_path_option (const char *program, const char *option, const char *value);

//  Block SIGINT and SIGTERM (and SIGHUP when `hangup`) in this thread and
//  every thread started after, and return a signalfd that reads them;
//  call it first in main(), before CZMQ starts any thread. -1 on failure.
int fsh_signals_open (bool hangup);

//  The signal read from a fsh_signals_open descriptor that polled
//  readable; 0 when there was none after all.
int fsh_signals_read (int fd);

//  Programs that keep CZMQ's handler (fshare-ctl: a flag, zsys_interrupted)
//  wait at most this long in one poll. A signal that lands between the
//  check of the flag and the poll does not end the poll: the flag is then
//  seen this late at most, instead of never.
#define FSH_SIGNAL_SLICE_MS 200

//  The timeout for one such poll: timeout_ms (-1: none) capped at
//  FSH_SIGNAL_SLICE_MS.
int fsh_signal_slice (int64_t timeout_ms);

//  Descriptors 0, 1 and 2 that are closed get /dev/null, read-only: the
//  first socket, eventfd or file the program opens would otherwise take
//  the number, and the program's output would go into it. Read-only, so
//  that a write to a descriptor the caller closed still fails (EBADF), as
//  it did before, and fsh_output_close says so. Call it first in main(),
//  before anything opens a descriptor.
void fsh_stdio_open (void);

//  fflush (stdout), remembering why it failed: stdio drops its buffer at
//  a failed flush and keeps only the error flag, so by exit the reason
//  would be gone. Use it wherever a program flushes its results. 0 or -1.
int fsh_output_flush (void);

//  True once anything written to standard output failed to go out.
bool fsh_output_failed (void);

//  At the end of a program that prints results: flushes and closes
//  standard output. Returns `code` when everything written went out; else
//  says "<program>: cannot write the output: <why>" on stderr (a full
//  disk, a closed descriptor) and returns 1, or `code` when that is
//  already a failure (a usage error stays 2). A pipe whose reader left
//  still ends the program by SIGPIPE before this.
int fsh_output_close (const char *program, int code);

#endif
