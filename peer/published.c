/*  published.c - what the host directory publishes, and the changes that
    keep it true. See published.h.

    A change is reported in the same step as the fileset is changed, so the
    set and what the broker was told never drift apart.
*/
#include "published.h"

#define S_PATH_SIZE     (FSH_PATH_MAX + FSH_NAME_MAX + 2)

struct _published_t {
    fileset_t *files;
    settle_t *settle;
};

published_t *
published_new (int settle_ms)
{
    published_t *self = (published_t *) zmalloc (sizeof (published_t));
    assert (self);
    self->files = fileset_new ();
    self->settle = settle_new (settle_ms);
    return self;
}

void
published_destroy (published_t **self_p)
{
    assert (self_p);
    published_t *self = *self_p;
    if (self) {
        settle_destroy (&self->settle);
        fileset_destroy (&self->files);
        free (self);
        *self_p = NULL;
    }
}

fileset_t *
published_files (published_t *self)
{
    assert (self);
    return self->files;
}

settle_t *
published_settle (published_t *self)
{
    assert (self);
    return self->settle;
}

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

//  The one place where a file's new state becomes a change. links: a
//  change is also one of every other name of the inode (a write through
//  one hard link is seen by the event of that name only).
//  The same size and mtime with another ctime is not a change to publish
//  but a digest to check: the content may have been rewritten and its
//  mtime set back (touch -r), or only the mode or link count changed.
//  It is reported as a change of kind NONE, which the digester turns into
//  a re-hash; a digest that differs then goes out as file_changed with the
//  same size and mtime (SPEC 4.5).
static void
s_put (published_t *self, const fileset_file_t *file, bool links, zlistx_t *changes)
{
    settle_cancel (self->settle, file->path);
    const fileset_file_t *known = fileset_lookup (self->files, file->path);
    bool touched = known && file->ctime_ns && known->ctime_ns != file->ctime_ns;
    Fshare__ChangeKind kind = fileset_put_file (self->files, file);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_NONE && !touched)
        return;
    s_emit (changes, kind, file->path, NULL, file->size, file->mtime);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_ADDED || !links)
        return;
    zlistx_t *names = fileset_links (self->files, file->dev, file->ino);
    const fileset_file_t *name = (const fileset_file_t *) zlistx_first (names);
    while (name) {
        if (!streq (name->path, file->path)) {
            fileset_file_t same = *file;
            same.path = name->path;
            s_put (self, &same, false, changes);
        }
        name = (const fileset_file_t *) zlistx_next (names);
    }
    zlistx_destroy (&names);
}

void
published_put (published_t *self, const char *path, const struct stat *st, zlistx_t *changes)
{
    assert (self);
    assert (path);
    assert (st);
    fileset_file_t file = {
        .path = (char *) path, .size = (uint64_t) st->st_size,
        .mtime = (int64_t) st->st_mtim.tv_sec, .mtime_ns = (int64_t) st->st_mtim.tv_nsec,
        .dev = (uint64_t) st->st_dev, .ino = (uint64_t) st->st_ino,
        .ctime_ns = fileset_time_ns (&st->st_ctim)
    };
    s_put (self, &file, st->st_nlink > 1, changes);
}

void
published_remove (published_t *self, const char *path, zlistx_t *changes)
{
    assert (self);
    settle_cancel (self->settle, path);
    const fileset_file_t *file = fileset_lookup (self->files, path);
    if (!file)
        return;
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, path, NULL, file->size, file->mtime);
    fileset_remove (self->files, path);
}

void
published_hold (published_t *self, const char *path, zlistx_t *changes)
{
    assert (self);
    if (!fileset_lookup (self->files, path))
        return;
    //  A full window from now, even when the path waited for another reason
    settle_cancel (self->settle, path);
    if (settle_delay (self->settle) == 0)
        published_remove (self, path, changes);
    else
        settle_add (self->settle, path, zclock_mono ());
}

typedef void (s_file_fn) (published_t *self, const char *path, zlistx_t *changes);

