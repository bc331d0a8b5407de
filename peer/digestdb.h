/*  digestdb.h - the agent's digest database (SPEC 4.5).

    Remembers the SHA-256 of every file the agent has hashed, keyed by
    device and inode and valid only while the file's size, mtime and ctime
    (nanoseconds) are what they were when it was hashed: a restart over
    unchanged files reads nothing. SQLite in the agent's state directory.
    Each open by the hasher is a run; a row unused (not looked up, not
    stored) in the last 3 runs is a file gone and is forgotten, so the
    database holds about what the agent publishes, not every inode ever.
    A database that cannot be opened, is corrupt or of another schema is
    moved aside and rebuilt empty, with a warning: it is a cache, never a
    reason to fail. Not thread-safe: one thread (the hasher) owns it; others
    read through connections of their own (digestdb_open_reader).
*/
#ifndef DIGESTDB_H_INCLUDED
#define DIGESTDB_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "digest.h"
#include "fileset.h"

//  What identifies one version of a file's content on this machine.
typedef struct {
    uint64_t dev;
    uint64_t ino;
    uint64_t size;
    int64_t mtime_ns;       //  the mtime as one number (fileset_time_ns), as stored
    int64_t ctime_ns;
    int64_t mtime_sec;      //  the mtime as stat has it: mtime_ns may have wrapped
    int64_t mtime_nsec;
} file_key_t;

//  The key of the version a stat describes.
static inline void
file_key_of (const struct stat *st, file_key_t *key)
{
    key->dev = (uint64_t) st->st_dev;
    key->ino = (uint64_t) st->st_ino;
    key->size = (uint64_t) st->st_size;
    key->mtime_sec = (int64_t) st->st_mtim.tv_sec;
    key->mtime_nsec = (int64_t) st->st_mtim.tv_nsec;
    key->mtime_ns = fileset_time_ns (&st->st_mtim);
    key->ctime_ns = fileset_time_ns (&st->st_ctim);
}

typedef struct _digestdb_t digestdb_t;

//  Open or create the database at `path` (NULL: in memory only, for
//  tests). Never NULL for a writable directory; a rebuilt database is
//  logged as a warning.
digestdb_t *digestdb_open (const char *path);
void digestdb_destroy (digestdb_t **self_p);

//  A second, read-only connection to the database at `path`, for another
//  thread than the hasher's (the uploads look up what they serve). NULL
//  when it cannot be opened; never rebuilds or writes anything, and a
//  lookup that fails is a miss.
digestdb_t *digestdb_open_reader (const char *path);

//  The digest of exactly this version of the file: true and `out` set,
//  or false.
bool digestdb_lookup (digestdb_t *self, const file_key_t *key, uint8_t out [DIGEST_SIZE]);

//  Remember a digest (replacing what the inode had). Batched: written
//  for good at the next digestdb_flush (or every few hundred stores).
void digestdb_store (digestdb_t *self, const file_key_t *key, const uint8_t sha [DIGEST_SIZE]);

//  Commit what was stored.
void digestdb_flush (digestdb_t *self);

//  This run's number (1 for a new database; 0 for a reader).
int64_t digestdb_run (digestdb_t *self);

//  True when the last open had to rebuild the database.
bool digestdb_rebuilt (digestdb_t *self);

#endif
