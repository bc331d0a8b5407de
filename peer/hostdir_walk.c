/*  hostdir_walk.c - walks of the host directory: the start-up scan, a new
    directory, and rescans (after an overflow, while something is
    unwatched, when the root changed). See hostdir_int.h.

    While something is unwatched (no inotify instance, a full watch
    table) only rescans find changes, so they come often: a settled change
    is published within a second (SPEC 4.2). Most of them find nothing new,
    and that case is made cheap: a first walk only compares each file's
    stat with what was published (one lookup per file, no open, no new
    set); only when it finds a difference does the full rescan run, which
    builds the new set, probes files whose stat changed, and replaces.
    Their pace follows what they cost in CPU time, so a huge tree takes a
    bounded share of a core (and its changes then take longer than a
    second: the README says so).
*/
#include "hostdir_int.h"
#include "scanner.h"
#include <time.h>

#define S_RETRY_MS      5000    //  retries after an error (the root unreadable)
//  While something is unwatched, one rescan every HOSTDIR_UNWATCHED_MS,
//  but never more often than S_UNWATCHED_SHARE times the CPU time the last
//  one took: rescans of a huge tree take at most a fifth of a core.
#define S_UNWATCHED_SHARE 4
#define S_ROOT_RETRY_MS 250     //  looks for a root that is gone

//  What a walk of part of the tree does with what it finds.
typedef struct {
    hostdir_t *self;
    zlistx_t *changes;          //  where to report, or NULL
    fileset_t *into;            //  rescan: collect here, not in the published set
    bool quick;                 //  only compare with what is published
    bool differs;               //  quick: something does
    size_t same;                //  quick: files found as published
} s_walk_ctx_t;

//  CPU time this thread has used, in ms: what a rescan costs, however
//  loaded the machine (a wall clock would count others' time too).
static int64_t
s_cpu_ms (void)
{
    struct timespec now;
    if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now))
        return 0;
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  The wait before the next rescan while something is unwatched.
static int
s_unwatched_period (hostdir_t *self)
{
    int64_t paced = S_UNWATCHED_SHARE * self->rescan_ms;
    return paced > HOSTDIR_UNWATCHED_MS? (int) (paced < S_RETRY_MS * 12? paced: S_RETRY_MS * 12)
                                       : HOSTDIR_UNWATCHED_MS;
}

//  A rescan that began at CPU time `started` ended: while something is
//  still unwatched the next is due, paced by what this one cost.
static void
s_pace (hostdir_t *self, int64_t started)
{
    self->rescan_ms = s_cpu_ms () - started;
    if (self->rescan_at > zclock_mono ()) {
        self->rescan_at = 0;
        hostdir_schedule_look (self, s_unwatched_period (self));
    }
}

// --------------------------------------------------------------------------
//  Walks

static void
s_walked (hostdir_t *self)
{
    if (++self->walked % HOSTDIR_TICK_ENTRIES == 0 && self->tick)
        self->tick (self->tick_arg);
}

//  A directory that is there but cannot be read now (made unreadable
//  for a moment, an I/O error): what was published under it is not known
//  to be gone, so it stays as it was, and counts as found. Its mode's
//  change back brings a walk of it (hostdir.c).
static void
s_keep_under (s_walk_ctx_t *ctx, const char *path)
{
    zlistx_t *kept = fileset_under (published_files (ctx->self->published), path);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (kept);
         file; file = (const fileset_file_t *) zlistx_next (kept)) {
        if (ctx->into)
            fileset_put_file (ctx->into, file);
        ctx->same++;
    }
    zlistx_destroy (&kept);
}

