/*  client.c - which agent fshare-ctl talks to, its requests and the
    shell's event stream. See ctl.h.

    The exchange itself is proto/ctlclient's; this file says to people what
    went wrong (no agent, several, not responding, malformed) in the words
    fshare-ctl has always used.
*/
#include "ctl.h"

ctl_t *
ctl_new (void)
{
    ctl_t *self = (ctl_t *) zmalloc (sizeof (ctl_t));
    self->client = fsh_ctlclient_new ();
    return self;
}

void
ctl_stream_close (ctl_t *self)
{
    fsh_ctlstream_destroy (&self->stream);
}

void
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
const char *
ctl_control (ctl_t *self)
{
    return fsh_ctlclient_endpoint (self->client);
}

const char *
ctl_user (ctl_t *self)
{
    return fsh_ctlclient_user (self->client);
}

void
ctl_set_agent (ctl_t *self, const char *user, const char *endpoint)
{
    ctl_stream_close (self);    //  it belongs to the agent we knew
    fsh_ctlclient_set_agent (self->client, user, endpoint);
}

//  The agent is gone (disconnected or vanished): forget it unless the
//  command line named it.
void
ctl_forget_agent (ctl_t *self)
{
    ctl_stream_close (self);
    if (!self->pinned)
        fsh_ctlclient_set_agent (self->client, NULL, NULL);
}

//  "alice, bob". Caller frees.
static char *
s_join (zlistx_t *names)
{
    char *joined = strdup ("");
    for (const char *name = (const char *) zlistx_first (names); name && joined;
         name = (const char *) zlistx_next (names)) {
        char *longer = zsys_sprintf ("%s%s%s", joined, *joined? ", ": "", name);
        zstr_free (&joined);
        joined = longer;
    }
    return joined;
}

//  Makes sure we know which agent to talk to. 0, or -1 with the reason
//  printed (unless quiet).
int
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
        ctl_fail (self, FSH_ERR_NO_AGENT, "no agent running (start one with: %s)",
                  self->in_shell? "connect USER PASS": "fshare-ctl connect USER");
    else
    if (result == FSH_CTL_NO_FDS && !quiet)
        ctl_call_failed (self, result);
    else
    if (result == FSH_CTL_SEVERAL && !quiet) {
        char *users = s_join (alive);
        ctl_fail (self, FSH_ERR_BAD_REQUEST, "several agents running (%s): choose one with "
                  "--user", users? users: "?");
        zstr_free (&users);
    }
    zlistx_destroy (&alive);
    return result == FSH_CTL_OK? 0: -1;
}

void
ctl_no_agent (ctl_t *self)
{
    if (ctl_user (self))
        ctl_fail (self, FSH_ERR_NO_AGENT, "no agent running for %s (start one with: %s %s)",
                  ctl_user (self), self->in_shell? "connect": "fshare-ctl connect",
                  ctl_user (self));
    else
        ctl_fail (self, FSH_ERR_NO_AGENT, "no agent listens on %s", ctl_control (self));
}

int
ctl_reach_agent (ctl_t *self, bool quiet)
{
    if (ctl_find_agent (self, quiet))
        return -1;
    if (fsh_ctlclient_dead (self->client)) {
        ctl_no_agent (self);
        return -1;
    }
    return 0;
}

void
ctl_call_failed (ctl_t *self, fsh_ctl_result_t result)
{
    if (result == FSH_CTL_NO_AGENT)
        ctl_no_agent (self);
    else
    if (result == FSH_CTL_MALFORMED)
        ctl_fail (self, FSH_ERR_PROTOCOL_ERROR, "the agent sent a malformed reply");
    else
    if (result == FSH_CTL_GONE)
        ctl_fail (self, FSH_ERR_NO_AGENT, "the agent went away");
    else
    if (result == FSH_CTL_TOO_LARGE)
        ctl_fail (self, FSH_ERR_TOO_LARGE, "the agent's replies exceed %" PRIu64 " bytes "
                  "(FSHARE_CTL_MAX_BYTES): ask for less (ls --all --user NAME, a glob)",
                  fsh_ctl_replies_max ());
    else
    if (result == FSH_CTL_INTERRUPTED)      //  people know: they pressed Ctrl-C
        ctl_print_failure (self, FSH_ERR_CANCELLED, "interrupted");
    else
    if (result == FSH_CTL_NO_FDS)           //  ours, not the agent's
        ctl_fail (self, FSH_ERR_BUSY, "busy: %s", FSH_CTL_NO_FDS_TEXT);
    else
        ctl_fail (self, FSH_ERR_NO_AGENT, "agent not responding");
}

//  One request to the agent: its replies (caller destroys), or NULL with
//  the reason printed. An error reply from the agent is printed too.
zlistx_t *
ctl_call (ctl_t *self, const Fshare__CtlRequest *request)
{
    if (ctl_find_agent (self, false))
        return NULL;
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctlclient_call (self->client, request, REQUEST_TIMEOUT_MS,
                                                  replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    if (result == FSH_CTL_OK && last->status == FSHARE__STATUS__STATUS_OK)
        return replies;
    if (result == FSH_CTL_OK)
        ctl_fail (self, fsh_ctl_reply_code (last), "%s", ctl_text (last->error));
    else
        ctl_call_failed (self, result);
    zlistx_destroy (&replies);
    return NULL;
}


//  Opens the "events" stream: 0 once the agent acknowledged, else -1
//  (reason printed).
int
ctl_stream_open (ctl_t *self)
{
    ctl_stream_close (self);
    if (ctl_reach_agent (self, self->in_shell))
        return -1;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "events";
    errno = 0;
    fsh_ctlstream_t *stream = fsh_ctlstream_new (ctl_control (self), &request);
    fsh_ctl_result_t result = !stream && errno == EMFILE? FSH_CTL_NO_FDS: FSH_CTL_NO_AGENT;
    Fshare__CtlReply *ack = NULL;
    if (stream)
        result = fsh_ctlstream_recv (stream, REQUEST_TIMEOUT_MS, &ack);
    if (result != FSH_CTL_OK)
        fsh_ctl_reply_free (&ack);
    int rc = -1;
    if (result == FSH_CTL_INTERRUPTED)
        ;               //  asked to stop before the stream began: no failure to report
    else
    if (!ack)
        ctl_fail (self, FSH_ERR_NO_AGENT, "agent not responding");
    else
    if (ack->status != FSHARE__STATUS__STATUS_OK || !ack->more)
        ctl_fail (self, *ack->error? fsh_ctl_reply_code (ack): FSH_ERR_PROTOCOL_ERROR, "%s",
                  *ack->error? ctl_text (ack->error): "the agent refused the event stream");
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
int
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

