/*  hostdir.h - the watched host directory (SPEC 4.2).

    Owns the fileset of what the directory publishes and keeps it true with
    inotify, recursively. Each call to hostdir_process turns the pending
    inotify events into file-level changes, exactly what the agent sends to
    the broker: added (a new file is complete), changed (size, mtime or the
    file itself differ), removed (deleted or moved out), renamed (moved
    within the tree; a renamed directory yields one rename per file below
    it), and "verify" (kind NONE: the same size and mtime but another ctime,
    so the content may have changed: its digest is to be checked, nothing
    is published unless that differs). Moves are paired by inotify
    cookie (moves.c). New directories (mkdir -p, moved in) are watched and
    then scanned, so files already inside are not missed; a published file
    such a scan finds at a new name, gone from its old one, is renamed (a
    move whose events the scan overtook). A queue overflow or
    a full watch table triggers a rescan and a warning. Identical states
    produce no change, which coalesces bursts.

    Complete means settled: a file is published once no writer holds it
    open (a read-lease probe, see scanner_probe), wherever it was found;
    one still being written is published at its writer's close. Changes
    without a close (truncate(2), an mtime set by path) are looked at once
    the settle window has passed; a change through one name of a hard-linked
    file is published for every name of it in the tree. A removed file is
    reported only when its path has not come back within the settle window:
    a path that disappears and reappears is one change. Ignored paths
    (ignore.h: built-in defaults, .fshareignore at the root, re-read when it
    changes, and the configured patterns) are never published; an ignored
    file renamed over a published one is one change of the target.
*/
#ifndef HOSTDIR_H_INCLUDED
#define HOSTDIR_H_INCLUDED

#include "published.h"      //  hostdir_change_t

typedef struct {
    //  Extra ignore patterns (gitignore syntax), NULL-terminated; NULL: none
    const char *const *ignore;
    //  The settle window in ms: 0 is the default (SETTLE_DEFAULT_MS, 100),
    //  a negative value none at all
    int settle_ms;
} hostdir_config_t;

typedef struct _hostdir_t hostdir_t;

//  Create root if missing (mode 0755), start watching it, scan it. NULL with
//  a logged reason when root cannot be created, opened or watched, or a
//  pattern of config is not one. config may be NULL (the defaults).
hostdir_t *hostdir_new (const char *root, const hostdir_config_t *config);
void hostdir_destroy (hostdir_t **self_p);

//  The inotify descriptor, for zloop/zpoller; -1 when no inotify instance
//  could be had (the tree is then rescanned on hostdir_timeout's timer).
int hostdir_fd (hostdir_t *self);

//  How changes are found, for a status: "inotify", or with rescans and why.
const char *hostdir_watching (hostdir_t *self);

//  Read pending events and append hostdir_change_t * items to `changes`
//  (caller owns them: free with hostdir_change_destroy). Never blocks.
void hostdir_process (hostdir_t *self, zlistx_t *changes);

//  A look at the mount table (a poll(2), reading it only when it changed):
//  true when a file system was mounted or unmounted at or below the root,
//  which inotify does not report; a rescan is then due, and
//  hostdir_process should be called. For a timer of the caller's (about
//  twice a second).
bool hostdir_mounts_changed (hostdir_t *self);

//  A look at the root's path (one stat(2)): true when it names another
//  directory than the one watched, or none, which inotify does not report
//  (its parent renamed, a new directory made at the path); a rescan is
//  then due, and hostdir_process should be called. For the same timer.
bool hostdir_root_moved (hostdir_t *self);

//  Milliseconds until hostdir_process should be called again even without
//  new inotify events (an unpaired move waiting for its partner, a path
//  settling, a rescan), or -1.
int hostdir_timeout (hostdir_t *self);

//  Walk the whole tree again and append the differences as changes.
void hostdir_rescan (hostdir_t *self, zlistx_t *changes);

//  The current files.
fileset_t *hostdir_files (hostdir_t *self);
const char *hostdir_root (hostdir_t *self);

//  Tests: refuse watches beyond `limit` in all, as a full kernel watch
//  table (fs.inotify.max_user_watches, ENOSPC) would; 0 lifts the limit.
//  Raising the kernel's own limit in a test would reach the whole machine.
void hostdir_set_watch_limit (hostdir_t *self, size_t limit);

//  Called every HOSTDIR_TICK_ENTRIES entries of a long walk (a tree of
//  30,000 files moved in, a rescan): the walk runs in the agent's loop,
//  which meanwhile cannot keep its session alive by itself.
#define HOSTDIR_TICK_ENTRIES 256
typedef void (hostdir_tick_fn) (void *arg);
void hostdir_set_tick (hostdir_t *self, hostdir_tick_fn *tick, void *arg);

#endif
