/*  hostdir.c - the watched host directory (SPEC 4.2). See hostdir.h.

    Every inotify event names a path; what the event means is decided by
    looking at the path now (hostdir_check): gone, not a regular file, still
    open for writing (a read-lease probe, answered by the kernel without
    polling anything), or ready to publish. So a burst of events about one
    file costs one look each and yields one change at most, and what is
    published is always what the disk holds. Events whose look must wait
    (a removal that may be undone, a truncate that has no close) go to the
    settle queue; the halves of a move are paired in moves.c. What the
    look finds becomes changes in published.c, where every file's new
    state goes through one function: a digest step belongs there.

    Files are examined relative to the root's descriptor, one O_NOFOLLOW
    component at a time, so a symlink never leads outside. The root itself
    is opened afresh by every call and closed before it returns: an open
    descriptor would hold back the kernel's IN_DELETE_SELF.
*/
#include "hostdir_int.h"
#include "scanner.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#define S_WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE \
                      | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB \
                      | IN_MODIFY | IN_EXCL_UNLINK | IN_ONLYDIR)
#define S_BUFFER_SIZE   (64 * 1024)
#define S_READS_MAX     16      //  per call, so a flood cannot starve the agent
#define S_FLOOD_GRACE_MS 500    //  settling waits no longer for a flood
#define S_OUTLINKS_MS   1000    //  between looks at files linked from outside
#define S_OUTLINKS_MAX  2000    //  of them looked at per look
#define S_NEW_WAIT_MS   25      //  a new file's wait for a rename over a file
#define S_UNREACHABLE_MS 1000   //  a look at the tree after a file could not be
#define S_PATH_SIZE     (FSH_PATH_MAX + FSH_NAME_MAX + 2)
#define S_IGNORE_FILE   ".fshareignore"

// --------------------------------------------------------------------------
//  The root and what is below it

int
hostdir_rootfd (hostdir_t *self)
{
    if (self->rootfd < 0)
        self->rootfd = open (self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return self->rootfd;
}

void
hostdir_root_release (hostdir_t *self)
{
    if (self->rootfd >= 0)
        close (self->rootfd);
    self->rootfd = -1;
}

void
hostdir_schedule_rescan (hostdir_t *self, int delay_ms)
{
    self->rescan_full = true;
    hostdir_schedule_look (self, delay_ms);
}

void
hostdir_schedule_look (hostdir_t *self, int delay_ms)
{
    int64_t when = zclock_mono () + delay_ms;
    if (self->rescan_at == 0 || when < self->rescan_at)
        self->rescan_at = when;
}

typedef enum {
    S_GONE,                     //  nothing there
    S_UNREACHABLE,              //  cannot be looked at now (logged)
    S_OTHER,                    //  a symlink, a directory, a fifo...
    S_BUSY,                     //  a regular file a writer holds open
    S_READY                     //  a regular file nobody writes
} s_state_t;

//  What path is now; st is filled for regular files.
static s_state_t
s_examine (hostdir_t *self, const char *path, struct stat *st)
{
    scanner_state_t state = scanner_examine (hostdir_rootfd (self), path, st);
    return state == SCANNER_GONE? S_GONE: state == SCANNER_OTHER? S_OTHER
         : state == SCANNER_UNREACHABLE? S_UNREACHABLE
         : state == SCANNER_BUSY? S_BUSY: S_READY;
}

bool
hostdir_ready (hostdir_t *self, const char *path, struct stat *st)
{
    return s_examine (self, path, st) == S_READY;
}

// --------------------------------------------------------------------------
//  Publishing

static bool
s_publishable (hostdir_t *self, const char *path, const char *name, bool is_dir)
{
    return !fsh_path_is_partial (name) && !fsh_path_check (path)
        && !ignore_match_entry (self->ignore, path, is_dir);
}

//  Bring path in line with the disk. A file a writer holds open waits for
//  its close; a path gone is held (final: removed). One that cannot be
//  looked at now (its directory made unreadable for a moment, an I/O
//  error) is not gone: what was published of it stays, and it is looked
//  at again when its directory changes mode (s_handle_event) and at the
//  next look at the tree, soon. A busy file is looked
//  at again after the settle window: the kernel queues IN_CLOSE_WRITE
//  before it drops the closing writer's count, so the probe after that
//  event can still see the writer whose close it was.
void
hostdir_check (hostdir_t *self, const char *path, bool final, zlistx_t *changes)
{
    struct stat st;
    s_state_t state = s_examine (self, path, &st);
    if (state == S_READY)
        hostdir_publish (self, path, &st, changes);
    else
    if (state == S_OTHER || (state == S_GONE && final))
        published_remove (self->published, path, changes);
    else
    if (state == S_GONE)
        published_hold (self->published, path, changes);
    else
    if (state == S_UNREACHABLE)
        hostdir_schedule_look (self, S_UNREACHABLE_MS);
    else {                              //  S_BUSY
        settle_t *settle = published_settle (self->published);
        settle_cancel (settle, path);
        if (!final)
            settle_add (settle, path, zclock_mono ());
    }
}

// --------------------------------------------------------------------------
//  Events

//  An event about a watched directory itself. Subdirectories are handled
//  through their parent's events; only the root needs attention here.
static void
s_self_event (hostdir_t *self, const char *dir, uint32_t mask)
{
    if (*dir)
        return;
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        zsys_warning ("hostdir: '%s' was %s: rescanning", self->root,
                      mask & IN_DELETE_SELF? "deleted": "moved away");
        hostdir_schedule_rescan (self, 0);
    }
    else
    if (mask & IN_ATTRIB)               //  its mode: what it holds may be readable again
        hostdir_schedule_look (self, 0);
}

