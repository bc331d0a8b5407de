/*  snapflow.c - snapshots connections have not taken yet. See snapflow.h.

    What libzmq still holds of a connection's pages is its inflight.h
    account's; the waiting request and the verdicts are this file's.
*/
#include "snapflow.h"
#include "inflight.h"

struct _snapflow_account_t {
    inflight_t *pages;          //  pages libzmq has not freed yet
    bool waiting;               //  a request waits for the pages to go
    bool dropped;               //  its connection was shut down for stalling
    uint64_t request_id;        //  ...this one
};

struct _snapflow_t {
    zhashx_t *accounts;         //  routing id (hex) -> snapflow_account_t
    inflight_pool_t *pool;
    size_t budget;
    int64_t stall_ms;
};

static void
s_account_destructor (void **item_p)
{
    snapflow_account_t *account = (snapflow_account_t *) *item_p;
    if (account) {
        inflight_destroy (&account->pages);
        free (account);
        *item_p = NULL;
    }
}

snapflow_t *
snapflow_new (size_t budget, int64_t stall_ms)
{
    snapflow_t *self = (snapflow_t *) zmalloc (sizeof (snapflow_t));
    self->accounts = zhashx_new ();
    zhashx_set_destructor (self->accounts, s_account_destructor);
    self->pool = inflight_pool_new ();
    self->budget = budget;
    self->stall_ms = stall_ms;
    return self;
}

void
snapflow_destroy (snapflow_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->accounts);
        inflight_pool_destroy (&(*self_p)->pool);
        free (*self_p);
        *self_p = NULL;
    }
}

static snapflow_account_t *
s_account_new (snapflow_t *self, zframe_t *routing_id)
{
    snapflow_account_t *account = (snapflow_account_t *) zmalloc (sizeof (snapflow_account_t));
    account->pages = inflight_new (self->pool, routing_id);
    return account;
}

snapflow_account_t *
snapflow_admit (snapflow_t *self, zframe_t *routing_id, int fd, uint64_t request_id,
                snapflow_verdict_t *verdict)
{
    char *key = zframe_strhex (routing_id);
    snapflow_account_t *account = (snapflow_account_t *) zhashx_lookup (self->accounts, key);
    if (account && (inflight_messages (account->pages) > 0 || account->waiting)) {
        zstr_free (&key);
        *verdict = account->waiting? SNAPFLOW_REPLACED: SNAPFLOW_WAITS;
        account->waiting = true;
        account->request_id = request_id;
        return NULL;
    }
    //  Refused before it costs an account: a crowd asking is no crowd held
    if (inflight_pool_bytes (self->pool) >= self->budget) {
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
        inflight_set_fd (account->pages, fd);
    account->dropped = false;
    inflight_touch (account->pages, zclock_mono ());
    *verdict = SNAPFLOW_SEND;
    return account;
}

int
snapflow_send (snapflow_account_t *account, const Fshare__Message *msg, zsock_t *router)
{
    return inflight_send (account->pages, msg, 0, router);
}

void
snapflow_release (snapflow_t *self, snapflow_fn *fn, void *arg)
{
    zlistx_t *ready = zlistx_new ();
    zlistx_t *idle = zlistx_new ();
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts)) {
        if (inflight_messages (account->pages) > 0)
            continue;
        zlistx_add_end (account->waiting? ready: idle, account);
    }
    //  Answered outside the walk: an answer goes through snapflow_admit
    for (snapflow_account_t *account = (snapflow_account_t *) zlistx_first (ready); account;
         account = (snapflow_account_t *) zlistx_next (ready)) {
        account->waiting = false;
        fn (arg, inflight_routing_id (account->pages), account->request_id);
    }
    for (snapflow_account_t *account = (snapflow_account_t *) zlistx_first (idle); account;
         account = (snapflow_account_t *) zlistx_next (idle)) {
        char *key = zframe_strhex (inflight_routing_id (account->pages));
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
        if (account->dropped || inflight_messages (account->pages) == 0
        ||  now - inflight_moved (account->pages) < self->stall_ms)
            continue;
        account->dropped = true;
        account->waiting = false;
        if (inflight_shutdown (account->pages))
            count++;
    }
    return count;
}

void
snapflow_disconnected (snapflow_t *self, int fd)
{
    for (snapflow_account_t *account = (snapflow_account_t *) zhashx_first (self->accounts);
         account; account = (snapflow_account_t *) zhashx_next (self->accounts))
        if (fd >= 0 && inflight_fd (account->pages) == fd)
            inflight_set_fd (account->pages, -1);
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
    return inflight_pool_bytes (self->pool);
}
