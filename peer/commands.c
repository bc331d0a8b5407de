/*  commands.c - the agent's control commands. See commands.h.

    s_commands is the table. A request that must wait is parked with the
    link's counters of the moment (pongs, sessions) and a deadline; every
    change of the link, and a short timer, review the parked requests.
*/
#include "commands.h"

#define REVIEW_MS   50

typedef enum {
    NEED_NOTHING,
    NEED_VIEW_IF_ALL,       //  ls: only with --all
    NEED_VIEW,
    NEED_SESSION
} need_t;

typedef void (command_fn) (commands_t *self, zframe_t *to, Fshare__CtlRequest *request,
                           int *rc);

typedef struct {
    const char *name;
    need_t need;
    command_fn *handler;
} command_t;

typedef struct {
    control_request_t *request;
    const command_t *command;
    int64_t deadline;
    uint64_t pongs;             //  the link's counters when parked
    uint64_t sessions;
} parked_t;

struct _commands_t {
    commands_config_t config;
    zloop_t *loop;
    char *events;
    zlistx_t *parked;           //  parked_t *
    int review_timer;
    bool reviewing;
    zframe_t *disconnect_to;    //  the ctl waiting for "disconnect"
};

//  --------------------------------------------------------------------------
//  The commands

static void
s_status (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request; (void) rc;
    const commands_config_t *c = &self->config;
    Fshare__AgentStatus status = FSHARE__AGENT_STATUS__INIT;
    fileset_t *mine = view_user_files (c->view, c->user);
    size_t users = view_user_count (c->view);
    uint64_t files = view_file_count (c->view);
    status.user = (char *) c->user;
    status.state = (char *) link_state_name (c->link);
    status.broker = (char *) c->broker;
    status.broker_id = (char *) (link_online (c->link)? view_broker (c->view)
                                                      : link_broker_id (c->link));
    status.seq = view_seq (c->view);
    status.my_files = fileset_size (hostdir_files (c->hostdir));
    status.peers = mine? users - 1: users;
    status.other_files = files - (mine? fileset_size (mine): 0);
    status.dir = (char *) c->dir;
    status.downloads = (char *) c->downloads;
    status.pid = getpid ();
    status.events = self->events? self->events: (char *) "";
    status.watching = (char *) hostdir_watching (c->hostdir);
    const char *problem = c->strangers? strangers_problem (c->strangers, link_broker_id (c->link))
                                      : NULL;
    status.events_problem = (char *) (problem? problem: "");
    fsh_err_t retry_code = FSH_ERR_NONE;
    int64_t retry_in = 0;
    const char *retrying = link_retrying (c->link, &retry_code, &retry_in);
    if (retrying) {
        status.retrying = (char *) retrying;
        status.retry_code = retry_code;
        status.retry_in_ms = (uint64_t) retry_in;
    }
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.agent = &status;
    control_reply (c->control, to, &reply);
}

//  The files matching `glob` (all without one) into the pager. The glob is
//  get's (fsh_glob_match: `*` within a component, `**/` across them), so
//  that ls --all GLOB lists exactly what get OWNER GLOB fetches.
static void
s_ls_add (control_pager_t *pager, const char *user, fileset_t *files, const char *glob)
{
    zlistx_t *sorted = fileset_sorted (files);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (sorted); file;
         file = (const fileset_file_t *) zlistx_next (sorted))
        if (!glob || fsh_glob_match (glob, file->path))
            control_pager_add (pager, user, file);
    zlistx_destroy (&sorted);
}

static void
s_ls_user (commands_t *self, zframe_t *to, const char *user, const char *glob)
{
    const commands_config_t *c = &self->config;
    fileset_t *files = fsh_user_check (user)? NULL: view_user_files (c->view, user);
    if (!files) {
        char *error = zsys_sprintf ("unknown user %s",
                                    fsh_text_valid (user, FSH_USER_MAX)? user: "(invalid)");
        control_reply_error (c->control, to, FSH_ERR_UNKNOWN_USER, error);
        zstr_free (&error);
        return;
    }
    control_pager_t *pager = control_pager_new (c->control, to);
    s_ls_add (pager, user, files, glob);
    control_pager_finish (&pager);
}

