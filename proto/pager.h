/*  pager.h - cutting file lists into pages under a byte budget.

    Every long file list crosses the wire in pages (SPEC 4.2): the agent's
    Publish, the broker's join events and snapshot pages. One cutter for
    all of them, measuring each entry by its exact encoded size (the
    FileInfo's packed size plus its field tag and length prefix), so that
    no page exceeds its budget and none is needlessly small.

    The pager only collects pointers: the entries stay the caller's and
    must live until the page is sent. Use:
        fsh_pager_t *pager = fsh_pager_new (budget);
        for each entry:
            if (fsh_pager_full (pager, info)) { send the page; fsh_pager_reset (pager); }
            fsh_pager_add (pager, info);
        send the last page (possibly empty)
*/
#ifndef FSH_PAGER_H_INCLUDED
#define FSH_PAGER_H_INCLUDED

#include "fshare.h"

typedef struct _fsh_pager_t fsh_pager_t;

//  budget: bytes of entries per page (the caller keeps room for the rest
//  of its message).
fsh_pager_t *fsh_pager_new (size_t budget);
void fsh_pager_destroy (fsh_pager_t **self_p);

//  Bytes one entry takes inside a repeated FileInfo field.
size_t fsh_pager_entry_size (const Fshare__FileInfo *info);

//  True when the page holds entries and `info` would not fit beside them.
//  A page always takes its first entry, however large.
bool fsh_pager_full (fsh_pager_t *self, const Fshare__FileInfo *info);

//  Add an entry to the current page (not copied).
void fsh_pager_add (fsh_pager_t *self, Fshare__FileInfo *info);

//  The current page's entries and count, and their size in bytes.
Fshare__FileInfo **fsh_pager_files (fsh_pager_t *self);
size_t fsh_pager_count (fsh_pager_t *self);
size_t fsh_pager_bytes (fsh_pager_t *self);

//  Start a new page (the entries array is reused).
void fsh_pager_reset (fsh_pager_t *self);

#endif
