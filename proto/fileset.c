/*  fileset.c - a set of published files: path -> size, mtime, digest.

    A hash keyed by path for lookups, and sorted snapshots (an array sorted
    with qsort, then copied into a zlistx) for listings: file-list pages must
    come out in a stable order, and a directory rename needs every path
    below one directory. A second hash keyed by (device, inode) holds the
    first name of each inode; further names hang off it in a chain, so the
    index costs one entry per inode and nothing per file of its own.
*/
#include "fshare.h"
#include "fileset.h"

struct _fileset_t {
    zhashx_t *files;            //  path -> fileset_file_t (owned)
    zhashx_t *inodes;           //  fileset_file_t (as key) -> first name
};

static size_t
s_inode_hash (const void *key)
{
    const fileset_file_t *file = (const fileset_file_t *) key;
    return (size_t) (file->ino * 0x9E3779B97F4A7C15ull ^ file->dev);
}

static int
s_inode_compare (const void *a, const void *b)
{
    const fileset_file_t *fa = (const fileset_file_t *) a;
    const fileset_file_t *fb = (const fileset_file_t *) b;
    if (fa->dev != fb->dev)
        return fa->dev < fb->dev? -1: 1;
    return fa->ino < fb->ino? -1: fa->ino > fb->ino? 1: 0;
}

static void
s_index (fileset_t *self, fileset_file_t *file)
{
    file->same_inode = NULL;
    if (!file->ino)
        return;
    fileset_file_t *first = (fileset_file_t *) zhashx_lookup (self->inodes, file);
    if (first) {
        file->same_inode = first->same_inode;
        first->same_inode = file;
    }
    else
        zhashx_insert (self->inodes, file, file);
}

static void
s_unindex (fileset_t *self, fileset_file_t *file)
{
    if (!file->ino)
        return;
    fileset_file_t *first = (fileset_file_t *) zhashx_lookup (self->inodes, file);
    if (first == file) {
        zhashx_delete (self->inodes, file);
        if (file->same_inode)
            zhashx_insert (self->inodes, file->same_inode, file->same_inode);
    }
    else
    for (fileset_file_t *name = first; name; name = name->same_inode)
        if (name->same_inode == file) {
            name->same_inode = file->same_inode;
            break;
        }
    file->same_inode = NULL;
}

static void
s_file_destroy (void **item_p)
{
    fileset_file_t *file = (fileset_file_t *) *item_p;
    if (file) {
        free (file->path);
        free (file);
        *item_p = NULL;
    }
}

fileset_t *
fileset_new (void)
{
    fileset_t *self = (fileset_t *) zmalloc (sizeof (fileset_t));
    assert (self);
    self->files = zhashx_new ();
    assert (self->files);
    //  The key is the item's own path: no second copy of every path.
    zhashx_set_key_duplicator (self->files, NULL);
    zhashx_set_key_destructor (self->files, NULL);
    zhashx_set_destructor (self->files, s_file_destroy);
    self->inodes = zhashx_new ();
    assert (self->inodes);
    zhashx_set_key_hasher (self->inodes, s_inode_hash);
    zhashx_set_key_comparator (self->inodes, s_inode_compare);
    zhashx_set_key_duplicator (self->inodes, NULL);
    zhashx_set_key_destructor (self->inodes, NULL);
    return self;
}

void
fileset_destroy (fileset_t **self_p)
{
    assert (self_p);
    fileset_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->inodes);
        zhashx_destroy (&self->files);
        free (self);
        *self_p = NULL;
    }
}

size_t
fileset_size (fileset_t *self)
{
    assert (self);
    return zhashx_size (self->files);
}

const fileset_file_t *
fileset_lookup (fileset_t *self, const char *path)
{
    assert (self);
    assert (path);
    return (const fileset_file_t *) zhashx_lookup (self->files, path);
}

