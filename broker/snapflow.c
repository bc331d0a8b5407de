/*  snapflow.c - snapshots connections have not taken yet. See snapflow.h.

    An account is shared with libzmq's I/O thread, which frees the pages:
    a reference count (one for the table, one per page in flight) keeps it
    alive until the last page is gone, whatever the broker did meanwhile.
    The total of every account's bytes lives apart (a pool), with a count
    of its own: an account may outlive the table, and so its pool.
*/
#include "snapflow.h"
#include <stdatomic.h>
#include <sys/socket.h>

typedef struct {
    atomic_size_t refs;         //  the table's, and one per account
    atomic_size_t bytes;        //  pages in flight, every account together
} snapflow_pool_t;

struct _snapflow_account_t {
    atomic_size_t refs;         //  the table's, and one per page in libzmq
    atomic_size_t pages;        //  pages libzmq has not freed yet
    atomic_int_fast64_t moved;  //  when a page last left (or the snapshot began)
    snapflow_pool_t *pool;
    bool waiting;               //  a request waits for the pages to go
    bool dropped;               //  its connection was shut down for stalling
    int fd;                     //  the connection's socket; -1: unknown
    uint64_t request_id;        //  ...this one
    zframe_t *routing_id;
};

struct _snapflow_t {
    zhashx_t *accounts;         //  routing id (hex) -> snapflow_account_t
    snapflow_pool_t *pool;
    size_t budget;
    int64_t stall_ms;
};

static void
s_pool_unref (snapflow_pool_t *pool)
{
    if (atomic_fetch_sub (&pool->refs, 1) == 1)
        free (pool);
}

static void
s_account_unref (snapflow_account_t *account)
{
    if (atomic_fetch_sub (&account->refs, 1) == 1) {
        s_pool_unref (account->pool);
        zframe_destroy (&account->routing_id);
        free (account);
    }
}

static void
s_account_destructor (void **item_p)
{
    if (*item_p)
        s_account_unref ((snapflow_account_t *) *item_p);
    *item_p = NULL;
}

snapflow_t *
snapflow_new (size_t budget, int64_t stall_ms)
{
    snapflow_t *self = (snapflow_t *) zmalloc (sizeof (snapflow_t));
    self->accounts = zhashx_new ();
    zhashx_set_destructor (self->accounts, s_account_destructor);
    self->pool = (snapflow_pool_t *) zmalloc (sizeof (snapflow_pool_t));
    atomic_init (&self->pool->refs, 1);
    atomic_init (&self->pool->bytes, 0);
    self->budget = budget;
    self->stall_ms = stall_ms;
    return self;
}

void
snapflow_destroy (snapflow_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->accounts);
        s_pool_unref ((*self_p)->pool);
        free (*self_p);
        *self_p = NULL;
    }
}

static snapflow_account_t *
s_account_new (snapflow_t *self, zframe_t *routing_id)
{
    snapflow_account_t *account = (snapflow_account_t *) zmalloc (sizeof (snapflow_account_t));
    atomic_init (&account->refs, 1);
    atomic_init (&account->pages, 0);
    atomic_init (&account->moved, 0);
    atomic_fetch_add (&self->pool->refs, 1);
    account->pool = self->pool;
    account->fd = -1;
    account->routing_id = zframe_dup (routing_id);
    return account;
}

snapflow_account_t *
snapflow_admit (snapflow_t *self, zframe_t *routing_id, int fd, uint64_t request_id,
                snapflow_verdict_t *verdict)
{
    char *key = zframe_strhex (routing_id);
    snapflow_account_t *account = (snapflow_account_t *) zhashx_lookup (self->accounts, key);
    if (account && (atomic_load (&account->pages) > 0 || account->waiting)) {
        zstr_free (&key);
        *verdict = account->waiting? SNAPFLOW_REPLACED: SNAPFLOW_WAITS;
        account->waiting = true;
        account->request_id = request_id;
        return NULL;
    }
    //  Refused before it costs an account: a crowd asking is no crowd held
    if (atomic_load (&self->pool->bytes) >= self->budget) {
        zstr_free (&key);
        *verdict = SNAPFLOW_BUSY;
        return NULL;
    }
    if (!account) {
        account = s_account_new (self, routing_id);
        zhashx_insert (self->accounts, key, account);
    }
    zstr_free (&key);
    if (fd >= 0)
        account->fd = fd;
    account->dropped = false;
    atomic_store (&account->moved, zclock_mono ());
    *verdict = SNAPFLOW_SEND;
    return account;
}

