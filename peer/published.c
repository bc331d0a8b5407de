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
static void
s_put (published_t *self, const fileset_file_t *file, bool links, zlistx_t *changes)
{
    settle_cancel (self->settle, file->path);
    Fshare__ChangeKind kind = fileset_put_file (self->files, file);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_NONE)
        return;
    s_emit (changes, kind, file->path, NULL, file->size, file->mtime);
    if (kind != FSHARE__CHANGE_KIND__CHANGE_CHANGED || !links)
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
        .dev = (uint64_t) st->st_dev, .ino = (uint64_t) st->st_ino
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
    if (st) {
        moved.size = (uint64_t) st->st_size;
        moved.mtime = (int64_t) st->st_mtim.tv_sec;
        moved.mtime_ns = (int64_t) st->st_mtim.tv_nsec;
        moved.dev = (uint64_t) st->st_dev;
        moved.ino = (uint64_t) st->st_ino;
    }
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

void
published_replace (published_t *self, fileset_t *fresh, zlistx_t *changes)
{
    assert (self);
    assert (fresh);
    zlistx_t *list = fileset_sorted (self->files);
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
