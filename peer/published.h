/*  published.h - what the host directory publishes, and the changes that
    keep it true.

    The set of published files (a fileset) and the settle queue, with the
    rules that turn "this path is now so" into changes for the broker:
    publish a complete file (added or changed, and every other name of a
    hard-linked inode with it), hold a path that may be gone for the settle
    window before removing it, rename files and directories. Every file's
    new state goes through published_put: a digest step belongs there.
*/
#ifndef PUBLISHED_H_INCLUDED
#define PUBLISHED_H_INCLUDED

#include "fileset.h"
#include "settle.h"

typedef struct {
    //  ..._NONE: the same size and mtime, another ctime: a digest to check
    Fshare__ChangeKind kind;
    char *path;         //  the file's (new) path
    char *from;         //  renamed: the old path; else NULL
    uint64_t size;
    int64_t mtime;
} hostdir_change_t;

void hostdir_change_destroy (hostdir_change_t **self_p);

typedef struct _published_t published_t;

//  settle_ms >= 0: the settle window (0: removals are reported at once).
published_t *published_new (int settle_ms);
void published_destroy (published_t **self_p);
fileset_t *published_files (published_t *self);
settle_t *published_settle (published_t *self);

//  Every call appends its changes (hostdir_change_t *) to `changes`, which
//  may be NULL (nothing reported: the start-up scan).

//  path is complete with this stat: added or changed, or nothing.
void published_put (published_t *self, const char *path, const struct stat *st,
                    zlistx_t *changes);

//  path is gone for sure: removed when it was published.
void published_remove (published_t *self, const char *path, zlistx_t *changes);
void published_remove_under (published_t *self, const char *dir, zlistx_t *changes);

//  path (or every file at or under dir) may be gone: looked at again once
//  the settle window has passed (settle queue), removed at once without
//  one. Nothing for a path that is not published.
void published_hold (published_t *self, const char *path, zlistx_t *changes);
void published_hold_under (published_t *self, const char *dir, zlistx_t *changes);

//  The file from moved to `to`; st its fresh stat there, or NULL when it
//  cannot be had (the published state moves as it is). False when from was
//  not published (nothing done: it is new at `to`).
bool published_rename (published_t *self, const char *from, const char *to,
                       const struct stat *st, zlistx_t *changes);

//  Every file below directory from moved below to (one rename each; a
//  path that became too long or too deep is removed), settle entries too.
void published_rename_dir (published_t *self, const char *from, const char *to,
                           zlistx_t *changes);

//  The files at a and at b swapped places (RENAME_EXCHANGE); st_a and
//  st_b their fresh stats there. Reported as a rename of a's file to b,
//  then b's file added at a. False (nothing done) unless both were
//  published.
bool published_exchange (published_t *self, const char *a, const char *b,
                         const struct stat *st_a, const struct stat *st_b,
                         zlistx_t *changes);

//  The directories a and b swapped places: every file below one is now
//  below the other. A name found on one side only is renamed, a name on
//  both sides is changed in place at each.
void published_exchange_dir (published_t *self, const char *a, const char *b,
                             zlistx_t *changes);

//  Make the published set equal to fresh (a rescan's walk).
void published_replace (published_t *self, fileset_t *fresh, zlistx_t *changes);

#endif
