/*  ctl.c - fshare-ctl: the command tool of a user's running agent (SPEC 5).

    Talks to the agent over its control socket (a DEALER to the agent's
    ROUTER, one CtlRequest out, CtlReply pages back). `connect` starts the
    agent in the background and waits for its login; `shell` is a prompt
    (libedit on a terminal, plain lines from a pipe) that also takes the
    original app's words and prints notifications as they arrive. Output is
    aligned columns for people, or the stable JSON of SPEC 5.1.
*/
#include "fshare.h"
#include "cli.h"
#include "ctlclient.h"
#include <jansson.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/wait.h>
#include <editline/readline.h>

#define PROGRAM "fshare-ctl"

#define REQUEST_TIMEOUT_MS   FSH_CTL_REQUEST_TIMEOUT_MS
#define PROBE_TIMEOUT_MS     FSH_CTL_PROBE_TIMEOUT_MS
#define CONNECT_TIMEOUT_MS   30000  //  agent started until online
#define STOP_TIMEOUT_MS      5000   //  disconnect until the agent is gone
#define SHELL_MAX_WORDS      64
#define SHELL_LINE_MAX       (64 * 1024)

extern char **environ;

static const char *s_usage =
    "usage: fshare-ctl [--user NAME | --control EP] [--json] [-v] COMMAND ...\n"
    "Send a user's requests to that user's running fshare agent.\n"
    "commands:\n"
    "  connect USER [--dir DIR] [--downloads DIR] [--broker EP] [--password-file FILE]\n"
    "               [--server-key KEY]\n"
    "                start USER's agent in the background, wait for the login,\n"
    "                print the files of the other users\n"
    "  status        session state, broker, counts\n"
    "  ls [GLOB]     my published files                   (original: list_my_files)\n"
    "  ls --all [--user NAME] [GLOB]\n"
    "                every file of every logged-in user     (original: list_all_files)\n"
    "  peers         logged-in users and their file counts\n"
    "  get OWNER PATH [-o PATH]\n"
    "                download OWNER's file PATH into the downloads directory\n"
    "                (or PATH given with -o: a file name or a directory);\n"
    "                a progress bar on a terminal     (original: download_file)\n"
    "  events        print notifications as they arrive, until interrupted\n"
    "  disconnect    log out and stop the agent\n"
    "  shell         interactive prompt (reads piped input too)\n"
    "options:\n"
    "  --user NAME   talk to NAME's agent (default: the only one running)\n"
    "  --control EP  talk to the agent on this control endpoint\n"
    "  --json        JSON output (SPEC 5.1)\n"
    "  -v, --verbose say more on stderr\n"
    "  -c, --config FILE  read options from a ZPL config file\n"
    "  -h, --help    this help\n"
    "  --version     print the version\n"
    "The password of connect comes from --password-file, else FSHARE_PASSWORD,\n"
    "else a prompt on the terminal; never from the command line.\n";

static const char *s_shell_help =
    "commands:\n"
    "  connect USER [PASS] [--dir DIR] [--downloads DIR] [--broker EP]\n"
    "  status\n"
    "  ls [GLOB]                       (also: list_my_files)\n"
    "  ls --all [--user NAME] [GLOB]   (also: list_all_files)\n"
    "  peers\n"
    "  get OWNER PATH [-o PATH]        (also: download_file OWNER FILE)\n"
    "  disconnect\n"
    "  help\n"
    "  quit, exit\n"
    "Notifications print as they arrive while an agent is connected.\n";

typedef struct {
    fsh_ctlclient_t *client;    //  which agent, and requests to it
    bool pinned;            //  --user or --control given: never look elsewhere
    bool explicit_control;  //  --control given: also passed to a new agent
    bool json;
    bool verbose;
    bool in_shell;          //  commands typed at the shell (errors continue)
    bool interactive;       //  the shell reads a terminal through libedit
    bool prompting;         //  libedit's line handler is installed
    bool prompt_cleared;    //  output went over the prompt: redraw it
    fsh_ctlstream_t *stream;    //  shell: the agent's event stream
} ctl_t;

//  The options and words after a command name.
typedef struct {
    bool all;
    bool json;
    const char *user;           //  ls --all --user NAME
    const char *dir;
    const char *downloads;
    const char *broker;
    const char *password_file;
    const char *server_key;     //  connect --server-key KEY
    const char *output;         //  get -o PATH
    const char *words [2];      //  positional words
    size_t n_words;
} ctl_args_t;

typedef int (ctl_command_fn) (ctl_t *self, ctl_args_t *args);

typedef struct {
    const char *name;
    ctl_command_fn *run;
    const char *options;        //  short codes of the options it takes
    size_t min_words;
    size_t max_words;
    bool all;                   //  list_all_files = ls --all
} ctl_command_t;


//  --------------------------------------------------------------------------
//  Small helpers

//  A usage error in a command's words; the shell has its own help.
static int
s_command_error (const char *command, bool in_shell, const char *fmt, const char *arg)
{
    fprintf (stderr, "fshare-ctl: %s: ", command);
    fprintf (stderr, fmt, arg);
    fprintf (stderr, in_shell? " (type help)\n": "\ntry 'fshare-ctl --help'\n");
    return 2;
}

//  Text from the agent, safe to print.
static const char *
s_text (const char *text)
{
    return fsh_text_valid (text, 1024)? text: "(unreadable text)";
}

static int
s_max (int a, int b)
{
    return a > b? a: b;
}

static void
s_local_time (int64_t seconds, const char *format, char *buf, size_t size)
{
    time_t when = (time_t) seconds;
    struct tm tm;
    if (!localtime_r (&when, &tm) || !strftime (buf, size, format, &tm))
        snprintf (buf, size, "%" PRId64, seconds);
}

static json_t *
s_json_text (const char *text)
{
    json_t *value = text? json_string (text): NULL;
    return value? value: json_string ("");
}

static void
s_json_print (json_t *json)
{
    char *text = json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (json);
    fflush (stdout);
}

static ctl_t *
ctl_new (void)
{
    ctl_t *self = (ctl_t *) zmalloc (sizeof (ctl_t));
    self->client = fsh_ctlclient_new ();
    return self;
}

static void
ctl_stream_close (ctl_t *self)
{
    fsh_ctlstream_destroy (&self->stream);
}

static void
ctl_destroy (ctl_t **self_p)
{
    if (*self_p) {
        ctl_t *self = *self_p;
        ctl_stream_close (self);
        fsh_ctlclient_destroy (&self->client);
        free (self);
        *self_p = NULL;
    }
}

//  The agent's control endpoint and user; NULL until known.
static const char *
ctl_control (ctl_t *self)
{
    return fsh_ctlclient_endpoint (self->client);
}

static const char *
ctl_user (ctl_t *self)
{
    return fsh_ctlclient_user (self->client);
}

