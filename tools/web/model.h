/*  model.h - fshare-web's copy of the team's files, as the agent sees them.

    Filled from the agent's `ls --all` and `peers` answers, then kept up to
    date from its event stream, in the Clone manner: events carry
    (broker, seq); one not newer than the listing is skipped, a gap or a
    new broker asks for a new listing. Read by the HTTP threads while the
    bridge thread writes: every call but new/destroy is made with the lock
    held (model_lock/model_unlock), so a page is rendered from one state.

    Files are grouped by user and folder (the path's directory); each
    change names the groups it touched, so the page refreshes only those.
    Content identity: a file's SHA-256, when the agent sends one, counts
    towards "this content exists more than once".
*/
#ifndef MODEL_H_INCLUDED
#define MODEL_H_INCLUDED

#include "fshare.h"

typedef struct _model_t model_t;

typedef struct {
    char *path;
    size_t dir_len;         //  bytes of the directory part ("" = top level)
    uint64_t size;
    int64_t mtime;
    char sha256 [65];       //  lower-case hex, "" while unknown
} model_file_t;

//  What one event changed, for the page.
typedef struct {
    bool applied;           //  the event changed something
    bool gap;               //  a gap or a new broker: list everything again
    bool users;             //  someone joined or left: the page reloads
    zhashx_t *groups;       //  "user:dir" keys of the groups touched
} model_change_t;

model_t *model_new (void);
void model_destroy (model_t **self_p);
void model_lock (model_t *self);
void model_unlock (model_t *self);

//  --- writing (the bridge) ---------------------------------------------------
//  Start again from a listing valid at (broker, seq): everything is dropped.
void model_reset (model_t *self, const char *broker, uint64_t seq);
void model_add_user (model_t *self, const char *user, int64_t since);
void model_put (model_t *self, const char *user, const Fshare__FileInfo *file);
//  Apply one event of the stream; `change` says what to refresh (its
//  groups hash is created here, the caller destroys it).
void model_event (model_t *self, const Fshare__Event *event, model_change_t *change);
//  Increases on every change: the page's version.
uint64_t model_version (model_t *self);
bool model_listed (model_t *self);

//  --- reading (the pages) ----------------------------------------------------
//  Logged-in users, sorted (a list of names owned by the model; destroy it).
zlistx_t *model_users (model_t *self);
int64_t model_user_since (model_t *self, const char *user);
size_t model_user_files (model_t *self, const char *user);
size_t model_file_count (model_t *self);
//  One user's files in (folder, name) order, optionally only those
//  matching glob and those in folder dir (NULL: every folder; with
//  `below`, dir's subfolders too). A list of model_file_t views; destroy it.
zlistx_t *model_files (model_t *self, const char *user, const char *glob,
                       const char *dir, bool below);
model_file_t *model_find (model_t *self, const char *user, const char *path);
//  How many files of the team have this digest (0 for "").
size_t model_copies (model_t *self, const char *sha256);

//  The SHA-256 of a FileInfo as lower-case hex ("" when it has none):
//  found by name in the message's descriptor, so this builds whether or
//  not the schema has the field yet, and as string or bytes.
void model_file_sha256 (const Fshare__FileInfo *file, char *hex, size_t size);

#endif
