/*  watches.c - the host directory's inotify watches. See watches.h.

    Two hashes over the same watches: by descriptor for the events, by
    path for renames and lookups. A watch found again under a new path
    (the same directory moved behind our back) is re-keyed, and a watch
    found at a path another one held replaces it: that directory is gone.
*/
#include "watches.h"
#include <sys/inotify.h>
#include <sys/stat.h>

typedef struct {
    int wd;
    char *path;                 //  relative; "" for the root
    uint64_t generation;        //  last walk that saw it
    uint64_t dev, ino;          //  the directory's identity (0, 0: unknown)
} s_watch_t;

struct _watches_t {
    int inotify;
    uint32_t mask;
    zhashx_t *by_wd;            //  wd -> s_watch_t (owned)
    zhashx_t *by_path;          //  path -> s_watch_t
    size_t limit;               //  watches_set_limit; 0 = none
};

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

watches_t *
watches_new (int inotify, uint32_t mask)
{
    watches_t *self = (watches_t *) zmalloc (sizeof (watches_t));
    assert (self);
    self->inotify = inotify;
    self->mask = mask;
    self->by_wd = zhashx_new ();
    assert (self->by_wd);
    zhashx_set_key_hasher (self->by_wd, s_wd_hash);
    zhashx_set_key_comparator (self->by_wd, s_wd_compare);
    zhashx_set_key_duplicator (self->by_wd, NULL);
    zhashx_set_key_destructor (self->by_wd, NULL);
    zhashx_set_destructor (self->by_wd, s_watch_destroy);
    self->by_path = zhashx_new ();
    assert (self->by_path);
    zhashx_set_key_duplicator (self->by_path, NULL);
    zhashx_set_key_destructor (self->by_path, NULL);
    return self;
}

void
watches_destroy (watches_t **self_p)
{
    assert (self_p);
    watches_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->by_path);
        zhashx_destroy (&self->by_wd);
        free (self);
        *self_p = NULL;
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
s_watch_drop (watches_t *self, s_watch_t *watch, bool rm)
{
    if (rm)
        inotify_rm_watch (self->inotify, watch->wd);
    zhashx_delete (self->by_path, watch->path);
    zhashx_delete (self->by_wd, S_WD_KEY (watch->wd));
}

static void
s_watch_rekey (watches_t *self, s_watch_t *watch, const char *path)
{
    s_watch_t *other = (s_watch_t *) zhashx_lookup (self->by_path, path);
    if (other == watch)
        return;
    if (other)      //  another directory was here once: it has gone
        s_watch_drop (self, other, true);
    zhashx_delete (self->by_path, watch->path);
    free (watch->path);
    watch->path = strdup (path);
    assert (watch->path);
    zhashx_insert (self->by_path, watch->path, watch);
}

//  Record that wd watches the directory at path.
static void
s_watch_set (watches_t *self, int wd, const char *path, uint64_t generation)
{
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->by_wd, S_WD_KEY (wd));
    if (watch)      //  the same directory: perhaps moved behind our back
        s_watch_rekey (self, watch, path);
    else {
        s_watch_t *other = (s_watch_t *) zhashx_lookup (self->by_path, path);
        if (other)
            s_watch_drop (self, other, true);
        watch = (s_watch_t *) zmalloc (sizeof (s_watch_t));
        assert (watch);
        watch->wd = wd;
        watch->path = strdup (path);
        assert (watch->path);
        zhashx_insert (self->by_wd, S_WD_KEY (wd), watch);
        zhashx_insert (self->by_path, watch->path, watch);
    }
    watch->generation = generation;
}

int
watches_add (watches_t *self, const char *root, const char *path, int fd,
             uint64_t generation)
{
    assert (self);
    char proc [64];
    snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
    int wd = -1;
    errno = ENOSPC;
    //  The test limit, as the kernel's: a directory watched already is no
    //  new entry in the table
    if (!self->limit || zhashx_size (self->by_wd) < self->limit
    ||  zhashx_lookup (self->by_path, path))
        wd = inotify_add_watch (self->inotify, proc, self->mask);
    if (wd < 0 && errno == ENOENT) {
        char *full = *path? zsys_sprintf ("%s/%s", root, path): strdup (root);
        assert (full);
        wd = inotify_add_watch (self->inotify, full, self->mask | IN_DONT_FOLLOW);
        free (full);
    }
    if (wd < 0)
        return -1;
    s_watch_set (self, wd, path, generation);
    struct stat st;
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->by_wd, S_WD_KEY (wd));
    if (watch && fstat (fd, &st) == 0) {
        watch->dev = (uint64_t) st.st_dev;
        watch->ino = (uint64_t) st.st_ino;
    }
    return 0;
}

