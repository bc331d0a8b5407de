/*  getmany.c - fshare-ctl get of a folder or a glob (SPEC 4.3).

    The owner's list (ls --all --user OWNER) says which files match; each
    becomes one ordinary download by the agent, into the same structure
    under the downloads directory (or -o DIR), up to --jobs at a time. A
    file already there with the same size and digest is skipped; a partial
    file resumes (the agent finds it beside its target); a different file
    of the same name is kept, and the agent saves the new one as name_1.
    One progress bar covers the total on a terminal; the summary names
    every failure, and any failure makes the exit status 1.
*/
#include "ctl.h"
#include "digest.h"
#include <fcntl.h>
#include <sys/stat.h>

#define JOBS_DEFAULT 4
#define JOBS_MAX     64
#define FDS_WAIT_MS  5000        //  for a descriptor, with no download running

typedef enum { ITEM_WAITING, ITEM_RUNNING, ITEM_SAVED, ITEM_IDENTICAL, ITEM_FAILED } item_state_t;

typedef struct {
    char *path;                 //  the owner's path
    char *target;               //  where it goes (absolute)
    uint64_t size;
    uint8_t sha256 [DIGEST_SIZE];
    bool has_sha256;
    item_state_t state;
    fsh_ctlstream_t *stream;
    uint64_t done;              //  bytes on disk so far
    char *saved;                //  where it was saved, or the error text
    char sha256_hex [DIGEST_HEX_SIZE];
    fsh_err_t code;
    int64_t heard;              //  the agent's last word about it (zclock_mono)
} item_t;

typedef struct {
    ctl_t *ctl;
    const char *owner;
    zlistx_t *items;
    uint64_t total;
    bool bar;
    int64_t last_draw;
} many_t;

static void
s_item_destroy (void **item_p)
{
    item_t *item = (item_t *) *item_p;
    if (!item)
        return;
    fsh_ctlstream_destroy (&item->stream);
    free (item->path);
    free (item->target);
    free (item->saved);
    free (item);
    *item_p = NULL;
}

//  --------------------------------------------------------------------------
//  What to fetch

//  The matching files of the owner's list, each with its target below
//  `root`; -1 when the list cannot be had (reason printed).
static int
s_plan (many_t *self, const char *what, const char *root)
{
    zlistx_t *replies = ctl_files (self->ctl, true, self->owner, NULL);
    if (!replies)
        return -1;
    bool glob = fsh_glob_is_pattern (what);
    size_t length = strlen (what);
    char *dir = strndup (what, what [length - 1] == '/'? length - 1: length);
    const char *base = strrchr (dir, '/')? strrchr (dir, '/') + 1: dir;
    size_t prefix = glob? fsh_glob_prefix (what): 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
    for (size_t i = 0; i < reply->n_files; i++) {
        const Fshare__FileInfo *file = reply->files [i]->file;
        if (fsh_listed_check (file))
            continue;               //  never a name from outside unchecked
        const char *rel = NULL;
        char *target = NULL;
        if (glob && fsh_glob_match (what, file->path))
            target = zsys_sprintf ("%s/%s", root, file->path + prefix);
        else
        if (!glob && strncmp (file->path, dir, strlen (dir)) == 0
        &&  file->path [strlen (dir)] == '/') {
            rel = file->path + strlen (dir) + 1;
            target = zsys_sprintf ("%s/%s/%s", root, base, rel);
        }
        if (!target)
            continue;
        item_t *item = (item_t *) zmalloc (sizeof (item_t));
        item->path = strdup (file->path);
        item->target = target;
        item->size = file->size;
        item->has_sha256 = file->sha256.len == DIGEST_SIZE;
        if (item->has_sha256)
            memcpy (item->sha256, file->sha256.data, DIGEST_SIZE);
        self->total += file->size;
        zlistx_add_end (self->items, item);
    }
    free (dir);
    zlistx_destroy (&replies);
    return 0;
}

//  The target already holds this content: nothing to fetch.
static bool
s_already_there (item_t *item)
{
    struct stat st;
    if (!item->has_sha256 || lstat (item->target, &st) == -1 || !S_ISREG (st.st_mode)
    ||  (uint64_t) st.st_size != item->size)
        return false;
    int fd = open (item->target, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1)
        return false;
    digest_t *digest = digest_new ();
    char buffer [65536];
    ssize_t got;
    while ((got = read (fd, buffer, sizeof buffer)) > 0)
        digest_update (digest, buffer, (size_t) got);
    close (fd);
    uint8_t sha [DIGEST_SIZE];
    digest_final (digest, sha);
    digest_destroy (&digest);
    return got == 0 && memcmp (sha, item->sha256, DIGEST_SIZE) == 0;
}