//  An event about a file (not a directory) that may be published.
static void
s_file_event (hostdir_t *self, const char *path, uint32_t mask, zlistx_t *changes)
{
    if (mask & (IN_CLOSE_WRITE | IN_ATTRIB)) {
        //  A new file waits a moment before its first event: tools that
        //  save by writing a temporary of a name no rule knows (sed -i's
        //  sedXXXXXX, mkstemp's tmpXXXXXXXX) close it and rename it over
        //  the file they save at once. Published at its close, the
        //  temporary would reach every view and the save would read as a
        //  rename, not as one change of the file saved.
        if (self->fresh
        &&  !fileset_lookup (published_files (self->published), path))
            settle_add (self->fresh, path, zclock_mono ());
        else
            hostdir_check (self, path, false, changes);
    }
    else
    if (mask & IN_MODIFY)               //  a write, or truncate(2): no close
        settle_add (published_settle (self->published), path, zclock_mono ());
    else
    if (mask & IN_CREATE) {
        //  A hard link (ln) is complete as it appears; a new file is
        //  normally published at its close, and looked at again after the
        //  settle window in case it is never closed after writing.
        struct stat st;
        s_state_t state = s_examine (self, path, &st);
        if (state == S_READY && st.st_nlink > 1)
            published_put (self->published, path, &st, changes);
        else
        if (state == S_OTHER)
            published_remove (self->published, path, changes);
        else
            settle_add (published_settle (self->published), path, zclock_mono ());
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
    const char *dir = watches_path (self->watches, event->wd);
    if (!dir)
        return;                         //  about a directory already forgotten
    if (mask & IN_IGNORED) {
        watches_forget (self->watches, event->wd);
        return;
    }
    if (event->len == 0 || event->name [0] == 0) {
        s_self_event (self, dir, mask);
        return;
    }
    char path [S_PATH_SIZE];
    int len = *dir
        ? snprintf (path, sizeof (path), "%s/%s", dir, event->name)
        : snprintf (path, sizeof (path), "%s", event->name);
    if (len >= (int) sizeof (path))
        return;
    bool is_dir = (mask & IN_ISDIR) != 0;
    if (!*dir && streq (event->name, S_IGNORE_FILE)
    &&  (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)))
        self->ignore_dirty = true;
    if ((mask & (IN_CREATE | IN_MOVED_TO)) && !fsh_path_is_partial (event->name))
        scanner_check_path (path);      //  says why a name will not be published
    bool publishable = s_publishable (self, path, event->name, is_dir);

    if (mask & IN_MOVED_TO) {
        hostdir_moved_to (self, event->cookie, path, is_dir, publishable, changes);
        return;
    }
    hostdir_flush_moves (self, path, changes);
    if (mask & IN_MOVED_FROM) {
        if (publishable)
            hostdir_moved_from (self, event->cookie, path, is_dir);
        return;
    }
    if (mask & IN_DELETE) {
        if (is_dir)
            hostdir_remove_dir (self, path, changes);
        else
            published_hold (self->published, path, changes);
        return;
    }
    if (!publishable)
        return;
    if (!is_dir) {
        s_file_event (self, path, mask, changes);
        return;
    }
    //  Created; or made readable, when it could not be watched before
    if ((mask & IN_CREATE) || ((mask & IN_ATTRIB) && !watches_has (self->watches, path))) {
        published_remove (self->published, path, changes);    //  a file held there is gone
        hostdir_add_dir (self, path, changes);
    }
    else
    if (mask & IN_ATTRIB)
        //  Its mode changed: made readable again, what changed in it while
        //  it could not be looked at is found now
        hostdir_add_dir (self, path, changes);
}

