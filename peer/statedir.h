/*  statedir.h - the agent's state directory: its instance id and its lock.

    $XDG_STATE_HOME/fshare/peer-<user>/ (else ~/.local/state/fshare/...),
    mode 0700, holds for this user on this machine:
      instance   the agent's random instance id (32 hex digits), made at the
                 first start and kept: the broker lets a login with the
                 right password and the same instance replace that user's
                 stale session at once (a crashed agent started again)
      lock       held with an exclusive flock(2) while an agent runs, and
                 holding its pid: a second agent of the same user here (a
                 service plus `fshare-ctl connect`) refuses to start,
                 naming the running one, instead of taking its session
    The lock dies with the process, however it ends (kill -9 included), so
    a restart never finds a stale lock.
*/
#ifndef STATEDIR_H_INCLUDED
#define STATEDIR_H_INCLUDED

#include "fshare.h"

typedef struct _statedir_t statedir_t;

//  The default state directory of `user`. Caller frees.
char *statedir_default (const char *user);     //  NULL: no home (fsh_state_dir)

//  Create the directory if missing, take the lock, read or make the
//  instance id. NULL with *error set (caller frees) when the directory
//  cannot be made or used, or another agent holds the lock ("another
//  agent of this user is running here (pid N)").
statedir_t *statedir_open (const char *path, char **error);

//  Releases the lock.
void statedir_destroy (statedir_t **self_p);

//  The instance id, FSH_INSTANCE_BYTES long; its hex text; the path.
const byte *statedir_instance (statedir_t *self);
const char *statedir_instance_text (statedir_t *self);
const char *statedir_path (statedir_t *self);

#endif
