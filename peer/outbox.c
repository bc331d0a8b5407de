/*  outbox.c - what the agent still has to tell the broker. See outbox.h.

    A list of items in order, and an index from a path to the list handle
    of its latest queued change; a rename clears the index (a barrier:
    nothing queued before it may absorb what comes after). The window is
    two running totals (sent, acknowledged) and a ring of the pings in
    flight with the totals they cover.
*/
#include "outbox.h"

#define PINGS   64

typedef struct {
    zframe_t *frame;
    hostdir_change_t *change;
} item_t;

typedef struct {
    uint64_t id;
    uint64_t messages;
    uint64_t bytes;
} ping_t;

struct _outbox_t {
    zlistx_t *items;            //  item_t *, in order
    zhashx_t *latest;           //  path -> handle in items
    uint64_t sent, sent_bytes;
    uint64_t acked, acked_bytes;
    uint64_t pinged, pinged_bytes;  //  totals the last ping covers
    ping_t pings [PINGS];       //  ring, oldest at `first`
    size_t first, count;
};

static void
s_item_destroy (void **item_p)
{
    item_t *item = (item_t *) *item_p;
    if (item) {
        zframe_destroy (&item->frame);
        hostdir_change_destroy (&item->change);
        free (item);
        *item_p = NULL;
    }
}

outbox_t *
outbox_new (void)
{
    outbox_t *self = (outbox_t *) zmalloc (sizeof (outbox_t));
    self->items = zlistx_new ();
    zlistx_set_destructor (self->items, s_item_destroy);
    self->latest = zhashx_new ();
    return self;
}

void
outbox_destroy (outbox_t **self_p)
{
    if (*self_p) {
        outbox_t *self = *self_p;
        zhashx_destroy (&self->latest);
        zlistx_destroy (&self->items);
        free (self);
        *self_p = NULL;
    }
}

void
outbox_add_frame (outbox_t *self, zframe_t **frame_p)
{
    item_t *item = (item_t *) zmalloc (sizeof (item_t));
    item->frame = *frame_p;
    *frame_p = NULL;
    zlistx_add_end (self->items, item);
}

//  Merge `change` into the queued change of the same path. False when the
//  two cannot be merged (the caller queues it). The merged entry may
//  vanish (added, then removed: the broker never knew the file).
static bool
s_merge (outbox_t *self, void *handle, hostdir_change_t **change_p)
{
    item_t *item = (item_t *) zlistx_handle_item (handle);
    hostdir_change_t *queued = item->change;
    Fshare__ChangeKind old = queued->kind, now = (*change_p)->kind;
    if (now == FSHARE__CHANGE_KIND__CHANGE_RENAMED || old == FSHARE__CHANGE_KIND__CHANGE_RENAMED)
        return false;
    if (old == FSHARE__CHANGE_KIND__CHANGE_ADDED && now == FSHARE__CHANGE_KIND__CHANGE_REMOVED) {
        zhashx_delete (self->latest, queued->path);
        zlistx_delete (self->items, handle);
        hostdir_change_destroy (change_p);
        return true;
    }
    Fshare__ChangeKind kind = now;
    if (old == FSHARE__CHANGE_KIND__CHANGE_ADDED)
        kind = FSHARE__CHANGE_KIND__CHANGE_ADDED;
    else
    if (old == FSHARE__CHANGE_KIND__CHANGE_REMOVED && now != FSHARE__CHANGE_KIND__CHANGE_REMOVED)
        kind = FSHARE__CHANGE_KIND__CHANGE_CHANGED;
    //  The newer change carries the file as it is now; the index key is
    //  the queued change's path, which goes with it
    zhashx_delete (self->latest, queued->path);
    hostdir_change_destroy (&item->change);
    item->change = *change_p;
    item->change->kind = kind;
    *change_p = NULL;
    zhashx_insert (self->latest, item->change->path, handle);
    return true;
}

void
outbox_add_change (outbox_t *self, hostdir_change_t **change_p)
{
    hostdir_change_t *change = *change_p;
    void *handle = zhashx_lookup (self->latest, change->path);
    if (handle && s_merge (self, handle, change_p))
        return;
    item_t *item = (item_t *) zmalloc (sizeof (item_t));
    item->change = change;
    *change_p = NULL;
    handle = zlistx_add_end (self->items, item);
    if (change->kind == FSHARE__CHANGE_KIND__CHANGE_RENAMED)
        zhashx_purge (self->latest);
    else
        zhashx_update (self->latest, change->path, handle);
}

void
outbox_clear (outbox_t *self)
{
    zhashx_purge (self->latest);
    zlistx_purge (self->items);
    self->sent = self->sent_bytes = self->acked = self->acked_bytes = 0;
    self->pinged = self->pinged_bytes = 0;
    self->first = self->count = 0;
}

size_t
outbox_size (outbox_t *self)
{
    return zlistx_size (self->items);
}

bool
outbox_head (outbox_t *self, zframe_t **frame, hostdir_change_t **change)
{
    item_t *item = (item_t *) zlistx_first (self->items);
    *frame = item? item->frame: NULL;
    *change = item? item->change: NULL;
    return item != NULL;
}

void
outbox_pop (outbox_t *self, size_t bytes)
{
    void *handle = zlistx_first (self->items)? zlistx_cursor (self->items): NULL;
    if (!handle)
        return;
    item_t *item = (item_t *) zlistx_handle_item (handle);
    if (item->change && zhashx_lookup (self->latest, item->change->path) == handle)
        zhashx_delete (self->latest, item->change->path);
    zlistx_delete (self->items, handle);
    self->sent++;
    self->sent_bytes += bytes;
}

bool
outbox_window_open (outbox_t *self)
{
    return self->sent - self->acked < OUTBOX_WINDOW
        && self->sent_bytes - self->acked_bytes < OUTBOX_WINDOW_BYTES;
}

bool
outbox_ack_due (outbox_t *self)
{
    if (self->count == PINGS)
        return false;
    return self->sent - self->pinged >= OUTBOX_WINDOW / 4
        || self->sent_bytes - self->pinged_bytes >= OUTBOX_WINDOW_BYTES / 4;
}

void
outbox_ping (outbox_t *self, uint64_t id)
{
    if (self->count == PINGS)
        return;             //  an older ping in flight covers less; no harm
    ping_t *ping = &self->pings [(self->first + self->count++) % PINGS];
    ping->id = id;
    ping->messages = self->pinged = self->sent;
    ping->bytes = self->pinged_bytes = self->sent_bytes;
}

void
outbox_pong (outbox_t *self, uint64_t id)
{
    while (self->count && self->pings [self->first].id <= id) {
        ping_t *ping = &self->pings [self->first];
        self->acked = ping->messages;
        self->acked_bytes = ping->bytes;
        self->first = (self->first + 1) % PINGS;
        self->count--;
    }
}

size_t
outbox_unacked (outbox_t *self)
{
    return (size_t) (self->sent - self->acked);
}
