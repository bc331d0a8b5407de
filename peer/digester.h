/*  digester.h - puts content digests on what the agent publishes (SPEC 4.5).

    Sits between the host directory's changes and the broker link. Every
    added, changed or renamed file is handed to the background hasher
    (hashq.h). A file of up to DIGESTER_SMALL bytes is held until its
    digest is known, so its first event carries it; a larger one goes out
    at once and its digest follows as a `changed` of the same size and
    mtime. Changes leave in the order they came: a held file holds those
    behind it (hashing a small file takes a millisecond), but never longer
    than DIGESTER_HOLD_MS. Digests land in the host directory's file table,
    where pages and changes take them from.
*/
#ifndef DIGESTER_H_INCLUDED
#define DIGESTER_H_INCLUDED

#include "hostdir.h"
#include "hashq.h"

#define DIGESTER_SMALL      HASHQ_SMALL
#define DIGESTER_HOLD_MS    2000

typedef struct _digester_t digester_t;

//  Digests for the files of `files` (the host directory's table, not
//  owned), computed by `hashq` (not owned).
digester_t *digester_new (hashq_t *hashq, fileset_t *files);
void digester_destroy (digester_t **self_p);

//  A change of the host directory, in order (ownership taken).
void digester_push (digester_t *self, hostdir_change_t *change);

//  Ask for the digest of every file in the table (at start).
void digester_request_all (digester_t *self);

//  Take the results the hasher has ready (when hashq_sock is readable).
void digester_on_results (digester_t *self);

//  The next change to send, or NULL while the head waits for its digest
//  (or nothing is queued). The caller destroys it.
hostdir_change_t *digester_pop (digester_t *self);

//  Forget every queued change: the whole table is about to be published
//  (a login), which says all of them at once.
void digester_clear (digester_t *self);

//  True when no digest is being waited for (the first file list may go).
bool digester_idle (digester_t *self);

//  True when the head of the queue is held for its digest (digester_pop
//  gives it when the digest comes, or DIGESTER_HOLD_MS after it came).
bool digester_holding (digester_t *self);

#endif
