/*  digester.c - puts content digests on what the agent publishes.
    See digester.h.

    The queue holds every change in arrival order; an item waits only
    while its digest is asked for and its file is small. `waiting` maps a
    path to how many queued items wait for it, so a result releases them
    without a walk of the queue.
*/
#include "fshare.h"
#include "digester.h"

typedef struct {
    hostdir_change_t *change;
    bool waits;                 //  held for its digest
    int64_t queued_at;
} item_t;

struct _digester_t {
    hashq_t *hashq;
    fileset_t *files;
    zlistx_t *queue;            //  item_t, oldest first
    zhashx_t *waiting;          //  path -> count of waiting items (as a pointer)
};

static void
s_item_destroy (void **item_p)
{
    item_t *item = (item_t *) *item_p;
    if (item) {
        hostdir_change_destroy (&item->change);
        free (item);
        *item_p = NULL;
    }
}

digester_t *
digester_new (hashq_t *hashq, fileset_t *files)
{
    digester_t *self = (digester_t *) zmalloc (sizeof (digester_t));
    self->hashq = hashq;
    self->files = files;
    self->queue = zlistx_new ();
    zlistx_set_destructor (self->queue, s_item_destroy);
    self->waiting = zhashx_new ();
    return self;
}

void
digester_destroy (digester_t **self_p)
{
    digester_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->queue);
    zhashx_destroy (&self->waiting);
    free (self);
    *self_p = NULL;
}

static size_t
s_waiting (digester_t *self, const char *path)
{
    return (size_t) (uintptr_t) zhashx_lookup (self->waiting, path);
}

static void
s_set_waiting (digester_t *self, const char *path, size_t count)
{
    if (count)
        zhashx_update (self->waiting, path, (void *) (uintptr_t) count);
    else
        zhashx_delete (self->waiting, path);
}

void
digester_push (digester_t *self, hostdir_change_t *change)
{
    if (change->kind == FSHARE__CHANGE_KIND__CHANGE_NONE) {
        //  Same size and mtime, another ctime (published.c): nothing to
        //  publish unless the digest turns out to differ (s_on_result)
        hashq_request (self->hashq, change->path);
        hostdir_change_destroy (&change);
        return;
    }
    item_t *item = (item_t *) zmalloc (sizeof (item_t));
    item->change = change;
    item->queued_at = zclock_mono ();
    if (change->kind != FSHARE__CHANGE_KIND__CHANGE_REMOVED) {
        const fileset_file_t *file = fileset_lookup (self->files, change->path);
        if (!file || !file->has_sha256) {
            item->waits = change->size <= DIGESTER_SMALL;
            if (item->waits) {
                hashq_request_small (self->hashq, change->path);
                s_set_waiting (self, change->path, s_waiting (self, change->path) + 1);
            }
            else
                hashq_request (self->hashq, change->path);
        }
    }
    zlistx_add_end (self->queue, item);
}

void
digester_request_all (digester_t *self)
{
    for (const fileset_file_t *file = fileset_first (self->files); file;
         file = fileset_next (self->files))
        if (!file->has_sha256)
            hashq_request (self->hashq, file->path);
}

//  Release the items that wait for `path`: their digest is known, or
//  will not be for this version.
static void
s_release (digester_t *self, const char *path)
{
    size_t count = s_waiting (self, path);
    for (item_t *item = (item_t *) zlistx_first (self->queue); item && count;
         item = (item_t *) zlistx_next (self->queue))
        if (item->waits && streq (item->change->path, path)) {
            item->waits = false;
            count--;
        }
    s_set_waiting (self, path, 0);
}

//  The version hashed is the one the table has: the size and the mtime's
//  second as published, and, where the table knows them (the host
//  directory's), the inode and the mtime's nanoseconds. A file renamed
//  over the one being read, of the same size and second (a save, a
//  checkout, tar -x), is another version: its digest is still to come.
static bool
s_current (const fileset_file_t *file, const hashq_result_t *result)
{
    if (!file || file->size != result->key.size || file->mtime != result->key.mtime_sec)
        return false;
    return !file->ino
        || (file->ino == result->key.ino && file->dev == result->key.dev
            && file->mtime_ns == result->key.mtime_nsec);
}

//  A result is worth a change of its own when it brings a digest the
//  table did not have: a re-hash that finds the same one (chmod -R, a new
//  hard link: another ctime, the same content) tells peers nothing, and
//  neither does the mode it takes along (a download takes the file's mode
//  when it is served).
static void
s_on_result (digester_t *self, hashq_result_t *result)
{
    const fileset_file_t *file = fileset_lookup (self->files, result->path);
    bool known = file && file->has_sha256
              && memcmp (file->sha256, result->sha256, sizeof file->sha256) == 0;
    bool fresh = result->status == HASHQ_DIGEST && s_current (file, result)
              && fileset_set_digest (self->files, result->path, result->sha256,
                                     result->mode & 0777)
              && !known;
    bool held = s_waiting (self, result->path) > 0;
    if (held)
        s_release (self, result->path);
    //  Nothing queued will carry it: say it with a change of its own
    if (fresh && !held) {
        hostdir_change_t *change = (hostdir_change_t *) zmalloc (sizeof (hostdir_change_t));
        change->kind = FSHARE__CHANGE_KIND__CHANGE_CHANGED;
        change->path = strdup (file->path);
        change->size = file->size;
        change->mtime = file->mtime;
        item_t *item = (item_t *) zmalloc (sizeof (item_t));
        item->change = change;
        item->queued_at = zclock_mono ();
        zlistx_add_end (self->queue, item);
    }
}

void
digester_on_results (digester_t *self)
{
    hashq_result_t *result;
    while ((result = hashq_recv (self->hashq))) {
        s_on_result (self, result);
        hashq_result_destroy (&result);
    }
}

hostdir_change_t *
digester_pop (digester_t *self)
{
    item_t *item = (item_t *) zlistx_first (self->queue);
    if (!item)
        return NULL;
    if (item->waits) {
        if (zclock_mono () - item->queued_at < DIGESTER_HOLD_MS)
            return NULL;
        //  The hasher is far behind (a huge burst): publish without
        //  the digest; it follows as a change when it comes
        s_set_waiting (self, item->change->path, s_waiting (self, item->change->path) - 1);
        item->waits = false;
    }
    item = (item_t *) zlistx_detach (self->queue, NULL);
    hostdir_change_t *change = item->change;
    free (item);
    return change;
}

void
digester_clear (digester_t *self)
{
    zlistx_purge (self->queue);
    zhashx_purge (self->waiting);
}

bool
digester_idle (digester_t *self)
{
    return hashq_pending (self->hashq) == 0;
}

bool
digester_holding (digester_t *self)
{
    item_t *item = (item_t *) zlistx_first (self->queue);
    return item && item->waits;
}