static void
s_each_under (published_t *self, const char *dir, s_file_fn *fn, zlistx_t *changes)
{
    zlistx_t *list = fileset_under (self->files, dir);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        //  The next one first: removal frees file
        const fileset_file_t *next = (const fileset_file_t *) zlistx_next (list);
        fn (self, file->path, changes);
        file = next;
    }
    zlistx_destroy (&list);
}

void
published_hold_under (published_t *self, const char *dir, zlistx_t *changes)
{
    assert (self);
    s_each_under (self, dir, published_hold, changes);
}

void
published_remove_under (published_t *self, const char *dir, zlistx_t *changes)
{
    assert (self);
    s_each_under (self, dir, published_remove, changes);
}

//  The file's fresh stat where it now is (its digest stays: the same
//  inode, moved).
static void
s_take_stat (fileset_file_t *file, const struct stat *st)
{
    file->size = (uint64_t) st->st_size;
    file->mtime = (int64_t) st->st_mtim.tv_sec;
    file->mtime_ns = (int64_t) st->st_mtim.tv_nsec;
    file->dev = (uint64_t) st->st_dev;
    file->ino = (uint64_t) st->st_ino;
}

bool
published_rename (published_t *self, const char *from, const char *to,
                  const struct stat *st, zlistx_t *changes)
{
    assert (self);
    const fileset_file_t *file = fileset_lookup (self->files, from);
    if (!file)
        return false;
    fileset_file_t moved = *file;
    moved.path = (char *) to;
    if (st)
        s_take_stat (&moved, st);
    settle_cancel (self->settle, from);
    settle_cancel (self->settle, to);
    fileset_remove (self->files, from);         //  frees file
    fileset_put_file (self->files, &moved);
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_RENAMED, to, from, moved.size, moved.mtime);
    return true;
}

void
published_rename_dir (published_t *self, const char *from, const char *to,
                      zlistx_t *changes)
{
    assert (self);
    size_t from_len = strlen (from);
    zlistx_t *list = fileset_under (self->files, from);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    char path [S_PATH_SIZE];
    while (file) {
        const fileset_file_t *next = (const fileset_file_t *) zlistx_next (list);
        fileset_file_t moved = *file;
        char *old_path = strdup (file->path);
        assert (old_path);
        fileset_remove (self->files, old_path);     //  frees file
        int len = snprintf (path, sizeof (path), "%s%s", to, old_path + from_len);
        if (len < (int) sizeof (path) && !fsh_path_check (path)) {
            moved.path = path;
            fileset_put_file (self->files, &moved);
            s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_RENAMED, path, old_path,
                    moved.size, moved.mtime);
        }
        else        //  too long or too deep where it went
            s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, old_path, NULL,
                    moved.size, moved.mtime);
        free (old_path);
        file = next;
    }
    zlistx_destroy (&list);
    settle_rename (self->settle, from, to);
}

bool
published_exchange (published_t *self, const char *a, const char *b,
                    const struct stat *st_a, const struct stat *st_b, zlistx_t *changes)
{
    assert (self);
    const fileset_file_t *file_a = fileset_lookup (self->files, a);
    const fileset_file_t *file_b = fileset_lookup (self->files, b);
    if (!file_a || !file_b)
        return false;
    fileset_file_t to_b = *file_a, to_a = *file_b;
    s_take_stat (&to_b, st_b);
    s_take_stat (&to_a, st_a);
    to_b.path = (char *) b;
    to_a.path = (char *) a;
    fileset_remove (self->files, a);            //  frees file_a
    fileset_remove (self->files, b);            //  frees file_b
    fileset_put_file (self->files, &to_b);
    fileset_put_file (self->files, &to_a);
    settle_cancel (self->settle, a);
    settle_cancel (self->settle, b);
    //  A view applies changes in order: b takes a's file by a rename,
    //  then a is b's file anew
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_RENAMED, b, a, to_b.size, to_b.mtime);
    s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_ADDED, a, NULL, to_a.size, to_a.mtime);
    return true;
}

