/*  hostdir.c - the watched host directory (SPEC 4.2).

    One inotify watch per directory, mapped both ways (wd <-> relative path)
    so that a renamed directory can carry the paths of every watch below it.
    Files are only published once complete: a close after writing, a move
    in, or a changed size/mtime (touch); a creation alone is not enough.
    Every event is handled as it is read (the target is about a millisecond
    from close() to the change), except a move whose other half has not been
    read yet: it waits for the next call or a 20 ms deadline, then counts as
    a move out. Files are examined relative to the root's descriptor, one
    O_NOFOLLOW component at a time, so a symlink never leads outside. The
    root itself is opened afresh by every call and closed before it returns:
    an open descriptor would hold back the kernel's IN_DELETE_SELF.
*/
#include "hostdir.h"
#include "scanner.h"
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#define S_WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE \
                      | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB \
                      | IN_EXCL_UNLINK | IN_ONLYDIR)
#define S_BUFFER_SIZE   (64 * 1024)
#define S_READS_MAX     16      //  per call, so a flood cannot starve the agent
#define S_MOVE_WAIT_MS  20      //  for the second half of a move
#define S_RETRY_MS      5000    //  rescan period while something is unwatched
#define S_PATH_SIZE     (FSH_PATH_MAX + FSH_NAME_MAX + 2)

typedef struct {
    int wd;
    char *path;                 //  relative; "" for the root
    uint64_t generation;        //  last rescan that found it
} s_watch_t;

typedef struct {
    uint32_t cookie;
    char *path;                 //  where it was moved from
    bool is_dir;
    int64_t deadline;
    uint64_t call;              //  the hostdir_process call that read it
} s_move_t;

struct _hostdir_t {
    char *root;
    int rootfd;                 //  open during one call only, or -1
    int inotify;
    fileset_t *files;
    zhashx_t *watch_by_wd;      //  wd -> s_watch_t (owned)
    zhashx_t *watch_by_path;    //  path -> s_watch_t
    zlistx_t *moves;            //  s_move_t: moved-from halves waiting
    uint64_t generation;        //  of the current rescan
    uint64_t calls;             //  hostdir_process calls so far
    int64_t rescan_at;          //  0, or when to rescan (zclock_mono)
    bool watch_full;            //  the watch table is full
    bool watch_warned;          //  ... and that was logged (once, until it is not)
    size_t watch_limit;         //  hostdir_set_watch_limit; 0 = none
    char *buffer;               //  for read()
};

//  What a walk of part of the tree does with what it finds.
typedef struct {
    hostdir_t *self;
    zlistx_t *changes;          //  where to report, or NULL
    fileset_t *into;            //  rescan: collect here, not in self->files
} s_walk_ctx_t;

// --------------------------------------------------------------------------
//  Changes

static void
s_emit (zlistx_t *changes, Fshare__ChangeKind kind, const char *path,
        const char *from, uint64_t size, int64_t mtime)
{
    if (!changes)
        return;
    hostdir_change_t *change = (hostdir_change_t *) zmalloc (sizeof (hostdir_change_t));
    assert (change);
    change->kind = kind;
    change->path = strdup (path);
    assert (change->path);
    if (from) {
        change->from = strdup (from);
        assert (change->from);
    }
    change->size = size;
    change->mtime = mtime;
    zlistx_add_end (changes, change);
}

void
hostdir_change_destroy (hostdir_change_t **self_p)
{
    assert (self_p);
    hostdir_change_t *self = *self_p;
    if (self) {
        free (self->path);
        free (self->from);
        free (self);
        *self_p = NULL;
    }
}

// --------------------------------------------------------------------------
//  Watches

static size_t
s_wd_hash (const void *key)
{
    return (size_t) (uintptr_t) key;
}

static int
s_wd_compare (const void *a, const void *b)
{
    uintptr_t wa = (uintptr_t) a, wb = (uintptr_t) b;
    return wa < wb? -1: wa > wb? 1: 0;
}