static void
ctl_set_agent (ctl_t *self, const char *user, const char *endpoint)
{
    ctl_stream_close (self);    //  it belongs to the agent we knew
    fsh_ctlclient_set_agent (self->client, user, endpoint);
}

//  The agent is gone (disconnected or vanished): forget it unless the
//  command line named it.
static void
ctl_forget_agent (ctl_t *self)
{
    ctl_stream_close (self);
    if (!self->pinned)
        fsh_ctlclient_set_agent (self->client, NULL, NULL);
}

//  Makes sure we know which agent to talk to. 0, or -1 with the reason
//  printed (unless quiet).
static int
ctl_find_agent (ctl_t *self, bool quiet)
{
    if (ctl_control (self))
        return 0;
    zlistx_t *alive = NULL;
    fsh_ctl_result_t result = fsh_ctlclient_find (self->client, &alive);
    if (result == FSH_CTL_OK && self->verbose)
        fprintf (stderr, "fshare-ctl: talking to %s's agent at %s\n", ctl_user (self),
                 ctl_control (self));
    else
    if (result == FSH_CTL_NO_AGENT && !quiet)
        fprintf (stderr, "fshare-ctl: no agent running (start one with: %s)\n",
                 self->in_shell? "connect USER PASS": "fshare-ctl connect USER");
    else
    if (result == FSH_CTL_SEVERAL && !quiet) {
        fprintf (stderr, "fshare-ctl: several agents running (");
        const char *separator = "";
        for (const char *user = (const char *) zlistx_first (alive); user;
             user = (const char *) zlistx_next (alive)) {
            fprintf (stderr, "%s%s", separator, user);
            separator = ", ";
        }
        fprintf (stderr, "): choose one with --user\n");
    }
    zlistx_destroy (&alive);
    return result == FSH_CTL_OK? 0: -1;
}

static void
ctl_no_agent (ctl_t *self)
{
    if (ctl_user (self))
        fprintf (stderr, "fshare-ctl: no agent running for %s (start one with: %s %s)\n",
                 ctl_user (self), self->in_shell? "connect": "fshare-ctl connect",
                 ctl_user (self));
    else
        fprintf (stderr, "fshare-ctl: no agent listens on %s\n", ctl_control (self));
}

//  One request to the agent: its replies (caller destroys), or NULL with
//  the reason printed. An error reply from the agent is printed too.
static zlistx_t *
ctl_call (ctl_t *self, const Fshare__CtlRequest *request)
{
    if (ctl_find_agent (self, false))
        return NULL;
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctlclient_call (self->client, request, REQUEST_TIMEOUT_MS,
                                                  replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    if (result == FSH_CTL_NO_AGENT)
        ctl_no_agent (self);
    else
    if (result == FSH_CTL_TIMEOUT)
        fprintf (stderr, "fshare-ctl: agent not responding\n");
    else
    if (result == FSH_CTL_MALFORMED)
        fprintf (stderr, "fshare-ctl: the agent sent a malformed reply\n");
    else
    if (result == FSH_CTL_OK && last->status != FSHARE__STATUS__STATUS_OK)
        fprintf (stderr, "fshare-ctl: %s\n", s_text (last->error));
    if (result != FSH_CTL_OK || last->status != FSHARE__STATUS__STATUS_OK)
        zlistx_destroy (&replies);
    return replies;
}


//  --------------------------------------------------------------------------
//  Output

//  One line of a file listing; the strings belong to the replies.
typedef struct {
    const char *user;
    const Fshare__FileInfo *file;
} file_row_t;

static void
s_row_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  The valid file entries of all replies, in order, as file_row_t.
static zlistx_t *
s_collect_files (zlistx_t *replies, const char *default_user, const char *exclude_user)
{
    zlistx_t *files = zlistx_new ();
    zlistx_set_destructor (files, s_row_free);
    size_t skipped = 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t i = 0; i < reply->n_files; i++) {
            const Fshare__UserFile *entry = reply->files [i];
            //  own files may come without a user name
            const char *user = *entry->user || !default_user? entry->user: default_user;
            if (fsh_file_check (entry->file) || (*user && fsh_user_check (user)))
                skipped++;
            else
            if (!exclude_user || !streq (user, exclude_user)) {
                file_row_t *row = (file_row_t *) zmalloc (sizeof (file_row_t));
                row->user = user;
                row->file = entry->file;
                zlistx_add_end (files, row);
            }
        }
    if (skipped)
        fprintf (stderr, "fshare-ctl: skipped %zu malformed entries\n", skipped);
    return files;
}

static void
s_print_files_json (zlistx_t *files)
{
    json_t *array = json_array ();
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files))
        json_array_append_new (array, json_pack ("{s:s, s:s, s:I, s:I}",
            "user", entry->user, "path", entry->file->path,
            "size", (json_int_t) entry->file->size, "mtime", (json_int_t) entry->file->mtime));
    s_json_print (array);
}

static void
s_print_files_plain (zlistx_t *files, bool with_user)
{
    int user_width = 4, size_width = 4;
    char size [32], when [32];
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files)) {
        fsh_human_size (entry->file->size, size, sizeof size);
        size_width = s_max (size_width, (int) strlen (size));
        user_width = s_max (user_width, (int) strlen (entry->user));
    }
    if (with_user)
        printf ("%-*s  ", user_width, "USER");
    printf ("%*s  %-16s  %s\n", size_width, "SIZE", "MODIFIED", "PATH");
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files)) {
        fsh_human_size (entry->file->size, size, sizeof size);
        s_local_time (entry->file->mtime, "%Y-%m-%d %H:%M", when, sizeof when);
        if (with_user)
            printf ("%-*s  ", user_width, entry->user);
        printf ("%*s  %-16s  %s\n", size_width, size, when, entry->file->path);
    }
    fflush (stdout);
}

static void
ctl_print_files (ctl_t *self, zlistx_t *files, bool with_user, const char *empty)
{
    if (self->json)
        s_print_files_json (files);
    else
    if (zlistx_size (files) == 0)
        printf ("%s\n", empty);
    else
        s_print_files_plain (files, with_user);
    fflush (stdout);
}

//  A notification is about to print over the shell's prompt line.
static void
ctl_clear_prompt (ctl_t *self)
{
    if (self->prompting && !self->prompt_cleared) {
        printf ("\r\033[K");
        fflush (stdout);
        self->prompt_cleared = true;
    }
}

static void
ctl_print_event (ctl_t *self, const Fshare__Event *event)
{
    if (fsh_event_check (event)) {
        if (self->verbose)
            fprintf (stderr, "fshare-ctl: skipped a malformed event\n");
        return;
    }
    ctl_clear_prompt (self);
    if (self->json) {
        char *line = fsh_event_json (event);
        if (line)
            printf ("%s\n", line);
        free (line);
    }
    else
        fsh_event_print (event, stdout);
    fflush (stdout);
}


//  --------------------------------------------------------------------------
//  Commands that ask the agent

