/*  registry.h - every session the broker holds, and who is who.

    The registry owns the sessions and finds them by token (every request
    names its session) and by user (a Get names the owner). A user has at
    most one agent session, the one the user index lists; any other
    session of that user is an observer (fshare-tap --user), which
    publishes nothing and must not unlist the agent when it ends. The
    broker's actor asks the registry for the sets it acts on: the online
    sessions (snapshots, stats), the silent ones (expiry), the one on a
    dropped connection.
*/
#ifndef REGISTRY_H_INCLUDED
#define REGISTRY_H_INCLUDED

#include "fshare.h"
#include "session.h"

typedef struct _registry_t registry_t;

registry_t *registry_new (void);
//  Destroys every session still held.
void registry_destroy (registry_t **self_p);

//  Take a new session (owned from now on); an agent session (observer
//  false) becomes the one its user index lists, an observer does not.
void registry_add (registry_t *self, session_t *session, bool observer);
//  Destroy a session; an agent session's user is unlisted.
void registry_remove (registry_t *self, session_t *session);

//  The session of a token, or NULL.
session_t *registry_lookup (registry_t *self, const char *token);
//  The agent session of a user, or NULL.
session_t *registry_agent (registry_t *self, const char *user);
//  Whether a session is an observer: not its user's listed agent session.
bool registry_is_observer (registry_t *self, session_t *session);
//  How many observer sessions a user has.
int registry_observers (registry_t *self, const char *user);
size_t registry_size (registry_t *self);

//  Iterate over every session (no adding or removing meanwhile).
session_t *registry_first (registry_t *self);
session_t *registry_next (registry_t *self);

//  New lists (the caller destroys them; the sessions stay the
//  registry's): the online sessions, and those last seen before `limit`.
zlistx_t *registry_online (registry_t *self);
zlistx_t *registry_silent (registry_t *self, int64_t limit);

//  What every session's list costs together (session_list_bytes), and
//  the online sessions and their files (the Stats event).
uint64_t registry_list_bytes (registry_t *self);
void registry_count_online (registry_t *self, uint64_t *peers, uint64_t *files);

#endif
