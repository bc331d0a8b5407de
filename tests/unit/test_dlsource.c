/*  test_dlsource.c - what the requester's view says about a download's
    source (peer/dlsource.c), on a view loaded from one snapshot page: the
    file an owner publishes; the owner's Opened held against what was
    asked and what is published now (either version stands; the same
    mtime with another size is a protocol error, a newer version or
    another digest a changed file, a malformed digest a protocol error);
    and another online user of the same content, first in name order,
    never the owner or ourselves.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "dlsource.h"

//  A synced view of these users, with no files yet.
static view_t *
s_view (void)
{
    view_t *view = view_new ();
    const char *names [] = { "alice", "bob", "carol", "dave", "me" };
    Fshare__UserFiles entries [5];
    Fshare__UserFiles *list [5];
    for (int i = 0; i < 5; i++) {
        fshare__user_files__init (&entries [i]);
        entries [i].user = (char *) names [i];
        entries [i].since = 1;
        list [i] = &entries [i];
    }
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = "b1";
    page.seq = 1;
    page.users = list;
    page.n_users = 5;
    view_snapshot_begin (view);
    assert_int_equal (view_snapshot_page (view, &page), 1);
    return view;
}

//  user publishes path: size, mtime, and a digest of byte `fill` (0: none).
static void
s_publish (view_t *view, const char *user, const char *path, uint64_t size, int64_t mtime,
           uint8_t fill)
{
    uint8_t sha [DIGEST_SIZE];
    memset (sha, fill, sizeof sha);
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    info.path = (char *) path;
    info.size = size;
    info.mtime = mtime;
    if (fill) {
        info.sha256.data = sha;
        info.sha256.len = DIGEST_SIZE;
    }
    fileset_t *files = view_user_files (view, user);
    assert_non_null (files);
    fileset_put_info (files, &info);
}

static void
test_published (void **state)
{
    (void) state;
    view_t *view = s_view ();
    s_publish (view, "alice", "docs/a.txt", 10, 100, 0);
    const fileset_file_t *file = dlsource_published (view, "alice", "docs/a.txt");
    assert_non_null (file);
    assert_int_equal (file->size, 10);
    assert_null (dlsource_published (view, "alice", "docs/b.txt"));
    assert_null (dlsource_published (view, "bob", "docs/a.txt"));
    assert_null (dlsource_published (view, "nobody", "docs/a.txt"));
    assert_null (dlsource_published (NULL, "alice", "docs/a.txt"));
    view_destroy (&view);
}

//  The check of one Opened (size, mtime, digest of `fill` or none, or a
//  digest of `len` bytes): its reason, and the code in *code.
static const char *
s_check (view_t *view, const dlsource_asked_t *asked, uint64_t size, int64_t mtime,
         uint8_t fill, size_t len, fsh_err_t *code)
{
    uint8_t sha [DIGEST_SIZE];
    memset (sha, fill, sizeof sha);
    Fshare__Opened opened = FSHARE__OPENED__INIT;
    opened.transfer = 1;
    opened.size = size;
    opened.mtime = mtime;
    if (len) {
        opened.sha256.data = sha;
        opened.sha256.len = len;
    }
    *code = FSH_ERR_NONE;
    return dlsource_opened_check (view, "alice", "a.txt", asked, &opened, code);
}

static void
test_opened_check (void **state)
{
    (void) state;
    view_t *view = s_view ();
    uint8_t asked_sha [DIGEST_SIZE];
    memset (asked_sha, 0x11, sizeof asked_sha);
    dlsource_asked_t asked = {
        .has_published = true, .size = 10, .mtime = 100,
        .has_sha256 = true, .sha256 = asked_sha
    };
    s_publish (view, "alice", "a.txt", 10, 100, 0x11);
    fsh_err_t code;
    //  As asked, with or without the digest
    assert_null (s_check (view, &asked, 10, 100, 0x11, DIGEST_SIZE, &code));
    assert_null (s_check (view, &asked, 10, 100, 0, 0, &code));
    //  Another digest: changed
    assert_non_null (s_check (view, &asked, 10, 100, 0x22, DIGEST_SIZE, &code));
    assert_int_equal (code, FSH_ERR_FILE_CHANGED);
    //  A digest that is not one: protocol error, whatever else
    assert_non_null (s_check (view, &asked, 10, 100, 0x11, 31, &code));
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);
    assert_non_null (s_check (view, &asked, 10, 100, 0x11, 33, &code));
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);
    //  The same mtime with another size: the owner contradicts itself
    const char *reason = s_check (view, &asked, 11, 100, 0, 0, &code);
    assert_non_null (reason);
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);
    //  A newer version than asked and than published: changed
    reason = s_check (view, &asked, 11, 200, 0, 0, &code);
    assert_non_null (reason);
    assert_int_equal (code, FSH_ERR_FILE_CHANGED);
    //  ...of the same size: the mtime alone tells it changed
    reason = s_check (view, &asked, 10, 200, 0, 0, &code);
    assert_non_null (reason);
    assert_int_equal (code, FSH_ERR_FILE_CHANGED);

    //  The view moved on since we asked: the version published now stands
    s_publish (view, "alice", "a.txt", 12, 300, 0);
    assert_null (s_check (view, &asked, 12, 300, 0, 0, &code));
    //  ...and so does the one we asked for
    assert_null (s_check (view, &asked, 10, 100, 0, 0, &code));
    //  The same mtime as the version now published, another size
    assert_non_null (s_check (view, &asked, 13, 300, 0, 0, &code));
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);

    //  Nothing known about it, then or now: nothing to hold it against
    dlsource_asked_t blind = { .has_published = false };
    view_destroy (&view);
    view = s_view ();
    assert_null (s_check (view, &blind, 5, 5, 0, 0, &code));
    assert_null (s_check (NULL, &blind, 5, 5, 0x33, DIGEST_SIZE, &code));
    //  ...but its numbers must be in range (a saved file would take them)
    assert_non_null (s_check (view, &blind, 5, INT64_MIN, 0, 0, &code));
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);
    assert_non_null (s_check (view, &blind, UINT64_MAX, 5, 0, 0, &code));
    assert_int_equal (code, FSH_ERR_PROTOCOL_ERROR);
    //  Known only now (published after we asked)
    s_publish (view, "alice", "a.txt", 7, 70, 0);
    assert_null (s_check (view, &blind, 7, 70, 0, 0, &code));
    assert_non_null (s_check (view, &blind, 7, 71, 0, 0, &code));
    assert_int_equal (code, FSH_ERR_FILE_CHANGED);
    view_destroy (&view);
}

static void
test_other_source (void **state)
{
    (void) state;
    view_t *view = s_view ();
    uint8_t sha [DIGEST_SIZE];
    memset (sha, 0x44, sizeof sha);
    //  The owner and ourselves have it: never another source
    s_publish (view, "alice", "x.bin", 50, 1, 0x44);
    s_publish (view, "me", "mine.bin", 50, 1, 0x44);
    char *user = (char *) "untouched";
    assert_null (dlsource_other (view, "alice", "me", sha, 50, &user));
    assert_null (user);
    //  Of another size, or without a digest, or another digest: not it
    s_publish (view, "bob", "wrong-size.bin", 51, 1, 0x44);
    s_publish (view, "bob", "no-digest.bin", 50, 1, 0);
    s_publish (view, "bob", "other.bin", 50, 1, 0x45);
    assert_null (dlsource_other (view, "alice", "me", sha, 50, &user));
    //  dave and carol have it: carol comes first by name
    s_publish (view, "dave", "copy.bin", 50, 9, 0x44);
    s_publish (view, "carol", "deep/copy.bin", 50, 8, 0x44);
    const fileset_file_t *file = dlsource_other (view, "alice", "me", sha, 50, &user);
    assert_non_null (file);
    assert_string_equal (user, "carol");
    assert_string_equal (file->path, "deep/copy.bin");
    zstr_free (&user);
    //  carol is the owner that went: alice has it too, and comes first
    file = dlsource_other (view, "carol", "me", sha, 50, &user);
    assert_non_null (file);
    assert_string_equal (user, "alice");
    assert_string_equal (file->path, "x.bin");
    zstr_free (&user);
    //  ...unless we are alice: then dave
    file = dlsource_other (view, "carol", "alice", sha, 50, &user);
    assert_non_null (file);
    assert_string_equal (user, "dave");
    zstr_free (&user);
    assert_null (dlsource_other (NULL, "alice", "me", sha, 50, &user));
    assert_null (user);
    view_destroy (&view);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_published),
        cmocka_unit_test (test_opened_check),
        cmocka_unit_test (test_other_source),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
