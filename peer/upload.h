/*  upload.h - the owner's role in downloads: serving our files.

    Answers the broker's Serve with the file from the host directory
    (source.c): Opened with its size, mtime and permission bits, then
    chunks only against the credit the requester grants, the last one with
    the whole file's SHA-256; the requester's Done ends it. A requester
    that owes us credit (or its Done) for longer than the stall limit is
    cancelled `stalled` ("requester stalled") by our own clock, should the
    broker not have said so first. Any Credit is a sign of life; before the
    first one the requester may be checking its partial file (the broker
    hears its "checking" credits and does not forward them), for as long
    as that takes: until its first Credit our clock does not run, and the
    broker's (which sees those credits) decides.

    When the agent's digest database holds the digest of exactly the
    version opened (uploads_set_digests), the file is served from it: the
    Opened carries it and nothing is hashed, a resume prefix included. The
    requester verifies every byte; should it still find the content
    corrupted, that version is never served from the database again.

    Uploads at once are bounded by the descriptor limit (upload.c,
    UPLOADS_MAX): a Serve beyond it is refused owner_busy, so that a
    broker asking for thousands cannot leave the agent without
    descriptors (libzmq aborts when it cannot accept a connection).
*/
#ifndef UPLOAD_H_INCLUDED
#define UPLOAD_H_INCLUDED

#include "tlink.h"
#include "fileset.h"

typedef struct _uploads_t uploads_t;

uploads_t *uploads_new (tlink_t *link, const char *host_dir);
void uploads_destroy (uploads_t **self_p);

//  Serve from the digests of the database at `db_path` (digestdb.h; read
//  only). NULL, or a database that cannot be opened: hash while reading.
void uploads_set_digests (uploads_t *self, const char *db_path);

//  Serve only the paths in `files` (the host directory's table: not
//  owned, must outlive the uploads; NULL, the default: any regular file
//  beneath the host directory). Anything else the broker asks for, an
//  ignored file or one never published, is refused `unknown_file`.
void uploads_set_published (uploads_t *self, fileset_t *files);

//  Called with the path of a file a requester found corrupted (SPEC 4.5:
//  the owner hashes it again and publishes what it finds).
typedef void (uploads_corrupted_fn) (void *arg, const char *path);
void uploads_on_corrupted (uploads_t *self, uploads_corrupted_fn *fn, void *arg);

//  Serve, Credit, Done, or a Cancel addressed to the owner.
void uploads_on_message (uploads_t *self, Fshare__Message *msg);

//  The same kinds of message, of the wrong shape (frame count): the
//  upload it names ends protocol_error, the broker told.
void uploads_on_malformed (uploads_t *self, Fshare__Message *msg);

//  Hash resume prefixes, up to `budget` bytes each, through buf. True
//  when some upload still needs more of this.
bool uploads_work (uploads_t *self, uint8_t *buf, size_t buf_size, size_t budget);
bool uploads_pending (uploads_t *self);

//  The stall clock, called a few times a second.
void uploads_tick (uploads_t *self);

//  This process did not run for `ms` (stopped, suspended, a loop busy for
//  that long): every stall clock moves on by as much, since the other
//  side's silence meanwhile says nothing.
void uploads_pause (uploads_t *self, int64_t ms);

//  End every upload (the broker's session is gone): nothing is sent.
void uploads_end_all (uploads_t *self, fsh_err_t code, const char *reason);

size_t uploads_size (uploads_t *self);

#endif
