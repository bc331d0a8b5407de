/*  spawn.h - an agent process started by fshare-ctl connect.

    The agent runs detached (a session of its own, standard input from
    /dev/null, output appended to <control dir>/<user>.log) so that it
    outlives the command that started it. Why it stopped, when it stops
    before it is online, comes back on a socket the child inherits: its
    number is in the child's FSHARE_REPORT_FD, and fshare-peer writes its
    refusal there before it exits, one line "CODE TEXT" (the name of an
    error code of proto/errcode.h, then the text for people). Nothing
    reads the log. Failures are said through ctl_fail.
*/
#ifndef CTL_SPAWN_H_INCLUDED
#define CTL_SPAWN_H_INCLUDED

#include "ctl.h"

typedef struct _spawn_t spawn_t;

//  fshare-peer next to our own binary, else on PATH. Caller frees; NULL
//  when there is none.
char *spawn_find_peer (void);

//  Starts `program` with `argv`, for `user`; `password` (may be NULL)
//  goes into its environment as FSHARE_PASSWORD. NULL with the reason
//  printed when it could not be started.
spawn_t *spawn_new (ctl_t *ctl, const char *program, char **argv, const char *user,
                    const char *password);

//  Forgets the process (it keeps running, unless spawn_wait_online
//  stopped it).
void spawn_destroy (spawn_t **self_p);

pid_t spawn_pid (spawn_t *self);
const char *spawn_log (spawn_t *self);

//  Waits until the agent on `endpoint` is this process and online (0),
//  or it has exited, timed out or we were interrupted (-1, the reason
//  printed; the agent is not left running).
int spawn_wait_online (spawn_t *self, ctl_t *ctl, const char *endpoint);

#endif