static int
ctl_status (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = ctl_call (self, &request);
    if (!replies)
        return 1;
    Fshare__AgentStatus *agent = ((Fshare__CtlReply *) zlistx_last (replies))->agent;
    if (!agent) {
        fprintf (stderr, "fshare-ctl: the agent sent no status\n");
        zlistx_destroy (&replies);
        return 1;
    }
    if (self->json) {
        json_t *obj = json_object ();
        json_object_set_new (obj, "user", s_json_text (agent->user));
        json_object_set_new (obj, "state", s_json_text (agent->state));
        json_object_set_new (obj, "broker", s_json_text (agent->broker));
        json_object_set_new (obj, "broker_id", s_json_text (agent->broker_id));
        json_object_set_new (obj, "seq", json_integer ((json_int_t) agent->seq));
        json_object_set_new (obj, "my_files", json_integer ((json_int_t) agent->my_files));
        json_object_set_new (obj, "peers", json_integer ((json_int_t) agent->peers));
        json_object_set_new (obj, "other_files", json_integer ((json_int_t) agent->other_files));
        json_object_set_new (obj, "dir", s_json_text (agent->dir));
        json_object_set_new (obj, "downloads", s_json_text (agent->downloads));
        json_object_set_new (obj, "pid", json_integer ((json_int_t) agent->pid));
        json_object_set_new (obj, "events", s_json_text (agent->events));
        s_json_print (obj);
    }
    else {
        printf ("user:        %s\n", s_text (agent->user));
        printf ("state:       %s\n", s_text (agent->state));
        printf ("broker:      %s\n", s_text (agent->broker));
        printf ("events:      %s\n", s_text (agent->events));
        printf ("broker id:   %s\n", s_text (agent->broker_id));
        printf ("seq:         %" PRIu64 "\n", agent->seq);
        printf ("my files:    %" PRIu64 "\n", agent->my_files);
        printf ("peers:       %" PRIu64 "\n", agent->peers);
        printf ("other files: %" PRIu64 "\n", agent->other_files);
        printf ("dir:         %s\n", s_text (agent->dir));
        printf ("downloads:   %s\n", s_text (agent->downloads));
        printf ("pid:         %" PRId64 "\n", agent->pid);
        fflush (stdout);
    }
    zlistx_destroy (&replies);
    return 0;
}

//  The files of `ls`; NULL when the request failed (reason printed).
static zlistx_t *
ctl_files (ctl_t *self, bool all, const char *user, const char *glob)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    request.all = all;
    if (user)
        request.user = (char *) user;
    if (glob)
        request.glob = (char *) glob;
    return ctl_call (self, &request);
}

static int
ctl_ls (ctl_t *self, ctl_args_t *args)
{
    if (args->user && !args->all)
        return s_command_error ("ls", self->in_shell, "%s", "--user needs --all");
    const char *error = args->user? fsh_user_check (args->user): NULL;
    if (error)
        return s_command_error ("ls", self->in_shell, "bad user name: %s", error);
    zlistx_t *replies = ctl_files (self, args->all, args->user,
                                   args->n_words? args->words [0]: NULL);
    if (!replies)
        return 1;
    zlistx_t *files = s_collect_files (replies, args->all? NULL: ctl_user (self), NULL);
    ctl_print_files (self, files, args->all, "no files");
    zlistx_destroy (&files);
    zlistx_destroy (&replies);
    return 0;
}

static int
ctl_peers (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "peers";
    zlistx_t *replies = ctl_call (self, &request);
    if (!replies)
        return 1;
    json_t *array = json_array ();
    int width = 4;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t i = 0; i < reply->n_peers; i++) {
            Fshare__PeerInfo *peer = reply->peers [i];
            if (fsh_user_check (peer->user))
                continue;
            json_array_append_new (array, json_pack ("{s:s, s:I, s:I}", "user", peer->user,
                "files", (json_int_t) peer->files, "since", (json_int_t) peer->since));
            width = s_max (width, (int) strlen (peer->user));
        }
    if (self->json)
        s_json_print (array);
    else {
        printf ("%-*s  %8s  %s\n", width, "USER", "FILES", "SINCE");
        size_t index;
        json_t *peer;
        json_array_foreach (array, index, peer) {
            char since [32];
            s_local_time (json_integer_value (json_object_get (peer, "since")),
                          "%Y-%m-%d %H:%M:%S", since, sizeof since);
            printf ("%-*s  %8" JSON_INTEGER_FORMAT "  %s\n", width,
                    json_string_value (json_object_get (peer, "user")),
                    json_integer_value (json_object_get (peer, "files")), since);
        }
        json_decref (array);
        fflush (stdout);
    }
    zlistx_destroy (&replies);
    return 0;
}

//  Opens the "events" stream: 0 once the agent acknowledged, else -1
//  (reason printed).
static int
ctl_stream_open (ctl_t *self)
{
    ctl_stream_close (self);
    if (ctl_find_agent (self, self->in_shell))
        return -1;
    if (fsh_ctlclient_dead (self->client)) {
        ctl_no_agent (self);
        return -1;
    }
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "events";
    fsh_ctlstream_t *stream = fsh_ctlstream_new (ctl_control (self), &request);
    Fshare__CtlReply *ack = NULL;
    if (stream && fsh_ctlstream_recv (stream, REQUEST_TIMEOUT_MS, &ack) != FSH_CTL_OK)
        fsh_ctl_reply_free (&ack);
    int rc = -1;
    if (!ack)
        fprintf (stderr, "fshare-ctl: agent not responding\n");
    else
    if (ack->status != FSHARE__STATUS__STATUS_OK || !ack->more)
        fprintf (stderr, "fshare-ctl: %s\n", *ack->error? s_text (ack->error):
                                             "the agent refused the event stream");
    else {
        self->stream = stream;
        stream = NULL;
        rc = 0;
    }
    fsh_ctl_reply_free (&ack);
    fsh_ctlstream_destroy (&stream);
    return rc;
}

//  Handles what the stream's sockets have to say: an event is printed;
//  -1 when the stream ended (the agent went away or closed it).
static int
ctl_stream_read (ctl_t *self, void *which)
{
    Fshare__CtlReply *reply = NULL;
    fsh_ctl_result_t result = fsh_ctlstream_read (self->stream, which, &reply);
    if (result != FSH_CTL_OK)
        return result == FSH_CTL_MALFORMED? 0: -1;
    //  The shell is for people: stats every few seconds would drown the rest.
    if (reply->event && !(self->in_shell
                          && reply->event->type == FSHARE__EVENT_TYPE__EVENT_STATS))
        ctl_print_event (self, reply->event);
    int rc = reply->more? 0: -1;
    fsh_ctl_reply_free (&reply);
    return rc;
}