//  --------------------------------------------------------------------------
//  Running

static void
s_fail (item_t *item, fsh_err_t code, const char *text)
{
    item->state = ITEM_FAILED;
    item->code = code;
    free (item->saved);
    item->saved = strdup (text);
    fsh_ctlstream_destroy (&item->stream);
}

//  The agent's connection of one download dropped, or it fell silent: when
//  nothing listens on its control socket any more (killed, crashed), no
//  other download of the folder can be had either. Each would otherwise
//  wait out the silence allowed to a live agent (a stream to a dead socket
//  never connects, so it never hears of a disconnection): 30 s per --jobs
//  files, hours for a large folder. The files already there keep their
//  state; every other one fails now, with the same words. One probe per
//  round that lost a download: never a stream of connects at a stopped agent.
static void
s_on_agent_lost (many_t *self)
{
    if (!fsh_ctl_endpoint_dead (ctl_control (self->ctl)))
        return;
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items))
        if (item->state == ITEM_WAITING || item->state == ITEM_RUNNING)
            s_fail (item, FSH_ERR_NO_AGENT, "the agent went away");
}

//  Starts a waiting item (`running` others run). True when the program is
//  out of descriptors for its socket while others run: it waits for one
//  of them to end (with none running, it fails: busy).
static bool
s_start (many_t *self, item_t *item, int running)
{
    char *dir = strdup (item->target);
    *strrchr (dir, '/') = 0;
    if (fsh_mkdirs (dir, 0755) == -1) {
        char *why = zsys_sprintf ("cannot create %s: %s", dir, strerror (errno));
        s_fail (item, FSH_ERR_NOT_WRITABLE, why);
        zstr_free (&why);
        free (dir);
        return false;
    }
    free (dir);
    if (s_already_there (item)) {
        item->state = ITEM_IDENTICAL;
        item->saved = strdup (item->target);
        digest_hex (item->sha256, item->sha256_hex);
        return false;
    }
    char *words [2] = { (char *) self->owner, item->path };
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    request.args = words;
    request.n_args = 2;
    request.output = item->target;
    request.output_exact = true;
    //  This very place is the one that counts, not a copy elsewhere
    request.again = true;
    errno = 0;
    item->stream = fsh_ctlstream_new (ctl_control (self->ctl), &request);
    //  With none running, the descriptors of those just ended come back
    //  once libzmq's reaper thread has closed them: a moment
    int64_t deadline = zclock_mono () + FDS_WAIT_MS;
    while (!item->stream && errno == EMFILE && running == 0 && zclock_mono () < deadline
    &&     !zsys_interrupted) {
        zclock_sleep (20);
        errno = 0;
        item->stream = fsh_ctlstream_new (ctl_control (self->ctl), &request);
    }
    if (item->stream) {
        item->state = ITEM_RUNNING;
        item->heard = zclock_mono ();
    }
    else
    if (errno != EMFILE)
        s_fail (item, FSH_ERR_NO_AGENT, "agent not responding");
    else
    if (running == 0)
        s_fail (item, FSH_ERR_BUSY, FSH_CTL_NO_FDS_TEXT);
    else
        return true;            //  waits for one of the running to end
    return false;
}

static void
s_on_reply (item_t *item, Fshare__CtlReply *reply)
{
    if (reply->status != FSHARE__STATUS__STATUS_OK) {
        s_fail (item, fsh_err_received (reply->code, FSH_ERR_INTERNAL), ctl_text (reply->error));
        return;
    }
    if (reply->more) {
        if (reply->progress)
            item->done = reply->progress->done;
        return;
    }
    if (!reply->get) {
        s_fail (item, FSH_ERR_INTERNAL, "the agent ended the download without a result");
        return;
    }
    item->state = reply->get->identical? ITEM_IDENTICAL: ITEM_SAVED;
    item->saved = strdup (ctl_text (reply->get->path));
    snprintf (item->sha256_hex, sizeof item->sha256_hex, "%s", ctl_text (reply->get->sha256));
    item->done = item->size;
    fsh_ctlstream_destroy (&item->stream);
}

