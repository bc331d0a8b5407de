/*  dlsource.h - what the requester's view says about a download's source.

    Two questions download.c asks of the view (SPEC 4.3): may the owner's
    Opened stand against what the owner published (a changed file is told
    apart from a protocol error), and which other online user publishes the
    same content when the owner is gone ("another source"). Pure lookups:
    nothing here changes a download.
*/
#ifndef DLSOURCE_H_INCLUDED
#define DLSOURCE_H_INCLUDED

#include "fshare.h"
#include "view.h"
#include "digest.h"

//  What the view said about the file when the Get was sent.
typedef struct {
    bool has_published;
    uint64_t size;
    int64_t mtime;
    bool has_sha256;
    const uint8_t *sha256;      //  DIGEST_SIZE bytes when has_sha256
} dlsource_asked_t;

//  What `owner` publishes at `path` in the view (may be NULL); NULL when
//  not known.
const fileset_file_t *dlsource_published (view_t *view, const char *owner, const char *path);

//  Opened against what we asked and what the owner publishes now: NULL
//  when it may stand, else the reason, with *code: file_changed for a real
//  change of the owner's file (a newer version or another digest),
//  protocol_error for any other disagreement.
const char *dlsource_opened_check (view_t *view, const char *owner, const char *path,
                                   const dlsource_asked_t *asked,
                                   const Fshare__Opened *opened, fsh_err_t *code);

//  Another online user than `owner` and `me` publishing a file of `size`
//  bytes with digest `sha256` (users in name order, the first wins): the
//  file, with *user set to a new copy of its owner's name; or NULL.
const fileset_file_t *dlsource_other (view_t *view, const char *owner, const char *me,
                                      const uint8_t sha256 [DIGEST_SIZE], uint64_t size,
                                      char **user);

#endif