//  libzmq's free callback, in its I/O thread (or the broker's, when a
//  send fails)
static void
s_page_free (void *data, void *hint)
{
    snapflow_account_t *account = (snapflow_account_t *) hint;
    size_t size = ((size_t *) data) [-1];
    free ((size_t *) data - 1);
    atomic_fetch_sub (&account->pool->bytes, size);
    atomic_store (&account->moved, zclock_mono ());
    atomic_fetch_sub (&account->pages, 1);
    s_account_unref (account);
}

int
snapflow_send (snapflow_account_t *account, const Fshare__Message *msg, zsock_t *router,
               zframe_t *routing_id)
{
    size_t size = fshare__message__get_packed_size (msg);
    //  The page's size before it, for the free callback to count
    size_t *block = (size_t *) malloc (sizeof (size_t) + (size? size: 1));
    if (!block)
        return -1;
    block [0] = size;
    void *data = block + 1;
    fshare__message__pack (msg, (uint8_t *) data);
    atomic_fetch_add (&account->refs, 1);
    atomic_fetch_add (&account->pages, 1);
    atomic_fetch_add (&account->pool->bytes, size);
    zmq_msg_t frame;
    zmq_msg_init_data (&frame, data, size, s_page_free, account);
    void *handle = zsock_resolve (router);
    if (zmq_send (handle, zframe_data (routing_id), zframe_size (routing_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1
    ||  zmq_msg_send (&frame, handle, ZMQ_DONTWAIT) == -1) {
        int saved = errno;
        zmq_msg_close (&frame);
        errno = saved;
        return -1;
    }
    return 0;
}

void
snapflow_release (snapflow_t *self, snapflow_fn *fn, void *arg)
{
    zlistx_t *ready = zlistx_new ();
    zlistx_t *idle = zlistx_new ();
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts)) {
        if (atomic_load (&account->pages) > 0)
            continue;
        zlistx_add_end (account->waiting? ready: idle, account);
    }
    //  Answered outside the walk: an answer goes through snapflow_admit
    for (snapflow_account_t *account = (snapflow_account_t *) zlistx_first (ready); account;
         account = (snapflow_account_t *) zlistx_next (ready)) {
        account->waiting = false;
        fn (arg, account->routing_id, account->request_id);
    }
    for (snapflow_account_t *account = (snapflow_account_t *) zlistx_first (idle); account;
         account = (snapflow_account_t *) zlistx_next (idle)) {
        char *key = zframe_strhex (account->routing_id);
        zhashx_delete (self->accounts, key);
        zstr_free (&key);
    }
    zlistx_destroy (&ready);
    zlistx_destroy (&idle);
}

size_t
snapflow_expire (snapflow_t *self, int64_t now)
{
    size_t count = 0;
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts)) {
        if (account->dropped || atomic_load (&account->pages) == 0
        ||  now - atomic_load (&account->moved) < self->stall_ms)
            continue;
        //  A ROUTER cannot drop one peer's queue, but libzmq ends a
        //  connection whose socket is shut down, and frees what it queued
        account->dropped = true;
        account->waiting = false;
        if (account->fd >= 0 && shutdown (account->fd, SHUT_RDWR) == 0)
            count++;
    }
    return count;
}

void
snapflow_disconnected (snapflow_t *self, int fd)
{
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts))
        if (fd >= 0 && account->fd == fd)
            account->fd = -1;
}

size_t
snapflow_waiting (snapflow_t *self)
{
    size_t count = 0;
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts))
        count += account->waiting;
    return count;
}

size_t
snapflow_bytes (snapflow_t *self)
{
    return atomic_load (&self->pool->bytes);
}
