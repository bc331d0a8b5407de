/*  hashq.h - the agent's background hasher (SPEC 4.5).

    A thread of its own, at idle I/O priority, that turns paths of the host
    directory into SHA-256 digests, so the agent's event loop never reads a
    file. Each digest is looked up first in the digest database (by device,
    inode, size, mtime and ctime, digestdb.h) and the file is read only when
    that version is not there. A file that changes while it is read is read
    again; one that keeps changing is reported as changing, never with a
    stale digest. Requests queue on the caller's side (a path asked for
    again while queued is asked once), a few at a time on the thread.
*/
#ifndef HASHQ_H_INCLUDED
#define HASHQ_H_INCLUDED

#include "digestdb.h"

//  A file up to this size is small: its first event waits for its digest
//  (digester.h), so it is never held behind a large file's read.
#define HASHQ_SMALL     (1024 * 1024)

typedef enum {
    HASHQ_DIGEST,       //  sha256 is the digest of the version `key` names
    HASHQ_CHANGING,     //  the file changed under every read: ask again when it settles
    HASHQ_FAILED        //  cannot be read (gone, not a regular file, an error)
} hashq_status_t;

typedef struct {
    char *path;                     //  relative to the root, as asked
    hashq_status_t status;
    file_key_t key;                 //  the version hashed
    uint8_t sha256 [DIGEST_SIZE];
    uint64_t bytes_read;            //  0 when the database knew it
    uint32_t mode;                  //  the file's permission bits
} hashq_result_t;

typedef struct _hashq_t hashq_t;

//  Start the hasher over `root`, with its database at `db_path` (NULL:
//  in memory). NULL when the root cannot be opened.
hashq_t *hashq_new (const char *root, const char *db_path);
void hashq_destroy (hashq_t **self_p);

//  Readable when results wait (for zloop / zpoller).
zsock_t *hashq_sock (hashq_t *self);

//  Ask for the digest of `path` (relative to the root).
void hashq_request (hashq_t *self, const char *path);

//  The same for a file the caller takes for small (up to HASHQ_SMALL
//  bytes; an event waits for its digest): it goes before every request
//  still waiting on our side, and the thread hashes it between two reads
//  of a large file.
void hashq_request_small (hashq_t *self, const char *path);

//  The same, reading the file whatever the database holds for it (a
//  requester found the content served from that digest corrupted: the
//  database may be wrong). The new digest replaces the database's.
void hashq_rehash (hashq_t *self, const char *path);

//  One result, or NULL when none is ready (never blocks). The caller
//  destroys it.
hashq_result_t *hashq_recv (hashq_t *self);
void hashq_result_destroy (hashq_result_t **result_p);

//  Paths asked for and not answered yet.
size_t hashq_pending (hashq_t *self);

//  Bytes read from files for hashing since the start (the database's
//  hits read none): how a restart over unchanged files is checked.
uint64_t hashq_bytes_read (hashq_t *self);

#endif
