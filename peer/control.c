/*  control.c - the agent's control socket. See control.h. */
#include "control.h"
#include "ratelog.h"

//  Room left in a page for the reply's own fields
#define PAGE_MARGIN 256

struct _control_t {
    zsock_t *router;
    zlistx_t *subscribers;      //  zframe_t routing ids of "events" ctls
    fsh_ratelog_t *ratelog;     //  malformed requests: one warning a second
};

struct _control_pager_t {
    control_t *control;
    zframe_t *to;
    Fshare__UserFile *entries;
    Fshare__FileInfo *infos;
    Fshare__UserFile **list;
    size_t count;
    size_t capacity;
    size_t bytes;
    bool failed;                //  the ctl went away: stop sending
};

static void
s_frame_free (void **item)
{
    zframe_t *frame = (zframe_t *) *item;
    zframe_destroy (&frame);
    *item = NULL;
}

control_t *
control_new (const char *endpoint, const char **error)
{
    *error = fsh_endpoint_prepare (endpoint);
    if (*error)
        return NULL;
    if (fsh_endpoint_in_use (endpoint)) {
        *error = "another agent is listening there";
        return NULL;
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router) {
        *error = "cannot create a socket";
        return NULL;
    }
    fsh_socket_limits (router, 0);
    if (zsock_bind (router, "%s", endpoint) == -1) {
        *error = zmq_strerror (zmq_errno ());
        zsock_destroy (&router);
        return NULL;
    }
    control_t *self = (control_t *) zmalloc (sizeof (control_t));
    self->router = router;
    self->subscribers = zlistx_new ();
    zlistx_set_destructor (self->subscribers, s_frame_free);
    self->ratelog = fsh_ratelog_new (1);
    return self;
}