static int
ctl_events (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    if (ctl_stream_open (self))
        return 1;
    zpoller_t *poller = zpoller_new (fsh_ctlstream_socket (self->stream),
                                     fsh_ctlstream_monitor (self->stream), NULL);
    int rc = 0;
    while (rc == 0) {
        void *which = zpoller_wait (poller, -1);
        if (!which)
            break;      //  interrupted: that is how events ends
        if (ctl_stream_read (self, which)) {
            if (!zsys_interrupted) {
                fprintf (stderr, "fshare-ctl: the agent stopped\n");
                rc = 1;
            }
            break;
        }
    }
    zpoller_destroy (&poller);
    ctl_stream_close (self);
    return rc;
}

//  --------------------------------------------------------------------------
//  get: one download, with a progress bar on a terminal

#define CANCEL_WAIT_MS  2000    //  for the agent to confirm a cancel

typedef struct {
    bool bar;                   //  stdout is a terminal: draw progress
    bool drawn;                 //  a bar is on the screen
    bool told;                  //  "resumed at..." said
    int64_t started;            //  first progress report (zclock_mono)
    uint64_t first_done;        //  bytes already there then
    int64_t last_draw;
} get_view_t;

static void
s_bar_clear (get_view_t *view)
{
    if (view->drawn) {
        printf ("\r\033[K");
        fflush (stdout);
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
    double rate = seconds > 0.3? (double) (done - view->first_done) / seconds: 0;
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
    fflush (stdout);
    view->drawn = true;
}

//  A progress report: says once whether the download resumed, draws the bar.
static void
ctl_get_progress (ctl_t *self, get_view_t *view, const Fshare__Progress *progress)
{
    if (!view->started) {
        view->started = zclock_mono ();
        view->first_done = progress->done;
    }
    if (!view->told) {
        view->told = true;
        //  For people: on stdout, unless stdout is the JSON's
        FILE *out = self->json? stderr: stdout;
        if (progress->resumed)
            fprintf (out, "resumed at %" PRIu64 " bytes\n", progress->resumed_at);
        else
        if (progress->restarted)
            fprintf (out, "restarted (the partial file was of another version)\n");
        fflush (out);
    }
    if (view->bar)
        s_bar_draw (view, progress);
}

static void
ctl_get_result (ctl_t *self, const Fshare__GetResult *result)
{
    if (self->json) {
        json_t *obj = json_pack ("{s:s, s:I, s:s}", "path", s_text (result->path),
                                 "size", (json_int_t) result->size,
                                 "sha256", s_text (result->sha256));
        s_json_print (obj);
        return;
    }
    char size [32], rate [32];
    double seconds = (double) result->duration_ms / 1000.0;
    fsh_human_size (result->size, size, sizeof size);
    fsh_human_size (seconds > 0? (uint64_t) ((double) result->size / seconds): 0,
                    rate, sizeof rate);
    printf ("saved %s (%s in %.2f s, %s/s)\n", s_text (result->path), size, seconds, rate);
    fflush (stdout);
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
static void
ctl_get_cancel (fsh_ctlstream_t *stream)
{
    fsh_ctlstream_send (stream, "cancel");
    int64_t deadline = zclock_mono () + CANCEL_WAIT_MS;
    bool confirmed = false;
    //  The signal that got us here would end zpoller_wait at once
    zsys_interrupted = 0;
    while (!confirmed && zclock_mono () < deadline) {
        Fshare__CtlReply *reply = NULL;
        fsh_ctl_result_t result = fsh_ctlstream_recv (stream, (int) (deadline - zclock_mono ()),
                                                      &reply);
        if (result != FSH_CTL_OK && result != FSH_CTL_MALFORMED)
            break;
        //  The get's own end comes first, then the cancel's OK
        confirmed = reply && !reply->more && reply->status == FSHARE__STATUS__STATUS_OK
                 && !reply->get;
        fsh_ctl_reply_free (&reply);
    }
    zsys_interrupted = 1;
    fprintf (stderr, "fshare-ctl: interrupted: download %s\n",
             confirmed? "cancelled": "may still be cancelling");
}

//  One reply of the download: -1 while it goes on, else the exit code
//  (the reason printed).
static int
ctl_get_reply (ctl_t *self, get_view_t *view, ctl_args_t *args, Fshare__CtlReply *reply)
{
    if (reply->status != FSHARE__STATUS__STATUS_OK) {
        s_bar_clear (view);
        fprintf (stderr, "fshare-ctl: get %s %s: %s\n", args->words [0], args->words [1],
                 s_text (reply->error));
        return 1;
    }
    if (reply->more && reply->progress)
        ctl_get_progress (self, view, reply->progress);
    else
    if (!reply->more && reply->get) {
        s_bar_clear (view);
        ctl_get_result (self, reply->get);
        return 0;
    }
    else
    if (!reply->more) {
        fprintf (stderr, "fshare-ctl: the agent ended the download without a result\n");
        return 1;
    }
    return -1;
}

//  Follows the download until its end: the exit code.
static int
ctl_get_follow (ctl_t *self, fsh_ctlstream_t *stream, ctl_args_t *args)
{
    get_view_t view = { .bar = !self->json && isatty (STDOUT_FILENO) };
    bool answered = false;
    int rc = -1;
    while (rc == -1) {
        Fshare__CtlReply *reply = NULL;
        //  The agent dying is the only silence that ends a download: a slow
        //  or stalled transfer may go quiet for as long as it likes
        fsh_ctl_result_t result = fsh_ctlstream_recv (stream, answered? -1: REQUEST_TIMEOUT_MS,
                                                      &reply);
        if (result != FSH_CTL_TIMEOUT)
            answered = true;
        rc = 1;
        if (result == FSH_CTL_INTERRUPTED) {
            s_bar_clear (&view);
            ctl_get_cancel (stream);
        }
        else
        if (result == FSH_CTL_TIMEOUT)
            fprintf (stderr, "fshare-ctl: agent not responding\n");
        else
        if (result == FSH_CTL_GONE) {
            s_bar_clear (&view);
            fprintf (stderr, "fshare-ctl: get %s %s: the agent went away\n",
                     args->words [0], args->words [1]);
        }
        else
        if (result == FSH_CTL_MALFORMED) {
            s_bar_clear (&view);
            fprintf (stderr, "fshare-ctl: the agent sent a malformed reply\n");
        }
        else
            rc = ctl_get_reply (self, &view, args, reply);
        fsh_ctl_reply_free (&reply);
    }
    return rc;
}

static int
ctl_get (ctl_t *self, ctl_args_t *args)
{
    if (ctl_find_agent (self, false))
        return 1;
    if (fsh_ctlclient_dead (self->client)) {
        ctl_no_agent (self);
        return 1;
    }
    char *output = s_output_path (args->output);
    if (args->output && !output) {
        fprintf (stderr, "fshare-ctl: -o %s: %s\n", args->output, strerror (errno));
        return 1;
    }
    char *words [2] = { (char *) args->words [0], (char *) args->words [1] };
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    request.args = words;
    request.n_args = 2;
    request.output = output? output: "";
    fsh_ctlstream_t *stream = fsh_ctlstream_new (ctl_control (self), &request);
    int rc = 1;
    if (stream)
        rc = ctl_get_follow (self, stream, args);
    else
        fprintf (stderr, "fshare-ctl: agent not responding\n");
    fsh_ctlstream_destroy (&stream);
    free (output);
    return rc;
}

//  Waits until the agent's control endpoint stops answering. 0 or -1.
static int
s_wait_stopped (const char *endpoint)
{
    int64_t deadline = zclock_mono () + STOP_TIMEOUT_MS;
    while (zclock_mono () < deadline && !zsys_interrupted) {
        if (!fsh_ctl_alive (endpoint, PROBE_TIMEOUT_MS))
            return 0;
        zclock_sleep (50);     //  the agent is still answering: let it finish
    }
    return -1;
}

static int
ctl_disconnect (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    if (ctl_find_agent (self, false))
        return 1;
    if (fsh_ctlclient_dead (self->client)) {
        ctl_no_agent (self);
        return 1;
    }
    ctl_stream_close (self);    //  the shell's stream: we know the agent goes away
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "disconnect";
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctl_exchange (ctl_control (self), &request,
                                                REQUEST_TIMEOUT_MS, replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    int rc = 0;
    if (result != FSH_CTL_OK) {
        fprintf (stderr, "fshare-ctl: agent not responding\n");
        zlistx_destroy (&replies);
        return 1;
    }
    //  An error ("broker unreachable; stopped anyway") still stops the agent.
    if (last->status != FSHARE__STATUS__STATUS_OK) {
        fprintf (stderr, "fshare-ctl: %s\n", s_text (last->error));
        rc = 1;
    }
    zlistx_destroy (&replies);
    if (s_wait_stopped (ctl_control (self))) {
        fprintf (stderr, "fshare-ctl: the agent is still running after %d s\n",
                 STOP_TIMEOUT_MS / 1000);
        return 1;
    }
    if (rc == 0) {
        if (self->json)
            s_json_print (json_pack ("{s:s}", "status", "disconnected"));
        else
            printf ("disconnected\n");
        fflush (stdout);
    }
    ctl_forget_agent (self);
    return rc;
}


//  --------------------------------------------------------------------------
//  connect: start an agent in the background and wait for its login

//  fshare-peer next to our own binary, else on PATH. Caller frees.
static char *
s_find_peer (void)
{
    char self_path [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len > 0) {
        self_path [len] = 0;
        char *slash = strrchr (self_path, '/');
        if (slash) {
            *slash = 0;
            char *candidate = zsys_sprintf ("%s/fshare-peer", self_path);
            if (access (candidate, X_OK) == 0)
                return candidate;
            zstr_free (&candidate);
        }
    }
    const char *path = getenv ("PATH");
    char *copy = strdup (path? path: "/usr/local/bin:/usr/bin:/bin");
    char *found = NULL, *saveptr = NULL;
    for (char *dir = strtok_r (copy, ":", &saveptr); dir && !found;
         dir = strtok_r (NULL, ":", &saveptr)) {
        char *candidate = zsys_sprintf ("%s/fshare-peer", *dir? dir: ".");
        if (access (candidate, X_OK) == 0)
            found = candidate;
        else
            zstr_free (&candidate);
    }
    free (copy);
    return found;
}

//  The environment of the agent: ours, with FSHARE_PASSWORD set when we
//  hold the password. The array is new, its strings are ours or `setting`.
static char **
s_agent_environment (const char *setting)
{
    size_t count = 0;
    while (environ [count])
        count++;
    char **env = (char **) zmalloc ((count + 2) * sizeof (char *));
    size_t index = 0;
    for (size_t i = 0; i < count; i++)
        if (!setting || strncmp (environ [i], "FSHARE_PASSWORD=", 16) != 0)
            env [index++] = environ [i];
    if (setting)
        env [index++] = (char *) setting;
    return env;
}

//  The reason an agent gave for stopping: its last "fshare-peer: " line in
//  the log, from `offset` on. Caller frees; NULL when there is none.
static char *
s_agent_reason (const char *log, off_t offset)
{
    FILE *file = fopen (log, "r");
    if (!file)
        return NULL;
    if (fseeko (file, offset, SEEK_SET))
        offset = 0;
    char *reason = NULL, *line = NULL;
    size_t size = 0;
    ssize_t len;
    const char *prefix = "fshare-peer: ";
    while ((len = getline (&line, &size, file)) > 0) {
        line [strcspn (line, "\r\n")] = 0;
        if (strncmp (line, prefix, strlen (prefix)) == 0 && fsh_text_valid (line, 1024)) {
            free (reason);
            reason = strdup (line + strlen (prefix));
        }
    }
    free (line);
    fclose (file);
    return reason;
}

typedef struct {
    pid_t pid;
    char *log;
    off_t log_offset;
} agent_child_t;

//  Forks and execs the agent, detached, output appended to its log.
static int
s_spawn_agent (const char *program, char **argv, const char *user, const char *password,
              agent_child_t *child)
{
    char *dir = fsh_control_dir ();
    if (fsh_mkdirs (dir, 0700)) {
        fprintf (stderr, "fshare-ctl: cannot create %s: %s\n", dir, strerror (errno));
        zstr_free (&dir);
        return -1;
    }
    child->log = zsys_sprintf ("%s/%s.log", dir, user);
    zstr_free (&dir);
    int log_fd = open (child->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd == -1 || null_fd == -1) {
        fprintf (stderr, "fshare-ctl: cannot open %s: %s\n", child->log, strerror (errno));
        if (log_fd != -1)
            close (log_fd);
        if (null_fd != -1)
            close (null_fd);
        return -1;
    }
    child->log_offset = lseek (log_fd, 0, SEEK_END);
    char *setting = password? zsys_sprintf ("FSHARE_PASSWORD=%s", password): NULL;
    char **env = s_agent_environment (setting);
    //  Only async-signal-safe calls between fork and exec: everything the
    //  child needs was prepared above.
    child->pid = fork ();
    if (child->pid == 0) {
        setsid ();
        dup2 (null_fd, STDIN_FILENO);
        dup2 (log_fd, STDOUT_FILENO);
        dup2 (log_fd, STDERR_FILENO);
        execve (program, argv, env);
        static const char failed [] = "fshare-peer: cannot run the agent program\n";
        if (write (STDERR_FILENO, failed, sizeof failed - 1) < 0)
            _exit (127);
        _exit (127);
    }
    int error = errno;
    close (log_fd);
    close (null_fd);
    free (env);
    if (setting) {
        explicit_bzero (setting, strlen (setting));
        zstr_free (&setting);
    }
    if (child->pid == -1) {
        fprintf (stderr, "fshare-ctl: cannot start the agent: %s\n", strerror (error));
        return -1;
    }
    return 0;
}

static void
s_stop_child (pid_t pid)
{
    kill (pid, SIGTERM);
    for (int i = 0; i < 40; i++) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            return;
        zclock_sleep (50);      //  waiting for a process to exit has no event
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

//  Waits until the new agent is online (0), or it has exited, timed out or
//  we were interrupted (-1, reason printed; the agent is not left running).
static int
s_wait_online (const char *endpoint, agent_child_t *child)
{
    int64_t deadline = zclock_mono () + CONNECT_TIMEOUT_MS;
    char state [32] = "not started";
    while (!zsys_interrupted) {
        int status;
        if (waitpid (child->pid, &status, WNOHANG) == child->pid) {
            char *reason = s_agent_reason (child->log, child->log_offset);
            if (reason)
                fprintf (stderr, "fshare-ctl: connect failed: %s\n", reason);
            else
                fprintf (stderr, "fshare-ctl: connect failed: the agent exited (status %d; "
                         "see %s)\n", WIFEXITED (status)? WEXITSTATUS (status): -1, child->log);
            zstr_free (&reason);
            return -1;
        }
        if (zclock_mono () >= deadline) {
            fprintf (stderr, "fshare-ctl: connect failed: the agent is not online after %d s "
                     "(state: %s; see %s)\n", CONNECT_TIMEOUT_MS / 1000, state, child->log);
            s_stop_child (child->pid);
            return -1;
        }
        Fshare__CtlReply *reply = fsh_ctl_probe (endpoint, PROBE_TIMEOUT_MS);
        if (reply && fsh_text_valid (reply->agent->state, 30))
            snprintf (state, sizeof state, "%s", reply->agent->state);
        //  Another agent on that endpoint is not ours (it refused to start).
        bool online = reply && streq (reply->agent->state, "online")
                   && reply->agent->pid == (int64_t) child->pid;
        fsh_ctl_reply_free (&reply);
        if (online)
            return 0;
        zclock_sleep (50);      //  an agent that is not yet listening fails fast
    }
    //  Interrupted: the user gave up on this connect, so does the agent.
    s_stop_child (child->pid);
    return -1;
}

static int
ctl_connect (ctl_t *self, ctl_args_t *args)
{
    const char *user = args->words [0];
    const char *error = fsh_user_check (user);
    if (error)
        return s_command_error ("connect", self->in_shell, "bad user name: %s", error);
    if (self->pinned && !self->explicit_control && ctl_user (self)
    &&  !streq (ctl_user (self), user)
    &&  !self->in_shell)
        return fsh_usage_error (PROGRAM, "--user %s does not match connect's user",
                               ctl_user (self));
    char *endpoint = self->explicit_control? strdup (ctl_control (self)):
                                             fsh_control_endpoint (user);
    if (fsh_ctl_alive (endpoint, PROBE_TIMEOUT_MS)) {
        fprintf (stderr, "fshare-ctl: %s is already connected\n", user);
        zstr_free (&endpoint);
        return 1;
    }
    char *program = s_find_peer ();
    if (!program) {
        fprintf (stderr, "fshare-ctl: cannot find fshare-peer (next to fshare-ctl or on PATH)\n");
        zstr_free (&endpoint);
        return 1;
    }
    //  The password: a file is passed on; else FSHARE_PASSWORD is inherited;
    //  else the shell's word or a prompt goes into the agent's environment.
    char *password = NULL;
    if (args->words [1])
        password = strdup (args->words [1]);
    else
    if (!args->password_file && !getenv ("FSHARE_PASSWORD")) {
        char *prompt = zsys_sprintf ("Password for %s: ", user);
        password = fsh_password_prompt (prompt);
        zstr_free (&prompt);
        if (!password) {
            fprintf (stderr, "fshare-ctl: no password: use --password-file, FSHARE_PASSWORD "
                     "or a terminal\n");
            zstr_free (&program);
            zstr_free (&endpoint);
            return 1;
        }
    }
    char *argv [16];
    int argc = 0;
    argv [argc++] = "fshare-peer";
    argv [argc++] = "--user";
    argv [argc++] = (char *) user;
    if (self->explicit_control) {
        argv [argc++] = "--control";
        argv [argc++] = endpoint;
    }
    const char *names [] = { "--dir", "--downloads", "--broker", "--password-file",
                             "--server-key" };
    const char *values [] = { args->dir, args->downloads, args->broker, args->password_file,
                              args->server_key };
    for (int i = 0; i < 5; i++)
        if (values [i]) {
            argv [argc++] = (char *) names [i];
            argv [argc++] = (char *) values [i];
        }
    argv [argc] = NULL;

    agent_child_t child = { 0 };
    int rc = s_spawn_agent (program, argv, user, password, &child);
    fsh_password_free (&password);
    if (rc == 0 && self->verbose)
        fprintf (stderr, "fshare-ctl: started %s (pid %d), log in %s\n", program,
                 (int) child.pid, child.log);
    if (rc == 0)
        rc = s_wait_online (endpoint, &child);
    if (rc == 0) {
        ctl_set_agent (self, user, endpoint);
        zlistx_t *replies = ctl_files (self, true, NULL, NULL);
        if (replies) {
            zlistx_t *files = s_collect_files (replies, NULL, user);
            if (!self->json)
                printf ("connected as %s\n", user);
            ctl_print_files (self, files, true, "no files shared by other users");
            zlistx_destroy (&files);
        }
        else
            rc = -1;
        zlistx_destroy (&replies);
    }
    zstr_free (&child.log);
    zstr_free (&program);
    zstr_free (&endpoint);
    return rc? 1: 0;
}


//  --------------------------------------------------------------------------
//  Command table and parsing, shared by the command line and the shell

static int ctl_shell (ctl_t *self, ctl_args_t *args);

static const ctl_command_t s_commands [] = {
    { "connect",        ctl_connect,    "jdDbpk", 1, 1, false },
    { "status",         ctl_status,     "j",     0, 0, false },
    { "ls",             ctl_ls,         "jau",   0, 1, false },
    { "peers",          ctl_peers,      "j",     0, 0, false },
    { "get",            ctl_get,        "jo",    2, 2, false },
    { "events",         ctl_events,     "j",     0, 0, false },
    { "disconnect",     ctl_disconnect, "j",     0, 0, false },
    { "shell",          ctl_shell,      "j",     0, 0, false },
    //  the original app's words
    { "list_my_files",  ctl_ls,         "j",     0, 1, false },
    { "list_all_files", ctl_ls,         "ju",    0, 1, true },
    { "download_file",  ctl_get,        "jo",    2, 2, false },
    { NULL, NULL, NULL, 0, 0, false }
};

static const ctl_command_t *
s_command_find (const char *name)
{
    for (const ctl_command_t *command = s_commands; command->name; command++)
        if (streq (command->name, name))
            return command;
    return NULL;
}

//  Parses the words after the command name. -1 when good, else exit code.
static int
s_command_parse (const ctl_command_t *command, int argc, char **argv, ctl_args_t *args,
                 bool in_shell)
{
    static const struct option longs [] = {
        { "json",          no_argument,       NULL, 'j' },
        { "all",           no_argument,       NULL, 'a' },
        { "user",          required_argument, NULL, 'u' },
        { "dir",           required_argument, NULL, 'd' },
        { "downloads",     required_argument, NULL, 'D' },
        { "broker",        required_argument, NULL, 'b' },
        { "password-file", required_argument, NULL, 'p' },
        { "server-key",    required_argument, NULL, 'k' },
        { "output",        required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 }
    };
    memset (args, 0, sizeof *args);
    args->all = command->all;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":o:", longs, NULL)) != -1) {
        if (opt == ':')
            return s_command_error (command->name, in_shell, "option '%s' needs an argument",
                                    argv [optind - 1]);
        if (opt == '?' || !strchr (command->options, opt))
            return s_command_error (command->name, in_shell, "unknown option '%s'",
                                    argv [optind - 1]);
        switch (opt) {
            case 'j': args->json = true; break;
            case 'a': args->all = true; break;
            case 'u': args->user = optarg; break;
            case 'd': args->dir = optarg; break;
            case 'D': args->downloads = optarg; break;
            case 'b': args->broker = optarg; break;
            case 'p': args->password_file = optarg; break;
            case 'k': args->server_key = optarg; break;
            case 'o': args->output = optarg; break;
        }
    }
    for (; optind < argc; optind++) {
        if (args->n_words == 2)
            return s_command_error (command->name, in_shell, "unexpected argument '%s'",
                                    argv [optind]);
        args->words [args->n_words++] = argv [optind];
    }
    if (args->n_words < command->min_words)
        return s_command_error (command->name, in_shell, "%s", "missing argument");
    return -1;
}

//  Runs one command line (argv [0] is the command name): its exit code.
static int
ctl_run (ctl_t *self, int argc, char **argv)
{
    const ctl_command_t *command = s_command_find (argv [0]);
    if (!command || (self->in_shell && command->run == ctl_shell)) {
        fprintf (stderr, "fshare-ctl: unknown command '%s'%s\n", argv [0],
                 self->in_shell? " (type help)": "\ntry 'fshare-ctl --help'");
        return 2;
    }
    if (self->in_shell && command->run == ctl_events) {
        fprintf (stderr, "fshare-ctl: the shell prints notifications by itself\n");
        return 2;
    }
    ctl_args_t args;
    int rc = s_command_parse (command, argc, argv, &args, self->in_shell);
    if (rc >= 0)
        return rc;
    //  Only the shell's connect USER PASS may carry a password as a word.
    size_t max_words = command->max_words
                     + (self->in_shell && command->run == ctl_connect? 1: 0);
    if (args.n_words > max_words)
        return s_command_error (command->name, self->in_shell, "unexpected argument '%s'",
                                args.words [max_words]);
    bool json = self->json;
    self->json = json || args.json;
    rc = command->run (self, &args);
    self->json = json;
    return rc;
}


//  --------------------------------------------------------------------------
//  shell

//  Splits a line into words: blanks separate, '...' and "..." quote.
//  Returns the count, or -1 for an unterminated quote. Words point into line.
static int
s_split (char *line, char **words, int max)
{
    int count = 0;
    char *in = line, *out = line;
    while (*in) {
        while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
            in++;
        if (!*in)
            break;
        if (count == max)
            return -1;
        words [count++] = out;
        while (*in && *in != ' ' && *in != '\t' && *in != '\n' && *in != '\r') {
            if (*in == '\'' || *in == '"') {
                char quote = *in++;
                while (*in && *in != quote)
                    *out++ = *in++;
                if (!*in)
                    return -1;
                in++;
            }
            else
                *out++ = *in++;
        }
        if (*in)
            in++;
        *out++ = 0;
    }
    return count;
}

//  Prints a notification without wrecking the line being typed.
static void
ctl_notify (ctl_t *self, void *which)
{
    if (ctl_stream_read (self, which)) {
        ctl_clear_prompt (self);
        fprintf (stderr, "fshare-ctl: the agent of %s stopped\n", ctl_user (self)? ctl_user (self): "?");
        ctl_forget_agent (self);
    }
    if (self->prompt_cleared) {
        rl_forced_update_display ();
        self->prompt_cleared = false;
    }
}

//  The libzmq socket of the shell's stream (or its monitor) for zmq_poll.
static void *
s_stream_handle (ctl_t *self, bool monitor)
{
    if (!self->stream)
        return NULL;
    return zsock_resolve (monitor? fsh_ctlstream_monitor (self->stream):
                                   fsh_ctlstream_socket (self->stream));
}

//  Piped shell: print what has already arrived.
static void
ctl_drain_notifications (ctl_t *self)
{
    while (self->stream) {
        void *which = fsh_ctlstream_ready (self->stream);
        if (!which)
            break;
        ctl_notify (self, which);
    }
}

//  Runs one shell line. Returns false for quit/exit.
static bool
ctl_shell_line (ctl_t *self, char *line)
{
    char *words [SHELL_MAX_WORDS + 1];
    int count = s_split (line, words, SHELL_MAX_WORDS);
    if (count < 0) {
        fprintf (stderr, "fshare-ctl: unterminated quote or too many words\n");
        return true;
    }
    if (count == 0)
        return true;
    words [count] = NULL;
    if (streq (words [0], "quit") || streq (words [0], "exit"))
        return false;
    if (streq (words [0], "help") || streq (words [0], "?")) {
        fputs (s_shell_help, stdout);
        fflush (stdout);
        return true;
    }
    int rc = ctl_run (self, count, words);
    //  A connected agent: keep its notifications coming.
    if (rc == 0 && !self->stream && ctl_control (self) && !fsh_ctlclient_dead (self->client))
        ctl_stream_open (self);
    return true;
}

static void
s_reap_children (void)
{
    while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
}

//  Input read straight from the file descriptor (not stdio), so that
//  polling it says the truth about what is left to read.
typedef struct {
    char data [SHELL_LINE_MAX];
    size_t used;
    bool eof;
    bool overlong;              //  dropping the rest of a too long line
} shell_input_t;

//  The next complete line (the last one may lack its newline at EOF), or
//  NULL when more input is needed. Caller frees.
static char *
s_input_line (shell_input_t *input)
{
    while (true) {
        char *newline = (char *) memchr (input->data, '\n', input->used);
        if (!newline && !(input->eof && input->used))
            return NULL;
        size_t length = newline? (size_t) (newline - input->data): input->used;
        size_t consumed = newline? length + 1: length;
        char *line = input->overlong? NULL: strndup (input->data, length);
        input->overlong = false;
        memmove (input->data, input->data + consumed, input->used - consumed);
        input->used -= consumed;
        if (line)
            return line;
    }
}

static void
s_input_read (shell_input_t *input)
{
    if (input->used == sizeof input->data) {
        fprintf (stderr, "fshare-ctl: input line too long, ignored\n");
        input->used = 0;
        input->overlong = true;
    }
    ssize_t size = read (STDIN_FILENO, input->data + input->used,
                         sizeof input->data - input->used);
    if (size > 0)
        input->used += (size_t) size;
    else
    if (size == 0 || errno != EINTR)
        input->eof = true;
}

//  Shell on piped input: lines run as they come, notifications print as
//  they arrive while waiting for the next line; EOF ends the shell.
static int
ctl_shell_piped (ctl_t *self)
{
    shell_input_t *input = (shell_input_t *) zmalloc (sizeof (shell_input_t));
    bool go_on = true;
    while (go_on && !zsys_interrupted) {
        char *line = s_input_line (input);
        if (line) {
            ctl_drain_notifications (self);
            go_on = ctl_shell_line (self, line);
            free (line);
            s_reap_children ();
            continue;
        }
        if (input->eof)
            break;
        zmq_pollitem_t items [3] = {
            { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, false), 0, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, true), 0, ZMQ_POLLIN, 0 }
        };
        if (zmq_poll (items, self->stream? 3: 1, -1) == -1)
            continue;       //  interrupted: the loop condition decides
        if (self->stream && (items [1].revents | items [2].revents))
            ctl_drain_notifications (self);
        if (items [0].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
            s_input_read (input);
    }
    free (input);
    return 0;
}