static void
s_ls (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) rc;
    const commands_config_t *c = &self->config;
    const char *glob = request->glob && *request->glob? request->glob: NULL;
    const char *only = request->user && *request->user? request->user: NULL;
    if (glob && !fsh_text_valid (glob, FSH_PATH_MAX)) {
        control_reply_error (c->control, to, FSH_ERR_BAD_REQUEST, "invalid glob");
        return;
    }
    if (request->all && only) {
        s_ls_user (self, to, only, glob);
        return;
    }
    control_pager_t *pager = control_pager_new (c->control, to);
    if (!request->all)
        s_ls_add (pager, c->user, hostdir_files (c->hostdir), glob);
    else {
        zlistx_t *users = view_users_sorted (c->view);
        for (const char *user = (const char *) zlistx_first (users); user;
             user = (const char *) zlistx_next (users))
            s_ls_add (pager, user, view_user_files (c->view, user), glob);
        zlistx_destroy (&users);
    }
    control_pager_finish (&pager);
}

static void
s_peers (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request; (void) rc;
    const commands_config_t *c = &self->config;
    zlistx_t *users = view_users_sorted (c->view);
    size_t count = zlistx_size (users);
    Fshare__PeerInfo *infos = (Fshare__PeerInfo *) calloc (count + 1, sizeof (Fshare__PeerInfo));
    Fshare__PeerInfo **list = (Fshare__PeerInfo **) calloc (count + 1, sizeof (Fshare__PeerInfo *));
    assert (infos && list);
    size_t index = 0;
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users), index++) {
        fshare__peer_info__init (&infos [index]);
        infos [index].user = (char *) user;
        infos [index].files = fileset_size (view_user_files (c->view, user));
        infos [index].since = view_user_since (c->view, user);
        list [index] = &infos [index];
    }
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.peers = list;
    reply.n_peers = count;
    control_reply (c->control, to, &reply);
    free (list);
    free (infos);
    zlistx_destroy (&users);
}

static void
s_events (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request; (void) rc;
    control_subscribe (self->config.control, to);
}

static void
s_ping (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request; (void) rc;
    control_reply_ok (self->config.control, to, "pong");
}

static void
s_get (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) rc;
    transfers_get (self->config.transfers, to, request);
}

static void
s_cancel (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request; (void) rc;
    transfers_cancel (self->config.transfers, to);
}

static void
s_disconnect (commands_t *self, zframe_t *to, Fshare__CtlRequest *request, int *rc)
{
    (void) request;
    link_state_t state = link_state (self->config.link);
    if (self->disconnect_to || state == LINK_STOPPING || state == LINK_ENDED) {
        control_reply_error (self->config.control, to, FSH_ERR_BAD_REQUEST, "already stopping");
        return;
    }
    zsys_info ("%s: disconnect requested", self->config.user);
    self->disconnect_to = zframe_dup (to);
    *rc = self->config.stop (self->config.arg);
}

static const command_t s_commands [] = {
    { "status",     NEED_NOTHING,     s_status },
    { "ls",         NEED_VIEW_IF_ALL, s_ls },
    { "peers",      NEED_VIEW,        s_peers },
    { "events",     NEED_NOTHING,     s_events },
    { "get",        NEED_SESSION,     s_get },
    { "cancel",     NEED_NOTHING,     s_cancel },
    { "disconnect", NEED_NOTHING,     s_disconnect },
    { "ping",       NEED_NOTHING,     s_ping },
};

//  --------------------------------------------------------------------------
//  Waiting for the broker

static need_t
s_need (const command_t *command, Fshare__CtlRequest *request)
{
    if (command->need == NEED_VIEW_IF_ALL)
        return request->all? NEED_VIEW: NEED_NOTHING;
    return command->need;
}

//  Whether a parked request may run now.
static bool
s_ready (commands_t *self, parked_t *parked)
{
    link_t *link = self->config.link;
    if (!link_online (link))
        return false;
    if (s_need (parked->command, parked->request->request) != NEED_SESSION)
        return true;
    return link_pongs (link) > parked->pongs || link_sessions (link) > parked->sessions;
}

static void
s_parked_destroy (parked_t **parked_p)
{
    if (*parked_p) {
        control_request_destroy (&(*parked_p)->request);
        free (*parked_p);
        *parked_p = NULL;
    }
}

static int s_review (commands_t *self);

static int
s_on_review (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    return s_review ((commands_t *) arg);
}

static void
s_park (commands_t *self, control_request_t **request_p, const command_t *command)
{
    link_t *link = self->config.link;
    parked_t *parked = (parked_t *) zmalloc (sizeof (parked_t));
    parked->request = *request_p;
    *request_p = NULL;
    parked->command = command;
    parked->deadline = zclock_mono () + COMMANDS_WAIT_MS;
    parked->pongs = link_pongs (link);
    parked->sessions = link_sessions (link);
    zlistx_add_end (self->parked, parked);
    if (!self->review_timer && self->loop)
        self->review_timer = zloop_timer (self->loop, REVIEW_MS, 0, s_on_review, self);
    if (s_need (command, parked->request->request) == NEED_SESSION)
        link_confirm (link);
}

