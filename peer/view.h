/*  view.h - the agent's live view of every logged-in user's files.

    Built from a snapshot plus the sequenced event stream (the ZeroMQ
    guide's Clone pattern, chapter 5). Until a snapshot has been loaded,
    events are buffered; when the last snapshot page arrives, buffered
    events newer than the snapshot are applied. Once synced, an event whose
    seq is not last + 1, or which comes from another broker instance, means
    the view may be wrong: the caller must fetch a fresh snapshot. No
    network here: the agent feeds it decoded messages.

    The broker is held to the view's own bounds (team.h: users, files per
    user, files and bytes in all): what lies beyond is refused and logged
    with the code too_large, and the view goes on in sequence without it.
    An event about a user the view had no room for is refused, not taken
    for a missed join, so a broker beyond the bounds causes no resyncs.
*/
#ifndef VIEW_H_INCLUDED
#define VIEW_H_INCLUDED

#include "fileset.h"
#include "team.h"

typedef enum {
    VIEW_APPLIED,       //  in sequence: the view changed (or a stats event)
    VIEW_BUFFERED,      //  no snapshot yet: held until one is loaded
    VIEW_IGNORED,       //  stale (seq already covered), invalid, or refused
                        //  (wholly or in part) beyond the view's bounds
    VIEW_RESYNC         //  gap, new broker or inconsistency: fetch a snapshot
} view_result_t;

typedef struct _view_t view_t;

view_t *view_new (void);
void view_destroy (view_t **self_p);

//  Other bounds than team.h's defaults (NULL: those), for every table
//  from now on; nothing already held is evicted. For tests.
void view_set_limits (view_t *self, const team_limits_t *limits);

//  Feed one event from the SUB socket. The view never keeps the caller's
//  pointer (buffered events are copied). After VIEW_RESYNC the view is
//  unsynced: it buffers events until a new snapshot is loaded.
view_result_t view_event (view_t *self, const Fshare__Event *event);

//  Forget that the view is synced (new session, broker lost): events are
//  buffered from now on. The users stay visible until the next snapshot.
void view_invalidate (view_t *self);

//  A snapshot was requested: start collecting pages afresh.
void view_snapshot_begin (view_t *self);

//  One page of the snapshot reply. Returns 0 when more pages are expected,
//  1 when the snapshot is complete and the view synced, -1 when the view
//  must be fetched again (pages disagree, the snapshot is older than the
//  events of its broker instance the view has applied, or buffered events
//  show a gap); the state visible before stays.
int view_snapshot_page (view_t *self, const Fshare__SnapshotPage *page);

//  Who is told what a resync changed. After a snapshot replaces a view
//  that had loaded one before, `watcher` receives the events that take
//  what the event stream passed on (the old view plus every event
//  buffered since) to the new view: leaves, joins with their files (in
//  pages), then file_added, file_changed and file_removed, carrying the
//  view's broker id and seq. So a subscriber fed the stream and these
//  misses nothing the view saw change. The event lives for the call only.
typedef void (view_watch_fn) (const Fshare__Event *event, void *arg);
void view_set_watcher (view_t *self, view_watch_fn *watcher, void *arg);
//  The broker's (id, seq) from a Pong. True when the view is behind: the
//  seq announced two pongs ago has still not been reached (a lost last
//  event), or the broker instance is not the view's.
bool view_pong (view_t *self, const char *broker, uint64_t seq);

//  Why the last VIEW_RESYNC / -1 / true was returned (static text).
const char *view_resync_reason (view_t *self);

//  State
bool view_synced (view_t *self);
bool view_loading (view_t *self);
const char *view_broker (view_t *self);     //  "" before the first snapshot
uint64_t view_seq (view_t *self);
size_t view_buffered (view_t *self);

//  Contents
size_t view_user_count (view_t *self);
uint64_t view_file_count (view_t *self);
//  Users and files the visible state refused (beyond the bounds) since
//  it was loaded.
uint64_t view_refused (view_t *self);
//  Names of the users, sorted; a new list of const char * owned by the
//  view (valid until the view changes). Caller destroys the list.
zlistx_t *view_users_sorted (view_t *self);
//  A user's files, NULL when that user is not logged in.
fileset_t *view_user_files (view_t *self, const char *user);
//  A user's login time (Unix seconds), 0 when not logged in.
int64_t view_user_since (view_t *self, const char *user);

#endif
