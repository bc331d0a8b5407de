/*  logescape.h - log lines made safe to read on a terminal.

    The broker's and the agent's log lines quote what other parties sent:
    file paths, user names, reasons. Those may hold C1 controls and
    bidirectional overrides (valid UTF-8, allowed in names), and whoever
    reads the log with cat or tail -f would get the terminal escapes and
    re-ordered text they carry. Rather than escape at each of the hundred
    zsys_info/warning/error/debug calls, every line goes through one
    stream: a glibc fopencookie stream that escapes what CZMQ writes to it
    as fsh_text_escape does (escape.h), keeping each line's final newline,
    and hands the result to the real stream (standard error, which the
    agent's log file may be).
*/
#ifndef FSH_LOGESCAPE_H_INCLUDED
#define FSH_LOGESCAPE_H_INCLUDED

#include <stdio.h>

//  A write-only, unbuffered stream that writes to `sink` the escaped form
//  of what is written to it, and flushes `sink` after each write. A
//  newline that ends a write is kept; one within a write is escaped.
//  NULL when memory runs out. fclose it to release it (not `sink`).
FILE *fsh_logescape_open (FILE *sink);

//  Points zsys logging at an escaping stream over `sink`, or at nothing
//  when `sink` is NULL, and turns zsys's syslog path off, which would
//  take the raw text past the stream (ZSYS_LOGSYSTEM=true). The stream
//  lives until the process exits (zsys logs from other threads, and at
//  exit) or until the next call, which closes it: call this while one
//  thread runs, at a program's start.
void fsh_logescape_install (FILE *sink);

#endif
