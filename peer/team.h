/*  team.h - the users and files one view holds, within its bounds.

    The table of a view (view.c keeps two: the visible one, and the
    snapshot being loaded): each logged-in user's name, login time and
    files (a compact fileset). The broker is not trusted to keep its own
    limits: an entry that would take the table beyond team_limits_t is
    refused, counted and logged ("view: too_large: ..."), never stored,
    so a broker that sends endless joins, snapshot pages or files cannot
    grow the agent without bound. The defaults are far above what a real
    team publishes, and above the broker's own defaults (--max-files,
    --max-total-bytes), so an honest broker never meets them.
*/
#ifndef TEAM_H_INCLUDED
#define TEAM_H_INCLUDED

#include "fileset.h"

#define TEAM_USERS_MAX          100000                  //  users at once
#define TEAM_USER_FILES_MAX     1000000                 //  the broker's --max-files
#define TEAM_FILES_MAX          10000000                //  every user's files together
#define TEAM_BYTES_MAX          (2ULL << 30)            //  twice its --max-total-bytes
//  What a file costs in TEAM_BYTES_MAX: its path and a fixed overhead, as
//  the broker counts its lists (broker/session.h, SESSION_FILE_OVERHEAD)
#define TEAM_FILE_OVERHEAD      96

typedef struct {
    size_t users;
    uint64_t user_files;
    uint64_t files;
    uint64_t bytes;
} team_limits_t;

typedef struct {
    char *name;
    int64_t since;
    fileset_t *files;
    uint64_t bytes;             //  what its files cost (TEAM_FILE_OVERHEAD)
    bool refused;               //  some of its files were refused (logged once)
} team_user_t;

typedef struct _team_t team_t;

//  limits NULL: the defaults above.
team_t *team_new (const team_limits_t *limits);
void team_destroy (team_t **self_p);

//  The defaults, and a table's limits (from now on; nothing is evicted).
team_limits_t team_limits_default (void);
void team_set_limits (team_t *self, const team_limits_t *limits);

//  A user's entry, NULL when not held.
team_user_t *team_lookup (team_t *self, const char *name);

//  A fresh entry for `name` (a known one is replaced: its files go), or
//  with `keep` the known entry itself. NULL when the table already holds
//  as many users as it may: refused.
team_user_t *team_join (team_t *self, const char *name, int64_t since, bool keep);

//  The user and its files go.
void team_leave (team_t *self, const char *name);

//  Inserts or updates one file of `user` (an entry of this table). False
//  when the file is new and would take the table beyond its bounds:
//  refused, nothing changed.
bool team_put (team_t *self, team_user_t *user, const Fshare__FileInfo *info);

//  Removes one file of `user`; false when it had none at that path.
bool team_remove (team_t *self, team_user_t *user, const char *path);

//  True when a user was refused and the table has had no room since: an
//  event about a user it does not hold may be about that one (not a sign
//  that an event was missed).
bool team_users_refused (team_t *self);

//  Users, in no order (team_first, then team_next until NULL; the table
//  must not change meanwhile).
team_user_t *team_first (team_t *self);
team_user_t *team_next (team_t *self);

size_t team_size (team_t *self);
uint64_t team_files (team_t *self);
uint64_t team_bytes (team_t *self);
//  Users and files refused since the table was made.
uint64_t team_refused (team_t *self);

#endif
