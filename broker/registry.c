/*  registry.c - every session the broker holds. See registry.h.

    Two hash tables: token -> session (owns them) and user -> session
    (the agent sessions only, not owned). An observer is a session the
    user table does not point at, so no flag can disagree with the tables.
*/
#include "registry.h"

struct _registry_t {
    zhashx_t *sessions;         //  token -> session_t (owned)
    zhashx_t *users;            //  user -> session_t (agent sessions, not owned)
};

static void
s_session_destructor (void **item_p)
{
    session_destroy ((session_t **) item_p);
}

registry_t *
registry_new (void)
{
    registry_t *self = (registry_t *) zmalloc (sizeof (registry_t));
    self->sessions = zhashx_new ();
    zhashx_set_destructor (self->sessions, s_session_destructor);
    self->users = zhashx_new ();
    return self;
}

void
registry_destroy (registry_t **self_p)
{
    registry_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->users);
    zhashx_destroy (&self->sessions);
    free (self);
    *self_p = NULL;
}

void
registry_add (registry_t *self, session_t *session, bool observer)
{
    zhashx_insert (self->sessions, session_token (session), session);
    if (!observer)
        zhashx_insert (self->users, session_user (session), session);
}

void
registry_remove (registry_t *self, session_t *session)
{
    //  An observer's end must not unlist the same user's agent
    if (!registry_is_observer (self, session))
        zhashx_delete (self->users, session_user (session));
    zhashx_delete (self->sessions, session_token (session));
}

session_t *
registry_lookup (registry_t *self, const char *token)
{
    return token? (session_t *) zhashx_lookup (self->sessions, token): NULL;
}

session_t *
registry_agent (registry_t *self, const char *user)
{
    return user? (session_t *) zhashx_lookup (self->users, user): NULL;
}

bool
registry_is_observer (registry_t *self, session_t *session)
{
    return zhashx_lookup (self->users, session_user (session)) != session;
}

int
registry_observers (registry_t *self, const char *user)
{
    int count = 0;
    for (session_t *session = registry_first (self); session; session = registry_next (self))
        count += streq (session_user (session), user) && registry_is_observer (self, session);
    return count;
}

size_t
registry_size (registry_t *self)
{
    return zhashx_size (self->sessions);
}

session_t *
registry_first (registry_t *self)
{
    return (session_t *) zhashx_first (self->sessions);
}

session_t *
registry_next (registry_t *self)
{
    return (session_t *) zhashx_next (self->sessions);
}

zlistx_t *
registry_online (registry_t *self)
{
    zlistx_t *online = zlistx_new ();
    for (session_t *session = registry_first (self); session; session = registry_next (self))
        if (session_online (session))
            zlistx_add_end (online, session);
    return online;
}

zlistx_t *
registry_silent (registry_t *self, int64_t limit)
{
    zlistx_t *silent = zlistx_new ();
    for (session_t *session = registry_first (self); session; session = registry_next (self))
        if (session_last_seen (session) < limit)
            zlistx_add_end (silent, session);
    return silent;
}

uint64_t
registry_list_bytes (registry_t *self)
{
    uint64_t total = 0;
    for (session_t *session = registry_first (self); session; session = registry_next (self))
        total += session_list_bytes (session);
    return total;
}

void
registry_count_online (registry_t *self, uint64_t *peers, uint64_t *files)
{
    *peers = 0;
    *files = 0;
    for (session_t *session = registry_first (self); session; session = registry_next (self))
        if (session_online (session)) {
            (*peers)++;
            *files += session_file_count (session);
        }
}