//  libedit's line callback carries no context: the line waits here for the
//  loop in ctl_shell_tty to pick it up.
static char *s_typed_line;
static bool s_typed_eof;

static void
s_on_line (char *line)
{
    if (line)
        s_typed_line = line;
    else
        s_typed_eof = true;
}

static void
ctl_prompt (ctl_t *self, bool on)
{
    if (on && !self->prompting)
        rl_callback_handler_install ("fshare> ", s_on_line);
    else
    if (!on && self->prompting)
        rl_callback_handler_remove ();
    self->prompting = on;
}

static int
ctl_shell_tty (ctl_t *self)
{
    ctl_prompt (self, true);
    bool go_on = true;
    while (go_on && !s_typed_eof) {
        zmq_pollitem_t items [3] = {
            { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, false), 0, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, true), 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, self->stream? 3: 1, -1);
        if (rc == -1) {
            if (zsys_interrupted)
                break;
            continue;
        }
        if (self->stream && (items [2].revents & ZMQ_POLLIN))
            ctl_notify (self, fsh_ctlstream_monitor (self->stream));
        else
        if (self->stream && (items [1].revents & ZMQ_POLLIN))
            ctl_notify (self, fsh_ctlstream_socket (self->stream));
        if (items [0].revents & ZMQ_POLLERR)
            break;          //  the terminal went away
        if (!(items [0].revents & ZMQ_POLLIN))
            continue;
        rl_callback_read_char ();
        if (s_typed_line) {
            char *line = s_typed_line;
            s_typed_line = NULL;
            ctl_prompt (self, false);
            if (*line)
                add_history (line);
            go_on = ctl_shell_line (self, line);
            free (line);
            s_reap_children ();
            if (go_on)
                ctl_prompt (self, true);
        }
    }
    ctl_prompt (self, false);
    if (s_typed_eof)
        printf ("\n");
    return 0;
}

