/*  get.c - fshare-ctl get: one download, followed to its end, with a
    progress bar when standard output is a terminal. See ctl.h.

    The download runs in the agent; this side watches the agent's replies
    on a stream whose monitor says when the agent goes away (a slow or
    stalled transfer may otherwise stay silent as long as it likes), and
    an interrupt asks the agent to cancel end to end.
*/
#include "ctl.h"


typedef struct {
    bool bar;                   //  stdout is a terminal: draw progress
    bool drawn;                 //  a bar is on the screen
    bool told;                  //  "resumed at..." said
    bool told_whole;            //  and then that it was fetched whole
    int64_t started;            //  first progress report (zclock_mono)
    uint64_t first_done;        //  bytes already there then
    int64_t last_draw;
} get_view_t;

static void
s_bar_clear (get_view_t *view)
{
    if (view->drawn) {
        printf ("\r\033[K");
        fsh_output_flush ();
        view->drawn = false;
    }
}

//  [#########.........]  45%  1.2 GiB / 2.6 GiB  310.0 MiB/s  ETA 0:05
static void
s_bar_draw (get_view_t *view, const Fshare__Progress *progress)
{
    int64_t now = zclock_mono ();
    if (view->drawn && now - view->last_draw < 100)
        return;
    view->last_draw = now;
    uint64_t total = progress->total, done = progress->done < total? progress->done: total;
    double seconds = (double) (now - view->started) / 1000.0;
    double rate = seconds > 0.3 && done >= view->first_done?
                  (double) (done - view->first_done) / seconds: 0;
    char bar [31], done_text [32], total_text [32], rate_text [32], eta [32] = "--:--";
    int filled = total? (int) ((double) done / (double) total * 30): 30;
    for (int i = 0; i < 30; i++)
        bar [i] = i < filled? '#': '.';
    bar [30] = 0;
    fsh_human_size (done, done_text, sizeof done_text);
    fsh_human_size (total, total_text, sizeof total_text);
    fsh_human_size ((uint64_t) rate, rate_text, sizeof rate_text);
    if (rate > 0) {
        uint64_t left = (uint64_t) ((double) (total - done) / rate);
        snprintf (eta, sizeof eta, "%" PRIu64 ":%02u", left / 60, (unsigned) (left % 60));
    }
    printf ("\r[%s] %3d%%  %s / %s  %s/s  ETA %s\033[K", bar,
            total? (int) ((double) done * 100 / (double) total): 100,
            done_text, total_text, rate_text, eta);
    fsh_output_flush ();
    view->drawn = true;
}

//  A progress report: says once whether the download resumed, draws the bar.
static void
s_get_progress (ctl_t *self, get_view_t *view, const Fshare__Progress *progress)
{
    if (!view->started) {
        view->started = zclock_mono ();
        view->first_done = progress->done;
    }
    //  For people: on stdout, unless stdout is the JSON's
    FILE *out = self->json? stderr: stdout;
    if (!view->told) {
        view->told = true;
        view->told_whole = progress->restarted;
        if (progress->resumed)
            fprintf (out, "resumed at %" PRIu64 " bytes\n", progress->resumed_at);
        else
        if (progress->restarted)
            fprintf (out, "restarted (the partial file was of another version)\n");
        fflush (out);
    }
    else
    if (progress->restarted && !view->told_whole) {
        //  The resume did not verify at its end: the agent fetches it whole
        view->told_whole = true;
        view->started = zclock_mono ();         //  the bar's rate starts again too
        view->first_done = progress->done;
        fprintf (out, "restarted (the resumed file did not verify)\n");
        fflush (out);
    }
    if (view->bar)
        s_bar_draw (view, progress);
}

static void
s_get_result (ctl_t *self, const Fshare__GetResult *result, const char *owner)
{
    bool switched = result->switched_to && *result->switched_to;
    if (self->json) {
        json_t *obj = json_pack ("{s:s, s:I, s:s}", "path", ctl_text (result->path),
                                 "size", (json_int_t) result->size,
                                 "sha256", ctl_text (result->sha256));
        if (result->identical)
            json_object_set_new (obj, "identical", json_true ());
        if (switched)
            json_object_set_new (obj, "switched_to", json_string (ctl_text (result->switched_to)));
        ctl_json_print (obj);
        return;
    }
    //  For people, every name escaped: the saved path ends in the owner's
    //  file name, and the agent's words are another party's text
    char *path = fsh_text_escape (ctl_text (result->path));
    if (result->identical) {
        printf ("already there: %s is identical (nothing transferred)\n", path? path: "?");
        fsh_output_flush ();
        free (path);
        return;
    }
    if (switched) {
        char *other = fsh_text_escape (ctl_text (result->switched_to));
        char *left = fsh_text_escape (ctl_text (owner));
        printf ("switched to %s's copy after %s left\n", other? other: "?", left? left: "?");
        free (other);
        free (left);
    }
    char size [32], rate [32];
    double seconds = (double) result->duration_ms / 1000.0;
    fsh_human_size (result->size, size, sizeof size);
    fsh_human_size (seconds > 0? (uint64_t) ((double) result->size / seconds): 0,
                    rate, sizeof rate);
    printf ("saved %s (%s in %.2f s, %s/s)\n", path? path: "?", size, seconds, rate);
    free (path);
    fsh_output_flush ();
}

