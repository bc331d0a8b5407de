/*  publisher.c - the event stream and snapshots. See publisher.h. */
#include "publisher.h"
#include "pager.h"

struct _publisher_t {
    zsock_t *pub;
    char *id;
    uint64_t seq;
};

int
publisher_hwm (void)
{
    return FSH_SUBSCRIBER_BYTES / FSH_EVENT_MAX_BYTES;
}

publisher_t *
publisher_new (zsock_t *pub, const char *id)
{
    publisher_t *self = (publisher_t *) zmalloc (sizeof (publisher_t));
    self->pub = pub;
    self->id = strdup (id);
    return self;
}

void
publisher_destroy (publisher_t **self_p)
{
    publisher_t *self = *self_p;
    if (self) {
        free (self->id);
        free (self);
        *self_p = NULL;
    }
}

uint64_t
publisher_seq (publisher_t *self)
{
    return self->seq;
}

void
publisher_send (publisher_t *self, Fshare__Event *event)
{
    event->broker = self->id;
    event->seq = ++self->seq;
    event->time_ms = zclock_time ();
    if (fsh_event_send (event, self->pub) == -1)
        zsys_error ("broker: cannot publish event: %s", zmq_strerror (errno));
}

void
publisher_file (publisher_t *self, Fshare__EventType type, session_t *session,
                const char *path, const char *from)
{
    //  As the table now has it: what every view is built from
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    const fileset_file_t *entry = session_file (session, path);
    if (entry)
        fileset_info (entry, &file);
    else
        file.path = (char *) path;      //  removed
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = type;
    event.user = (char *) session_user (session);
    event.file = &file;
    event.from = (char *) (from? from: "");
    publisher_send (self, &event);
}

//  A session's files as FileInfos pointing into its table (valid until
//  the table changes), for the pager to cut.
static Fshare__FileInfo *
s_infos (session_t *session, size_t *count)
{
    fileset_t *files = session_files (session);
    size_t capacity = fileset_size (files);
    Fshare__FileInfo *infos = (Fshare__FileInfo *) zmalloc (sizeof (Fshare__FileInfo)
                                                            * (capacity + 1));
    *count = 0;
    for (const fileset_file_t *file = fileset_first (files); file && *count < capacity;
         file = fileset_next (files))
        fileset_info (file, &infos [(*count)++]);
    return infos;
}

void
publisher_join (publisher_t *self, session_t *session)
{
    size_t count;
    Fshare__FileInfo *infos = s_infos (session, &count);
    fsh_pager_t *pager = fsh_pager_new (FSH_EVENT_PAGE_BYTES);
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.user = (char *) session_user (session);
    event.since = session_since (session) / 1000;
    for (size_t i = 0; i < count; i++) {
        if (fsh_pager_full (pager, &infos [i])) {
            event.files = fsh_pager_files (pager);
            event.n_files = fsh_pager_count (pager);
            event.more = true;
            publisher_send (self, &event);
            event.page++;
            fsh_pager_reset (pager);
        }
        fsh_pager_add (pager, &infos [i]);
    }
    //  The last page; an empty list still publishes one join, with no files
    event.files = fsh_pager_files (pager);
    event.n_files = fsh_pager_count (pager);
    event.more = false;
    publisher_send (self, &event);
    fsh_pager_destroy (&pager);
    free (infos);
}

void
publisher_leave (publisher_t *self, session_t *session)
{
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    event.user = (char *) session_user (session);
    publisher_send (self, &event);
}

void
publisher_snapshot (publisher_t *self, zsock_t *router, zframe_t *routing_id,
                    snapflow_account_t *account,
                    uint64_t request_id, zlistx_t *online, uint64_t transfers,
                    uint64_t bytes_relayed)
{
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = self->id;
    page.seq = self->seq;
    page.transfers = transfers;
    page.bytes_relayed = bytes_relayed;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, request_id, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE, &page);
    //  At most one UserFiles per page keeps the cutting simple; small users
    //  share a page by being sent as consecutive pages anyway.
    Fshare__UserFiles user = FSHARE__USER_FILES__INIT;
    Fshare__UserFiles *users [1] = { &user };
    page.users = users;
    size_t left = zlistx_size (online);
    fsh_pager_t *pager = fsh_pager_new (FSH_PAGE_BYTES);
    for (session_t *session = (session_t *) zlistx_first (online); session;
         session = (session_t *) zlistx_next (online)) {
        left--;
        size_t count;
        Fshare__FileInfo *infos = s_infos (session, &count);
        user.user = (char *) session_user (session);
        user.since = session_since (session) / 1000;
        page.n_users = 1;
        fsh_pager_reset (pager);
        for (size_t i = 0; i <= count; i++) {
            //  A full page, or the last (possibly empty) one of this user
            if (i == count || fsh_pager_full (pager, &infos [i])) {
                user.files = fsh_pager_files (pager);
                user.n_files = fsh_pager_count (pager);
                user.more = i < count;
                page.more = user.more || left > 0;
                snapflow_send (account, &reply, router, routing_id);
                fsh_pager_reset (pager);
            }
            if (i < count)
                fsh_pager_add (pager, &infos [i]);
        }
        free (infos);
    }
    fsh_pager_destroy (&pager);
    if (zlistx_size (online) == 0) {
        page.n_users = 0;
        page.more = false;
        snapflow_send (account, &reply, router, routing_id);
    }
}