//  Take every file below `from` out of the published set into `into`,
//  each at its place below `to`; a path that would be too long or too
//  deep there is removed.
static void
s_take_under (published_t *self, const char *from, const char *to, fileset_t *into,
              zlistx_t *changes)
{
    size_t from_len = strlen (from);
    zlistx_t *list = fileset_under (self->files, from);
    zlistx_t *paths = zlistx_new ();
    zlistx_set_destructor (paths, (zlistx_destructor_fn *) zstr_free);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list); file;
         file = (const fileset_file_t *) zlistx_next (list)) {
        char *path = zsys_sprintf ("%s%s", to, file->path + from_len);
        assert (path);
        fileset_file_t moved = *file;
        moved.path = path;
        if (strlen (path) < S_PATH_SIZE && !fsh_path_check (path))
            fileset_put_file (into, &moved);
        else
            s_emit (changes, FSHARE__CHANGE_KIND__CHANGE_REMOVED, file->path, NULL,
                    file->size, file->mtime);
        zstr_free (&path);
        zlistx_add_end (paths, strdup (file->path));
    }
    zlistx_destroy (&list);
    for (char *path = (char *) zlistx_first (paths); path; path = (char *) zlistx_next (paths))
        fileset_remove (self->files, path);
    zlistx_destroy (&paths);
}

void
published_exchange_dir (published_t *self, const char *a, const char *b, zlistx_t *changes)
{
    assert (self);
    fileset_t *moved = fileset_new ();
    s_take_under (self, a, b, moved, changes);
    s_take_under (self, b, a, moved, changes);
    size_t a_len = strlen (a), b_len = strlen (b);
    char old [S_PATH_SIZE * 2];
    //  A name on one side only is a rename (nothing is at its new place);
    //  a name on both sides changes in place, twice
    zlistx_t *list = fileset_sorted (moved);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list); file;
         file = (const fileset_file_t *) zlistx_next (list)) {
        bool from_a = strncmp (file->path, b, b_len) == 0 && file->path [b_len] == '/';
        snprintf (old, sizeof (old), "%s%s", from_a? a: b,
                  file->path + (from_a? b_len: a_len));
        bool both = fileset_lookup (moved, old) != NULL;
        fileset_put_file (self->files, file);
        s_emit (changes, both? FSHARE__CHANGE_KIND__CHANGE_CHANGED: FSHARE__CHANGE_KIND__CHANGE_RENAMED,
                file->path, both? NULL: old, file->size, file->mtime);
    }
    zlistx_destroy (&list);
    fileset_destroy (&moved);
}

//  The published name that `file`, found by a walk at a name not
//  published, had before it moved there unseen: a name of the same inode,
//  size and mtime (to the nanosecond) that the walk did not find. NULL
//  for a new file (or an inode reused for other content). Caller frees.
static char *
s_unseen_move (published_t *self, fileset_t *fresh, const fileset_file_t *file)
{
    if (!file->ino || fileset_lookup (self->files, file->path))
        return NULL;
    char *from = NULL;
    zlistx_t *names = fileset_links (self->files, file->dev, file->ino);
    for (const fileset_file_t *name = (const fileset_file_t *) zlistx_first (names);
         name && !from; name = (const fileset_file_t *) zlistx_next (names))
        if (name->size == file->size && name->mtime == file->mtime
        &&  name->mtime_ns == file->mtime_ns && !fileset_lookup (fresh, name->path))
            from = strdup (name->path);
    zlistx_destroy (&names);
    return from;
}

void
published_replace (published_t *self, fileset_t *fresh, zlistx_t *changes)
{
    assert (self);
    assert (fresh);
    //  Moves made while nothing watched (a full watch table, a queue
    //  overflow) are renames, as the watches would have said: a removal
    //  and an addition would make every peer fetch the file again
    zlistx_t *list = fileset_sorted (fresh);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list); file;
         file = (const fileset_file_t *) zlistx_next (list)) {
        char *from = s_unseen_move (self, fresh, file);
        if (from)
            published_rename (self, from, file->path, NULL, changes);
        free (from);
    }
    zlistx_destroy (&list);

    list = fileset_sorted (self->files);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        const fileset_file_t *next = (const fileset_file_t *) zlistx_next (list);
        if (!fileset_lookup (fresh, file->path))
            published_remove (self, file->path, changes);
        file = next;
    }
    zlistx_destroy (&list);

    //  Every name was walked: no need to follow the links
    list = fileset_sorted (fresh);
    file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        s_put (self, file, false, changes);
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}
