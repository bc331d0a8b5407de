/*  view.c - the live view of every logged-in user's files. See view.h.

    Three moments: unsynced (events are buffered), loading (snapshot pages
    go into a fresh table, events still buffered), synced (events apply in
    strict sequence). The users of the last good state stay visible while a
    new snapshot loads, so a resync never empties a listing. The tables
    themselves, and the bounds they hold the broker to, are team.c's.
*/
#include "view.h"
#include "sequence.h"

//  Events kept while waiting for a snapshot; older ones are dropped first
//  (if they were needed, the sequence check after the snapshot notices).
#define VIEW_BUFFER_MAX 100000

//  Files per join event when a resync tells of a user it had not seen
#define VIEW_JOIN_PAGE 500

struct _view_t {
    team_t *users;              //  the visible state
    team_limits_t limits;       //  of every table the view makes
    fsh_sequence_t *position;   //  broker instance and last event applied
    bool synced;
    //  Snapshot being loaded
    bool loading;
    team_t *loading_users;
    char *loading_broker;       //  NULL until the first page
    uint64_t loading_seq;
    //  Events waiting for a snapshot, in arrival order (owned copies)
    zlistx_t *buffer;
    //  The seqs announced by the last two pongs, older first
    size_t pong_marks;
    uint64_t pong_mark [2];
    const char *reason;
    bool ever_synced;           //  a snapshot has loaded before
    view_watch_fn *watcher;     //  told what a resync changed
    void *watcher_arg;
};

static void
s_event_free (void **item)
{
    Fshare__Event *event = (Fshare__Event *) *item;
    fsh_event_destroy (&event);
    *item = NULL;
}

//  Round-trip through the wire format: the copy is independent of how the
//  caller built the original (decoded, or assembled on the stack).
static Fshare__Event *
s_event_copy (const Fshare__Event *event)
{
    size_t size = fshare__event__get_packed_size (event);
    uint8_t *buffer = (uint8_t *) malloc (size? size: 1);
    assert (buffer);
    fshare__event__pack (event, buffer);
    Fshare__Event *copy = fshare__event__unpack (NULL, size, buffer);
    free (buffer);
    return copy;
}

view_t *
view_new (void)
{
    view_t *self = (view_t *) zmalloc (sizeof (view_t));
    self->limits = team_limits_default ();
    self->users = team_new (&self->limits);
    self->position = fsh_sequence_new ();
    self->buffer = zlistx_new ();
    zlistx_set_destructor (self->buffer, s_event_free);
    self->reason = "";
    return self;
}

void
view_destroy (view_t **self_p)
{
    if (*self_p) {
        view_t *self = *self_p;
        team_destroy (&self->users);
        team_destroy (&self->loading_users);
        zlistx_destroy (&self->buffer);
        fsh_sequence_destroy (&self->position);
        free (self->loading_broker);
        free (self);
        *self_p = NULL;
    }
}

void
view_set_limits (view_t *self, const team_limits_t *limits)
{
    assert (self);
    self->limits = limits? *limits: team_limits_default ();
    team_set_limits (self->users, &self->limits);
    if (self->loading_users)
        team_set_limits (self->loading_users, &self->limits);
}

static void
s_buffer (view_t *self, const Fshare__Event *event)
{
    if (zlistx_size (self->buffer) >= VIEW_BUFFER_MAX) {
        zlistx_first (self->buffer);
        zlistx_delete (self->buffer, zlistx_cursor (self->buffer));
    }
    Fshare__Event *copy = s_event_copy (event);
    if (copy)
        zlistx_add_end (self->buffer, copy);
}

static void
s_unsync (view_t *self, const char *reason)
{
    self->synced = false;
    self->pong_marks = 0;
    self->reason = reason;
}

//  REFUSED: in sequence and valid, but beyond the view's bounds (team.h)
typedef enum { APPLY_OK, APPLY_INVALID, APPLY_INCONSISTENT, APPLY_REFUSED } apply_t;

static apply_t
s_put_files (team_t *users, team_user_t *user, Fshare__FileInfo **list, size_t count)
{
    size_t put = 0;
    for (size_t i = 0; i < count; i++)
        put += team_put (users, user, list [i]);
    return put == count? APPLY_OK: APPLY_REFUSED;
}

