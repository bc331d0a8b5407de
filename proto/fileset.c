/*  fileset.c - a set of published files: path -> size, mtime, digest.

    A table of record pointers keyed by path (open addressing, linear
    probing, a power of two of slots at most 3/4 full) for lookups, and
    sorted snapshots (an array sorted with qsort, then copied into a
    zlistx) for listings: file-list pages must come out in a stable order,
    and a directory rename needs every path below one directory. A record
    and its path are one allocation, and the table holds nothing else per
    file than its slot: the broker holds every user's files, and a hash
    library's item per entry, a second allocation for the path and the
    host-directory fields would more than double what a file costs there.
    A second hash keyed by (device, inode) holds the first name of each
    inode; further names hang off it in a chain, so the index costs one
    entry per inode and nothing per file of its own.
*/
#include "fshare.h"
#include "fileset.h"
#include <sodium.h>

#define S_MIN_SLOTS 16

struct _fileset_t {
    fileset_file_t **slots;     //  NULL or a record (owned)
    size_t capacity;            //  slots, a power of two (0: none yet)
    size_t count;
    size_t cursor;              //  fileset_first/next: the next slot to look at
    size_t record_bytes;        //  what a record holds before its path
    size_t bytes;               //  records and paths, as asked of malloc
    zhashx_t *inodes;           //  fileset_file_t (as key) -> first name; NULL if compact
    uint8_t key [crypto_shorthash_KEYBYTES];    //  the set's own, drawn at its start
    uint64_t probes;            //  occupied slots stepped over, ever (fileset_probes)
};

//  SipHash under the set's own random key: the paths are other peers'
//  choice, and with a hash anyone can compute (FNV-1a, as before) a peer
//  could publish paths that all share one slot, which with linear probing
//  makes every insert and lookup walk all of them (a quadratic login)
static size_t
s_path_hash (fileset_t *self, const char *path)
{
    uint8_t out [crypto_shorthash_BYTES];
    crypto_shorthash (out, (const unsigned char *) path, strlen (path), self->key);
    uint64_t hash;
    memcpy (&hash, out, sizeof hash);
    return (size_t) hash;
}

//  The slot holding path, or the empty slot where it would go.
static size_t
s_slot (fileset_t *self, const char *path)
{
    size_t mask = self->capacity - 1;
    size_t slot = s_path_hash (self, path) & mask;
    while (self->slots [slot] && strcmp (self->slots [slot]->path, path) != 0) {
        slot = (slot + 1) & mask;
        self->probes++;
    }
    return slot;
}

static fileset_file_t *
s_find (fileset_t *self, const char *path)
{
    if (self->count == 0)
        return NULL;
    return self->slots [s_slot (self, path)];
}

static void
s_resize (fileset_t *self, size_t capacity)
{
    fileset_file_t **old = self->slots;
    size_t old_capacity = self->capacity;
    self->slots = (fileset_file_t **) zmalloc (capacity * sizeof (fileset_file_t *));
    assert (self->slots);
    self->capacity = capacity;
    for (size_t index = 0; index < old_capacity; index++)
        if (old [index])
            self->slots [s_slot (self, old [index]->path)] = old [index];
    free (old);
}

//  A new record for path, in the table (which must not hold it yet).
static fileset_file_t *
s_insert (fileset_t *self, const char *path)
{
    if ((self->count + 1) * 4 > self->capacity * 3)
        s_resize (self, self->capacity? self->capacity * 2: S_MIN_SLOTS);
    size_t length = strlen (path);
    size_t bytes = self->record_bytes + length + 1;
    fileset_file_t *file = (fileset_file_t *) zmalloc (bytes);
    assert (file);
    file->path = (char *) file + self->record_bytes;
    memcpy (file->path, path, length + 1);
    self->slots [s_slot (self, path)] = file;
    self->count++;
    self->bytes += bytes;
    return file;
}

//  Take the record at slot out of the table and free it; the records of
//  its run that were placed past it move back, so that no lookup stops
//  at the hole (backward-shift deletion).
static void
s_delete (fileset_t *self, size_t slot)
{
    fileset_file_t *file = self->slots [slot];
    self->bytes -= self->record_bytes + strlen (file->path) + 1;
    free (file);
    self->count--;
    size_t mask = self->capacity - 1;
    size_t hole = slot;
    for (size_t next = (hole + 1) & mask; self->slots [next]; next = (next + 1) & mask) {
        size_t home = s_path_hash (self, self->slots [next]->path) & mask;
        //  It may fill the hole when its home is not within (hole, next]
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            self->slots [hole] = self->slots [next];
            hole = next;
        }
    }
    self->slots [hole] = NULL;
}

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
    if (!self->inodes || !file->ino)
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