#define S_WD_KEY(wd) ((void *) (intptr_t) (wd))

static void
s_watch_destroy (void **item_p)
{
    s_watch_t *watch = (s_watch_t *) *item_p;
    if (watch) {
        free (watch->path);
        free (watch);
        *item_p = NULL;
    }
}

static bool
s_is_at_or_under (const char *path, const char *dir)
{
    if (!*dir)
        return true;
    size_t len = strlen (dir);
    return strncmp (path, dir, len) == 0 && (path [len] == 0 || path [len] == '/');
}

//  Forget a watch; rm also asks the kernel to drop it (not needed when the
//  directory is gone: the kernel has dropped it already).
static void
s_watch_drop (hostdir_t *self, s_watch_t *watch, bool rm)
{
    if (rm)
        inotify_rm_watch (self->inotify, watch->wd);
    zhashx_delete (self->watch_by_path, watch->path);
    zhashx_delete (self->watch_by_wd, S_WD_KEY (watch->wd));
}

static void
s_watch_rekey (hostdir_t *self, s_watch_t *watch, const char *path)
{
    s_watch_t *other = (s_watch_t *) zhashx_lookup (self->watch_by_path, path);
    if (other == watch)
        return;
    if (other)      //  another directory was here once: it has gone
        s_watch_drop (self, other, true);
    zhashx_delete (self->watch_by_path, watch->path);
    free (watch->path);
    watch->path = strdup (path);
    assert (watch->path);
    zhashx_insert (self->watch_by_path, watch->path, watch);
}

//  Record that wd watches the directory at path.
static void
s_watch_set (hostdir_t *self, int wd, const char *path)
{
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->watch_by_wd, S_WD_KEY (wd));
    if (watch)      //  the same directory: perhaps moved behind our back
        s_watch_rekey (self, watch, path);
    else {
        s_watch_t *other = (s_watch_t *) zhashx_lookup (self->watch_by_path, path);
        if (other)
            s_watch_drop (self, other, true);
        watch = (s_watch_t *) zmalloc (sizeof (s_watch_t));
        assert (watch);
        watch->wd = wd;
        watch->path = strdup (path);
        assert (watch->path);
        zhashx_insert (self->watch_by_wd, S_WD_KEY (wd), watch);
        zhashx_insert (self->watch_by_path, watch->path, watch);
    }
    watch->generation = self->generation;
}

static void
s_schedule_rescan (hostdir_t *self, int delay_ms)
{
    int64_t when = zclock_mono () + delay_ms;
    if (self->rescan_at == 0 || when < self->rescan_at)
        self->rescan_at = when;
}

//  Watch the directory open on fd. Through /proc/self/fd the watch lands on
//  exactly the directory the scanner opened (reached without following any
//  symlink); without /proc, fall back to the path, not following its end.
static void
s_watch_add (hostdir_t *self, const char *path, int fd)
{
    char proc [64];
    snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
    int wd = -1;
    errno = ENOSPC;
    //  The test limit, as the kernel's: a directory watched already is no
    //  new entry in the table
    if (!self->watch_limit || zhashx_size (self->watch_by_wd) < self->watch_limit
    ||  zhashx_lookup (self->watch_by_path, path))
        wd = inotify_add_watch (self->inotify, proc, S_WATCH_MASK);
    if (wd < 0 && errno == ENOENT) {
        char *full = *path? zsys_sprintf ("%s/%s", self->root, path): strdup (self->root);
        assert (full);
        wd = inotify_add_watch (self->inotify, full, S_WATCH_MASK | IN_DONT_FOLLOW);
        free (full);
    }
    if (wd >= 0) {
        s_watch_set (self, wd, path);
        return;
    }
    if (errno == ENOSPC) {
        if (!self->watch_warned)
            zsys_warning ("hostdir: inotify watch table full (raise "
                          "fs.inotify.max_user_watches): rescanning every %d s",
                          S_RETRY_MS / 1000);
        self->watch_full = true;
        self->watch_warned = true;
        s_schedule_rescan (self, S_RETRY_MS);
    }
    else
        zsys_warning ("hostdir: cannot watch '%s': %s", *path? path: ".", strerror (errno));
}

