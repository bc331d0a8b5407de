/*  session.c - one logged-in user as the broker sees it. See session.h. */
#include "session.h"
#include "budget.h"
#include <sodium.h>

struct _session_t {
    char token [33];            //  128 random bits, hex
    char *user;
    zframe_t *routing_id;
    fileset_t *files;
    byte instance [64];
    size_t instance_size;
    char key [48];              //  CURVE public key, Z85 (40 chars)
    int fd;
    uint64_t list_bytes;        //  session_file_bytes of every file
    int64_t last_seen;
    int64_t since;
    bool online;
    budget_t changes;           //  what its Changes may still cost
    bool budgeted;              //  changes set up (at the first Change)
};

session_t *
session_new (const char *user, zframe_t *routing_id)
{
    session_t *self = (session_t *) zmalloc (sizeof (session_t));
    unsigned char raw [16];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (self->token, sizeof self->token, raw, sizeof raw);
    self->user = strdup (user);
    self->routing_id = zframe_dup (routing_id);
    //  The broker holds every user's files and needs no host-directory
    //  fields: compact records halve what a login storm costs it
    self->files = fileset_new_compact ();
    self->last_seen = zclock_mono ();
    self->fd = -1;
    return self;
}

void
session_destroy (session_t **self_p)
{
    if (*self_p) {
        session_t *self = *self_p;
        fileset_destroy (&self->files);
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
session_put_file (session_t *self, const Fshare__FileInfo *file)
{
    Fshare__ChangeKind kind = fileset_put_info (self->files, file);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_ADDED)
        self->list_bytes += session_file_bytes (file->path);
    return kind;
}

bool
session_remove_file (session_t *self, const char *path)
{
    uint64_t bytes = session_file_bytes (path);
    if (!fileset_remove (self->files, path))
        return false;
    self->list_bytes -= bytes;
    return true;
}

uint64_t
session_file_bytes (const char *path)
{
    return strlen (path) + SESSION_FILE_OVERHEAD;
}

uint64_t
session_list_bytes (session_t *self)
{
    return self->list_bytes;
}

const fileset_file_t *
session_file (session_t *self, const char *path)
{
    return fileset_lookup (self->files, path);
}

size_t
session_file_count (session_t *self)
{
    return fileset_size (self->files);
}

fileset_t *
session_files (session_t *self)
{
    return self->files;
}

uint64_t
session_change_cost (const Fshare__Change *change)
{
    uint64_t cost = SESSION_CHANGE_OVERHEAD;
    if (change && change->file && change->file->path)
        cost += strlen (change->file->path);
    if (change && change->from)
        cost += strlen (change->from);
    return cost;
}

bool
session_spend_change (session_t *self, uint64_t cost, uint64_t rate, int64_t now)
{
    assert (self);
    if (!self->budgeted) {
        budget_init (&self->changes, rate, rate * SESSION_CHANGE_BURST_S, now);
        self->budgeted = true;
    }
    return budget_spend (&self->changes, cost, now);
}
