/*  source.h - the owner's side of one download: the file being served.

    Opens a published path beneath the host directory without ever
    following a symbolic link (each component is opened relative to its
    parent's descriptor with O_NOFOLLOW), regular files only, and reads it
    front to back, hashing every byte. On a resume the first `offset` bytes
    are hashed first (in steps, so the agent's loop keeps turning), so the
    final digest covers the whole file. The file is watched while it is
    read: a size, mtime or link-count change ends the transfer with
    "file changed during transfer" (or "file deleted during transfer"),
    checked again before the last chunk leaves. When the agent already
    knows the digest of exactly the version opened (source_use_digest:
    the digest database's key, SPEC 4.5), nothing is hashed: the requester
    verifies every byte against that digest anyway.
*/
#ifndef SOURCE_H_INCLUDED
#define SOURCE_H_INCLUDED

#include "fshare.h"
#include "digest.h"
#include "digestdb.h"

typedef struct _source_t source_t;

//  Open `path` beneath `root`. Serves from `offset` when the file's size
//  and mtime are expect_size/expect_mtime (and offset <= size), else from
//  0. NULL with *error (caller frees) saying why, for the requester.
source_t *source_new (const char *root, const char *path, uint64_t offset,
                      uint64_t expect_size, int64_t expect_mtime, char **error);
void source_destroy (source_t **self_p);

//  The code of the last error a source_* call reported (source_new's
//  failures are all FSH_ERR_UNREADABLE).
fsh_err_t source_code (source_t *self);

uint64_t source_size (source_t *self);
int64_t source_mtime (source_t *self);
//  The file's permission bits (0777 at most: never set-id bits).
uint32_t source_mode (source_t *self);
//  Where the content starts (the accepted resume offset, or 0).
uint64_t source_offset (source_t *self);
//  The next byte to send.
uint64_t source_position (source_t *self);

//  The database key of the version opened (fstat of our descriptor).
void source_key (source_t *self, file_key_t *key);

//  Serve from this known digest of the version opened: no byte is hashed
//  (before the first source_prepare or source_read only).
void source_use_digest (source_t *self, const uint8_t sha256 [DIGEST_SIZE]);
//  True when the digest sent is a known one, not hashed while reading.
bool source_known (source_t *self);

//  Hash up to `budget` bytes of the resume prefix, reading through `buf`.
//  1 when the prefix is all hashed (at once when there is none), 0 when
//  more is left, -1 with *error.
int source_prepare (source_t *self, void *buf, size_t buf_size, size_t budget, char **error);

//  Read the next min(max, remaining) bytes into buf and hash them. Returns
//  the count (0 only for an empty remainder); *last is set when this is the
//  end, after the final checks; the digest is then ready. -1 with *error.
ssize_t source_read (source_t *self, void *buf, size_t max, bool *last, char **error);

//  The whole file's SHA-256, once source_read has set *last (at once when
//  it is a known one).
const uint8_t *source_digest (source_t *self);

#endif