static void
s_bar (many_t *self, bool force)
{
    int64_t now = zclock_mono ();
    if (!self->bar || (!force && now - self->last_draw < 100))
        return;
    self->last_draw = now;
    uint64_t done = 0;
    size_t finished = 0;
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items)) {
        done += item->state == ITEM_WAITING? 0: item->state == ITEM_RUNNING? item->done: item->size;
        finished += item->state >= ITEM_SAVED;
    }
    char bar [31], done_text [32], total_text [32];
    int filled = self->total? (int) ((double) done / (double) self->total * 30): 30;
    for (int i = 0; i < 30; i++)
        bar [i] = i < filled? '#': '.';
    bar [30] = 0;
    fsh_human_size (done, done_text, sizeof done_text);
    fsh_human_size (self->total, total_text, sizeof total_text);
    printf ("\r[%s] %3d%%  %s / %s  %zu/%zu files\033[K", bar,
            self->total? (int) ((double) done * 100 / (double) self->total): 100,
            done_text, total_text, finished, zlistx_size (self->items));
    fsh_output_flush ();
}

//  A poller on the running downloads' sockets, or NULL when none runs.
static zpoller_t *
s_poller (many_t *self)
{
    zpoller_t *poller = NULL;
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items)) {
        if (item->state != ITEM_RUNNING)
            continue;
        if (!poller)
            poller = zpoller_new (fsh_ctlstream_socket (item->stream), NULL);
        else
            zpoller_add (poller, fsh_ctlstream_socket (item->stream));
        zpoller_add (poller, fsh_ctlstream_monitor (item->stream));
    }
    return poller;
}

//  What the agent said of each running download. True when it is gone.
//  `cancelling`: each was asked to cancel, so its end is what is waited
//  for, and the cancel's own OK (it comes after) ends it as cancelled.
static bool
s_read (many_t *self, bool cancelling)
{
    bool lost = false;
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items)) {
        void *which = item->state == ITEM_RUNNING? fsh_ctlstream_ready (item->stream): NULL;
        //  The agent speaks of each every 200 ms: silence is no agent
        if (!which && item->state == ITEM_RUNNING && !cancelling
        &&  zclock_mono () - item->heard > FSH_CTL_STREAM_SILENT_MS) {
            s_fail (item, FSH_ERR_NO_AGENT, "agent not responding");
            lost = true;
        }
        if (!which)
            continue;
        item->heard = zclock_mono ();
        Fshare__CtlReply *reply = NULL;
        fsh_ctl_result_t result = fsh_ctlstream_read (item->stream, which, &reply);
        if (result == FSH_CTL_OK && reply && cancelling && !reply->more && !reply->get
        &&  reply->status == FSHARE__STATUS__STATUS_OK)
            s_fail (item, FSH_ERR_CANCELLED, "interrupted");
        else
        if (result == FSH_CTL_OK && reply)
            s_on_reply (item, reply);
        else
        if (result == FSH_CTL_GONE) {
            s_fail (item, FSH_ERR_NO_AGENT, "the agent went away");
            lost = true;
        }
        else
        if (result == FSH_CTL_MALFORMED)
            s_fail (item, FSH_ERR_INTERNAL, "the agent sent a malformed reply");
        fsh_ctl_reply_free (&reply);
    }
    return lost;
}

//  Interrupted: every download still running is cancelled end to end and
//  its end waited for, briefly (its cancel must reach the agent before we
//  go: one sent as the process ended was lost, and the file was saved
//  after it had been reported interrupted). One saved meanwhile is
//  reported saved. Those not started yet fail as interrupted.
static void
s_cancel_all (many_t *self)
{
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items))
        if (item->state == ITEM_RUNNING)
            fsh_ctlstream_send (item->stream, "cancel");
        else
        if (item->state == ITEM_WAITING)
            s_fail (item, FSH_ERR_CANCELLED, "interrupted before it started");
    //  The signal that got us here would end zpoller_wait at once
    zsys_interrupted = 0;
    int64_t deadline = zclock_mono () + CANCEL_WAIT_MS;
    zpoller_t *poller;
    while (zclock_mono () < deadline && (poller = s_poller (self))) {
        zpoller_wait (poller, (int) (deadline - zclock_mono ()));
        zpoller_destroy (&poller);
        s_read (self, true);
    }
    zsys_interrupted = 1;
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items))
        if (item->state == ITEM_RUNNING)
            s_fail (item, FSH_ERR_CANCELLED, "interrupted: may still be cancelling");
}