static int
ctl_shell (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    self->in_shell = true;
    self->interactive = isatty (STDIN_FILENO);
    //  An agent already running: follow its notifications from the start.
    if (ctl_find_agent (self, true) == 0 && !fsh_ctlclient_dead (self->client))
        ctl_stream_open (self);
    if (self->interactive) {
        printf ("fshare-ctl %s shell: type help for the commands\n", FSHARE_VERSION);
        fflush (stdout);
    }
    int rc = self->interactive? ctl_shell_tty (self): ctl_shell_piped (self);
    ctl_stream_close (self);
    return rc;
}


//  --------------------------------------------------------------------------
//  main

//  Global options, up to the command name. -1 when good, else exit code.
static int
s_parse_global (ctl_t *self, int argc, char **argv, int *command_index)
{
    static const struct option longs [] = {
        { "user",    required_argument, NULL, 'u' },
        { "control", required_argument, NULL, 'C' },
        { "json",    no_argument,       NULL, 'j' },
        { "verbose", no_argument,       NULL, 'v' },
        { "config",  required_argument, NULL, 'c' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    const char *user = NULL, *control = NULL;
    opterr = 0;
    optind = 0;
    int opt;
    //  '+': stop at the command name, its options are its own
    while ((opt = getopt_long (argc, argv, "+:vhc:", longs, NULL)) != -1) {
        switch (opt) {
            case 'u': user = optarg; break;
            case 'C': control = optarg; break;
            case 'j': self->json = true; break;
            case 'v': self->verbose = true; break;
            case 'c': break;    //  read by fsh_args_new
            case 'h':
                fputs (s_usage, stdout);
                return 0;
            case 'V':
                printf ("fshare-ctl %s\n", FSHARE_VERSION);
                return 0;
            case ':':
                return fsh_usage_error (PROGRAM, "option '%s' needs an argument", argv [optind - 1]);
            default:
                return fsh_usage_error (PROGRAM, "unknown option '%s'", argv [optind - 1]);
        }
    }
    if (user && control)
        return fsh_usage_error (PROGRAM, "%s", "give --user or --control, not both");
    const char *error = user? fsh_user_check (user): NULL;
    if (error)
        return fsh_usage_error (PROGRAM, "bad user name: %s", error);
    if (optind >= argc)
        return fsh_usage_error (PROGRAM, "%s", "missing command");
    if (user)
        ctl_set_agent (self, user, NULL);
    if (control) {
        ctl_set_agent (self, NULL, control);
        self->explicit_control = true;
    }
    self->pinned = user || control;
    *command_index = optind;
    return -1;
}

int
main (int argc, char *argv [])
{
    static const struct option config_keys [] = {
        { "user",    required_argument, NULL, 'u' },
        { "control", required_argument, NULL, 'C' },
        { "json",    no_argument,       NULL, 'j' },
        { "verbose", no_argument,       NULL, 'v' },
        { "config",  required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    fsh_args_t *args = fsh_args_new (argc, argv, config_keys);
    if (!args)
        return fsh_usage_error (PROGRAM, "%s", "bad config file");
    ctl_t *self = ctl_new ();
    int command_index = 0;
    int rc = s_parse_global (self, fsh_args_argc (args), fsh_args_argv (args), &command_index);
    if (rc < 0) {
        zsys_init ();
        if (!self->verbose)
            zsys_set_logstream (NULL);      //  no library chatter by default
        rc = ctl_run (self, fsh_args_argc (args) - command_index,
                      fsh_args_argv (args) + command_index);
    }
    ctl_destroy (&self);
    fsh_args_destroy (&args);
    return rc;
}
