/*  outflow.c - replies connections have not taken yet. See outflow.h. */
#include "outflow.h"
#include "inflight.h"

#define OUTFLOW_WARNINGS_PER_SEC    2

typedef struct {
    inflight_t *replies;        //  what libzmq holds of them
    bool deaf;                  //  replies dropped since it last read
    bool dropped;               //  its connection was shut down
} account_t;

struct _outflow_t {
    zsock_t *router;
    fsh_ratelog_t *ratelog;
    zhashx_t *accounts;         //  routing id (hex) -> account_t
    inflight_pool_t *pool;
    size_t budget;
    int64_t stall_ms;
};

static void
s_account_destroy (void **item_p)
{
    account_t *account = (account_t *) *item_p;
    if (account) {
        inflight_destroy (&account->replies);
        free (account);
        *item_p = NULL;
    }
}

outflow_t *
outflow_new (zsock_t *router, size_t budget, int64_t stall_ms)
{
    outflow_t *self = (outflow_t *) zmalloc (sizeof (outflow_t));
    self->router = router;
    self->ratelog = fsh_ratelog_new (OUTFLOW_WARNINGS_PER_SEC);
    self->accounts = zhashx_new ();
    zhashx_set_destructor (self->accounts, s_account_destroy);
    self->pool = inflight_pool_new ();
    self->budget = budget;
    self->stall_ms = stall_ms;
    return self;
}

void
outflow_destroy (outflow_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->accounts);
        inflight_pool_destroy (&(*self_p)->pool);
        fsh_ratelog_destroy (&(*self_p)->ratelog);
        free (*self_p);
        *self_p = NULL;
    }
}

static account_t *
s_account (outflow_t *self, zframe_t *routing_id)
{
    char *key = zframe_strhex (routing_id);
    account_t *account = (account_t *) zhashx_lookup (self->accounts, key);
    if (!account) {
        account = (account_t *) zmalloc (sizeof (account_t));
        account->replies = inflight_new (self->pool, routing_id);
        zhashx_insert (self->accounts, key, account);
    }
    zstr_free (&key);
    return account;
}

outflow_verdict_t
outflow_send (outflow_t *self, zframe_t *routing_id, int fd, const Fshare__Message *msg)
{
    account_t *account = s_account (self, routing_id);
    if (fd >= 0 && !account->dropped)
        inflight_set_fd (account->replies, fd);
    size_t held = inflight_messages (account->replies);
    if (held == 0)
        account->deaf = false;      //  it read them all
    bool full = held >= OUTFLOW_BACKLOG
             || (held >= OUTFLOW_SHARE && inflight_pool_bytes (self->pool) >= self->budget);
    if (full || account->dropped) {
        if (account->deaf)
            return OUTFLOW_DEAF;
        account->deaf = true;
        fsh_ratelog_warning (self->ratelog, "broker", "a connection reads none of its replies "
                             "(%zu held, %zu bytes of every connection's): dropping what it "
                             "is sent until it does", held, inflight_pool_bytes (self->pool));
        return OUTFLOW_DEAF_NOW;
    }
    if (inflight_send (account->replies, msg, OUTFLOW_OVERHEAD, self->router) == -1)
        return OUTFLOW_FAILED;
    return OUTFLOW_SENT;
}

size_t
outflow_expire (outflow_t *self, int64_t now)
{
    size_t count = 0;
    zlistx_t *idle = zlistx_new ();
    for (account_t *account = (account_t *) zhashx_first (self->accounts); account;
         account = (account_t *) zhashx_next (self->accounts)) {
        if (inflight_messages (account->replies) == 0) {
            zlistx_add_end (idle, (void *) zhashx_cursor (self->accounts));
            continue;
        }
        if (!account->deaf || account->dropped
        ||  now - inflight_moved (account->replies) < self->stall_ms)
            continue;
        account->dropped = true;
        if (inflight_shutdown (account->replies))
            count++;
    }
    for (const char *key = (const char *) zlistx_first (idle); key;
         key = (const char *) zlistx_next (idle))
        zhashx_delete (self->accounts, key);
    zlistx_destroy (&idle);
    if (count)
        fsh_ratelog_warning (self->ratelog, "broker", "dropped %zu connections that read none "
                             "of their replies for %" PRId64 " ms", count, self->stall_ms);
    return count;
}

void
outflow_disconnected (outflow_t *self, int fd)
{
    for (account_t *account = (account_t *) zhashx_first (self->accounts); account;
         account = (account_t *) zhashx_next (self->accounts))
        if (fd >= 0 && inflight_fd (account->replies) == fd)
            inflight_set_fd (account->replies, -1);
}

size_t
outflow_bytes (outflow_t *self)
{
    return inflight_pool_bytes (self->pool);
}

size_t
outflow_size (outflow_t *self)
{
    return zhashx_size (self->accounts);
}
