/*  settle.c - paths waiting a short while before the host directory looks
    at them again. See settle.h.

    A hash finds a path's entry; a list keeps the entries in deadline
    order (one delay for all: the order they were added). Each entry knows
    its place in the list, so cancelling is O(1) too.
*/
#include "settle.h"

typedef struct {
    char *path;
    int64_t deadline;
    void *handle;               //  in self->queue
} s_entry_t;

struct _settle_t {
    int delay_ms;
    zhashx_t *by_path;          //  path -> s_entry_t
    zlistx_t *queue;            //  s_entry_t (owned), by deadline
};

static void
s_entry_destroy (void **item_p)
{
    s_entry_t *entry = (s_entry_t *) *item_p;
    if (entry) {
        free (entry->path);
        free (entry);
        *item_p = NULL;
    }
}

settle_t *
settle_new (int delay_ms)
{
    assert (delay_ms >= 0);
    settle_t *self = (settle_t *) zmalloc (sizeof (settle_t));
    assert (self);
    self->delay_ms = delay_ms;
    self->by_path = zhashx_new ();
    assert (self->by_path);
    //  The key is the entry's own path
    zhashx_set_key_duplicator (self->by_path, NULL);
    zhashx_set_key_destructor (self->by_path, NULL);
    self->queue = zlistx_new ();
    assert (self->queue);
    zlistx_set_destructor (self->queue, s_entry_destroy);
    return self;
}

void
settle_destroy (settle_t **self_p)
{
    assert (self_p);
    settle_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->queue);
        zhashx_destroy (&self->by_path);
        free (self);
        *self_p = NULL;
    }
}

int
settle_delay (settle_t *self)
{
    assert (self);
    return self->delay_ms;
}

void
settle_add (settle_t *self, const char *path, int64_t now)
{
    assert (self);
    assert (path);
    if (zhashx_lookup (self->by_path, path))
        return;
    s_entry_t *entry = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    assert (entry);
    entry->path = strdup (path);
    assert (entry->path);
    entry->deadline = now + self->delay_ms;
    entry->handle = zlistx_add_end (self->queue, entry);
    zhashx_insert (self->by_path, entry->path, entry);
}

bool
settle_cancel (settle_t *self, const char *path)
{
    assert (self);
    assert (path);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->by_path, path);
    if (!entry)
        return false;
    zhashx_delete (self->by_path, path);
    zlistx_delete (self->queue, entry->handle); //  frees entry
    return true;
}

bool
settle_has (settle_t *self, const char *path)
{
    assert (self);
    return zhashx_lookup (self->by_path, path) != NULL;
}

size_t
settle_size (settle_t *self)
{
    assert (self);
    return zhashx_size (self->by_path);
}

static bool
s_is_at_or_under (const char *path, const char *dir, size_t len)
{
    return len == 0
        || (strncmp (path, dir, len) == 0 && (path [len] == 0 || path [len] == '/'));
}

void
settle_rename (settle_t *self, const char *dir, const char *to)
{
    assert (self);
    assert (dir);
    assert (to);
    size_t len = strlen (dir);
    //  Collected first: the hash cannot change while it is walked
    zlistx_t *moving = zlistx_new ();
    assert (moving);
    s_entry_t *entry = (s_entry_t *) zlistx_first (self->queue);
    while (entry) {
        if (s_is_at_or_under (entry->path, dir, len))
            zlistx_add_end (moving, entry);
        entry = (s_entry_t *) zlistx_next (self->queue);
    }
    entry = (s_entry_t *) zlistx_first (moving);
    while (entry) {
        char *path = zsys_sprintf ("%s%s", to, entry->path + len);
        assert (path);
        zhashx_delete (self->by_path, entry->path);
        free (entry->path);
        entry->path = path;
        if (zhashx_lookup (self->by_path, path))
            //  Something waits there already: one entry is enough
            zlistx_delete (self->queue, entry->handle);
        else
            zhashx_insert (self->by_path, entry->path, entry);
        entry = (s_entry_t *) zlistx_next (moving);
    }
    zlistx_destroy (&moving);
}

char *
settle_take_due (settle_t *self, int64_t now)
{
    assert (self);
    s_entry_t *entry = (s_entry_t *) zlistx_first (self->queue);
    if (!entry || entry->deadline > now)
        return NULL;
    char *path = strdup (entry->path);
    assert (path);
    settle_cancel (self, path);
    return path;
}

int
settle_timeout (settle_t *self, int64_t now)
{
    assert (self);
    s_entry_t *entry = (s_entry_t *) zlistx_first (self->queue);
    if (!entry)
        return -1;
    int64_t wait = entry->deadline - now;
    return wait < 0? 0: wait > INT_MAX? INT_MAX: (int) wait;
}