Fshare__ChangeKind
fileset_put (fileset_t *self, const char *path, uint64_t size, int64_t mtime)
{
    assert (self);
    assert (path);
    fileset_file_t *file = (fileset_file_t *) zhashx_lookup (self->files, path);
    if (file) {
        if (file->size == size && file->mtime == mtime)
            return FSHARE__CHANGE_KIND__CHANGE_NONE;
        file->size = size;
        file->mtime = mtime;
        file->has_sha256 = false;       //  another version: not known yet
        return FSHARE__CHANGE_KIND__CHANGE_CHANGED;
    }
    file = (fileset_file_t *) zmalloc (sizeof (fileset_file_t));
    assert (file);
    file->path = strdup (path);
    assert (file->path);
    file->size = size;
    file->mtime = mtime;
    zhashx_insert (self->files, file->path, file);       //  new key: cannot fail
    return FSHARE__CHANGE_KIND__CHANGE_ADDED;
}

Fshare__ChangeKind
fileset_put_file (fileset_t *self, const fileset_file_t *with)
{
    assert (self);
    assert (with);
    assert (with->path);
    fileset_file_t *file = (fileset_file_t *) zhashx_lookup (self->files, with->path);
    if (!file) {
        file = (fileset_file_t *) zmalloc (sizeof (fileset_file_t));
        assert (file);
        *file = *with;
        file->path = strdup (with->path);
        assert (file->path);
        zhashx_insert (self->files, file->path, file);   //  new key: cannot fail
        s_index (self, file);
        return FSHARE__CHANGE_KIND__CHANGE_ADDED;
    }
    if (with->ctime_ns)
        file->ctime_ns = with->ctime_ns;
    if (file->size == with->size && file->mtime == with->mtime
    &&  file->mtime_ns == with->mtime_ns && file->dev == with->dev && file->ino == with->ino)
        return FSHARE__CHANGE_KIND__CHANGE_NONE;
    file->size = with->size;
    file->mtime = with->mtime;
    file->mtime_ns = with->mtime_ns;
    //  Another version: its digest is the one given, or not known yet
    file->has_sha256 = with->has_sha256;
    if (with->has_sha256) {
        memcpy (file->sha256, with->sha256, sizeof file->sha256);
        file->mode = with->mode;
    }
    if (file->dev != with->dev || file->ino != with->ino) {
        s_unindex (self, file);
        file->dev = with->dev;
        file->ino = with->ino;
        s_index (self, file);
    }
    return FSHARE__CHANGE_KIND__CHANGE_CHANGED;
}

Fshare__ChangeKind
fileset_put_stat (fileset_t *self, const char *path, const struct stat *st)
{
    assert (st);
    fileset_file_t with = {
        .path = (char *) path, .size = (uint64_t) st->st_size,
        .mtime = (int64_t) st->st_mtim.tv_sec, .mtime_ns = (int64_t) st->st_mtim.tv_nsec,
        .dev = (uint64_t) st->st_dev, .ino = (uint64_t) st->st_ino,
        .ctime_ns = (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec
    };
    return fileset_put_file (self, &with);
}

zlistx_t *
fileset_links (fileset_t *self, uint64_t dev, uint64_t ino)
{
    assert (self);
    zlistx_t *list = zlistx_new ();
    assert (list);
    fileset_file_t key = { .dev = dev, .ino = ino };
    fileset_file_t *name = ino? (fileset_file_t *) zhashx_lookup (self->inodes, &key): NULL;
    for (; name; name = name->same_inode)
        zlistx_add_end (list, name);
    return list;
}

Fshare__ChangeKind
fileset_put_info (fileset_t *self, const Fshare__FileInfo *info)
{
    assert (self);
    assert (info && info->path);
    Fshare__ChangeKind kind = fileset_put (self, info->path, info->size, info->mtime);
    fileset_file_t *file = (fileset_file_t *) zhashx_lookup (self->files, info->path);
    bool has_sha256 = info->sha256.len == sizeof file->sha256;
    bool same_sha256 = has_sha256 == file->has_sha256
                    && (!has_sha256 || memcmp (file->sha256, info->sha256.data,
                                               sizeof file->sha256) == 0);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_NONE && (!same_sha256 || file->mode != info->mode))
        kind = FSHARE__CHANGE_KIND__CHANGE_CHANGED;
    file->has_sha256 = has_sha256;
    if (has_sha256)
        memcpy (file->sha256, info->sha256.data, sizeof file->sha256);
    file->mode = info->mode;
    return kind;
}

