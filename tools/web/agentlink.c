/*  agentlink.c - a client of the agent's control socket. See agentlink.h. */
#include "agentlink.h"
#include <dirent.h>

zsock_t *
agentlink_dealer (const char *endpoint)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    fsh_socket_limits (dealer, 0);
    zsock_set_sndtimeo (dealer, AGENTLINK_TIMEOUT_MS);
    zsock_set_linger (dealer, 0);
    if (zsock_connect (dealer, "%s", endpoint)) {
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

int
agentlink_send (zsock_t *dealer, const Fshare__CtlRequest *request)
{
    return fsh_pack_send (&request->base, dealer, NULL);
}

Fshare__CtlReply *
agentlink_recv (zsock_t *dealer)
{
    zmsg_t *msg = zmsg_recv (dealer);
    if (!msg)
        return NULL;
    Fshare__CtlReply *reply = NULL;
    zframe_t *frame = zmsg_first (msg);
    if (zmsg_size (msg) == 1)
        reply = (Fshare__CtlReply *) fsh_unpack (&fshare__ctl_reply__descriptor,
                                                 zframe_data (frame), zframe_size (frame));
    zmsg_destroy (&msg);
    return reply;
}

int
agentlink_call (zsock_t *dealer, const Fshare__CtlRequest *request, int timeout_ms,
                agentlink_fn *fn, void *arg, char **error)
{
    *error = NULL;
    if (agentlink_send (dealer, request)) {
        *error = strdup ("agent not responding");
        return -1;
    }
    zpoller_t *poller = zpoller_new (dealer, NULL);
    int rc = 0;
    bool more = true;
    while (more && rc == 0) {
        if (!zpoller_wait (poller, timeout_ms)) {
            *error = strdup ("agent not responding");
            rc = -1;
            break;
        }
        Fshare__CtlReply *reply = agentlink_recv (dealer);
        if (!reply) {
            *error = strdup ("the agent sent a malformed reply");
            rc = -1;
            break;
        }
        if (reply->status != FSHARE__STATUS__STATUS_OK) {
            *error = strdup (fsh_text_valid (reply->error, 512)? reply->error: "agent error");
            rc = -1;
        }
        else
        if (fn)
            fn (reply, arg);
        more = reply->more;
        fshare__ctl_reply__free_unpacked (reply, NULL);
    }
    zpoller_destroy (&poller);
    return rc;
}

//  The agent answers status on this endpoint within the probe deadline.
static bool
s_alive (const char *endpoint)
{
    zsock_t *dealer = agentlink_dealer (endpoint);
    if (!dealer)
        return false;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    char *error = NULL;
    bool alive = agentlink_call (dealer, &request, AGENTLINK_PROBE_MS, NULL, NULL, &error) == 0;
    zstr_free (&error);
    zsock_destroy (&dealer);
    return alive;
}

char *
agentlink_find (const char *user, const char *control, char **error)
{
    *error = NULL;
    if (control)
        return strdup (control);
    if (user)
        return fsh_control_endpoint (user);
    char *dir = fsh_control_dir ();
    DIR *handle = opendir (dir);
    zstr_free (&dir);
    char *found = NULL;
    size_t count = 0;
    struct dirent *entry;
    while (handle && (entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        if (len <= 4 || !streq (entry->d_name + len - 4, ".ctl"))
            continue;
        char *name = strndup (entry->d_name, len - 4);
        char *endpoint = fsh_control_endpoint (name);
        if (!fsh_user_check (name) && s_alive (endpoint)) {
            count++;
            zstr_free (&found);
            found = endpoint;
            endpoint = NULL;
        }
        zstr_free (&endpoint);
        zstr_free (&name);
    }
    if (handle)
        closedir (handle);
    if (count == 1)
        return found;
    zstr_free (&found);
    *error = strdup (count? "several agents running: choose one with --user"
                          : "no agent running (start one with: fshare-ctl connect USER)");
    return NULL;
}
