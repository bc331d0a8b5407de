/*  sink.h - the requester's side of one download: the file being written.

    Content goes to a partial file `.<name>.fshare-part` in the destination
    directory; what it is a part of (owner, path, size, mtime) is stored in
    an extended attribute of the partial file itself (user.fshare.source),
    so no second file can ever be published by mistake. Every byte written
    is hashed, including, on a resume, the bytes already there (hashed in
    steps before new data is asked for). At the end the digest is compared
    with the owner's, the file is fsynced and renamed to the first free
    name among `name`, `name_1.ext`, `name_2.ext`... without ever replacing
    a file (renameat2 RENAME_NOREPLACE, else link + unlink).

    When the content's SHA-256 is known (published by the owner), it is
    recorded too: a partial file of the same content resumes whoever
    publishes it now, and the saved file must have that digest. The saved
    file gets the owner's mtime and executable bits (never set-id bits).

    A partial file is locked (flock) while its download runs: a second
    download of the same name at the same time takes `.<name>_1...` and so
    on, and partial files of other sources are left alone for their own
    resume.
*/
#ifndef SINK_H_INCLUDED
#define SINK_H_INCLUDED

#include "fshare.h"
#include "digest.h"

typedef struct _sink_t sink_t;

//  Prepare a download of owner's `path` into dir/name; `sha256` (32 bytes,
//  or NULL) is the content's published digest. Finds the partial file to
//  use: one of the same source, or of the same content, to resume, or a
//  new one. NULL with *code and *error (caller frees): the directory is
//  missing or not writable, the name is not a valid file name.
sink_t *sink_new (const char *dir, const char *name, const char *owner,
                  const char *path, const uint8_t *sha256, fsh_err_t *code, char **error);

//  True when the partial file was found by its digest (another source's):
//  the resume offer then names the owner's current mtime (sink_resume_as).
bool sink_by_digest (sink_t *self);
void sink_resume_as (sink_t *self, int64_t mtime);

//  The code of the last error a sink_* call reported.
fsh_err_t sink_code (sink_t *self);
void sink_destroy (sink_t **self_p);

//  What to ask the owner for: resume at offset when it is > 0, if the file
//  is still of expect_size bytes and expect_mtime.
uint64_t sink_offset (sink_t *self);
uint64_t sink_expect_size (sink_t *self);
int64_t sink_expect_mtime (sink_t *self);

//  The owner's answer: the file's size and mtime, the offset it serves
//  from (sink_offset() or 0). Restarts the partial file when the offset is
//  0. 0, or -1 with *error.
int sink_start (sink_t *self, uint64_t size, int64_t mtime, uint64_t offset, char **error);

//  The owner's permission bits (from Opened): the saved file gets its
//  executable bits.
void sink_set_mode (sink_t *self, uint32_t mode);

//  Another source of the same content takes over after a started download
//  lost its owner: owner's `path`, of the same size, at `mtime`. The next
//  sink_start is then expected at sink_offset() = what is written (or 0,
//  a restart). 0, or -1 when the sink is not in a state to continue.
int sink_switch (sink_t *self, const char *owner, const char *path, int64_t mtime);

//  Hash up to `budget` bytes of the resumed part, reading through buf.
//  1 when done (at once when nothing was resumed), 0 when more is left,
//  -1 with *error.
int sink_prepare (sink_t *self, void *buf, size_t buf_size, size_t budget, char **error);

//  Write the bytes at `offset` (which must be where the file ends). 0, or
//  -1 with *error: disk full, file-size limit, I/O error. Bytes written
//  before an error stay valid for a resume.
int sink_write (sink_t *self, uint64_t offset, const void *data, size_t size, char **error);

//  All bytes are there: verify against the owner's digest, fsync, and
//  publish under a free name. 0, or -1 with *error (the partial file is
//  then removed: it cannot be trusted).
int sink_finish (sink_t *self, const uint8_t *sha256, size_t sha256_size, char **error);

//  The content's digest, learnt after the download began (the owner
//  published it since, or said it in its Opened): the end is checked
//  against it, and the partial file's record names it, so another source
//  and a later get can take the bytes up. 0, or -1 when another digest is
//  known already (nothing changes).
int sink_learn_digest (sink_t *self, const uint8_t sha256 [DIGEST_SIZE]);

//  Give up: the partial file stays for a resume when `keep` and it holds
//  some bytes of a known source; otherwise it is removed.
void sink_abort (sink_t *self, bool keep);

//  Progress and outcome.
uint64_t sink_size (sink_t *self);
int64_t sink_mtime (sink_t *self);      //  the version's, once started
bool sink_started (sink_t *self);
uint64_t sink_written (sink_t *self);
bool sink_resumed (sink_t *self);
bool sink_restarted (sink_t *self);
//  After sink_finish: the saved file's path and its digest in hex.
const char *sink_saved (sink_t *self);
const char *sink_sha256 (sink_t *self);
int sink_digest (sink_t *self, uint8_t out [DIGEST_SIZE]);
//  The partial file's path (for logs).
const char *sink_part (sink_t *self);

#endif