static bool
s_on_dir (void *arg, const char *path, int fd)
{
    s_walk_ctx_t *ctx = (s_walk_ctx_t *) arg;
    hostdir_t *self = ctx->self;
    s_walked (self);
    if (ctx->differs)
        return false;                   //  quick: the full rescan follows
    if (fd < 0) {
        if (!ignore_match_entry (self->ignore, path, true))
            s_keep_under (ctx, path);
        return false;
    }
    if (*path && ignore_match_entry (self->ignore, path, true))
        return false;
    if (self->inotify < 0) {            //  no instance: rescans find it all
        hostdir_schedule_look (self, s_unwatched_period (self));
        return true;
    }
    if (ctx->quick && watches_has (self->watches, path))
        return true;
    if (watches_add (self->watches, self->root, path, fd, self->generation) == 0) {
        ctx->differs |= ctx->quick;     //  newly watched: the full rescan's job
        return true;
    }
    if (errno == ENOSPC) {
        if (!self->watch_warned)
            zsys_warning ("hostdir: inotify watch table full (raise "
                          "fs.inotify.max_user_watches): rescanning every %d ms or so",
                          s_unwatched_period (self));
        self->watch_full = true;
        self->watch_warned = true;
        hostdir_schedule_look (self, s_unwatched_period (self));
    }
    else
        zsys_warning ("hostdir: cannot watch '%s': %s", *path? path: ".", strerror (errno));
    return true;
}