//  Every watch at or under dir ("" for all), collected before anyone
//  modifies the tables.
static zlistx_t *
s_watches_under (hostdir_t *self, const char *dir)
{
    zlistx_t *list = zlistx_new ();
    assert (list);
    s_watch_t *watch = (s_watch_t *) zhashx_first (self->watch_by_wd);
    while (watch) {
        if (s_is_at_or_under (watch->path, dir))
            zlistx_add_end (list, watch);
        watch = (s_watch_t *) zhashx_next (self->watch_by_wd);
    }
    return list;
}

static void
s_watches_drop_under (hostdir_t *self, const char *dir)
{
    zlistx_t *list = s_watches_under (self, dir);
    s_watch_t *watch = (s_watch_t *) zlistx_first (list);
    while (watch) {
        s_watch_drop (self, watch, true);
        watch = (s_watch_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}

static void
s_watches_rename (hostdir_t *self, const char *from, const char *to)
{
    size_t from_len = strlen (from);
    zlistx_t *list = s_watches_under (self, from);
    s_watch_t *watch = (s_watch_t *) zlistx_first (list);
    while (watch) {
        char *path = zsys_sprintf ("%s%s", to, watch->path + from_len);
        assert (path);
        s_watch_rekey (self, watch, path);
        free (path);
        watch = (s_watch_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}

// --------------------------------------------------------------------------
//  Files

//  The root's descriptor for this call, opened on first use; -1 when the
//  root cannot be opened (what uses it then fails with EBADF).
static int
s_root_fd (hostdir_t *self)
{
    if (self->rootfd < 0)
        self->rootfd = open (self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return self->rootfd;
}

static void
s_root_release (hostdir_t *self)
{
    if (self->rootfd >= 0)
        close (self->rootfd);
    self->rootfd = -1;
}

//  lstat of root/path without following any symlink on the way.
static int
s_lstat (hostdir_t *self, const char *path, struct stat *st)
{
    const char *slash = strrchr (path, '/');
    if (!slash)
        return fstatat (s_root_fd (self), path, st, AT_SYMLINK_NOFOLLOW);
    char dir [FSH_PATH_MAX + 1];
    size_t len = (size_t) (slash - path);
    if (len > FSH_PATH_MAX)
        return -1;
    memcpy (dir, path, len);
    dir [len] = 0;
    int fd = scanner_open_dir (s_root_fd (self), dir);
    if (fd < 0)
        return -1;
    int rc = fstatat (fd, slash + 1, st, AT_SYMLINK_NOFOLLOW);
    close (fd);
    return rc;
}

static void
s_remove_file (hostdir_t *self, const char *path, zlistx_t *changes)
{
    const fileset_file_t *file = fileset_lookup (self->files, path);
    if (!file)
        return;
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, path, NULL, file->size, file->mtime);
    fileset_remove (self->files, path);
}

//  Bring path in line with the disk: a regular file is put (added or
//  changed); anything else that replaced a published file removes it. A
//  path that cannot be examined (gone already) waits for its own event.
static void
s_refresh_file (hostdir_t *self, const char *path, zlistx_t *changes)
{
    struct stat st;
    if (s_lstat (self, path, &st))
        return;
    if (!S_ISREG (st.st_mode)) {
        if (S_ISLNK (st.st_mode))
            zsys_info ("hostdir: skipping symlink '%s': symlinks are not followed", path);
        s_remove_file (self, path, changes);
        return;
    }
    uint64_t size = (uint64_t) st.st_size;
    int64_t mtime = (int64_t) st.st_mtim.tv_sec;
    Fshare__ChangeKind kind = fileset_put (self->files, path, size, mtime);
    if (kind != FSHARE__CHANGE_KIND__CHANGE_NONE)
        s_emit (changes, kind, path, NULL, size, mtime);
}

//  Removes every file at or under dir, reporting each one.
static void
s_remove_under (hostdir_t *self, const char *dir, zlistx_t *changes)
{
    zlistx_t *list = fileset_under (self->files, dir);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        //  Reported before removal: removal frees file
        s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, file->path, NULL,
                file->size, file->mtime);
        fileset_remove (self->files, file->path);
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}

// --------------------------------------------------------------------------
//  Walks

static void
s_on_dir (void *arg, const char *path, int fd)
{
    s_walk_ctx_t *ctx = (s_walk_ctx_t *) arg;
    s_watch_add (ctx->self, path, fd);
}

static void
s_on_file (void *arg, const char *path, const struct stat *st)
{
    s_walk_ctx_t *ctx = (s_walk_ctx_t *) arg;
    uint64_t size = (uint64_t) st->st_size;
    int64_t mtime = (int64_t) st->st_mtim.tv_sec;
    if (ctx->into) {
        fileset_put (ctx->into, path, size, mtime);
        return;
    }
    Fshare__ChangeKind kind = fileset_put (ctx->self->files, path, size, mtime);
    if (kind != FSHARE__CHANGE_KIND__CHANGE_NONE)
        s_emit (ctx->changes, kind, path, NULL, size, mtime);
}

//  A directory that appeared (created, moved in): watch every directory
//  first, then read it, so no file can slip between the two.
static void
s_add_dir (hostdir_t *self, const char *path, zlistx_t *changes)
{
    s_walk_ctx_t ctx = { self, changes, NULL };
    if (scanner_walk (s_root_fd (self), path, s_on_dir, s_on_file, &ctx) < 0)
        zsys_debug ("hostdir: new directory '%s' is gone: %s", path, strerror (errno));
}

//  A directory that left the tree (deleted, moved out).
static void
s_remove_dir (hostdir_t *self, const char *path, zlistx_t *changes)
{
    s_remove_under (self, path, changes);
    s_watches_drop_under (self, path);
}

// --------------------------------------------------------------------------
//  Moves

static void
s_move_destroy (s_move_t **move_p)
{
    s_move_t *move = *move_p;
    if (move) {
        free (move->path);
        free (move);
        *move_p = NULL;
    }
}

static void
s_move_destructor (void **item_p)
{
    s_move_destroy ((s_move_t **) item_p);
}

//  The moved-from half never found its partner: it left the tree.
static void
s_moved_out (hostdir_t *self, s_move_t *move, zlistx_t *changes)
{
    if (move->is_dir)
        s_remove_dir (self, move->path, changes);
    else
        s_remove_file (self, move->path, changes);
}

//  Settle waiting moves as moves out: those that conflict with path (an
//  event about the same place must be reported after them), or those that
//  had their chance (read by an earlier call, or past their deadline).
typedef enum { S_FLUSH_CONFLICTS, S_FLUSH_STALE } s_flush_t;

static void
s_flush_moves (hostdir_t *self, s_flush_t which, const char *path, zlistx_t *changes)
{
    int64_t now = zclock_mono ();
    s_move_t *move = (s_move_t *) zlistx_first (self->moves);
    while (move) {
        bool flush = which == S_FLUSH_CONFLICTS
                   ? s_is_at_or_under (path, move->path)
                   : move->call < self->calls || move->deadline <= now;
        if (flush) {
            void *handle = zlistx_cursor (self->moves);
            zlistx_detach (self->moves, handle);
            s_moved_out (self, move, changes);
            s_move_destroy (&move);
            move = (s_move_t *) zlistx_first (self->moves);     //  restart: list changed
        }
        else
            move = (s_move_t *) zlistx_next (self->moves);
    }
}

static s_move_t *
s_move_take (hostdir_t *self, uint32_t cookie)
{
    s_move_t *move = (s_move_t *) zlistx_first (self->moves);
    while (move) {
        if (move->cookie == cookie) {
            zlistx_detach (self->moves, zlistx_cursor (self->moves));
            return move;
        }
        move = (s_move_t *) zlistx_next (self->moves);
    }
    return NULL;
}

//  The event says the file went from -> to: true even when `to` has moved
//  on since (its own later events say where). Fresh size and mtime when
//  the file is still there.
static void
s_rename_file (hostdir_t *self, const char *from, const char *to, zlistx_t *changes)
{
    const fileset_file_t *file = fileset_lookup (self->files, from);
    if (!file) {                        //  never published: it is new here
        s_refresh_file (self, to, changes);
        return;
    }
    uint64_t size = file->size;
    int64_t mtime = file->mtime;
    struct stat st;
    if (s_lstat (self, to, &st) == 0 && S_ISREG (st.st_mode)) {
        size = (uint64_t) st.st_size;
        mtime = (int64_t) st.st_mtim.tv_sec;
    }
    fileset_remove (self->files, from);
    fileset_put (self->files, to, size, mtime);
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_RENAMED, to, from, size, mtime);
}

static void
s_rename_dir (hostdir_t *self, const char *from, const char *to, zlistx_t *changes)
{
    size_t from_len = strlen (from);
    zlistx_t *list = fileset_under (self->files, from);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    char path [S_PATH_SIZE];
    while (file) {
        char *old_path = strdup (file->path);
        assert (old_path);
        uint64_t size = file->size;
        int64_t mtime = file->mtime;
        fileset_remove (self->files, old_path);     //  frees file
        int len = snprintf (path, sizeof (path), "%s%s", to, old_path + from_len);
        if (len < (int) sizeof (path) && !fsh_path_check (path)) {
            fileset_put (self->files, path, size, mtime);
            s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_RENAMED, path, old_path, size, mtime);
        }
        else        //  too long or too deep where it went
            s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, old_path, NULL, size, mtime);
        free (old_path);
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
    s_watches_rename (self, from, to);
    //  Events read before the move named the old paths, which no longer
    //  exist; what they were about is found here.
    s_add_dir (self, to, changes);
}

static void
s_moved_to (hostdir_t *self, const struct inotify_event *event, const char *path,
            bool publishable, zlistx_t *changes)
{
    bool is_dir = (event->mask & IN_ISDIR) != 0;
    s_move_t *move = event->cookie? s_move_take (self, event->cookie): NULL;
    s_flush_moves (self, S_FLUSH_CONFLICTS, path, changes);
    if (!move) {                        //  moved in from outside
        if (publishable && is_dir)
            s_add_dir (self, path, changes);
        else
        if (publishable)
            s_refresh_file (self, path, changes);
        return;
    }
    if (!publishable)                   //  e.g. renamed to a partial name
        s_moved_out (self, move, changes);
    else
    if (is_dir)
        s_rename_dir (self, move->path, path, changes);
    else
        s_rename_file (self, move->path, path, changes);
    s_move_destroy (&move);
}

static void
s_moved_from (hostdir_t *self, const struct inotify_event *event, const char *path)
{
    s_move_t *move = (s_move_t *) zmalloc (sizeof (s_move_t));
    assert (move);
    move->cookie = event->cookie;
    move->path = strdup (path);
    assert (move->path);
    move->is_dir = (event->mask & IN_ISDIR) != 0;
    move->deadline = zclock_mono () + S_MOVE_WAIT_MS;
    move->call = self->calls;
    zlistx_add_end (self->moves, move);
}

// --------------------------------------------------------------------------
//  Events

//  An event about a watched directory itself. Subdirectories are handled
//  through their parent's events; only the root needs attention here.
static void
s_self_event (hostdir_t *self, s_watch_t *watch, uint32_t mask)
{
    if (*watch->path)
        return;
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        zsys_warning ("hostdir: '%s' was %s: rescanning", self->root,
                      mask & IN_DELETE_SELF? "deleted": "moved away");
        s_schedule_rescan (self, 0);
    }
}