//  Apply one in-sequence event to a users table.
static apply_t
s_apply (team_t *users, const Fshare__Event *event)
{
    if (fsh_event_check (event))
        return APPLY_INVALID;
    if (event->type == FSHARE__EVENT_TYPE__EVENT_STATS)
        return APPLY_OK;
    if (event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE) {
        team_leave (users, event->user);
        return APPLY_OK;
    }
    team_user_t *user = team_lookup (users, event->user);
    if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN && event->page == 0)
        user = team_join (users, event->user, event->since, false);
    //  Any other event about a user we don't know: we missed their join,
    //  unless the view had no room for them
    if (!user)
        return team_users_refused (users)? APPLY_REFUSED: APPLY_INCONSISTENT;
    switch (event->type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:
            return s_put_files (users, user, event->files, event->n_files);
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED:
            return team_put (users, user, event->file)? APPLY_OK: APPLY_REFUSED;
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
            team_remove (users, user, event->file->path);
            return APPLY_OK;
        case FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED:
            team_remove (users, user, event->from);
            return team_put (users, user, event->file)? APPLY_OK: APPLY_REFUSED;
        default:
            return APPLY_INVALID;
    }
}

view_result_t
view_event (view_t *self, const Fshare__Event *event)
{
    assert (self);
    assert (event);
    if (!self->synced) {
        s_buffer (self, event);
        return VIEW_BUFFERED;
    }
    fsh_seq_verdict_t verdict = fsh_sequence_check (self->position, event->broker,
                                                    event->seq, true);
    if (verdict == FSH_SEQ_STALE)
        return VIEW_IGNORED;
    if (verdict != FSH_SEQ_NEXT) {
        s_unsync (self, verdict == FSH_SEQ_GAP? "gap in the event sequence"
                                              : "new broker instance");
        s_buffer (self, event);
        return VIEW_RESYNC;
    }
    fsh_sequence_set (self->position, event->broker, event->seq);
    apply_t rc = s_apply (self->users, event);
    if (rc == APPLY_INCONSISTENT) {
        s_unsync (self, "event about an unknown user");
        return VIEW_RESYNC;
    }
    return rc == APPLY_OK? VIEW_APPLIED: VIEW_IGNORED;
}

void
view_invalidate (view_t *self)
{
    assert (self);
    s_unsync (self, "invalidated");
    self->loading = false;
}

void
view_snapshot_begin (view_t *self)
{
    assert (self);
    s_unsync (self, "snapshot requested");
    team_destroy (&self->loading_users);
    self->loading_users = team_new (&self->limits);
    zstr_free (&self->loading_broker);
    self->loading_seq = 0;
    self->loading = true;
}

//  One user's entry of a snapshot page; what is beyond the bounds is
//  refused (team.c logs it).
static void
s_load_user (team_t *users, const Fshare__UserFiles *entry)
{
    if (fsh_user_check (entry->user)) {
        zsys_warning ("view: snapshot names an invalid user: skipped");
        return;
    }
    //  A user's files may span several pages: the entry is kept
    team_user_t *user = team_join (users, entry->user, entry->since, true);
    if (!user)
        return;
    size_t invalid = 0;
    for (size_t i = 0; i < entry->n_files; i++) {
        const Fshare__FileInfo *file = entry->files [i];
        if (fsh_listed_check (file))
            invalid++;
        else
            team_put (users, user, file);
    }
    if (invalid)
        zsys_warning ("view: snapshot: %zu invalid files of %s skipped", invalid, entry->user);
}

//  Replay the buffered events that are newer than the snapshot. Returns
//  false on a gap, leaving the events from the gap on in the buffer.
static bool
s_replay (view_t *self)
{
    Fshare__Event *event = (Fshare__Event *) zlistx_first (self->buffer);
    while (event) {
        //  Another instance's events predate this snapshot, and so do
        //  stale ones: drop them
        fsh_seq_verdict_t verdict = fsh_sequence_check (self->position, event->broker,
                                                        event->seq, true);
        if (verdict == FSH_SEQ_GAP)
            return false;
        if (verdict == FSH_SEQ_NEXT) {
            fsh_sequence_set (self->position, event->broker, event->seq);
            if (s_apply (self->users, event) == APPLY_INCONSISTENT)
                zsys_warning ("view: buffered event #%" PRIu64 " about unknown user %s",
                              event->seq, event->user);
        }
        zlistx_delete (self->buffer, zlistx_cursor (self->buffer));
        event = (Fshare__Event *) zlistx_first (self->buffer);
    }
    return true;
}

