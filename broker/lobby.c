/*  lobby.c - logins waiting for their turn. See lobby.h. */
#include "lobby.h"
#include <sodium.h>

typedef struct {
    lobby_t *lobby;
    zframe_t *routing_id;
    gate_caller_t caller;
    throttle_lane_t lane;       //  held login: the lane it counts in
    byte *packed;               //  held login, encoded (holds a password)
    size_t packed_size;
    uint64_t request_id;        //  refusal: the request it answers
    fsh_err_t code;             //  refusal: its code; FSH_ERR_NONE for a held login
    const char *error;          //  refusal: static text, or NULL for the code's own
    void *handle;               //  in the lobby's list
} item_t;

struct _lobby_t {
    zloop_t *loop;
    outflow_t *outflow;         //  replies (outflow.h)
    lobby_fn *release;
    void *arg;
    zlistx_t *items;            //  item_t (owned)
    zhashx_t *held;             //  lane letter ':' address -> held logins
    size_t held_in [2];         //  held logins per lane
    size_t per_address;         //  most held logins of one address and lane
};

static void
s_item_destroy (item_t **item_p)
{
    item_t *item = *item_p;
    if (!item)
        return;
    zframe_destroy (&item->routing_id);
    if (item->packed) {
        sodium_memzero (item->packed, item->packed_size);
        free (item->packed);
    }
    free (item);
    *item_p = NULL;
}

static void
s_item_destructor (void **item_p)
{
    s_item_destroy ((item_t **) item_p);
}

lobby_t *
lobby_new (zloop_t *loop, outflow_t *outflow, lobby_fn *release, void *arg)
{
    lobby_t *self = (lobby_t *) zmalloc (sizeof (lobby_t));
    self->loop = loop;
    self->outflow = outflow;
    self->release = release;
    self->arg = arg;
    self->items = zlistx_new ();
    zlistx_set_destructor (self->items, s_item_destructor);
    self->held = zhashx_new ();
    self->per_address = LOBBY_HELD_PER_ADDRESS;
    return self;
}

void
lobby_set_per_address (lobby_t *self, int held)
{
    self->per_address = held > 0? (size_t) held: 1;
}

void
lobby_destroy (lobby_t **self_p)
{
    lobby_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->items);
    zhashx_destroy (&self->held);
    free (self);
    *self_p = NULL;
}

size_t
lobby_size (lobby_t *self)
{
    return zlistx_size (self->items);
}

size_t
lobby_held (lobby_t *self, throttle_lane_t lane)
{
    return self->held_in [lane == THROTTLE_SUSPECT];
}

static void
s_held_key (char *key, size_t size, throttle_lane_t lane, const char *address)
{
    snprintf (key, size, "%c:%s", lane == THROTTLE_SUSPECT? 's': 'c', address);
}

static size_t
s_held_count (lobby_t *self, throttle_lane_t lane, const char *address)
{
    char key [sizeof ((gate_caller_t *) 0)->address + 2];
    s_held_key (key, sizeof key, lane, address);
    return (size_t) (uintptr_t) zhashx_lookup (self->held, key);
}

static void
s_held_add (lobby_t *self, throttle_lane_t lane, const char *address, int change)
{
    char key [sizeof ((gate_caller_t *) 0)->address + 2];
    s_held_key (key, sizeof key, lane, address);
    size_t count = (size_t) (uintptr_t) zhashx_lookup (self->held, key) + (size_t) change;
    if (count)
        zhashx_update (self->held, key, (void *) (uintptr_t) count);
    else
        zhashx_delete (self->held, key);
    self->held_in [lane == THROTTLE_SUSPECT] += (size_t) change;
}

//  Whether one more login may be held in lane from address.
static bool
s_room (lobby_t *self, throttle_lane_t lane, const char *address)
{
    if (self->held_in [0] + self->held_in [1] >= LOBBY_HELD_MAX)
        return false;
    if (lane == THROTTLE_SUSPECT && lobby_held (self, lane) >= LOBBY_SUSPECT_MAX)
        return false;
    return s_held_count (self, lane, address) < self->per_address;
}

//  Takes the item out of the list without destroying it.
static void
s_item_detach (lobby_t *self, item_t *item)
{
    zlistx_detach (self->items, item->handle);
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    item_t *item = (item_t *) arg;
    lobby_t *self = item->lobby;
    s_item_detach (self, item);
    if (item->code != FSH_ERR_NONE) {
        Fshare__Message reply = FSHARE__MESSAGE__INIT;
        fsh_msg_set_error (&reply, item->request_id, item->code, item->error);
        //  The client may be gone by now: nothing to do about it
        outflow_send (self->outflow, item->routing_id, item->caller.fd, &reply);
    }
    else {
        s_held_add (self, item->lane, item->caller.address, -1);
        Fshare__Message *msg = fsh_msg_decode (item->packed, item->packed_size);
        if (msg)
            self->release (self->arg, item->routing_id, msg, &item->caller);
        fsh_msg_destroy (&msg);
    }
    s_item_destroy (&item);
    return 0;
}

static void
s_arm (lobby_t *self, item_t *item, int64_t delay_ms)
{
    item->lobby = self;
    item->handle = zlistx_add_end (self->items, item);
    zloop_timer (self->loop, (size_t) (delay_ms > 0? delay_ms: 1), 1, s_on_timer, item);
}

int
lobby_hold (lobby_t *self, zframe_t *routing_id, const Fshare__Message *msg,
            const gate_caller_t *caller, throttle_lane_t lane, int64_t delay_ms)
{
    if (msg->body_case != FSHARE__MESSAGE__BODY_LOGIN || !msg->login
    ||  !s_room (self, lane, caller->address))
        return -1;
    //  Only what a login needs is kept, never what else the sender packed
    //  in (unknown fields, a long session string): a message may be up to
    //  --max-message, and one address may have many held.
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = msg->login->user;
    login.password = msg->login->password;
    login.version = msg->login->version;
    login.observer = msg->login->observer;
    login.instance = msg->login->instance;      //  bounded by the caller
    Fshare__Message kept = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&kept, msg->id, FSHARE__MESSAGE__BODY_LOGIN, &login);
    item_t *item = (item_t *) zmalloc (sizeof (item_t));
    item->routing_id = zframe_dup (routing_id);
    item->caller = *caller;
    item->lane = lane;
    item->packed_size = fshare__message__get_packed_size (&kept);
    item->packed = (byte *) zmalloc (item->packed_size + 1);
    fshare__message__pack (&kept, item->packed);
    s_held_add (self, lane, caller->address, 1);
    s_arm (self, item, delay_ms);
    return 0;
}

void
lobby_refuse_later (lobby_t *self, zframe_t *routing_id, uint64_t request_id,
                    fsh_err_t code, const char *error, int64_t delay_ms)
{
    item_t *item = (item_t *) zmalloc (sizeof (item_t));
    item->routing_id = zframe_dup (routing_id);
    item->request_id = request_id;
    item->code = code;
    item->error = error;
    s_arm (self, item, delay_ms);
}
