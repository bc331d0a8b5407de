/*  session.c - one logged-in user as the broker sees it. See session.h. */
#include "session.h"
#include <sodium.h>

struct _session_t {
    char token [33];            //  128 random bits, hex
    char *user;
    zframe_t *routing_id;
    zhashx_t *files;            //  path -> session_file_t
    byte instance [64];
    size_t instance_size;
    char key [48];              //  CURVE public key, Z85 (40 chars)
    int fd;
    int64_t last_seen;
    int64_t since;
    bool online;
};

static void
s_file_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

session_t *
session_new (const char *user, zframe_t *routing_id)
{
    session_t *self = (session_t *) zmalloc (sizeof (session_t));
    unsigned char raw [16];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (self->token, sizeof self->token, raw, sizeof raw);
    self->user = strdup (user);
    self->routing_id = zframe_dup (routing_id);
    self->files = zhashx_new ();
    zhashx_set_destructor (self->files, s_file_destroy);
    self->last_seen = zclock_mono ();
    self->fd = -1;
    return self;
}

void
session_destroy (session_t **self_p)
{
    if (*self_p) {
        session_t *self = *self_p;
        zhashx_destroy (&self->files);
        zframe_destroy (&self->routing_id);
        free (self->user);
        free (self);
        *self_p = NULL;
    }
}

const char *
session_token (session_t *self)
{
    return self->token;
}

const char *
session_user (session_t *self)
{
    return self->user;
}

zframe_t *
session_routing_id (session_t *self)
{
    return self->routing_id;
}

void
session_set_origin (session_t *self, const byte *instance, size_t instance_size,
                    const char *key)
{
    self->instance_size = instance_size < sizeof self->instance? instance_size
                                                                : sizeof self->instance;
    if (self->instance_size)
        memcpy (self->instance, instance, self->instance_size);
    snprintf (self->key, sizeof self->key, "%s", key? key: "");
}

bool
session_same_instance (session_t *self, const byte *instance, size_t instance_size)
{
    return instance_size > 0 && instance_size == self->instance_size
        && memcmp (instance, self->instance, instance_size) == 0;
}

const char *
session_key (session_t *self)
{
    return self->key;
}

void
session_set_fd (session_t *self, int fd)
{
    self->fd = fd;
}

int
session_fd (session_t *self)
{
    return self->fd;
}

bool
session_touch (session_t *self, zframe_t *routing_id, int64_t now)
{
    self->last_seen = now;
    if (routing_id && !zframe_eq (routing_id, self->routing_id)) {
        zframe_destroy (&self->routing_id);
        self->routing_id = zframe_dup (routing_id);
        return true;
    }
    return false;
}

int64_t
session_last_seen (session_t *self)
{
    return self->last_seen;
}

bool
session_online (session_t *self)
{
    return self->online;
}

void
session_set_online (session_t *self, int64_t now)
{
    self->online = true;
    self->since = now;
}

int64_t
session_since (session_t *self)
{
    return self->since;
}

Fshare__ChangeKind
session_put_file (session_t *self, const char *path, uint64_t size, int64_t mtime)
{
    session_file_t *file = (session_file_t *) zhashx_lookup (self->files, path);
    if (file) {
        if (file->size == size && file->mtime == mtime)
            return FSHARE__CHANGE_KIND__CHANGE_NONE;
        file->size = size;
        file->mtime = mtime;
        return FSHARE__CHANGE_KIND__CHANGE_CHANGED;
    }
    file = (session_file_t *) zmalloc (sizeof (session_file_t));
    file->size = size;
    file->mtime = mtime;
    zhashx_insert (self->files, path, file);
    return FSHARE__CHANGE_KIND__CHANGE_ADDED;
}

bool
session_remove_file (session_t *self, const char *path)
{
    if (!zhashx_lookup (self->files, path))
        return false;
    zhashx_delete (self->files, path);
    return true;
}

const session_file_t *
session_file (session_t *self, const char *path)
{
    return (const session_file_t *) zhashx_lookup (self->files, path);
}

size_t
session_file_count (session_t *self)
{
    return zhashx_size (self->files);
}

const session_file_t *
session_file_first (session_t *self)
{
    return (const session_file_t *) zhashx_first (self->files);
}

const session_file_t *
session_file_next (session_t *self)
{
    return (const session_file_t *) zhashx_next (self->files);
}

const char *
session_file_cursor (session_t *self)
{
    return (const char *) zhashx_cursor (self->files);
}