//  --- What a resync changed ---------------------------------------------------

//  Bring `users` to what the stream's subscribers have heard: the buffered
//  events were passed on as they came, in sequence or not.
static void
s_apply_buffered (view_t *self, team_t *users)
{
    for (Fshare__Event *event = (Fshare__Event *) zlistx_first (self->buffer); event;
         event = (Fshare__Event *) zlistx_next (self->buffer))
        s_apply (users, event);
}

static void
s_tell (view_t *self, Fshare__Event *event)
{
    event->broker = (char *) fsh_sequence_broker (self->position);
    event->seq = fsh_sequence_seq (self->position);
    event->time_ms = zclock_time ();
    self->watcher (event, self->watcher_arg);
}

static void
s_tell_file (view_t *self, Fshare__EventType type, const char *user,
             const fileset_file_t *file)
{
    Fshare__Event event = FSHARE__EVENT__INIT;
    Fshare__FileInfo info;
    fileset_info (file, &info);
    event.type = type;
    event.user = (char *) user;
    event.file = &info;
    s_tell (self, &event);
}

//  A join with the user's files, in pages as the broker cuts them.
static void
s_tell_join (view_t *self, team_user_t *user)
{
    size_t count = fileset_size (user->files);
    size_t room = count < VIEW_JOIN_PAGE? count: VIEW_JOIN_PAGE;
    Fshare__FileInfo *infos = (Fshare__FileInfo *) calloc (room? room: 1, sizeof *infos);
    Fshare__FileInfo **list = (Fshare__FileInfo **) calloc (room? room: 1, sizeof *list);
    assert (infos && list);
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.user = user->name;
    event.since = user->since;
    event.files = list;
    const fileset_file_t *file = fileset_first (user->files);
    do {
        event.n_files = 0;
        for (; file && event.n_files < room; file = fileset_next (user->files)) {
            fileset_info (file, &infos [event.n_files]);
            list [event.n_files] = &infos [event.n_files];
            event.n_files++;
        }
        event.more = file != NULL;
        s_tell (self, &event);
        event.page++;
    } while (file);
    free (list);
    free (infos);
}

static bool
s_same_file (const fileset_file_t *a, const fileset_file_t *b)
{
    return a->size == b->size && a->mtime == b->mtime && a->mode == b->mode
        && a->has_sha256 == b->has_sha256
        && (!a->has_sha256 || memcmp (a->sha256, b->sha256, 32) == 0);
}

static void
s_tell_files (view_t *self, team_user_t *told, team_user_t *now)
{
    for (const fileset_file_t *file = fileset_first (now->files); file;
         file = fileset_next (now->files)) {
        const fileset_file_t *was = fileset_lookup (told->files, file->path);
        if (!was)
            s_tell_file (self, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, now->name, file);
        else
        if (!s_same_file (was, file))
            s_tell_file (self, FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED, now->name, file);
    }
    for (const fileset_file_t *file = fileset_first (told->files); file;
         file = fileset_next (told->files))
        if (!fileset_lookup (now->files, file->path))
            s_tell_file (self, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED, now->name, file);
}

//  The events that take `told` to `now`: leaves first, then joins (a user
//  who logged in again is a leave and a join), then each file's change.
static void
s_tell_difference (view_t *self, team_t *told, team_t *now)
{
    for (team_user_t *user = team_first (told); user; user = team_next (told)) {
        team_user_t *current = team_lookup (now, user->name);
        if (!current || current->since != user->since) {
            Fshare__Event event = FSHARE__EVENT__INIT;
            event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
            event.user = user->name;
            s_tell (self, &event);
        }
    }
    for (team_user_t *user = team_first (now); user; user = team_next (now)) {
        team_user_t *was = team_lookup (told, user->name);
        if (!was || was->since != user->since)
            s_tell_join (self, user);
        else
            s_tell_files (self, was, user);
    }
}

void
view_set_watcher (view_t *self, view_watch_fn *watcher, void *arg)
{
    assert (self);
    self->watcher = watcher;
    self->watcher_arg = arg;
}

//  --- Snapshots ----------------------------------------------------------------

