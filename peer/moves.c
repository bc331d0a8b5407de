/*  moves.c - pairing inotify's IN_MOVED_FROM and IN_MOVED_TO for the host
    directory. See moves.h (the waiting halves) and hostdir_int.h (what the
    host directory asks of this file).

    inotify reports one move as two events with a shared cookie, in order
    but perhaps not in the same read. The moved-from half waits here (a
    plain list: halves wait for a few milliseconds at most, so there are
    few at a time except in a flood, where they are paired in order). Its
    partner makes it a rename, or the swap of an exchange (exchange.h); a
    half that finds no partner in time is a move out, and a partner that
    finds no half a move in. This keeps renames renames: a rename taken as
    delete + add would make every peer drop the file and fetch it anew.
*/
#include "hostdir_int.h"
#include "exchange.h"
#include "scanner.h"

#define S_MOVE_WAIT_MS  20      //  for the second half of a move

struct _moves_t {
    zlistx_t *list;             //  move_t (owned), in the order read
};

void
move_destroy (move_t **self_p)
{
    assert (self_p);
    move_t *self = *self_p;
    if (self) {
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

static void
s_destructor (void **item_p)
{
    move_destroy ((move_t **) item_p);
}

moves_t *
moves_new (void)
{
    moves_t *self = (moves_t *) zmalloc (sizeof (moves_t));
    assert (self);
    self->list = zlistx_new ();
    assert (self->list);
    zlistx_set_destructor (self->list, s_destructor);
    return self;
}

void
moves_destroy (moves_t **self_p)
{
    assert (self_p);
    moves_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->list);
        free (self);
        *self_p = NULL;
    }
}

void
moves_add (moves_t *self, uint32_t cookie, const char *path, bool is_dir,
           int64_t deadline, uint64_t call)
{
    assert (self);
    move_t *move = (move_t *) zmalloc (sizeof (move_t));
    assert (move);
    move->cookie = cookie;
    move->path = strdup (path);
    assert (move->path);
    move->is_dir = is_dir;
    move->deadline = deadline;
    move->call = call;
    zlistx_add_end (self->list, move);
}

static bool
s_is_at_or_under (const char *path, const char *dir)
{
    size_t len = strlen (dir);
    return strncmp (path, dir, len) == 0 && (path [len] == 0 || path [len] == '/');
}

typedef enum { S_BY_COOKIE, S_BY_PATH, S_BY_AGE } s_which_t;

static move_t *
s_take (moves_t *self, s_which_t which, uint32_t cookie, const char *path,
        uint64_t call, int64_t now)
{
    move_t *move = (move_t *) zlistx_first (self->list);
    while (move) {
        bool hit = which == S_BY_COOKIE? move->cookie == cookie
                 : which == S_BY_PATH? s_is_at_or_under (path, move->path)
                 : move->call < call || move->deadline <= now;
        if (hit) {
            zlistx_detach (self->list, zlistx_cursor (self->list));
            return move;
        }
        move = (move_t *) zlistx_next (self->list);
    }
    return NULL;
}

move_t *
moves_take (moves_t *self, uint32_t cookie)
{
    assert (self);
    return s_take (self, S_BY_COOKIE, cookie, NULL, 0, 0);
}

move_t *
moves_take_conflict (moves_t *self, const char *path)
{
    assert (self);
    assert (path);
    return s_take (self, S_BY_PATH, 0, path, 0, 0);
}

move_t *
moves_take_stale (moves_t *self, uint64_t call, int64_t now)
{
    assert (self);
    return s_take (self, S_BY_AGE, 0, NULL, call, now);
}

int64_t
moves_deadline (moves_t *self)
{
    assert (self);
    int64_t next = INT64_MAX;
    move_t *move = (move_t *) zlistx_first (self->list);
    while (move) {
        if (move->deadline < next)
            next = move->deadline;
        move = (move_t *) zlistx_next (self->list);
    }
    return next;
}

void
moves_purge (moves_t *self)
{
    assert (self);
    zlistx_purge (self->list);
}

// --------------------------------------------------------------------------
//  What a move does to the host directory

//  The moved-from half never found its partner, or went to a name that is
//  not published: it left, unless its path comes back.
static void
s_moved_out (hostdir_t *self, move_t *move, zlistx_t *changes)
{
    if (!move->is_dir) {
        published_hold (self->published, move->path, changes);
        return;
    }
    hostdir_remove_dir (self, move->path, changes);
    //  A directory already took its name: one swapped in from outside
    //  (RENAME_EXCHANGE, its moved-to half read first and watched) or made
    //  there since. The watches dropped by path were its own too: it is
    //  watched and read afresh, or what changes in it is never seen.
    struct stat st;
    if (fstatat (hostdir_rootfd (self), move->path, &st, AT_SYMLINK_NOFOLLOW) == 0
    &&  S_ISDIR (st.st_mode))
        hostdir_add_dir (self, move->path, changes);
}