static void
s_handle_event (hostdir_t *self, const struct inotify_event *event,
                zlistx_t *changes, bool *overflow)
{
    uint32_t mask = event->mask;
    if (mask & IN_Q_OVERFLOW) {
        *overflow = true;
        return;
    }
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->watch_by_wd, S_WD_KEY (event->wd));
    if (!watch)
        return;                         //  about a directory already forgotten
    if (mask & IN_IGNORED) {
        s_watch_drop (self, watch, false);
        return;
    }
    if (event->len == 0 || event->name [0] == 0) {
        s_self_event (self, watch, mask);
        return;
    }
    char path [S_PATH_SIZE];
    int len = *watch->path
        ? snprintf (path, sizeof (path), "%s/%s", watch->path, event->name)
        : snprintf (path, sizeof (path), "%s", event->name);
    if (len >= (int) sizeof (path))
        return;
    bool publishable = !fsh_path_is_partial (event->name) && !fsh_path_check (path);
    bool is_dir = (mask & IN_ISDIR) != 0;

    if (mask & IN_MOVED_TO) {
        s_moved_to (self, event, path, publishable, changes);
        return;
    }
    s_flush_moves (self, S_FLUSH_CONFLICTS, path, changes);
    if (mask & IN_MOVED_FROM) {
        if (publishable)
            s_moved_from (self, event, path);
        return;
    }
    if (mask & IN_DELETE) {
        if (is_dir)
            s_remove_dir (self, path, changes);
        else
            s_remove_file (self, path, changes);
        return;
    }
    if (!publishable)
        return;
    if (is_dir) {
        //  created; or made readable, when it could not be watched before
        if ((mask & IN_CREATE)
        || ((mask & IN_ATTRIB) && !zhashx_lookup (self->watch_by_path, path)))
            s_add_dir (self, path, changes);
        return;
    }
    if (mask & IN_CLOSE_WRITE)
        s_refresh_file (self, path, changes);
    else
    if (mask & IN_ATTRIB) {
        //  touch, chmod: only files already complete; one being written
        //  waits for its close
        if (fileset_lookup (self->files, path))
            s_refresh_file (self, path, changes);
    }
    else
    if (mask & IN_CREATE) {
        //  A hard link (ln) is complete as it appears and is never closed
        //  after writing; a new file (one link) is, later. Symlinks: logged.
        struct stat st;
        if (s_lstat (self, path, &st) == 0
        && ((S_ISREG (st.st_mode) && st.st_nlink > 1) || S_ISLNK (st.st_mode)))
            s_refresh_file (self, path, changes);
    }
}

