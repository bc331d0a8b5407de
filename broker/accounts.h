/*  accounts.h - the broker's account file (SPEC 6).

    One `user:hash` per line, hash from libsodium's crypto_pwhash_str
    (argon2id). Every line is validated (a malformed line is an error naming
    the line, never an account); a file that fails to parse leaves the
    accounts already loaded in force. Written atomically, mode 0600.
*/
#ifndef ACCOUNTS_H_INCLUDED
#define ACCOUNTS_H_INCLUDED

#include "fshare.h"

typedef struct _accounts_t accounts_t;

typedef enum {
    ACCOUNTS_COST_INTERACTIVE,  //  crypto_pwhash_*_INTERACTIVE: the default
    ACCOUNTS_COST_MIN           //  *_MIN: only for tests and benchmarks
} accounts_cost_t;

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
//  directory (0700) if needed. A new file has mode 0600; an existing one
//  keeps its owner, group and mode. 0 or -1 (errno).
int accounts_save (accounts_t *self);

const char *accounts_path (accounts_t *self);

//  argon2id via crypto_pwhash_str. Returns a new string or NULL.
char *accounts_hash_password (const char *password, accounts_cost_t cost);

//  True when password matches hash (crypto_pwhash_str_verify).
bool accounts_verify (const char *hash, const char *password);

//  Checks one hash string looks like an argon2id crypto_pwhash_str output.
bool accounts_hash_valid (const char *hash);

#endif