int
view_snapshot_page (view_t *self, const Fshare__SnapshotPage *page)
{
    assert (self);
    assert (page);
    if (!self->loading) {
        self->reason = "snapshot page without a request";
        return -1;
    }
    if (!page->broker || !fsh_text_valid (page->broker, 64)) {
        self->loading = false;
        self->reason = "snapshot page with an invalid broker id";
        return -1;
    }
    //  The view has applied events of this instance beyond the snapshot:
    //  taking it would set the view back (a broker's seq only grows)
    const char *at = fsh_sequence_broker (self->position);
    if (at && streq (at, page->broker) && page->seq < fsh_sequence_seq (self->position)) {
        self->loading = false;
        self->reason = "snapshot older than the events already applied";
        return -1;
    }
    if (!self->loading_broker) {
        self->loading_broker = strdup (page->broker);
        self->loading_seq = page->seq;
    }
    else
    if (strneq (self->loading_broker, page->broker) || self->loading_seq != page->seq) {
        self->loading = false;
        self->reason = "snapshot pages disagree";
        return -1;
    }
    for (size_t i = 0; i < page->n_users; i++)
        s_load_user (self->loading_users, page->users [i]);
    if (page->more)
        return 0;

    //  Complete: the snapshot becomes the visible state. What the event
    //  stream told so far is the old state plus every buffered event.
    team_t *told = self->users;
    bool tell = self->watcher && self->ever_synced;
    if (tell)
        s_apply_buffered (self, told);
    self->users = self->loading_users;
    self->loading_users = NULL;
    fsh_sequence_set (self->position, self->loading_broker, self->loading_seq);
    zstr_free (&self->loading_broker);
    self->loading = false;
    bool replayed = s_replay (self);
    if (tell)
        s_tell_difference (self, told, self->users);
    team_destroy (&told);
    if (!replayed) {
        self->reason = "gap between the snapshot and the buffered events";
        return -1;
    }
    self->synced = true;
    self->ever_synced = true;
    self->pong_marks = 0;
    return 1;
}

bool
view_pong (view_t *self, const char *broker, uint64_t seq)
{
    assert (self);
    if (!self->synced)
        return false;
    if (fsh_sequence_check (self->position, broker, seq, false) == FSH_SEQ_RESTART) {
        s_unsync (self, "pong from another broker instance");
        return true;
    }
    //  Two heartbeats of grace: events in flight when a pong left the
    //  broker may arrive after the next pong on a loaded machine.
    bool behind = self->pong_marks == 2
               && fsh_sequence_seq (self->position) < self->pong_mark [0];
    if (behind) {
        s_unsync (self, "events missing (the broker is ahead)");
        return true;
    }
    if (self->pong_marks == 2)
        self->pong_mark [0] = self->pong_mark [1];
    else
        self->pong_marks++;
    self->pong_mark [self->pong_marks - 1] = seq;
    return false;
}

const char *
view_resync_reason (view_t *self)
{
    return self->reason;
}

bool
view_synced (view_t *self)
{
    return self->synced;
}

bool
view_loading (view_t *self)
{
    return self->loading;
}

const char *
view_broker (view_t *self)
{
    const char *broker = fsh_sequence_broker (self->position);
    return broker? broker: "";
}

uint64_t
view_seq (view_t *self)
{
    return fsh_sequence_seq (self->position);
}

size_t
view_buffered (view_t *self)
{
    return zlistx_size (self->buffer);
}

size_t
view_user_count (view_t *self)
{
    return team_size (self->users);
}

uint64_t
view_file_count (view_t *self)
{
    return team_files (self->users);
}

uint64_t
view_refused (view_t *self)
{
    return team_refused (self->users);
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

zlistx_t *
view_users_sorted (view_t *self)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_comparator (names, s_compare_names);
    for (team_user_t *user = team_first (self->users); user; user = team_next (self->users))
        zlistx_add_end (names, user->name);
    zlistx_sort (names);
    return names;
}

fileset_t *
view_user_files (view_t *self, const char *user)
{
    team_user_t *entry = team_lookup (self->users, user);
    return entry? entry->files: NULL;
}

int64_t
view_user_since (view_t *self, const char *user)
{
    team_user_t *entry = team_lookup (self->users, user);
    return entry? entry->since: 0;
}