//  Keep up to `jobs` downloads going until all have ended. -1 when
//  interrupted.
static int
s_run (many_t *self, int jobs)
{
    while (!zsys_interrupted) {
        int running = 0;
        bool short_of_fds = false;  //  no more start this round
        for (item_t *item = (item_t *) zlistx_first (self->items); item;
             item = (item_t *) zlistx_next (self->items)) {
            if (item->state == ITEM_WAITING && running < jobs && !short_of_fds)
                short_of_fds = s_start (self, item, running);
            running += item->state == ITEM_RUNNING;
        }
        s_bar (self, false);
        zpoller_t *poller = s_poller (self);
        if (!poller)
            return 0;
        zpoller_wait (poller, 200);
        zpoller_destroy (&poller);
        if (s_read (self, false))
            s_on_agent_lost (self);
    }
    s_cancel_all (self);
    return -1;
}

//  --------------------------------------------------------------------------
//  The summary

static int
s_report (many_t *self)
{
    size_t saved = 0, identical = 0, failed = 0;
    json_t *array = self->ctl->json? json_array (): NULL;
    if (self->bar)
        printf ("\r\033[K");
    for (item_t *item = (item_t *) zlistx_first (self->items); item;
         item = (item_t *) zlistx_next (self->items)) {
        saved += item->state == ITEM_SAVED;
        identical += item->state == ITEM_IDENTICAL;
        failed += item->state == ITEM_FAILED || item->state < ITEM_SAVED;
        if (item->state == ITEM_FAILED || item->state < ITEM_SAVED)
            ctl_fail_plain (self->owner, item->path, ctl_text (item->saved));
        if (!array)
            continue;
        //  (s_run ends none waiting or running; a failure all the same)
        json_t *obj = item->state == ITEM_FAILED || item->state < ITEM_SAVED
            ? json_pack ("{s:s, s:s, s:s}", "path", item->path, "error", ctl_text (item->saved),
                         "code", fsh_err_name (item->code))
            : json_pack ("{s:s, s:I, s:s}", "path", ctl_text (item->saved),
                         "size", (json_int_t) item->size, "sha256", item->sha256_hex);
        if (item->state == ITEM_IDENTICAL)
            json_object_set_new (obj, "identical", json_true ());
        json_array_append_new (array, obj);
    }
    if (array)
        ctl_json_print (array);
    else {
        char total [32];
        fsh_human_size (self->total, total, sizeof total);
        printf ("%zu files (%s): %zu saved, %zu already there, %zu failed\n",
                zlistx_size (self->items), total, saved, identical, failed);
    }
    fsh_output_flush ();
    return failed? 1: 0;
}

bool
ctl_get_is_many (ctl_t *self, const char *owner, const char *what)
{
    size_t length = strlen (what);
    if (length == 0)
        return false;
    if (what [length - 1] == '/' || fsh_glob_is_pattern (what))
        return true;
    //  A directory of the owner's list, not a file of it. Quietly: when the
    //  list cannot be had, the get itself says why, once.
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    request.all = true;
    request.user = (char *) owner;
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctlclient_call (self->client, &request, REQUEST_TIMEOUT_MS,
                                                  replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    if (result != FSH_CTL_OK || last->status != FSHARE__STATUS__STATUS_OK) {
        zlistx_destroy (&replies);
        return false;
    }
    bool file = false, below = false;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t i = 0; i < reply->n_files; i++) {
            const char *path = reply->files [i]->file? reply->files [i]->file->path: "";
            file |= streq (path, what);
            below |= strncmp (path, what, length) == 0 && path [length] == '/';
        }
    zlistx_destroy (&replies);
    return below && !file;
}

int
ctl_get_many (ctl_t *self, ctl_args_t *args, const char *root)
{
    many_t many = { .ctl = self, .owner = args->words [0],
                    .bar = !self->json && isatty (STDOUT_FILENO) };
    many.items = zlistx_new ();
    zlistx_set_destructor (many.items, s_item_destroy);
    int rc = 1;
    if (s_plan (&many, args->words [1], root) == 0) {
        if (zlistx_size (many.items) == 0) {
            ctl_fail (self, FSH_ERR_UNKNOWN_FILE, "get %s %s: no file matches",
                      args->words [0], args->words [1]);
        }
        else {
            int jobs = args->jobs > 0? args->jobs: JOBS_DEFAULT;
            int run = s_run (&many, jobs < JOBS_MAX? jobs: JOBS_MAX);
            rc = s_report (&many);
            if (run == -1)
                rc = 1;
        }
    }
    zlistx_destroy (&many.items);
    return rc;
}