//  Paths whose settle window ended before `until`, and new files whose
//  moment has passed (still there: published; gone: they never were).
static void
s_settle_due (hostdir_t *self, int64_t until, zlistx_t *changes)
{
    char *path;
    while (self->fresh && (path = settle_take_due (self->fresh, until))) {
        hostdir_check (self, path, false, changes);
        free (path);
    }
    while ((path = settle_take_due (published_settle (self->published), until))) {
        hostdir_check (self, path, true, changes);
        free (path);
    }
}

//  Files also linked from outside: a write through that name has no
//  event here, so each is looked at once a second (a few thousand at
//  most per look: beyond that, less often).
static void
s_outlinks_look (hostdir_t *self, zlistx_t *changes)
{
    int64_t now = zclock_mono ();
    if (outlinks_size (self->outlinks) == 0 || now < self->outlinks_at)
        return;
    self->outlinks_at = now + S_OUTLINKS_MS;
    size_t count = outlinks_size (self->outlinks);
    for (count = count < S_OUTLINKS_MAX? count: S_OUTLINKS_MAX; count; count--) {
        uint64_t dev, ino;
        if (!outlinks_take (self->outlinks, &dev, &ino))
            break;
        zlistx_t *names = fileset_links (published_files (self->published), dev, ino);
        const fileset_file_t *name = (const fileset_file_t *) zlistx_first (names);
        char *path = name? strdup (name->path): NULL;
        zlistx_destroy (&names);
        //  Still written from outside: its close will not be seen here
        //  either, so the next look is its chance. Else it is brought in
        //  line with the disk, and noted again if still linked outside.
        struct stat st;
        if (path && s_examine (self, path, &st) == S_BUSY)
            outlinks_note (self->outlinks, dev, ino, true);
        else
        if (path)
            hostdir_check (self, path, false, changes);
        free (path);
    }
}

void
hostdir_process (hostdir_t *self, zlistx_t *changes)
{
    assert (self);
    assert (changes);
    self->calls++;
    bool overflow = false;
    bool drained = self->inotify < 0;   //  no instance: nothing to read
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
        hostdir_flush_moves (self, NULL, changes);
    bool rules_changed = self->ignore_dirty
                      && ignore_load_file (self->ignore, hostdir_rootfd (self), S_IGNORE_FILE);
    self->ignore_dirty = false;
    if (overflow)
        zsys_warning ("hostdir: inotify queue overflowed: rescanning '%s'", self->root);
    if (overflow || rules_changed
    ||  (self->rescan_at && zclock_mono () >= self->rescan_at))
        hostdir_rescan_due (self, overflow || rules_changed, changes);
    //  While events are still queued, the event that brings a path back may
    //  be among them: only paths long overdue are looked at then
    int64_t now = zclock_mono ();
    s_settle_due (self, drained? now: now - S_FLOOD_GRACE_MS, changes);
    s_outlinks_look (self, changes);
    hostdir_root_release (self);
}

int
hostdir_timeout (hostdir_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    int64_t next = self->rescan_at? self->rescan_at: INT64_MAX;
    int64_t move = moves_deadline (self->moves);
    if (move < next)
        next = move;
    int settle = settle_timeout (published_settle (self->published), now);
    if (settle >= 0 && now + settle < next)
        next = now + settle;
    int fresh = self->fresh? settle_timeout (self->fresh, now): -1;
    if (fresh >= 0 && now + fresh < next)
        next = now + fresh;
    if (outlinks_size (self->outlinks) && self->outlinks_at < next)
        next = self->outlinks_at;
    if (next == INT64_MAX)
        return -1;
    int64_t wait = next - now;
    return wait < 0? 0: wait > INT_MAX? INT_MAX: (int) wait;
}

// --------------------------------------------------------------------------
//  Life cycle

//  A read lease that a writer breaks while the probe holds it makes the
//  kernel send SIGIO, whose default action ends the process. The probe
//  never waits for it, so it is ignored (unless someone handles it).
static void
s_sigio_ignore (void)
{
    struct sigaction action;
    if (sigaction (SIGIO, NULL, &action) == 0 && action.sa_handler == SIG_DFL) {
        action.sa_handler = SIG_IGN;
        sigaction (SIGIO, &action, NULL);
    }
}

