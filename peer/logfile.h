/*  logfile.h - keeps the agent's log file bounded: rotated at a size.

    `fshare-ctl connect` sends an agent's standard output and error to
    <control dir>/USER.log, and an agent may run for months. Once a second
    this actor looks at standard error: when it is a regular file of at
    least the limit (1 MiB, or FSHARE_LOG_MAX bytes from the environment),
    the file is renamed to FILE.1 (replacing an older one) and a new FILE
    takes its place on descriptors 1 and 2. So the log never holds much
    more than twice the limit. Under systemd standard error is the
    journal's socket, not a file, and nothing is done.
*/
#ifndef LOGFILE_H_INCLUDED
#define LOGFILE_H_INCLUDED

#include "fshare.h"

#define LOGFILE_MAX_BYTES (1024 * 1024)

//  zactor_new (logfile_actor, NULL); ends on $TERM.
void logfile_actor (zsock_t *pipe, void *args);

//  One look: rotates when standard error is a file of max_bytes or more.
//  1 when it rotated, 0 when there was nothing to do, -1 on failure.
int logfile_check (size_t max_bytes);

#endif
