/*  snapflow.c - snapshots a connection has not taken yet. See snapflow.h.

    An account is shared with libzmq's I/O thread, which frees the pages:
    a reference count (one for the table, one per page in flight) keeps it
    alive until the last page is gone, whatever the broker did meanwhile.
*/
#include "snapflow.h"
#include <stdatomic.h>

struct _snapflow_account_t {
    atomic_size_t refs;         //  the table's, and one per page in libzmq
    atomic_size_t pages;        //  pages libzmq has not freed yet
    bool waiting;               //  a request waits for the pages to go
    uint64_t request_id;        //  ...this one
    zframe_t *routing_id;
};

struct _snapflow_t {
    zhashx_t *accounts;         //  routing id (hex) -> snapflow_account_t
};

static void
s_account_unref (snapflow_account_t *account)
{
    if (atomic_fetch_sub (&account->refs, 1) == 1) {
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
snapflow_new (void)
{
    snapflow_t *self = (snapflow_t *) zmalloc (sizeof (snapflow_t));
    self->accounts = zhashx_new ();
    zhashx_set_destructor (self->accounts, s_account_destructor);
    return self;
}

void
snapflow_destroy (snapflow_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->accounts);
        free (*self_p);
        *self_p = NULL;
    }
}

snapflow_account_t *
snapflow_admit (snapflow_t *self, zframe_t *routing_id, uint64_t request_id,
                bool *replaced)
{
    *replaced = false;
    char *key = zframe_strhex (routing_id);
    snapflow_account_t *account = (snapflow_account_t *) zhashx_lookup (self->accounts, key);
    if (!account) {
        account = (snapflow_account_t *) zmalloc (sizeof (snapflow_account_t));
        atomic_init (&account->refs, 1);
        atomic_init (&account->pages, 0);
        account->routing_id = zframe_dup (routing_id);
        zhashx_insert (self->accounts, key, account);
    }
    zstr_free (&key);
    if (atomic_load (&account->pages) == 0 && !account->waiting)
        return account;
    *replaced = account->waiting;
    account->waiting = true;
    account->request_id = request_id;
    return NULL;
}

//  libzmq's free callback, in its I/O thread (or the broker's, when a
//  send fails)
static void
s_page_free (void *data, void *hint)
{
    free (data);
    snapflow_account_t *account = (snapflow_account_t *) hint;
    atomic_fetch_sub (&account->pages, 1);
    s_account_unref (account);
}

int
snapflow_send (snapflow_account_t *account, const Fshare__Message *msg, zsock_t *router,
               zframe_t *routing_id)
{
    size_t size = fshare__message__get_packed_size (msg);
    void *data = malloc (size? size: 1);
    if (!data)
        return -1;
    fshare__message__pack (msg, (uint8_t *) data);
    atomic_fetch_add (&account->refs, 1);
    atomic_fetch_add (&account->pages, 1);
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
snapflow_waiting (snapflow_t *self)
{
    size_t count = 0;
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts))
        count += account->waiting;
    return count;
}
