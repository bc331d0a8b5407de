/*  outlinks.c - files also linked from outside the host directory. See
    outlinks.h.

    A list in look order and a hash of the same keys for "queued already":
    noting and taking are O(1), however many files are linked.
*/
#include "outlinks.h"

struct _outlinks_t {
    zlistx_t *queue;            //  "dev:ino" keys (owned), next look first
    zhashx_t *queued;           //  key -> its handle in the queue
};

outlinks_t *
outlinks_new (void)
{
    outlinks_t *self = (outlinks_t *) zmalloc (sizeof (outlinks_t));
    assert (self);
    self->queue = zlistx_new ();
    assert (self->queue);
    zlistx_set_destructor (self->queue, (zlistx_destructor_fn *) zstr_free);
    self->queued = zhashx_new ();
    assert (self->queued);
    return self;
}

void
outlinks_destroy (outlinks_t **self_p)
{
    assert (self_p);
    outlinks_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->queued);
        zlistx_destroy (&self->queue);
        free (self);
        *self_p = NULL;
    }
}

void
outlinks_note (outlinks_t *self, uint64_t dev, uint64_t ino, bool outside)
{
    assert (self);
    char key [48];
    snprintf (key, sizeof key, "%" PRIu64 ":%" PRIu64, dev, ino);
    void *handle = zhashx_lookup (self->queued, key);
    if (outside && !handle) {
        handle = zlistx_add_end (self->queue, strdup (key));
        zhashx_insert (self->queued, key, handle);
    }
    else
    if (!outside && handle) {
        zlistx_delete (self->queue, handle);
        zhashx_delete (self->queued, key);
    }
}

bool
outlinks_take (outlinks_t *self, uint64_t *dev, uint64_t *ino)
{
    assert (self);
    char *key = (char *) zlistx_detach (self->queue, NULL);
    if (!key)
        return false;
    zhashx_delete (self->queued, key);
    bool parsed = sscanf (key, "%" SCNu64 ":%" SCNu64, dev, ino) == 2;
    zstr_free (&key);
    return parsed;
}

size_t
outlinks_size (outlinks_t *self)
{
    assert (self);
    return zlistx_size (self->queue);
}