//  The configured patterns; false (logged) when one is not a pattern.
static bool
s_ignore_configure (hostdir_t *self, const hostdir_config_t *config)
{
    for (const char *const *pattern = config? config->ignore: NULL; pattern && *pattern; pattern++)
        if (ignore_add (self->ignore, IGNORE_OPTIONS, *pattern)) {
            zsys_error ("hostdir: ignore pattern '%s' is not a pattern", *pattern);
            return false;
        }
    return true;
}

static hostdir_t *
s_alloc (const char *root, const hostdir_config_t *config)
{
    hostdir_t *self = (hostdir_t *) zmalloc (sizeof (hostdir_t));
    assert (self);
    self->root = fsh_path_absolute (root);     //  a later chdir cannot move it
    self->rootfd = -1;
    self->inotify = -1;
    self->ignore = ignore_new ();
    int settle_ms = !config || config->settle_ms == 0? SETTLE_DEFAULT_MS
                  : config->settle_ms < 0? 0: config->settle_ms;
    self->published = published_new (settle_ms);
    //  No window at all: nothing waits, new files neither
    if (settle_ms > 0)
        self->fresh = settle_new (settle_ms < S_NEW_WAIT_MS? settle_ms: S_NEW_WAIT_MS);
    self->moves = moves_new ();
    self->outlinks = outlinks_new ();
    self->mounts = mounts_new (self->root);
    self->buffer = (char *) malloc (S_BUFFER_SIZE);
    assert (self->buffer);
    return self;
}

hostdir_t *
hostdir_new (const char *root, const hostdir_config_t *config)
{
    if (!root || !*root) {
        zsys_error ("hostdir: no host directory given");
        return NULL;
    }
    hostdir_t *self = s_alloc (root, config);
    if (!s_ignore_configure (self, config))  {
        hostdir_destroy (&self);
        return NULL;
    }
    if (fsh_mkdirs (self->root, 0755)) {
        zsys_error ("hostdir: cannot create '%s': %s", self->root, strerror (errno));
        hostdir_destroy (&self);
        return NULL;
    }
    if (hostdir_rootfd (self) < 0) {
        zsys_error ("hostdir: cannot open '%s': %s", self->root, strerror (errno));
        hostdir_destroy (&self);
        return NULL;
    }
    //  No inotify instance (other programs hold fs.inotify.max_user_instances
    //  of them, or the kernel has none): the agent still runs, and finds
    //  every change by rescanning, as with a full watch table. Not retried:
    //  the descriptor polled is the one taken here.
    self->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (self->inotify < 0) {
        zsys_warning ("hostdir: no inotify instance (%s%s): rescanning '%s' every %d ms "
                      "or so until the agent restarts", strerror (errno),
                      errno == EMFILE? ": raise fs.inotify.max_user_instances": "",
                      self->root, HOSTDIR_UNWATCHED_MS);
        self->inotify_errno = errno;
    }
    self->watches = watches_new (self->inotify, S_WATCH_MASK);
    s_sigio_ignore ();
    ignore_load_file (self->ignore, self->rootfd, S_IGNORE_FILE);
    int count = hostdir_walk_start (self);
    hostdir_root_release (self);
    //  A full watch table (other programs hold them all) leaves even the
    //  root unwatched: it is rescanned every HOSTDIR_UNWATCHED_MS like any
    //  directory without a watch, and watched once there is room
    if (count < 0 || (!watches_has (self->watches, "") && !self->watch_full
                      && self->inotify >= 0)) {
        zsys_error ("hostdir: cannot watch '%s'", self->root);
        hostdir_destroy (&self);
        return NULL;
    }
    zsys_info ("hostdir: watching '%s': %zu files in %zu directories",
               self->root, fileset_size (published_files (self->published)), watches_size (self->watches));
    return self;
}

void
hostdir_destroy (hostdir_t **self_p)
{
    assert (self_p);
    hostdir_t *self = *self_p;
    if (self) {
        watches_destroy (&self->watches);
        if (self->inotify >= 0)
            close (self->inotify);
        hostdir_root_release (self);
        moves_destroy (&self->moves);
        outlinks_destroy (&self->outlinks);
        mounts_destroy (&self->mounts);
        ignore_destroy (&self->ignore);
        published_destroy (&self->published);
        settle_destroy (&self->fresh);
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
    return published_files (self->published);
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
    assert (self);
    watches_set_limit (self->watches, limit);
}

void
hostdir_set_tick (hostdir_t *self, hostdir_tick_fn *tick, void *arg)
{
    assert (self);
    self->tick = tick;
    self->tick_arg = arg;
}