static fileset_t *
s_new (size_t record_bytes)
{
    fileset_t *self = (fileset_t *) zmalloc (sizeof (fileset_t));
    assert (self);
    self->record_bytes = record_bytes;
    //  Without a random source there is no key, and no program to run
    int rc = sodium_init ();
    assert (rc >= 0);
    (void) rc;
    crypto_shorthash_keygen (self->key);
    return self;
}

fileset_t *
fileset_new (void)
{
    fileset_t *self = s_new (sizeof (fileset_file_t));
    self->inodes = zhashx_new ();
    assert (self->inodes);
    zhashx_set_key_hasher (self->inodes, s_inode_hash);
    zhashx_set_key_comparator (self->inodes, s_inode_compare);
    zhashx_set_key_duplicator (self->inodes, NULL);
    zhashx_set_key_destructor (self->inodes, NULL);
    return self;
}

fileset_t *
fileset_new_compact (void)
{
    return s_new (FILESET_COMPACT_BYTES);
}

void
fileset_destroy (fileset_t **self_p)
{
    assert (self_p);
    fileset_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->inodes);
        for (size_t index = 0; index < self->capacity; index++)
            free (self->slots [index]);
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

size_t
fileset_size (fileset_t *self)
{
    assert (self);
    return self->count;
}

size_t
fileset_memory (fileset_t *self)
{
    assert (self);
    return self->bytes + self->capacity * sizeof (fileset_file_t *);
}

uint64_t
fileset_probes (fileset_t *self)
{
    assert (self);
    return self->probes;
}

const fileset_file_t *
fileset_lookup (fileset_t *self, const char *path)
{
    assert (self);
    assert (path);
    return s_find (self, path);
}

Fshare__ChangeKind
fileset_put (fileset_t *self, const char *path, uint64_t size, int64_t mtime)
{
    assert (self);
    assert (path);
    fileset_file_t *file = s_find (self, path);
    if (file) {
        if (file->size == size && file->mtime == mtime)
            return FSHARE__CHANGE_KIND__CHANGE_NONE;
        file->size = size;
        file->mtime = mtime;
        file->has_sha256 = false;       //  another version: not known yet
        return FSHARE__CHANGE_KIND__CHANGE_CHANGED;
    }
    file = s_insert (self, path);
    file->size = size;
    file->mtime = mtime;
    return FSHARE__CHANGE_KIND__CHANGE_ADDED;
}

//  A compact set: size, mtime and the digest only.
static Fshare__ChangeKind
s_put_compact (fileset_t *self, const fileset_file_t *with)
{
    Fshare__ChangeKind kind = fileset_put (self, with->path, with->size, with->mtime);
    fileset_file_t *file = s_find (self, with->path);
    if (kind != FSHARE__CHANGE_KIND__CHANGE_NONE && with->has_sha256) {
        file->has_sha256 = true;
        memcpy (file->sha256, with->sha256, sizeof file->sha256);
        file->mode = with->mode;
    }
    return kind;
}

Fshare__ChangeKind
fileset_put_file (fileset_t *self, const fileset_file_t *with)
{
    assert (self);
    assert (with);
    assert (with->path);
    if (!self->inodes)
        return s_put_compact (self, with);
    fileset_file_t *file = s_find (self, with->path);
    if (!file) {
        file = s_insert (self, with->path);
        char *path = file->path;
        *file = *with;
        file->path = path;
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
        .ctime_ns = fileset_time_ns (&st->st_ctim)
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
    fileset_file_t *name = ino && self->inodes
                         ? (fileset_file_t *) zhashx_lookup (self->inodes, &key): NULL;
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
    fileset_file_t *file = s_find (self, info->path);
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
    fileset_file_t *file = s_find (self, path);
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

//  The record at the cursor's slot or the next one after it.
static const fileset_file_t *
s_at_cursor (fileset_t *self)
{
    while (self->cursor < self->capacity && !self->slots [self->cursor])
        self->cursor++;
    return self->cursor < self->capacity? self->slots [self->cursor++]: NULL;
}

const fileset_file_t *
fileset_first (fileset_t *self)
{
    assert (self);
    self->cursor = 0;
    return s_at_cursor (self);
}

const fileset_file_t *
fileset_next (fileset_t *self)
{
    assert (self);
    return s_at_cursor (self);
}

bool
fileset_remove (fileset_t *self, const char *path)
{
    assert (self);
    assert (path);
    if (self->count == 0)
        return false;
    size_t slot = s_slot (self, path);
    if (!self->slots [slot])
        return false;
    s_unindex (self, self->slots [slot]);
    s_delete (self, slot);
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
    const fileset_file_t **array = NULL;
    size_t count = 0;
    if (self->count > 0) {
        array = (const fileset_file_t **) malloc (self->count * sizeof (*array));
        assert (array);
        for (size_t slot = 0; slot < self->capacity; slot++) {
            const fileset_file_t *file = self->slots [slot];
            if (file && s_is_under (file->path, dir, dir_len))
                array [count++] = file;
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
