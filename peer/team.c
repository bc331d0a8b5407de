/*  team.c - the users and files one view holds, within its bounds. See team.h.

    The counts every bound needs are kept as entries come and go (a file
    added, replaced, removed, a user's whole list dropped), so a check is
    O(1) whatever the table holds. Each kind of refusal is logged once per
    table (per user for its own bound): a broker that keeps sending what is
    refused must not become a flood of log lines either. Names go to the
    log as they are: the programs' log stream escapes them (logescape.h).
*/
#include "team.h"

struct _team_t {
    zhashx_t *users;            //  name -> team_user_t
    team_limits_t limits;
    uint64_t files;             //  every user's files together
    uint64_t bytes;             //  and what they cost (TEAM_FILE_OVERHEAD)
    uint64_t refused;           //  users and files refused
    bool users_refused;         //  a user refused, no room since
    bool told_users;            //  the users bound was logged
    bool told_full;             //  the files or bytes bound was logged
};

static void
s_user_destroy (void **item)
{
    team_user_t *self = (team_user_t *) *item;
    if (self) {
        fileset_destroy (&self->files);
        free (self->name);
        free (self);
        *item = NULL;
    }
}

team_limits_t
team_limits_default (void)
{
    team_limits_t limits = { TEAM_USERS_MAX, TEAM_USER_FILES_MAX, TEAM_FILES_MAX,
                             TEAM_BYTES_MAX };
    return limits;
}

team_t *
team_new (const team_limits_t *limits)
{
    team_t *self = (team_t *) zmalloc (sizeof (team_t));
    self->users = zhashx_new ();
    zhashx_set_destructor (self->users, s_user_destroy);
    self->limits = limits? *limits: team_limits_default ();
    return self;
}

void
team_destroy (team_t **self_p)
{
    if (*self_p) {
        team_t *self = *self_p;
        zhashx_destroy (&self->users);
        free (self);
        *self_p = NULL;
    }
}

void
team_set_limits (team_t *self, const team_limits_t *limits)
{
    self->limits = limits? *limits: team_limits_default ();
}

team_user_t *
team_lookup (team_t *self, const char *name)
{
    return (team_user_t *) zhashx_lookup (self->users, name);
}

//  The user's entry goes, and what its files counted with it.
static void
s_drop (team_t *self, team_user_t *user)
{
    self->files -= fileset_size (user->files);
    self->bytes -= user->bytes;
    zhashx_delete (self->users, user->name);
    if (zhashx_size (self->users) < self->limits.users)
        self->users_refused = false;
}

team_user_t *
team_join (team_t *self, const char *name, int64_t since, bool keep)
{
    team_user_t *user = team_lookup (self, name);
    if (user && keep)
        return user;
    if (user)
        s_drop (self, user);
    else
    if (zhashx_size (self->users) >= self->limits.users) {
        self->refused++;
        self->users_refused = true;
        if (!self->told_users)
            zsys_warning ("view: %s: user %s refused: the view holds %zu users at most",
                          fsh_err_name (FSH_ERR_TOO_LARGE), name, self->limits.users);
        self->told_users = true;
        return NULL;
    }
    user = (team_user_t *) zmalloc (sizeof (team_user_t));
    user->name = strdup (name);
    user->since = since;
    //  Another user's files: no host-directory fields (compact records,
    //  half the memory; every agent holds every user's list)
    user->files = fileset_new_compact ();
    zhashx_insert (self->users, name, user);
    return user;
}

void
team_leave (team_t *self, const char *name)
{
    team_user_t *user = team_lookup (self, name);
    if (user)
        s_drop (self, user);
}

//  Whether a new file of `cost` bytes fits; logs the first refusal.
static bool
s_room (team_t *self, team_user_t *user, uint64_t cost)
{
    if (fileset_size (user->files) >= self->limits.user_files) {
        if (!user->refused)
            zsys_warning ("view: %s: files of %s beyond %" PRIu64 " refused (the view's "
                          "bound per user)", fsh_err_name (FSH_ERR_TOO_LARGE), user->name,
                          self->limits.user_files);
        user->refused = true;
        return false;
    }
    if (self->files >= self->limits.files || self->bytes + cost > self->limits.bytes) {
        if (!self->told_full)
            zsys_warning ("view: %s: a file of %s refused: the view holds %" PRIu64
                          " files and %" PRIu64 " bytes of lists at most",
                          fsh_err_name (FSH_ERR_TOO_LARGE), user->name, self->limits.files,
                          self->limits.bytes);
        self->told_full = true;
        return false;
    }
    return true;
}

bool
team_put (team_t *self, team_user_t *user, const Fshare__FileInfo *info)
{
    uint64_t cost = strlen (info->path) + TEAM_FILE_OVERHEAD;
    if (!fileset_lookup (user->files, info->path) && !s_room (self, user, cost)) {
        self->refused++;
        return false;
    }
    if (fileset_put_info (user->files, info) == FSHARE__CHANGE_KIND__CHANGE_ADDED) {
        self->files++;
        self->bytes += cost;
        user->bytes += cost;
    }
    return true;
}

bool
team_remove (team_t *self, team_user_t *user, const char *path)
{
    uint64_t cost = strlen (path) + TEAM_FILE_OVERHEAD;
    if (!fileset_remove (user->files, path))
        return false;
    self->files--;
    self->bytes -= cost;
    user->bytes -= cost;
    return true;
}

bool
team_users_refused (team_t *self)
{
    return self->users_refused;
}

team_user_t *
team_first (team_t *self)
{
    return (team_user_t *) zhashx_first (self->users);
}

team_user_t *
team_next (team_t *self)
{
    return (team_user_t *) zhashx_next (self->users);
}

size_t
team_size (team_t *self)
{
    return zhashx_size (self->users);
}

uint64_t
team_files (team_t *self)
{
    return self->files;
}

uint64_t
team_bytes (team_t *self)
{
    return self->bytes;
}

uint64_t
team_refused (team_t *self)
{
    return self->refused;
}