void
control_destroy (control_t **self_p)
{
    if (*self_p) {
        control_t *self = *self_p;
        zlistx_destroy (&self->subscribers);
        fsh_ratelog_destroy (&self->ratelog);
        zsock_destroy (&self->router);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
control_sock (control_t *self)
{
    return self->router;
}

static void
s_warn_malformed (control_t *self, const char *what)
{
    fsh_ratelog_warning (self->ratelog, "control", "ignored a malformed request (%s)", what);
}

//  A request we cannot take still gets an answer (bad_request), so that
//  a client never waits for nothing; the log line is rate-limited.
static void
s_refuse (control_t *self, zframe_t *sender, const char *what)
{
    s_warn_malformed (self, what);
    if (sender)
        control_reply_error (self, sender, FSH_ERR_BAD_REQUEST, "malformed control request");
}

control_request_t *
control_recv (control_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        return NULL;
    zframe_t *sender = zmsg_pop (msg);
    if (zmsg_size (msg) != 1) {
        s_refuse (self, sender, "not two frames");
        zframe_destroy (&sender);
        zmsg_destroy (&msg);
        return NULL;
    }
    zframe_t *body = zmsg_first (msg);
    Fshare__CtlRequest *request = (Fshare__CtlRequest *)
        fsh_unpack (&fshare__ctl_request__descriptor, zframe_data (body), zframe_size (body));
    zmsg_destroy (&msg);
    if (!request || !fsh_text_valid (request->command, 64)) {
        s_refuse (self, sender, request? "bad command": "not a CtlRequest");
        if (request)
            fshare__ctl_request__free_unpacked (request, NULL);
        zframe_destroy (&sender);
        return NULL;
    }
    control_request_t *self_r = (control_request_t *) zmalloc (sizeof (control_request_t));
    self_r->sender = sender;
    self_r->request = request;
    return self_r;
}

void
control_request_destroy (control_request_t **self_p)
{
    if (*self_p) {
        control_request_t *self = *self_p;
        zframe_destroy (&self->sender);
        fshare__ctl_request__free_unpacked (self->request, NULL);
        free (self);
        *self_p = NULL;
    }
}

int
control_reply (control_t *self, zframe_t *to, Fshare__CtlReply *reply)
{
    return fsh_pack_send (&reply->base, self->router, to);
}

int
control_reply_ok (control_t *self, zframe_t *to, const char *text)
{
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.text = (char *) (text? text: "");
    return control_reply (self, to, &reply);
}

int
control_reply_error (control_t *self, zframe_t *to, fsh_err_t code, const char *error)
{
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.status = FSHARE__STATUS__STATUS_ERROR;
    reply.code = code;
    reply.error = (char *) (error? error: fsh_err_text (code));
    return control_reply (self, to, &reply);
}

control_pager_t *
control_pager_new (control_t *self, zframe_t *to)
{
    control_pager_t *pager = (control_pager_t *) zmalloc (sizeof (control_pager_t));
    pager->control = self;
    pager->to = to;
    return pager;
}

static void
s_pager_send (control_pager_t *pager, bool more)
{
    if (pager->failed)
        return;
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.more = more;
    reply.n_files = pager->count;
    reply.files = pager->list;
    //  The ctl went away (or is full): the rest of the listing is moot
    if (control_reply (pager->control, pager->to, &reply))
        pager->failed = true;
    pager->count = 0;
    pager->bytes = 0;
}

static void
s_pager_grow (control_pager_t *pager)
{
    size_t capacity = pager->capacity? pager->capacity * 2: 256;
    pager->entries = (Fshare__UserFile *) realloc (pager->entries, capacity * sizeof (Fshare__UserFile));
    pager->infos = (Fshare__FileInfo *) realloc (pager->infos, capacity * sizeof (Fshare__FileInfo));
    pager->list = (Fshare__UserFile **) realloc (pager->list, capacity * sizeof (Fshare__UserFile *));
    assert (pager->entries && pager->infos && pager->list);
    //  The arrays moved: the pointers of the current page follow them
    for (size_t i = 0; i < pager->count; i++) {
        pager->entries [i].file = &pager->infos [i];
        pager->list [i] = &pager->entries [i];
    }
    pager->capacity = capacity;
}

void
control_pager_add (control_pager_t *pager, const char *user, const fileset_file_t *file)
{
    //  Worst case of the encoded entry: names plus digest, varints and tags
    size_t bytes = strlen (user) + strlen (file->path) + 48 + 34;
    if (pager->count && pager->bytes + bytes > FSH_PAGE_BYTES - PAGE_MARGIN)
        s_pager_send (pager, true);
    if (pager->count == pager->capacity)
        s_pager_grow (pager);
    Fshare__FileInfo *info = &pager->infos [pager->count];
    fileset_info (file, info);
    Fshare__UserFile *entry = &pager->entries [pager->count];
    fshare__user_file__init (entry);
    entry->user = (char *) user;
    entry->file = info;
    pager->list [pager->count++] = entry;
    pager->bytes += bytes;
}

void
control_pager_finish (control_pager_t **pager_p)
{
    if (*pager_p) {
        control_pager_t *pager = *pager_p;
        s_pager_send (pager, false);
        free (pager->entries);
        free (pager->infos);
        free (pager->list);
        free (pager);
        *pager_p = NULL;
    }
}

void
control_subscribe (control_t *self, zframe_t *to)
{
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.more = true;
    if (control_reply (self, to, &reply))
        return;
    //  A ctl asking twice gets the stream once
    for (zframe_t *sub = (zframe_t *) zlistx_first (self->subscribers); sub;
         sub = (zframe_t *) zlistx_next (self->subscribers))
        if (zframe_eq (sub, to))
            return;
    zlistx_add_end (self->subscribers, zframe_dup (to));
}

void
control_publish (control_t *self, const Fshare__Event *event, bool resynced)
{
    if (zlistx_size (self->subscribers) == 0)
        return;
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.more = true;
    reply.event = (Fshare__Event *) event;
    reply.resynced = resynced;
    zframe_t *sub = (zframe_t *) zlistx_first (self->subscribers);
    while (sub) {
        if (control_reply (self, sub, &reply) == -1 && errno == EHOSTUNREACH)
            zlistx_delete (self->subscribers, zlistx_cursor (self->subscribers));
        sub = (zframe_t *) zlistx_next (self->subscribers);
    }
}

size_t
control_subscribers (control_t *self)
{
    return zlistx_size (self->subscribers);
}