bool
fileset_set_digest (fileset_t *self, const char *path, const uint8_t sha256 [32],
                    uint32_t mode)
{
    assert (self);
    fileset_file_t *file = (fileset_file_t *) zhashx_lookup (self->files, path);
    if (!file || (file->has_sha256 && file->mode == mode
                  && memcmp (file->sha256, sha256, sizeof file->sha256) == 0))
        return false;
    memcpy (file->sha256, sha256, sizeof file->sha256);
    file->has_sha256 = true;
    file->mode = mode;
    return true;
}

void
fileset_info (const fileset_file_t *file, Fshare__FileInfo *info)
{
    fshare__file_info__init (info);
    info->path = file->path;
    info->size = file->size;
    info->mtime = file->mtime;
    info->mode = file->mode;
    if (file->has_sha256) {
        info->sha256.data = (uint8_t *) file->sha256;
        info->sha256.len = sizeof file->sha256;
    }
}

const fileset_file_t *
fileset_first (fileset_t *self)
{
    return (const fileset_file_t *) zhashx_first (self->files);
}

const fileset_file_t *
fileset_next (fileset_t *self)
{
    return (const fileset_file_t *) zhashx_next (self->files);
}

bool
fileset_remove (fileset_t *self, const char *path)
{
    assert (self);
    assert (path);
    fileset_file_t *file = (fileset_file_t *) zhashx_lookup (self->files, path);
    if (!file)
        return false;
    s_unindex (self, file);
    zhashx_delete (self->files, path);
    return true;
}

static int
s_compare_files (const void *a, const void *b)
{
    const fileset_file_t *fa = *(const fileset_file_t * const *) a;
    const fileset_file_t *fb = *(const fileset_file_t * const *) b;
    return strcmp (fa->path, fb->path);
}

//  True when path lies strictly below directory dir ("" is the whole set).
static bool
s_is_under (const char *path, const char *dir, size_t dir_len)
{
    if (dir_len == 0)
        return true;
    return strncmp (path, dir, dir_len) == 0 && path [dir_len] == '/';
}

//  The files below dir (NULL or "" for all), sorted by path.
static zlistx_t *
s_sorted_under (fileset_t *self, const char *dir)
{
    size_t dir_len = dir? strlen (dir): 0;
    size_t size = zhashx_size (self->files);
    const fileset_file_t **array = NULL;
    size_t count = 0;
    if (size > 0) {
        array = (const fileset_file_t **) malloc (size * sizeof (*array));
        assert (array);
        const fileset_file_t *file = (const fileset_file_t *) zhashx_first (self->files);
        while (file) {
            if (s_is_under (file->path, dir, dir_len))
                array [count++] = file;
            file = (const fileset_file_t *) zhashx_next (self->files);
        }
        qsort (array, count, sizeof (*array), s_compare_files);
    }
    zlistx_t *list = zlistx_new ();
    assert (list);
    for (size_t index = 0; index < count; index++)
        zlistx_add_end (list, (void *) array [index]);
    free (array);
    return list;
}

zlistx_t *
fileset_sorted (fileset_t *self)
{
    assert (self);
    return s_sorted_under (self, NULL);
}

zlistx_t *
fileset_under (fileset_t *self, const char *dir)
{
    assert (self);
    return s_sorted_under (self, dir);
}
