/*  hostdir_int.h - the inside of the host directory (hostdir.h), shared by
    its files: hostdir.c holds the inotify intake, the walks and the
    rescan; moves.c pairs the two halves of each move and applies what a
    move means; hostdir_root.c looks for what inotify does not tell.
    Nobody else includes it.
*/
#ifndef HOSTDIR_INT_H_INCLUDED
#define HOSTDIR_INT_H_INCLUDED

#include "hostdir.h"
#include "ignore.h"
#include "mounts.h"
#include "moves.h"
#include "outlinks.h"
#include "watches.h"

struct _hostdir_t {
    char *root;
    int rootfd;                 //  open during one call only, or -1
    int inotify;                //  or -1: none to be had, rescans only
    int inotify_errno;          //  why there is none
    published_t *published;     //  the files, the settle queue
    settle_t *fresh;            //  new files closed a moment ago, or NULL
    outlinks_t *outlinks;       //  files also linked from outside: looked at on a timer
    int64_t outlinks_at;        //  the next look at them (zclock_mono)
    mounts_t *mounts;           //  mounts below the root, or NULL (no /proc)
    watches_t *watches;
    ignore_t *ignore;
    bool ignore_dirty;          //  an event named it: read it again
    moves_t *moves;             //  moved-from halves waiting
    uint64_t generation;        //  of the current walk of the whole tree
    uint64_t calls;             //  hostdir_process calls so far
    int64_t rescan_at;          //  0, or when to rescan (zclock_mono)
    int64_t rescan_ms;          //  CPU time the last rescan took
    bool rescan_full;           //  the rescan due must be a full one
    bool watch_full;            //  the watch table is full
    bool root_lost;             //  the root is gone (and that was logged)
    bool watch_warned;          //  ... and that was logged (once, until it is not)
    char *buffer;               //  for read()
    hostdir_tick_fn *tick;      //  during long walks, or NULL
    void *tick_arg;
    size_t walked;              //  entries walked, for the tick
};

//  hostdir.c

//  The root's descriptor for this call, opened on first use; -1 when the
//  root cannot be opened (what uses it then fails with EBADF).
int hostdir_rootfd (hostdir_t *self);

//  A full rescan due within delay_ms (an earlier one due stays): what
//  inotify cannot say happened (a mount, the root replaced, an error).
void hostdir_schedule_rescan (hostdir_t *self, int delay_ms);

//  The same, but the look of a pace while something is unwatched: a quick
//  walk first (hostdir_rescan_due), unless a full one is due anyway.
void hostdir_schedule_look (hostdir_t *self, int delay_ms);

//  Closes the root's descriptor of this call, if open.
void hostdir_root_release (hostdir_t *self);

//  hostdir_walk.c

//  While something is unwatched, rescans come this often at most (SPEC
//  4.2: every settled change within a second), slower for a huge tree.
#define HOSTDIR_UNWATCHED_MS    500

//  The start-up scan of the whole tree: every directory watched, every
//  complete file published. Returns what scanner_walk returns.
int hostdir_walk_start (hostdir_t *self);

//  A rescan that is due: a quick walk first unless `full`, and the whole
//  rescan only when it finds something that differs from what is
//  published. Paces the next one while something is unwatched.
void hostdir_rescan_due (hostdir_t *self, bool full, zlistx_t *changes);

//  path is a complete regular file (nobody writes it, or that cannot be
//  told); st is filled.
bool hostdir_ready (hostdir_t *self, const char *path, struct stat *st);

//  Bring path in line with the disk (final: a path gone is removed, not
//  held; a busy file is not looked at again).
void hostdir_check (hostdir_t *self, const char *path, bool final, zlistx_t *changes);

//  A directory that appeared (created, moved in): watched, then walked.
void hostdir_add_dir (hostdir_t *self, const char *path, zlistx_t *changes);

//  A directory that left the tree (deleted, moved out).
void hostdir_remove_dir (hostdir_t *self, const char *path, zlistx_t *changes);

//  moves.c

//  The moved-from half of a move (IN_MOVED_FROM) of a publishable path:
//  it waits for its partner.
void hostdir_moved_from (hostdir_t *self, uint32_t cookie, const char *path, bool is_dir);

//  The moved-to half (IN_MOVED_TO) at path: a rename when its partner
//  waits, else a move in from outside (or from a name not published).
void hostdir_moved_to (hostdir_t *self, uint32_t cookie, const char *path, bool is_dir,
                       bool publishable, zlistx_t *changes);

//  path is complete with this stat: published (published_put), or, when
//  it is a published file that moved here without a pair of events
//  saying so (a directory renamed and a file in it renamed, read in one
//  batch; a file moved into a directory not watched yet), renamed from
//  where it was: one file is never published twice.
void hostdir_publish (hostdir_t *self, const char *path, const struct stat *st,
                      zlistx_t *changes);

//  The published file of this stat may have more links than names here,
//  and so be written through a name no watch sees: it is then looked at on
//  a timer (outlinks.h); else forgotten there.
void hostdir_note_links (hostdir_t *self, const struct stat *st);

//  Settle waiting halves as moves out: those at or above path (an event
//  about that place must be reported after them), or, path NULL, those
//  that had their chance (read by an earlier call, or past their deadline).
void hostdir_flush_moves (hostdir_t *self, const char *path, zlistx_t *changes);

#endif