void
hostdir_process (hostdir_t *self, zlistx_t *changes)
{
    assert (self);
    assert (changes);
    self->calls++;
    bool overflow = false;
    bool drained = false;
    for (int reads = 0; reads < S_READS_MAX && !drained; reads++) {
        ssize_t size = read (self->inotify, self->buffer, S_BUFFER_SIZE);
        if (size < 0 && errno == EINTR)
            continue;
        if (size <= 0) {
            if (size < 0 && errno != EAGAIN)
                zsys_error ("hostdir: reading inotify events: %s", strerror (errno));
            drained = true;
            break;
        }
        const char *at = self->buffer;
        const char *end = self->buffer + size;
        while (at + sizeof (struct inotify_event) <= end) {
            const struct inotify_event *event = (const struct inotify_event *) at;
            if (at + sizeof (struct inotify_event) + event->len > end)
                break;                  //  the kernel never splits events
            s_handle_event (self, event, changes, &overflow);
            at += sizeof (struct inotify_event) + event->len;
        }
    }
    //  With events still queued (a flood), partners may be among them: the
    //  descriptor is still readable, so the next call comes at once.
    if (drained)
        s_flush_moves (self, S_FLUSH_STALE, NULL, changes);
    if (overflow) {
        zsys_warning ("hostdir: inotify queue overflowed: rescanning '%s'", self->root);
        hostdir_rescan (self, changes);
    }
    else
    if (self->rescan_at && zclock_mono () >= self->rescan_at)
        hostdir_rescan (self, changes);
    s_root_release (self);
}