//  Run, fail or keep each parked request. -1 when the loop must end.
static int
s_review (commands_t *self)
{
    if (self->reviewing)
        return 0;
    self->reviewing = true;
    link_t *link = self->config.link;
    int rc = 0;
    int64_t now = zclock_mono ();
    size_t count = zlistx_size (self->parked);
    //  Each parked request once, oldest first; a kept one goes to the end
    for (size_t i = 0; i < count; i++) {
        parked_t *parked = (parked_t *) zlistx_detach (self->parked, NULL);
        bool ready = s_ready (self, parked);
        bool late = now >= parked->deadline;
        if (ready || (late && link_online (link)))
            parked->command->handler (self, parked->request->sender,
                                      parked->request->request, &rc);
        else
        if (late || !(link_online (link) || link_relogging (link)))
            control_reply_error (self->config.control, parked->request->sender,
                                 FSH_ERR_BROKER_UNREACHABLE, NULL);
        else {
            zlistx_add_end (self->parked, parked);
            continue;
        }
        s_parked_destroy (&parked);
    }
    if (zlistx_size (self->parked) == 0 && self->review_timer) {
        zloop_timer_end (self->loop, self->review_timer);
        self->review_timer = 0;
    }
    self->reviewing = false;
    return rc;
}

//  --------------------------------------------------------------------------
//  The class

commands_t *
commands_new (zloop_t *loop, const commands_config_t *config)
{
    commands_t *self = (commands_t *) zmalloc (sizeof (commands_t));
    self->config = *config;
    self->loop = loop;
    self->parked = zlistx_new ();
    return self;
}

void
commands_destroy (commands_t **self_p)
{
    if (*self_p) {
        commands_t *self = *self_p;
        parked_t *parked;
        while ((parked = (parked_t *) zlistx_detach (self->parked, NULL)))
            s_parked_destroy (&parked);
        zlistx_destroy (&self->parked);
        if (self->review_timer && self->loop)
            zloop_timer_end (self->loop, self->review_timer);
        zframe_destroy (&self->disconnect_to);
        free (self->events);
        free (self);
        *self_p = NULL;
    }
}

int
commands_handle (commands_t *self, control_request_t **request_p)
{
    control_request_t *request = *request_p;
    const char *name = request->request->command;
    const command_t *command = NULL;
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands [0] && !command; i++)
        if (streq (s_commands [i].name, name))
            command = &s_commands [i];
    if (self->config.verbose)
        zsys_debug ("%s: ctl %s", self->config.user, name);
    int rc = 0;
    if (!command) {
        char *error = zsys_sprintf ("unknown command '%s'", name);
        control_reply_error (self->config.control, request->sender, FSH_ERR_BAD_REQUEST, error);
        zstr_free (&error);
    }
    else {
        need_t need = s_need (command, request->request);
        link_t *link = self->config.link;
        if (need == NEED_NOTHING || (need == NEED_VIEW && link_online (link)))
            command->handler (self, request->sender, request->request, &rc);
        else
        if (link_online (link) || link_relogging (link)) {
            s_park (self, request_p, command);
            return 0;
        }
        else
            control_reply_error (self->config.control, request->sender,
                                 FSH_ERR_BROKER_UNREACHABLE, NULL);
    }
    control_request_destroy (request_p);
    return rc;
}

void
commands_link_changed (commands_t *self)
{
    if (zlistx_size (self->parked))
        s_review (self);
}

void
commands_set_events (commands_t *self, const char *endpoint)
{
    free (self->events);
    self->events = endpoint? strdup (endpoint): NULL;
}

bool
commands_stopped (commands_t *self, bool confirmed)
{
    control_t *control = self->config.control;
    parked_t *parked;
    while ((parked = (parked_t *) zlistx_detach (self->parked, NULL))) {
        control_reply_error (control, parked->request->sender, FSH_ERR_CANCELLED,
                             "the agent is stopping");
        s_parked_destroy (&parked);
    }
    if (!self->disconnect_to)
        return false;
    if (confirmed)
        control_reply_ok (control, self->disconnect_to, "logged out");
    else
        control_reply_error (control, self->disconnect_to, FSH_ERR_BROKER_UNREACHABLE,
                             "broker unreachable; stopped anyway");
    //  Let the reply leave before the socket closes
    zsock_set_linger (control_sock (control), 1000);
    zframe_destroy (&self->disconnect_to);
    return true;
}
