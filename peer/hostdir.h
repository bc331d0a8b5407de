/*  hostdir.h - the watched host directory (SPEC 4.2).

    Owns the fileset of what the directory publishes and keeps it true with
    inotify, recursively. Each call to hostdir_process turns the pending
    inotify events into file-level changes, exactly what the agent sends to
    the broker: added (file complete: closed after writing, or moved in),
    changed (size or mtime differ), removed (deleted or moved out), renamed
    (moved within the tree; a renamed directory yields one rename per file
    below it). Moves are paired by inotify cookie. New directories (mkdir -p,
    moved in) are watched and then scanned, so files already inside are not
    missed. A queue overflow or a full watch table triggers a rescan and a
    warning. Identical states produce no change, which coalesces bursts.
*/
#ifndef HOSTDIR_H_INCLUDED
#define HOSTDIR_H_INCLUDED

#include "fileset.h"

typedef struct {
    Fshare__ChangeKind kind;
    char *path;         //  the file's (new) path
    char *from;         //  renamed: the old path; else NULL
    uint64_t size;
    int64_t mtime;
} hostdir_change_t;

typedef struct _hostdir_t hostdir_t;

//  Create root if missing (mode 0755), start watching it, scan it. NULL with
//  a logged reason when root cannot be created, opened or watched.
hostdir_t *hostdir_new (const char *root);
void hostdir_destroy (hostdir_t **self_p);

//  The inotify descriptor, for zloop/zpoller.
int hostdir_fd (hostdir_t *self);

//  Read pending events and append hostdir_change_t * items to `changes`
//  (caller owns them: free with hostdir_change_destroy). Never blocks.
void hostdir_process (hostdir_t *self, zlistx_t *changes);

//  Milliseconds until hostdir_process should be called again even without
//  new inotify events (an unpaired move waiting for its partner), or -1.
int hostdir_timeout (hostdir_t *self);

//  Walk the whole tree again and append the differences as changes.
void hostdir_rescan (hostdir_t *self, zlistx_t *changes);

//  The current files.
fileset_t *hostdir_files (hostdir_t *self);
const char *hostdir_root (hostdir_t *self);

void hostdir_change_destroy (hostdir_change_t **self_p);

//  Tests: refuse watches beyond `limit` in all, as a full kernel watch
//  table (fs.inotify.max_user_watches, ENOSPC) would; 0 lifts the limit.
//  Raising the kernel's own limit in a test would reach the whole machine.
void hostdir_set_watch_limit (hostdir_t *self, size_t limit);

#endif
