/*  inflight.c - what libzmq still holds of what the broker sent one
    connection. See inflight.h.

    A reference count (the holder's, and one per message in libzmq) keeps
    an account alive until its last message is gone, whatever the broker
    did meanwhile. The pool's total lives apart, with a count of its own:
    an account may outlive whoever made the pool.
*/
#include "inflight.h"
#include <stdatomic.h>
#include <sys/socket.h>

struct _inflight_pool_t {
    atomic_size_t refs;         //  the maker's, and one per account
    atomic_size_t bytes;        //  every account's bytes together
};

struct _inflight_t {
    atomic_size_t refs;         //  the holder's, and one per message in libzmq
    atomic_size_t messages;     //  messages libzmq has not freed yet
    atomic_int_fast64_t moved;  //  when one last left
    inflight_pool_t *pool;
    zframe_t *routing_id;
    int fd;                     //  the connection's socket; -1: unknown
};

inflight_pool_t *
inflight_pool_new (void)
{
    inflight_pool_t *self = (inflight_pool_t *) zmalloc (sizeof (inflight_pool_t));
    atomic_init (&self->refs, 1);
    atomic_init (&self->bytes, 0);
    return self;
}

static void
s_pool_unref (inflight_pool_t *pool)
{
    if (atomic_fetch_sub (&pool->refs, 1) == 1)
        free (pool);
}

void
inflight_pool_destroy (inflight_pool_t **self_p)
{
    if (*self_p) {
        s_pool_unref (*self_p);
        *self_p = NULL;
    }
}

size_t
inflight_pool_bytes (inflight_pool_t *self)
{
    return atomic_load (&self->bytes);
}

inflight_t *
inflight_new (inflight_pool_t *pool, zframe_t *routing_id)
{
    inflight_t *self = (inflight_t *) zmalloc (sizeof (inflight_t));
    atomic_init (&self->refs, 1);
    atomic_init (&self->messages, 0);
    atomic_init (&self->moved, zclock_mono ());
    atomic_fetch_add (&pool->refs, 1);
    self->pool = pool;
    self->routing_id = zframe_dup (routing_id);
    self->fd = -1;
    return self;
}

static void
s_unref (inflight_t *self)
{
    if (atomic_fetch_sub (&self->refs, 1) == 1) {
        s_pool_unref (self->pool);
        zframe_destroy (&self->routing_id);
        free (self);
    }
}

void
inflight_destroy (inflight_t **self_p)
{
    if (*self_p) {
        s_unref (*self_p);
        *self_p = NULL;
    }
}

//  libzmq's free callback, in its I/O thread (or the broker's, when a
//  send fails): the size counted sits before the data
static void
s_message_free (void *data, void *hint)
{
    inflight_t *self = (inflight_t *) hint;
    size_t counted = ((size_t *) data) [-1];
    free ((size_t *) data - 1);
    atomic_fetch_sub (&self->pool->bytes, counted);
    atomic_store (&self->moved, zclock_mono ());
    atomic_fetch_sub (&self->messages, 1);
    s_unref (self);
}

int
inflight_send (inflight_t *self, const Fshare__Message *msg, size_t overhead, zsock_t *router)
{
    size_t size = fshare__message__get_packed_size (msg);
    size_t *block = (size_t *) malloc (sizeof (size_t) + (size? size: 1));
    if (!block)
        return -1;
    block [0] = size + overhead;
    void *data = block + 1;
    fshare__message__pack (msg, (uint8_t *) data);
    atomic_fetch_add (&self->refs, 1);
    atomic_fetch_add (&self->messages, 1);
    atomic_fetch_add (&self->pool->bytes, size + overhead);
    zmq_msg_t frame;
    zmq_msg_init_data (&frame, data, size, s_message_free, self);
    void *handle = zsock_resolve (router);
    if (zmq_send (handle, zframe_data (self->routing_id), zframe_size (self->routing_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1
    ||  zmq_msg_send (&frame, handle, ZMQ_DONTWAIT) == -1) {
        int saved = errno;
        zmq_msg_close (&frame);     //  frees it: nothing stays counted
        errno = saved;
        return -1;
    }
    return 0;
}

size_t
inflight_messages (inflight_t *self)
{
    return atomic_load (&self->messages);
}

int64_t
inflight_moved (inflight_t *self)
{
    return atomic_load (&self->moved);
}

void
inflight_touch (inflight_t *self, int64_t now)
{
    atomic_store (&self->moved, now);
}

zframe_t *
inflight_routing_id (inflight_t *self)
{
    return self->routing_id;
}

void
inflight_set_fd (inflight_t *self, int fd)
{
    self->fd = fd;
}

int
inflight_fd (inflight_t *self)
{
    return self->fd;
}

bool
inflight_shutdown (inflight_t *self)
{
    int fd = self->fd;
    self->fd = -1;
    return fd >= 0 && shutdown (fd, SHUT_RDWR) == 0;
}