//  -o PATH as the agent needs it: absolute (the agent runs elsewhere).
static char *
s_output_path (const char *output)
{
    if (!output)
        return NULL;
    if (output [0] == '/')
        return strdup (output);
    char *cwd = getcwd (NULL, 0);
    char *path = cwd? zsys_sprintf ("%s/%s", cwd, output): NULL;
    free (cwd);
    return path;
}

//  Interrupted: ask the agent to cancel (end to end), wait briefly for it.
//  The download may have ended first: saved, it is said so (exit 0), not
//  "cancelled" over a file that is there. The exit code.
static int
s_get_cancel (ctl_t *self, fsh_ctlstream_t *stream, const char *owner)
{
    fsh_ctlstream_send (stream, "cancel");
    int64_t deadline = zclock_mono () + CANCEL_WAIT_MS;
    bool confirmed = false;
    int rc = 1;
    //  The signal that got us here would end zpoller_wait at once
    zsys_interrupted = 0;
    while (!confirmed && rc && zclock_mono () < deadline) {
        Fshare__CtlReply *reply = NULL;
        fsh_ctl_result_t result = fsh_ctlstream_recv (stream, (int) (deadline - zclock_mono ()),
                                                      &reply);
        if (result != FSH_CTL_OK && result != FSH_CTL_MALFORMED)
            break;
        bool ok_end = reply && !reply->more && reply->status == FSHARE__STATUS__STATUS_OK;
        //  The get's own end comes first (saved, or cancelled), then the
        //  cancel's OK
        if (ok_end && reply->get) {
            s_get_result (self, reply->get, owner);
            rc = 0;
        }
        confirmed = ok_end && !reply->get;
        fsh_ctl_reply_free (&reply);
    }
    zsys_interrupted = 1;
    if (rc)
        ctl_fail (self, FSH_ERR_CANCELLED, "interrupted: download %s",
                  confirmed? "cancelled": "may still be cancelling");
    return rc;
}

//  One reply of the download: -1 while it goes on, else the exit code
//  (the reason printed).
static int
s_get_reply (ctl_t *self, get_view_t *view, ctl_args_t *args, Fshare__CtlReply *reply)
{
    if (reply->status != FSHARE__STATUS__STATUS_OK) {
        s_bar_clear (view);
        ctl_fail (self, fsh_ctl_reply_code (reply), "get %s %s: %s", args->words [0],
                  args->words [1], ctl_text (reply->error));
        return 1;
    }
    if (reply->more && reply->progress)
        s_get_progress (self, view, reply->progress);
    else
    if (!reply->more && reply->get) {
        s_bar_clear (view);
        s_get_result (self, reply->get, args->words [0]);
        return 0;
    }
    else
    if (!reply->more) {
        ctl_fail (self, FSH_ERR_PROTOCOL_ERROR,
                  "the agent ended the download without a result");
        return 1;
    }
    return -1;
}

//  Follows the download until its end: the exit code.
static int
s_get_follow (ctl_t *self, fsh_ctlstream_t *stream, ctl_args_t *args)
{
    get_view_t view = { .bar = !self->json && isatty (STDOUT_FILENO) };
    bool answered = false;
    int rc = -1;
    while (rc == -1) {
        Fshare__CtlReply *reply = NULL;
        //  A slow or stalled transfer may last as long as it likes, but the
        //  agent speaks about it every 200 ms: a silent one is not running
        fsh_ctl_result_t result = fsh_ctlstream_recv (stream, answered? FSH_CTL_STREAM_SILENT_MS
                                                                      : REQUEST_TIMEOUT_MS,
                                                      &reply);
        if (result != FSH_CTL_TIMEOUT)
            answered = true;
        rc = 1;
        if (result == FSH_CTL_INTERRUPTED) {
            s_bar_clear (&view);
            rc = s_get_cancel (self, stream, args->words [0]);
        }
        else
        if (result == FSH_CTL_GONE) {
            s_bar_clear (&view);
            ctl_fail (self, FSH_ERR_NO_AGENT, "get %s %s: the agent went away",
                      args->words [0], args->words [1]);
        }
        else
        if (result != FSH_CTL_OK) {
            s_bar_clear (&view);
            ctl_call_failed (self, result);
        }
        else
            rc = s_get_reply (self, &view, args, reply);
        fsh_ctl_reply_free (&reply);
    }
    return rc;
}

int
ctl_get (ctl_t *self, ctl_args_t *args)
{
    if (ctl_reach_agent (self, false))
        return 1;
    char *output = s_output_path (args->output);
    if (args->output && !output) {
        ctl_fail (self, FSH_ERR_NOT_WRITABLE, "-o %s: %s", args->output, strerror (errno));
        return 1;
    }
    if (ctl_get_is_many (self, args->words [0], args->words [1])) {
        char *root = output? strdup (output): ctl_downloads_dir (self);
        int rc = root? ctl_get_many (self, args, root): 1;
        free (root);
        free (output);
        return rc;
    }
    char *words [2] = { (char *) args->words [0], (char *) args->words [1] };
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    request.args = words;
    request.n_args = 2;
    request.output = output? output: "";
    request.again = args->again;
    errno = 0;
    fsh_ctlstream_t *stream = fsh_ctlstream_new (ctl_control (self), &request);
    int rc = 1;
    if (stream)
        rc = s_get_follow (self, stream, args);
    else
        ctl_call_failed (self, errno == EMFILE? FSH_CTL_NO_FDS: FSH_CTL_TIMEOUT);
    fsh_ctlstream_destroy (&stream);
    free (output);
    return rc;
}