int
hostdir_timeout (hostdir_t *self)
{
    assert (self);
    int64_t next = self->rescan_at? self->rescan_at: INT64_MAX;
    s_move_t *move = (s_move_t *) zlistx_first (self->moves);
    while (move) {
        if (move->deadline < next)
            next = move->deadline;
        move = (s_move_t *) zlistx_next (self->moves);
    }
    if (next == INT64_MAX)
        return -1;
    int64_t wait = next - zclock_mono ();
    return wait < 0? 0: wait > INT_MAX? INT_MAX: (int) wait;
}

// --------------------------------------------------------------------------
//  Rescan

//  The root is gone: nothing is published until it is back.
static void
s_root_lost (hostdir_t *self, zlistx_t *changes)
{
    s_remove_under (self, "", changes);
    s_watches_drop_under (self, "");
    s_schedule_rescan (self, S_RETRY_MS);
}

void
hostdir_rescan (hostdir_t *self, zlistx_t *changes)
{
    assert (self);
    //  Waiting moves are settled by what the walk finds now
    zlistx_purge (self->moves);
    self->rescan_at = 0;
    s_root_release (self);              //  it may have been replaced
    if (s_root_fd (self) < 0) {
        zsys_error ("hostdir: cannot open '%s': %s", self->root, strerror (errno));
        if (errno == ENOENT || errno == ENOTDIR)
            s_root_lost (self, changes);
        else
            s_schedule_rescan (self, S_RETRY_MS);
        return;
    }
    self->generation++;
    bool was_full = self->watch_full;
    self->watch_full = false;
    fileset_t *fresh = fileset_new ();
    s_walk_ctx_t ctx = { self, changes, fresh };
    if (scanner_walk (self->rootfd, "", s_on_dir, s_on_file, &ctx) < 0) {
        zsys_error ("hostdir: cannot scan '%s': %s", self->root, strerror (errno));
        fileset_destroy (&fresh);
        self->watch_full = was_full;
        s_schedule_rescan (self, S_RETRY_MS);
        s_root_release (self);
        return;
    }
    if (was_full && !self->watch_full) {
        zsys_info ("hostdir: every directory is watched again");
        self->watch_warned = false;
    }

    //  Directories not found again are gone
    zlistx_t *list = s_watches_under (self, "");
    s_watch_t *watch = (s_watch_t *) zlistx_first (list);
    while (watch) {
        if (watch->generation != self->generation)
            s_watch_drop (self, watch, true);
        watch = (s_watch_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);

    list = fileset_sorted (self->files);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        const fileset_file_t *next = (const fileset_file_t *) zlistx_next (list);
        if (!fileset_lookup (fresh, file->path))
            s_remove_file (self, file->path, changes);
        file = next;
    }
    zlistx_destroy (&list);

    list = fileset_sorted (fresh);
    file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        Fshare__ChangeKind kind = fileset_put (self->files, file->path, file->size, file->mtime);
        if (kind != FSHARE__CHANGE_KIND__CHANGE_NONE)
            s_emit (changes, kind, file->path, NULL, file->size, file->mtime);
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
    fileset_destroy (&fresh);
    s_root_release (self);
}