void
hostdir_flush_moves (hostdir_t *self, const char *path, zlistx_t *changes)
{
    int64_t now = zclock_mono ();
    move_t *move;
    while ((move = path? moves_take_conflict (self->moves, path)
                       : moves_take_stale (self->moves, self->calls, now))) {
        s_moved_out (self, move, changes);
        move_destroy (&move);
    }
}

//  The event says the file went from -> to: true even when `to` has moved
//  on since (its own later events say where). Fresh size and mtime when
//  the file is still there and complete.
static void
s_rename_file (hostdir_t *self, const char *from, const char *to, zlistx_t *changes)
{
    struct stat st;
    bool ready = hostdir_ready (self, to, &st);
    if (!published_rename (self->published, from, to, ready? &st: NULL, changes))
        hostdir_check (self, to, false, changes);     //  never published: new here
}

static void
s_rename_dir (hostdir_t *self, const char *from, const char *to, zlistx_t *changes)
{
    published_rename_dir (self->published, from, to, changes);
    watches_rename (self->watches, from, to);
    //  Events read before the move named the old paths, which no longer
    //  exist; what they were about is found here.
    hostdir_add_dir (self, to, changes);
}

//  The name under which the file at path (not published there) is
//  published, when it is a published file that moved here unseen: the
//  same inode with the same size and mtime, at a name that no longer holds
//  it on disk. NULL otherwise (a new file; or a hard link, whose other
//  names still hold it). The checks keep a reused inode from passing.
static char *
s_moved_from (hostdir_t *self, const char *path, const struct stat *st)
{
    fileset_t *files = published_files (self->published);
    if (fileset_lookup (files, path))
        return NULL;
    char *from = NULL;
    zlistx_t *names = fileset_links (files, (uint64_t) st->st_dev, (uint64_t) st->st_ino);
    for (const fileset_file_t *name = (const fileset_file_t *) zlistx_first (names);
         name && !from; name = (const fileset_file_t *) zlistx_next (names)) {
        struct stat there;
        if (name->size != (uint64_t) st->st_size || name->mtime != (int64_t) st->st_mtim.tv_sec
        ||  name->mtime_ns != (int64_t) st->st_mtim.tv_nsec)
            continue;
        scanner_state_t state = scanner_examine (hostdir_rootfd (self), name->path, &there);
        //  One we cannot look at now may still hold it: not taken as moved
        bool holds = state == SCANNER_UNREACHABLE
                  || (state != SCANNER_GONE && state != SCANNER_OTHER
                      && there.st_dev == st->st_dev && there.st_ino == st->st_ino);
        if (!holds)
            from = strdup (name->path);
    }
    zlistx_destroy (&names);
    return from;
}

void
hostdir_note_links (hostdir_t *self, const struct stat *st)
{
    size_t inside = 1;
    if (st->st_nlink > 1) {
        zlistx_t *names = fileset_links (published_files (self->published),
                                         (uint64_t) st->st_dev, (uint64_t) st->st_ino);
        inside = zlistx_size (names);
        zlistx_destroy (&names);
    }
    outlinks_note (self->outlinks, (uint64_t) st->st_dev, (uint64_t) st->st_ino,
                   (size_t) st->st_nlink > inside);
}

void
hostdir_publish (hostdir_t *self, const char *path, const struct stat *st,
                 zlistx_t *changes)
{
    assert (self);
    char *from = s_moved_from (self, path, st);
    if (from)
        published_rename (self->published, from, path, st, changes);
    else
        published_put (self->published, path, st, changes);
    free (from);
    hostdir_note_links (self, st);
}

void
hostdir_moved_from (hostdir_t *self, uint32_t cookie, const char *path, bool is_dir)
{
    assert (self);
    moves_add (self->moves, cookie, path, is_dir, zclock_mono () + S_MOVE_WAIT_MS, self->calls);
}

void
hostdir_moved_to (hostdir_t *self, uint32_t cookie, const char *path, bool is_dir,
                  bool publishable, zlistx_t *changes)
{
    assert (self);
    move_t *move = cookie? moves_take (self->moves, cookie): NULL;
    hostdir_flush_moves (self, path, changes);
    if (!move) {                        //  moved in from outside, or from
        if (publishable && is_dir)      //  a name that is not published
            hostdir_add_dir (self, path, changes);
        else
        if (publishable)
            hostdir_check (self, path, false, changes);
        return;
    }
    if (!publishable) {                 //  e.g. renamed to a partial name
        s_moved_out (self, move, changes);
        move_destroy (&move);
        return;
    }
    switch (exchange_apply (hostdir_rootfd (self), self->published, self->watches,
                            move->path, path, is_dir, changes)) {
        case EXCHANGE_SWAPPED:
            if (is_dir) {               //  what events named by the old paths
                hostdir_add_dir (self, move->path, changes);
                hostdir_add_dir (self, path, changes);
            }
            break;
        case EXCHANGE_ECHO:
            break;
        case EXCHANGE_NONE:
            if (is_dir)
                s_rename_dir (self, move->path, path, changes);
            else
                s_rename_file (self, move->path, path, changes);
            break;
    }
    move_destroy (&move);
}
