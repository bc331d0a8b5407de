/*  commands.c - the commands that ask the agent and print its answer:
    status, ls, peers, events, disconnect. See ctl.h.
*/
#include "ctl.h"
#include "digest.h"

#define STOP_TIMEOUT_MS      5000   //  disconnect until the agent is gone

//  The process has ended: no such process, or a zombie its parent has not
//  reaped yet (it holds nothing any more).
static bool
s_process_gone (pid_t pid)
{
    char path [32];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return kill (pid, 0) == -1 && errno == ESRCH;
    char line [512];
    bool zombie = false;
    if (fgets (line, sizeof line, file)) {
        char *close = strrchr (line, ')');      //  the name may hold anything
        zombie = close && close [1] == ' ' && close [2] == 'Z';
    }
    fclose (file);
    return zombie;
}

int
ctl_status (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = ctl_call (self, &request);
    if (!replies)
        return 1;
    Fshare__AgentStatus *agent = ((Fshare__CtlReply *) zlistx_last (replies))->agent;
    int rc = 1;
    if (agent) {
        ctl_print_status (self, agent);
        rc = 0;
    }
    else
        ctl_fail (self, FSH_ERR_PROTOCOL_ERROR, "the agent sent no status");
    zlistx_destroy (&replies);
    return rc;
}

char *
ctl_downloads_dir (ctl_t *self)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = ctl_call (self, &request);
    if (!replies)
        return NULL;
    Fshare__AgentStatus *agent = ((Fshare__CtlReply *) zlistx_last (replies))->agent;
    char *dir = agent && agent->downloads && agent->downloads [0] == '/'
              && fsh_text_valid (agent->downloads, FSH_PATH_MAX)? strdup (agent->downloads): NULL;
    if (!dir)
        ctl_fail (self, FSH_ERR_PROTOCOL_ERROR, "the agent did not say where its downloads go");
    zlistx_destroy (&replies);
    return dir;
}

//  The files of `ls`; NULL when the request failed (reason printed).
zlistx_t *
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

int
ctl_ls (ctl_t *self, ctl_args_t *args)
{
    if (args->user && !args->all)
        return ctl_command_error (self, "ls", "%s", "--user needs --all");
    const char *error = args->user? fsh_user_check (args->user): NULL;
    if (error)
        return ctl_command_error (self, "ls", "bad user name: %s", error);
    uint8_t sha256 [32];
    if (args->sha256 && !args->all)
        return ctl_command_error (self, "ls", "%s", "--sha256 needs --all");
    if (args->sha256 && digest_unhex (args->sha256, sha256) == -1)
        return ctl_command_error (self, "ls", "%s", "--sha256 needs 64 hexadecimal digits");
    zlistx_t *replies = ctl_files (self, args->all, args->user,
                                   args->n_words? args->words [0]: NULL);
    if (!replies)
        return 1;
    zlistx_t *files = ctl_collect_files (replies, args->all? NULL: ctl_user (self), NULL);
    if (args->sha256)
        ctl_files_keep_content (files, sha256);
    ctl_print_files (self, files, args->all, args->sha256? "no copy online": "no files");
    zlistx_destroy (&files);
    zlistx_destroy (&replies);
    return 0;
}

int
ctl_peers (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "peers";
    zlistx_t *replies = ctl_call (self, &request);
    if (!replies)
        return 1;
    ctl_print_peers (self, replies);
    zlistx_destroy (&replies);
    return 0;
}

int
ctl_events (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    if (ctl_stream_open (self))
        return zsys_interrupted? 0: 1;
    zpoller_t *poller = zpoller_new (fsh_ctlstream_socket (self->stream),
                                     fsh_ctlstream_monitor (self->stream), NULL);
    int rc = 0;
    while (rc == 0 && !zsys_interrupted) {
        void *which = zpoller_wait (poller, FSH_SIGNAL_SLICE_MS);
        if (!which && zpoller_expired (poller))
            continue;   //  a slice: a signal just before the wait is seen
        if (!which)
            break;      //  interrupted: that is how events ends
        if (fsh_output_failed ())
            break;      //  nobody reads the events: the exit says why
        if (ctl_stream_read (self, which)) {
            if (!zsys_interrupted) {
                ctl_fail (self, FSH_ERR_NO_AGENT, "the agent stopped");
                rc = 1;
            }
            break;
        }
    }
    zpoller_destroy (&poller);
    ctl_stream_close (self);
    return rc;
}

//  Waits until the agent's control endpoint stops answering. 0 or -1.
static int
s_wait_stopped (const char *endpoint, pid_t pid)
{
    int64_t deadline = zclock_mono () + STOP_TIMEOUT_MS;
    while (zclock_mono () < deadline && !zsys_interrupted) {
        if (pid? s_process_gone (pid): !fsh_ctl_alive (endpoint, PROBE_TIMEOUT_MS))
            return 0;
        zclock_sleep (20);     //  the agent is still finishing: polling its end
    }
    return -1;
}

int
ctl_disconnect (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    if (ctl_reach_agent (self, false))
        return 1;
    //  The agent's process, known from its socket: "disconnected" is said
    //  once it has exited, so a connect right after starts afresh. An agent
    //  merely slow to answer (logging out on a loaded machine) is not gone.
    pid_t pid = fsh_ctl_endpoint_pid (ctl_control (self));
    ctl_stream_close (self);    //  the shell's stream: we know the agent goes away
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "disconnect";
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctl_exchange (ctl_control (self), &request,
                                                REQUEST_TIMEOUT_MS, replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    int rc = 0;
    if (result != FSH_CTL_OK) {
        ctl_fail (self, fsh_ctl_result_code (result), "agent not responding");
        zlistx_destroy (&replies);
        return 1;
    }
    //  An error (broker_unreachable: stopped anyway) still stops the agent.
    if (last->status != FSHARE__STATUS__STATUS_OK) {
        ctl_fail (self, fsh_ctl_reply_code (last), "%s", ctl_text (last->error));
        rc = 1;
    }
    zlistx_destroy (&replies);
    if (s_wait_stopped (ctl_control (self), pid)) {
        if (rc == 0)
            ctl_fail (self, FSH_ERR_INTERNAL, "the agent is still running after %d s",
                      STOP_TIMEOUT_MS / 1000);
        else        //  its failure is said already
            fprintf (stderr, "fshare-ctl: the agent is still running after %d s\n",
                     STOP_TIMEOUT_MS / 1000);
        return 1;
    }
    if (rc == 0) {
        if (self->json)
            ctl_json_print (json_pack ("{s:s}", "status", "disconnected"));
        else
            printf ("disconnected\n");
        fsh_output_flush ();
    }
    ctl_forget_agent (self);
    return rc;
}