// --------------------------------------------------------------------------
//  Life cycle

//  mkdir -p with mode 0755 for every directory it creates.
static int
s_make_dirs (const char *root)
{
    char *path = strdup (root);
    assert (path);
    for (char *slash = strchr (path + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (path, 0755) && errno != EEXIST) {
            zsys_error ("hostdir: cannot create '%s': %s", path, strerror (errno));
            free (path);
            return -1;
        }
        *slash = '/';
    }
    int rc = 0;
    if (mkdir (path, 0755) && errno != EEXIST) {
        zsys_error ("hostdir: cannot create '%s': %s", path, strerror (errno));
        rc = -1;
    }
    free (path);
    return rc;
}

hostdir_t *
hostdir_new (const char *root)
{
    if (!root || !*root) {
        zsys_error ("hostdir: no host directory given");
        return NULL;
    }
    hostdir_t *self = (hostdir_t *) zmalloc (sizeof (hostdir_t));
    assert (self);
    //  Absolute, so that a later chdir cannot move it
    char cwd [PATH_MAX];
    if (*root != '/' && getcwd (cwd, sizeof (cwd)))
        self->root = zsys_sprintf ("%s/%s", cwd, root);
    else
        self->root = strdup (root);
    assert (self->root);
    //  "dir/" and "dir" are the same place; keep "/" as it is
    size_t len = strlen (self->root);
    while (len > 1 && self->root [len - 1] == '/')
        self->root [--len] = 0;
    self->rootfd = -1;
    self->inotify = -1;
    self->files = fileset_new ();
    self->watch_by_wd = zhashx_new ();
    assert (self->watch_by_wd);
    zhashx_set_key_hasher (self->watch_by_wd, s_wd_hash);
    zhashx_set_key_comparator (self->watch_by_wd, s_wd_compare);
    zhashx_set_key_duplicator (self->watch_by_wd, NULL);
    zhashx_set_key_destructor (self->watch_by_wd, NULL);
    zhashx_set_destructor (self->watch_by_wd, s_watch_destroy);
    self->watch_by_path = zhashx_new ();
    assert (self->watch_by_path);
    zhashx_set_key_duplicator (self->watch_by_path, NULL);
    zhashx_set_key_destructor (self->watch_by_path, NULL);
    self->moves = zlistx_new ();
    assert (self->moves);
    zlistx_set_destructor (self->moves, s_move_destructor);
    self->buffer = (char *) malloc (S_BUFFER_SIZE);
    assert (self->buffer);

    if (s_make_dirs (self->root)) {
        hostdir_destroy (&self);
        return NULL;
    }
    if (s_root_fd (self) < 0) {
        zsys_error ("hostdir: cannot open '%s': %s", self->root, strerror (errno));
        hostdir_destroy (&self);
        return NULL;
    }
    self->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (self->inotify < 0) {
        zsys_error ("hostdir: inotify: %s", strerror (errno));
        hostdir_destroy (&self);
        return NULL;
    }
    s_walk_ctx_t ctx = { self, NULL, NULL };
    int count = scanner_walk (self->rootfd, "", s_on_dir, s_on_file, &ctx);
    s_root_release (self);
    if (count < 0 || !zhashx_lookup (self->watch_by_path, "")) {
        zsys_error ("hostdir: cannot watch '%s'", self->root);
        hostdir_destroy (&self);
        return NULL;
    }
    zsys_info ("hostdir: watching '%s': %zu files in %zu directories",
               self->root, fileset_size (self->files), zhashx_size (self->watch_by_wd));
    return self;
}

void
hostdir_destroy (hostdir_t **self_p)
{
    assert (self_p);
    hostdir_t *self = *self_p;
    if (self) {
        if (self->inotify >= 0)
            close (self->inotify);
        s_root_release (self);
        zlistx_destroy (&self->moves);
        zhashx_destroy (&self->watch_by_path);
        zhashx_destroy (&self->watch_by_wd);
        fileset_destroy (&self->files);
        free (self->buffer);
        free (self->root);
        free (self);
        *self_p = NULL;
    }
}

int
hostdir_fd (hostdir_t *self)
{
    assert (self);
    return self->inotify;
}

fileset_t *
hostdir_files (hostdir_t *self)
{
    assert (self);
    return self->files;
}

const char *
hostdir_root (hostdir_t *self)
{
    assert (self);
    return self->root;
}

void
hostdir_set_watch_limit (hostdir_t *self, size_t limit)
{
    self->watch_limit = limit;
}
