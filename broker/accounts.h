/*  accounts.h - the broker's account file (SPEC 6).

    One `user:hash` per line, hash from libsodium's crypto_pwhash_str
    (argon2id). Every line is validated (a malformed line is an error naming
    the line, never an account); a file that fails to parse leaves the
    accounts already loaded in force. Written atomically, mode 0600.
*/
#ifndef ACCOUNTS_H_INCLUDED
#define ACCOUNTS_H_INCLUDED

#include "fshare.h"
#include "passhash.h"

typedef struct _accounts_t accounts_t;

//  Create an account table bound to a file; does not read it yet.
accounts_t *accounts_new (const char *path);
void accounts_destroy (accounts_t **self_p);

//  Read the file. A missing file is an empty table (returns 0). On a
//  malformed file returns -1 with *error (caller frees) such as
//  "accounts:3: missing ':' separator"; the previous accounts stay.
int accounts_load (accounts_t *self, char **error);

//  Reload when the file changed on disk (inode, size or mtime) since the
//  last load. Returns 1 reloaded, 0 unchanged, -1 bad file (logged; old
//  accounts kept). Warns once when the file is readable by group/others.
int accounts_refresh (accounts_t *self);

//  The stored hash of a user, or NULL.
const char *accounts_lookup (accounts_t *self, const char *user);
size_t accounts_size (accounts_t *self);

//  Add or replace a user's hash / delete a user, in memory. 0 or -1.
int accounts_set (accounts_t *self, const char *user, const char *hash);
int accounts_delete (accounts_t *self, const char *user);

//  Write the table atomically (temp file, fsync, rename), creating the
//  directory (0700) if needed. A symlink is followed: its target is
//  replaced, the link stays. A new file has mode 0600; an existing one
//  keeps its owner, group and mode. 0 or -1 (errno).
int accounts_save (accounts_t *self);

//  Make the read-modify-write of the file exclusive: an flock(LOCK_EX) on
//  the directory the file is written in (after following symlinks; made
//  if missing), which a save's rename leaves in force. Every writer (the
//  broker's registration, fshare-passwd) takes it, then loads, changes
//  and saves, then unlocks. Waits at most timeout_ms. 0, or -1 with
//  *error (caller frees, may be NULL) saying why.
int accounts_lock (accounts_t *self, int timeout_ms, char **error);
void accounts_unlock (accounts_t *self);

//  How long fshare-passwd waits for the lock, and the broker (whose loop
//  waits meanwhile: the holder only reads and writes a small file)
#define ACCOUNTS_LOCK_WAIT_MS         10000
#define ACCOUNTS_LOCK_WAIT_BROKER_MS  2000

const char *accounts_path (accounts_t *self);

#endif
