/*  fixture_view.h - builders for the view's tests (test_view.c,
    test_view_bounds.c): events, snapshot pages and a synced view, made
    here and fed to peer/view.c without any network.
*/
#ifndef FIXTURE_VIEW_H_INCLUDED
#define FIXTURE_VIEW_H_INCLUDED
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "view.h"

#define B1 "broker-one"
#define B2 "broker-two"

//  --- Builders -------------------------------------------------------------------

static inline view_result_t
s_event (view_t *view, const char *broker, uint64_t seq, Fshare__EventType type,
         const char *user, const char *path, uint64_t size, const char *from)
{
    Fshare__Event event = FSHARE__EVENT__INIT;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    Fshare__Stats stats = FSHARE__STATS__INIT;
    event.broker = (char *) broker;
    event.seq = seq;
    event.time_ms = 1700000000000;
    event.type = type;
    event.user = (char *) (user? user: "");
    if (path) {
        file.path = (char *) path;
        file.size = size;
        file.mtime = 1700000000;
        event.file = &file;
    }
    if (from)
        event.from = (char *) from;
    if (type == FSHARE__EVENT_TYPE__EVENT_STATS)
        event.stats = &stats;
    return view_event (view, &event);
}

static inline view_result_t
s_added (view_t *view, const char *broker, uint64_t seq, const char *user, const char *path)
{
    return s_event (view, broker, seq, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, user, path, 10, NULL);
}

static inline view_result_t
s_stats (view_t *view, const char *broker, uint64_t seq)
{
    return s_event (view, broker, seq, FSHARE__EVENT_TYPE__EVENT_STATS, NULL, NULL, 0, NULL);
}

//  paths: NULL-terminated
static inline view_result_t
s_join (view_t *view, const char *broker, uint64_t seq, const char *user,
        uint32_t page, bool more, const char **paths)
{
    Fshare__Event event = FSHARE__EVENT__INIT;
    Fshare__FileInfo infos [16];
    Fshare__FileInfo *list [16];
    size_t count = 0;
    for (; paths && paths [count]; count++) {
        fshare__file_info__init (&infos [count]);
        infos [count].path = (char *) paths [count];
        infos [count].size = 100 + count;
        infos [count].mtime = 1700000000;
        list [count] = &infos [count];
    }
    event.broker = (char *) broker;
    event.seq = seq;
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.user = (char *) user;
    event.files = list;
    event.n_files = count;
    event.page = page;
    event.more = more;
    event.since = 1700000000 + (int64_t) seq;
    return view_event (view, &event);
}

//  One snapshot page holding (optionally) one user's files.
static inline int
s_page (view_t *view, const char *broker, uint64_t seq, bool more,
        const char *user, const char **paths, bool user_more)
{
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    Fshare__UserFiles entry = FSHARE__USER_FILES__INIT;
    Fshare__UserFiles *entries [1] = { &entry };
    Fshare__FileInfo infos [16];
    Fshare__FileInfo *list [16];
    size_t count = 0;
    for (; paths && paths [count]; count++) {
        fshare__file_info__init (&infos [count]);
        infos [count].path = (char *) paths [count];
        infos [count].size = 7;
        infos [count].mtime = 1700000000;
        list [count] = &infos [count];
    }
    page.broker = (char *) broker;
    page.seq = seq;
    page.more = more;
    if (user) {
        entry.user = (char *) user;
        entry.since = 42;
        entry.files = list;
        entry.n_files = count;
        entry.more = user_more;
        page.users = entries;
        page.n_users = 1;
    }
    return view_snapshot_page (view, &page);
}

static inline size_t
s_files (view_t *view, const char *user)
{
    fileset_t *files = view_user_files (view, user);
    return files? fileset_size (files): (size_t) -1;
}

static inline bool
s_has (view_t *view, const char *user, const char *path)
{
    fileset_t *files = view_user_files (view, user);
    return files && fileset_lookup (files, path);
}

//  A view synced at (B1, seq) with alice: a.txt, b.txt
static inline view_t *
s_synced_view (uint64_t seq)
{
    view_t *view = view_new ();
    view_snapshot_begin (view);
    const char *files [] = { "a.txt", "b.txt", NULL };
    assert_int_equal (s_page (view, B1, seq, false, "alice", files, false), 1);
    assert_true (view_synced (view));
    return view;
}

#endif