bool
watches_inode (watches_t *self, const char *path, uint64_t *dev, uint64_t *ino)
{
    assert (self);
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->by_path, path);
    if (!watch || !watch->ino)
        return false;
    *dev = watch->dev;
    *ino = watch->ino;
    return true;
}

const char *
watches_path (watches_t *self, int wd)
{
    assert (self);
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->by_wd, S_WD_KEY (wd));
    return watch? watch->path: NULL;
}

bool
watches_has (watches_t *self, const char *path)
{
    assert (self);
    return zhashx_lookup (self->by_path, path) != NULL;
}

size_t
watches_size (watches_t *self)
{
    assert (self);
    return zhashx_size (self->by_wd);
}

void
watches_forget (watches_t *self, int wd)
{
    assert (self);
    s_watch_t *watch = (s_watch_t *) zhashx_lookup (self->by_wd, S_WD_KEY (wd));
    if (watch)
        s_watch_drop (self, watch, false);
}

//  Every watch at or under dir ("" for all), collected before anyone
//  modifies the tables.
static zlistx_t *
s_watches_under (watches_t *self, const char *dir)
{
    zlistx_t *list = zlistx_new ();
    assert (list);
    s_watch_t *watch = (s_watch_t *) zhashx_first (self->by_wd);
    while (watch) {
        if (s_is_at_or_under (watch->path, dir))
            zlistx_add_end (list, watch);
        watch = (s_watch_t *) zhashx_next (self->by_wd);
    }
    return list;
}

void
watches_drop_under (watches_t *self, const char *dir)
{
    assert (self);
    zlistx_t *list = s_watches_under (self, dir);
    s_watch_t *watch = (s_watch_t *) zlistx_first (list);
    while (watch) {
        s_watch_drop (self, watch, true);
        watch = (s_watch_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}

void
watches_rename (watches_t *self, const char *from, const char *to)
{
    assert (self);
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

//  Move every watch of list from below `from` to below `to` (their old
//  paths are out of by_path already).
static void
s_watches_move (watches_t *self, zlistx_t *list, const char *from, const char *to)
{
    size_t from_len = strlen (from);
    for (s_watch_t *watch = (s_watch_t *) zlistx_first (list); watch;
         watch = (s_watch_t *) zlistx_next (list)) {
        char *path = zsys_sprintf ("%s%s", to, watch->path + from_len);
        assert (path);
        free (watch->path);
        watch->path = path;
        zhashx_insert (self->by_path, watch->path, watch);
    }
}

void
watches_exchange (watches_t *self, const char *a, const char *b)
{
    assert (self);
    zlistx_t *under_a = s_watches_under (self, a);
    zlistx_t *under_b = s_watches_under (self, b);
    zlistx_t *lists [2] = { under_a, under_b };
    for (int i = 0; i < 2; i++)
        for (s_watch_t *watch = (s_watch_t *) zlistx_first (lists [i]); watch;
             watch = (s_watch_t *) zlistx_next (lists [i]))
            zhashx_delete (self->by_path, watch->path);
    s_watches_move (self, under_a, a, b);
    s_watches_move (self, under_b, b, a);
    zlistx_destroy (&under_a);
    zlistx_destroy (&under_b);
}

void
watches_drop_unseen (watches_t *self, uint64_t generation)
{
    assert (self);
    zlistx_t *list = s_watches_under (self, "");
    s_watch_t *watch = (s_watch_t *) zlistx_first (list);
    while (watch) {
        if (watch->generation != generation)
            s_watch_drop (self, watch, true);
        watch = (s_watch_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
}

void
watches_set_limit (watches_t *self, size_t limit)
{
    assert (self);
    self->limit = limit;
}
