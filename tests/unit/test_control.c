/*  test_control.c - the agent's control socket (peer/control.c): a
    request in and its reply out, an error with its code, a malformed
    request dropped, a file listing cut in pages, the "events" stream and
    its subscribers, and an endpoint another agent still listens on.
*/
#include "fixture.h"
#include "control.h"

typedef struct {
    char dir [64];
    char endpoint [96];
    control_t *control;
    zsock_t *ctl;               //  a ctl's DEALER
} bench_t;

static int
s_setup (void **state)
{
    bench_t *self = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (self->dir, sizeof self->dir, "control");
    snprintf (self->endpoint, sizeof self->endpoint, "ipc://%s/ctl", self->dir);
    fixture_control_open (self->endpoint, &self->control, &self->ctl);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *self = (bench_t *) *state;
    zsock_destroy (&self->ctl);
    control_destroy (&self->control);
    char path [128];
    snprintf (path, sizeof path, "%s/ctl", self->dir);
    unlink (path);
    rmdir (self->dir);
    free (self);
    return 0;
}

static control_request_t *
s_request (bench_t *self, const char *command)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = (char *) command;
    assert_int_equal (fsh_pack_send (&request.base, self->ctl, NULL), 0);
    return control_recv (self->control);
}

static void
test_request_reply (void **state)
{
    bench_t *self = (bench_t *) *state;
    control_request_t *request = s_request (self, "status");
    assert_non_null (request);
    assert_string_equal (request->request->command, "status");
    assert_int_equal (control_reply_ok (self->control, request->sender, "fine"), 0);
    Fshare__CtlReply *reply = fixture_ctl_recv (self->ctl);
    assert_string_equal (reply->text, "fine");
    assert_int_not_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    //  An error carries its code, and the code's text when none is given
    assert_int_equal (control_reply_error (self->control, request->sender,
                                           FSH_ERR_UNKNOWN_USER, NULL), 0);
    reply = fixture_ctl_recv (self->ctl);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, FSH_ERR_UNKNOWN_USER);
    assert_string_equal (reply->error, fsh_err_text (FSH_ERR_UNKNOWN_USER));
    fshare__ctl_reply__free_unpacked (reply, NULL);
    control_request_destroy (&request);
    assert_null (request);
}

static void
test_malformed (void **state)
{
    bench_t *self = (bench_t *) *state;
    zstr_send (self->ctl, "not a request");
    assert_null (control_recv (self->control));
    zstr_sendx (self->ctl, "two", "frames", NULL);
    assert_null (control_recv (self->control));
    //  A command name is short text
    char long_name [100];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    assert_null (s_request (self, long_name));
    //  and the socket still works
    control_request_t *request = s_request (self, "ls");
    assert_non_null (request);
    control_request_destroy (&request);
}

static void
test_pages (void **state)
{
    bench_t *self = (bench_t *) *state;
    control_request_t *request = s_request (self, "ls");
    fileset_t *files = fileset_new ();
    size_t count = 3 * FSH_PAGE_BYTES / 100;
    for (size_t i = 0; i < count; i++) {
        char path [64];
        snprintf (path, sizeof path, "folder/file-number-%06zu.dat", i);
        fileset_put (files, path, i, 1000);
    }
    control_pager_t *pager = control_pager_new (self->control, request->sender);
    for (const fileset_file_t *file = fileset_first (files); file; file = fileset_next (files))
        control_pager_add (pager, "alice", file);
    control_pager_finish (&pager);
    assert_null (pager);
    size_t seen = 0, pages = 0;
    bool more = true;
    while (more) {
        Fshare__CtlReply *reply = fixture_ctl_recv (self->ctl);
        for (size_t i = 0; i < reply->n_files; i++)
            assert_string_equal (reply->files [i]->user, "alice");
        seen += reply->n_files;
        more = reply->more;
        pages++;
        fshare__ctl_reply__free_unpacked (reply, NULL);
    }
    assert_int_equal (seen, count);
    assert_true (pages >= 3);
    //  An empty listing is one last page
    pager = control_pager_new (self->control, request->sender);
    control_pager_finish (&pager);
    Fshare__CtlReply *reply = fixture_ctl_recv (self->ctl);
    assert_int_equal (reply->n_files, 0);
    assert_false (reply->more);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    fileset_destroy (&files);
    control_request_destroy (&request);
}

static void
test_events (void **state)
{
    bench_t *self = (bench_t *) *state;
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    event.user = "bob";
    control_publish (self->control, &event, false);    //  nobody listens: nothing sent
    control_request_t *request = s_request (self, "events");
    control_subscribe (self->control, request->sender);
    control_subscribe (self->control, request->sender);
    assert_int_equal (control_subscribers (self->control), 1);
    Fshare__CtlReply *reply = fixture_ctl_recv (self->ctl);
    assert_true (reply->more);
    assert_null (reply->event);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    reply = fixture_ctl_recv (self->ctl);     //  the second subscribe's acknowledgement
    fshare__ctl_reply__free_unpacked (reply, NULL);
    control_publish (self->control, &event, false);
    reply = fixture_ctl_recv (self->ctl);
    assert_true (reply->more);
    assert_non_null (reply->event);
    assert_string_equal (reply->event->user, "bob");
    assert_false (reply->resynced);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    //  One the view inferred after a resync says so
    control_publish (self->control, &event, true);
    reply = fixture_ctl_recv (self->ctl);
    assert_non_null (reply->event);
    assert_true (reply->resynced);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    control_request_destroy (&request);
}

static void
test_endpoint_in_use (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *error = NULL;
    control_t *second = control_new (self->endpoint, &error);
    assert_null (second);
    assert_string_equal (error, "another agent is listening there");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_request_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_endpoint_in_use, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
