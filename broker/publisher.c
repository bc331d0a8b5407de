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

//  A snapshot page holds as many users as fit its budget: one page a
//  user made a crowd's snapshot a message per user (a thousand peers
//  asking at once meant a million messages to cut, send and decode, and
//  the broker's replies to pings queued seconds behind them).
#define SNAPSHOT_PAGE_USERS     512

typedef struct {
    Fshare__Message reply;
    Fshare__SnapshotPage page;
    Fshare__UserFiles entries [SNAPSHOT_PAGE_USERS];
    Fshare__UserFiles *users [SNAPSHOT_PAGE_USERS];
    size_t starts [SNAPSHOT_PAGE_USERS];        //  each user's first file in the pager
    Fshare__FileInfo *infos [SNAPSHOT_PAGE_USERS];  //  s_infos arrays, freed once sent
    fsh_pager_t *pager;                         //  every file of the page, in order
    size_t bytes;                               //  the page's users and files, encoded
    snapflow_account_t *account;
    zsock_t *router;
    zframe_t *routing_id;
} snapcut_t;

//  A UserFiles entry without its files, as a page holds it (tag, length,
//  the name, since, more), at most.
static size_t
s_user_header (const char *user)
{
    return strlen (user) + 24;
}

//  Send the page; the last user's list goes on in the next one when
//  `continued`, and stays in the page as its first entry.
static void
s_cut_flush (snapcut_t *self, bool more, bool continued)
{
    size_t users = self->page.n_users;
    Fshare__FileInfo **files = fsh_pager_files (self->pager);
    size_t total = fsh_pager_count (self->pager);
    for (size_t k = 0; k < users; k++) {
        size_t end = k + 1 < users? self->starts [k + 1]: total;
        self->entries [k].files = files + self->starts [k];
        self->entries [k].n_files = end - self->starts [k];
        self->entries [k].more = continued && k + 1 == users;
    }
    self->page.more = more;
    snapflow_send (self->account, &self->reply, self->router);
    fsh_pager_reset (self->pager);
    size_t keep = continued && users? users - 1: users;
    for (size_t k = 0; k < keep; k++)
        free (self->infos [k]);
    self->page.n_users = 0;
    self->bytes = 0;
    if (continued && users) {
        self->entries [0] = self->entries [users - 1];
        self->infos [0] = self->infos [users - 1];
        self->starts [0] = 0;
        self->page.n_users = 1;
        self->bytes = s_user_header (self->entries [0].user);
    }
}

//  One session's list into the pages, taking `infos` (freed once sent).
static void
s_cut_user (snapcut_t *self, session_t *session, Fshare__FileInfo *infos, size_t count)
{
    const char *user = session_user (session);
    size_t header = s_user_header (user);
    //  A user starts a page of its own when not even its first file fits
    size_t first = count? fsh_pager_entry_size (&infos [0]): 0;
    if (self->page.n_users == SNAPSHOT_PAGE_USERS
    || (self->page.n_users > 0 && self->bytes + header + first > FSH_PAGE_BYTES))
        s_cut_flush (self, true, false);
    size_t k = self->page.n_users++;
    Fshare__UserFiles entry = FSHARE__USER_FILES__INIT;
    entry.user = (char *) user;
    entry.since = session_since (session) / 1000;
    self->entries [k] = entry;
    self->infos [k] = infos;
    self->starts [k] = fsh_pager_count (self->pager);
    self->bytes += header;
    for (size_t i = 0; i < count; i++) {
        size_t size = fsh_pager_entry_size (&infos [i]);
        //  A page always takes its first file, however large
        if (fsh_pager_count (self->pager) > 0 && self->bytes + size > FSH_PAGE_BYTES)
            s_cut_flush (self, true, true);
        fsh_pager_add (self->pager, &infos [i]);
        self->bytes += size;
    }
}

void
publisher_snapshot (publisher_t *self, zsock_t *router, zframe_t *routing_id,
                    snapflow_account_t *account,
                    uint64_t request_id, zlistx_t *online, uint64_t transfers,
                    uint64_t bytes_relayed)
{
    snapcut_t *cut = (snapcut_t *) zmalloc (sizeof (snapcut_t));
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    cut->page = page;
    cut->page.broker = self->id;
    cut->page.seq = self->seq;
    cut->page.transfers = transfers;
    cut->page.bytes_relayed = bytes_relayed;
    cut->page.users = cut->users;
    for (size_t k = 0; k < SNAPSHOT_PAGE_USERS; k++)
        cut->users [k] = &cut->entries [k];
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    cut->reply = reply;
    fsh_msg_set_body (&cut->reply, request_id, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE, &cut->page);
    //  The pager only collects: the page's budget is kept here
    cut->pager = fsh_pager_new (SIZE_MAX);
    cut->account = account;
    cut->router = router;
    cut->routing_id = routing_id;
    for (session_t *session = (session_t *) zlistx_first (online); session;
         session = (session_t *) zlistx_next (online)) {
        size_t count;
        Fshare__FileInfo *infos = s_infos (session, &count);
        s_cut_user (cut, session, infos, count);
    }
    //  The last page; nobody online is one empty page
    s_cut_flush (cut, false, false);
    fsh_pager_destroy (&cut->pager);
    free (cut);
}