//  A published record that says everything this stat says: same inode,
//  size, mtime and ctime (any write, truncate, chmod or utime moves one).
static bool
s_unchanged (const fileset_file_t *known, const struct stat *st)
{
    return known->ino && known->dev == (uint64_t) st->st_dev
        && known->ino == (uint64_t) st->st_ino && known->size == (uint64_t) st->st_size
        && known->mtime == (int64_t) st->st_mtim.tv_sec
        && known->mtime_ns == (int64_t) st->st_mtim.tv_nsec
        && known->ctime_ns == (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

//  Rescan: collect what the file is now into ctx->into. A file exactly as
//  published is taken as it is without a probe: whether a writer holds it
//  changes nothing to publish, and a probe (an open and a lease) per file
//  per rescan would make rescans of a large tree cost many times more.
static void
s_rescan_file (s_walk_ctx_t *ctx, const char *path, int dirfd, const char *name,
               const struct stat *st)
{
    hostdir_t *self = ctx->self;
    fileset_t *files = published_files (self->published);
    const fileset_file_t *known = fileset_lookup (files, path);
    struct stat now = *st;
    bool busy = false;
    if (known && s_unchanged (known, st))
        fileset_put_file (ctx->into, known);
    else {
        busy = scanner_probe (dirfd, name, &now) == SCANNER_BUSY;
        //  A file being written keeps what was published of it
        if (busy && known)
            fileset_put_file (ctx->into, known);
        else
        if (!busy)
            fileset_put_stat (ctx->into, path, &now);
    }
    //  Counted against the set being replaced: a file new to it is taken
    //  as linked from outside until its first look says otherwise
    if (!busy && now.st_nlink > 1)
        hostdir_note_links (self, &now);
}

static void
s_on_file (void *arg, const char *path, int dirfd, const char *name, const struct stat *st)
{
    s_walk_ctx_t *ctx = (s_walk_ctx_t *) arg;
    hostdir_t *self = ctx->self;
    s_walked (self);
    if (ctx->differs || ignore_match_entry (self->ignore, path, false))
        return;
    if (ctx->quick) {
        const fileset_file_t *known = fileset_lookup (published_files (self->published), path);
        if (known && s_unchanged (known, st))
            ctx->same++;
        else
            ctx->differs = true;
        return;
    }
    if (ctx->into) {
        s_rescan_file (ctx, path, dirfd, name, st);
        return;
    }
    struct stat now = *st;
    if (scanner_probe (dirfd, name, &now) != SCANNER_BUSY)
        hostdir_publish (self, path, &now, ctx->changes);
}

//  Watch every directory first, then read it, so no file can slip between
//  the two; a file still being written is published at its close.
void
hostdir_add_dir (hostdir_t *self, const char *path, zlistx_t *changes)
{
    s_walk_ctx_t ctx = { self, changes, NULL, false, false, 0 };
    if (scanner_walk (hostdir_rootfd (self), path, s_on_dir, s_on_file, &ctx) < 0)
        zsys_debug ("hostdir: new directory '%s' is gone: %s", path, strerror (errno));
}

void
hostdir_remove_dir (hostdir_t *self, const char *path, zlistx_t *changes)
{
    published_hold_under (self->published, path, changes);
    watches_drop_under (self->watches, path);
}

// --------------------------------------------------------------------------
//  Rescan

//  The root is gone: nothing is published until it is back. Nothing
//  watches for its return (its parent is not ours to watch), so it is
//  looked for often: a directory made anew under its name is a change
//  like any other, published within a second. Said once, not per look.
static void
s_root_lost (hostdir_t *self, zlistx_t *changes)
{
    if (!self->root_lost)
        zsys_error ("hostdir: cannot open '%s': %s: nothing is published until it is back",
                    self->root, strerror (errno));
    self->root_lost = true;
    published_remove_under (self->published, "", changes);
    watches_drop_under (self->watches, "");
    hostdir_schedule_rescan (self, S_ROOT_RETRY_MS);
}

void
hostdir_rescan (hostdir_t *self, zlistx_t *changes)
{
    assert (self);
    //  Waiting moves are settled by what the walk finds now
    moves_purge (self->moves);
    self->rescan_at = 0;
    self->rescan_full = false;
    hostdir_root_release (self);              //  it may have been replaced
    if (hostdir_rootfd (self) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            s_root_lost (self, changes);
        else {
            zsys_error ("hostdir: cannot open '%s': %s", self->root, strerror (errno));
            hostdir_schedule_rescan (self, S_RETRY_MS);
        }
        return;
    }
    if (self->root_lost)
        zsys_info ("hostdir: '%s' is back", self->root);
    self->root_lost = false;
    self->generation++;
    bool was_full = self->watch_full;
    self->watch_full = false;
    int64_t started = s_cpu_ms ();
    fileset_t *fresh = fileset_new ();
    s_walk_ctx_t ctx = { self, changes, fresh, false, false, 0 };
    if (scanner_walk (self->rootfd, "", s_on_dir, s_on_file, &ctx) < 0) {
        zsys_error ("hostdir: cannot scan '%s': %s", self->root, strerror (errno));
        fileset_destroy (&fresh);
        self->watch_full = was_full;
        hostdir_schedule_rescan (self, S_RETRY_MS);
        hostdir_root_release (self);
        return;
    }
    if (was_full && !self->watch_full) {
        zsys_info ("hostdir: every directory is watched again");
        self->watch_warned = false;
    }
    //  Directories not found again are gone, or ignored now
    watches_drop_unseen (self->watches, self->generation);
    published_replace (self->published, fresh, changes);
    fileset_destroy (&fresh);
    hostdir_root_release (self);
    s_pace (self, started);
}

//  Whether the tree is exactly as published (every file found with its
//  published stat, as many as are published, every directory watched
//  that can be): the quick walk, which opens no file and builds nothing.
static bool
s_quick_same (hostdir_t *self)
{
    hostdir_root_release (self);        //  it may have been replaced
    if (self->root_lost || hostdir_rootfd (self) < 0)
        return false;
    s_walk_ctx_t ctx = { self, NULL, NULL, true, false, 0 };
    int rc = scanner_walk (self->rootfd, "", s_on_dir, s_on_file, &ctx);
    hostdir_root_release (self);
    return rc >= 0 && !ctx.differs
        && ctx.same == fileset_size (published_files (self->published));
}

void
hostdir_rescan_due (hostdir_t *self, bool full, zlistx_t *changes)
{
    int64_t started = s_cpu_ms ();
    self->rescan_at = 0;
    //  A mount or a replaced root may show nothing new at first, yet its
    //  directories need their watches again: a full rescan
    full |= self->rescan_full;
    self->rescan_full = false;
    if (full || !s_quick_same (self))
        hostdir_rescan (self, changes);
    s_pace (self, started);
}

int
hostdir_walk_start (hostdir_t *self)
{
    s_walk_ctx_t ctx = { self, NULL, NULL, false, false, 0 };
    return scanner_walk (hostdir_rootfd (self), "", s_on_dir, s_on_file, &ctx);
}

