/*  fileset.c - a set of published files: path -> size, mtime, digest.

    A hash keyed by path for lookups, and sorted snapshots (an array sorted
    with qsort, then copied into a zlistx) for listings: file-list pages must
    come out in a stable order, and a directory rename needs every path
    below one directory.
*/
#include "fshare.h"
#include "fileset.h"

struct _fileset_t {
    zhashx_t *files;            //  path -> fileset_file_t (owned)
};

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
    return self;
}

void
fileset_destroy (fileset_t **self_p)
{
    assert (self_p);
    fileset_t *self = *self_p;
    if (self) {
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
    if (!zhashx_lookup (self->files, path))
        return false;
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
