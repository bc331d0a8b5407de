/*  pager.c - cutting file lists into pages. See pager.h. */
#include "pager.h"

struct _fsh_pager_t {
    size_t budget;
    Fshare__FileInfo **files;
    size_t count;
    size_t capacity;
    size_t bytes;
};

fsh_pager_t *
fsh_pager_new (size_t budget)
{
    fsh_pager_t *self = (fsh_pager_t *) zmalloc (sizeof (fsh_pager_t));
    self->budget = budget;
    return self;
}

void
fsh_pager_destroy (fsh_pager_t **self_p)
{
    if (*self_p) {
        fsh_pager_t *self = *self_p;
        free (self->files);
        free (self);
        *self_p = NULL;
    }
}

static size_t
s_varint_size (size_t value)
{
    size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        size++;
    }
    return size;
}

size_t
fsh_pager_entry_size (const Fshare__FileInfo *info)
{
    size_t size = fshare__file_info__get_packed_size (info);
    //  A field tag below 16 takes one byte; then the length, then the entry
    return 1 + s_varint_size (size) + size;
}

bool
fsh_pager_full (fsh_pager_t *self, const Fshare__FileInfo *info)
{
    return self->count > 0 && self->bytes + fsh_pager_entry_size (info) > self->budget;
}

void
fsh_pager_add (fsh_pager_t *self, Fshare__FileInfo *info)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 256;
        self->files = (Fshare__FileInfo **) realloc (self->files,
                                                      self->capacity * sizeof (Fshare__FileInfo *));
        assert (self->files);
    }
    self->files [self->count++] = info;
    self->bytes += fsh_pager_entry_size (info);
}

Fshare__FileInfo **
fsh_pager_files (fsh_pager_t *self)
{
    return self->files;
}

size_t
fsh_pager_count (fsh_pager_t *self)
{
    return self->count;
}

size_t
fsh_pager_bytes (fsh_pager_t *self)
{
    return self->bytes;
}

void
fsh_pager_reset (fsh_pager_t *self)
{
    self->count = 0;
    self->bytes = 0;
}
