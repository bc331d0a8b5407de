/*  observer.c - fshare-tap --user: an observer session. See tap.h.

    A session that publishes nothing and causes no join or leave, but
    proves an account's credentials, which a CURVE broker demands before
    it lets a subscriber in (SPEC 5, 6). The exchange itself is the login
    client's (proto/loginclient.h), shared with the agent; here only the
    waiting, which polls the signalfd beside the DEALER, and what the tap
    does about each answer.
*/
#include "tap.h"

struct _observer_t {
    const tap_options_t *options;
    fsh_loginclient_t *client;
    zcert_t *cert;              //  our key pair, for the DEALER and the SUB
    bool in_session;            //  a login succeeded and was not lost since
    int64_t retry_at;           //  next login attempt while logged out
    bool busy;                  //  the last login was answered FSH_ERR_BUSY
    fsh_backoff_t busy_backoff; //  the waits between logins while busy
    bool interrupted;           //  a signal ended the last login
    int signals;
};

static observer_t *
s_observer_new (const tap_options_t *options, const char *password, int signals)
{
    observer_t *self = (observer_t *) zmalloc (sizeof (observer_t));
    self->options = options;
    self->signals = signals;
    fsh_backoff_init (&self->busy_backoff, LOGIN_BUSY_FIRST_MS, LOGIN_BUSY_MAX_DELAY_MS,
                      LOGIN_BUSY_TOTAL_MS);
    //  A fresh key pair per run, the same for the DEALER and the SUB: the
    //  login is what makes the broker admit this key to the events
    self->cert = zcert_new ();
    fsh_loginclient_config_t config = {
        .user = options->user, .password = password, .broker = options->broker,
        .server_key = options->server_key, .cert = self->cert, .observer = true
    };
    self->client = fsh_loginclient_new (&config);
    return self;
}

void
observer_destroy (observer_t **self_p)
{
    observer_t *self = *self_p;
    if (!self)
        return;
    //  Say goodbye rather than let the broker wait for the silence
    if (fsh_loginclient_token (self->client) && fsh_loginclient_logout (self->client))
        zsock_set_linger (fsh_loginclient_dealer (self->client), 200);
    fsh_loginclient_destroy (&self->client);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

zcert_t *
observer_cert (observer_t *self)
{
    return self->cert;
}

const char *
observer_token (observer_t *self)
{
    return fsh_loginclient_token (self->client);
}

//  One answer to our Login: true when it decided (*error NULL: logged in).
static bool
s_login_answer (observer_t *self, char **error, bool *refused)
{
    Fshare__Message *msg = fsh_msg_recv (fsh_loginclient_dealer (self->client));
    fsh_login_event_t event = msg? fsh_loginclient_on_message (self->client, msg)
                                 : FSH_LOGIN_OTHER;
    fsh_msg_destroy (&msg);
    if (event == FSH_LOGIN_REFUSED) {
        //  "busy" says nothing about us: try again later, as after silence
        self->busy = fsh_loginclient_code (self->client) == FSH_ERR_BUSY;
        *refused = !self->busy;
        *error = zsys_sprintf ("login refused: %s", fsh_loginclient_error (self->client));
    }
    else
    if (event == FSH_LOGIN_MALFORMED)
        *error = strdup ("malformed login reply from the broker");
    return event == FSH_LOGIN_OK || event == FSH_LOGIN_REFUSED || event == FSH_LOGIN_MALFORMED;
}

//  Logs in on a fresh DEALER, waiting for the answer until the earlier of
//  LOGIN_TIMEOUT_MS and deadline (0: none). NULL on success, else why not
//  (caller frees); *refused tells a refusal from silence.
static char *
s_login (observer_t *self, int64_t deadline, bool *refused)
{
    *refused = false;
    self->busy = false;
    self->interrupted = false;
    const char *problem = NULL;
    if (fsh_loginclient_connect (self->client, &problem))
        return zsys_sprintf ("cannot connect to %s: %s", self->options->broker, problem);
    int64_t limit = zclock_mono () + LOGIN_TIMEOUT_MS;
    if (deadline && deadline < limit)
        limit = deadline;
    char *error = NULL;
    bool answered = false;
    while (!answered) {
        int64_t left = limit - zclock_mono ();
        if (left <= 0)
            return zsys_sprintf ("broker unreachable: no answer from %s within %d s",
                                 self->options->broker, LOGIN_TIMEOUT_MS / 1000);
        bool stopped;
        if (tap_wait (self->signals, fsh_loginclient_dealer (self->client), NULL, (int) left,
                      &stopped))
            answered = s_login_answer (self, &error, refused);
        else
        if (stopped) {
            self->interrupted = true;
            return strdup ("interrupted");
        }
    }
    self->in_session = !error;
    return error;
}

//  The message for giving up on a busy broker (caller frees).
static char *
s_busy_error (observer_t *self)
{
    return zsys_sprintf ("busy: %s answered every login \"busy\" for %d s: giving up "
                         "(try again later)", self->options->broker,
                         LOGIN_BUSY_TOTAL_MS / 1000);
}

//  A password travels only inside CURVE, or on loopback/ipc (SPEC 6).
//  The password, waited for until deadline (--timeout; 0: none), or NULL
//  (said why on stderr).
static char *
s_password (const tap_options_t *options, int64_t deadline)
{
    if (!options->server_key && !fsh_endpoint_is_local (options->broker)) {
        fprintf (stderr, "fshare-tap: refusing to send a password unencrypted to %s "
                         "(use CURVE: --server-key)\n", options->broker);
        return NULL;
    }
    char *prompt = zsys_sprintf ("Password for %s: ", options->user);
    char *problem = NULL;
    char *password = fsh_password_get (options->password_file, prompt, deadline, &problem);
    zstr_free (&prompt);
    if (!password)
        fsh_error_line ("fshare-tap", "password: %s", problem);
    zstr_free (&problem);
    return password;
}

int
observer_start (const tap_options_t *options, int signals, int64_t deadline,
                observer_t **observer_p)
{
    char *password = s_password (options, deadline);
    if (!password)
        return fsh_password_signal ()? 0: 1;   //  stopped while waiting: no failure
    observer_t *self = *observer_p = s_observer_new (options, password, signals);
    fsh_password_free (&password);
    bool refused;
    char *error = s_login (self, deadline, &refused);
    //  A busy broker (many logins from our address at once): wait our
    //  turn, backing off, but not for ever
    bool stopped = self->interrupted;
    while (error && self->busy && !stopped) {
        int delay = fsh_backoff_next (&self->busy_backoff, zclock_mono ());
        if (delay == -1) {
            zstr_free (&error);
            error = s_busy_error (self);
            break;
        }
        if (deadline && zclock_mono () + delay >= deadline)
            break;
        if (self->options->verbose)
            fprintf (stderr, "fshare-tap: %s: trying again in %d ms\n", error, delay);
        zstr_free (&error);
        tap_wait (signals, NULL, NULL, delay, &stopped);
        if (!stopped)
            error = s_login (self, deadline, &refused);
        stopped = stopped || self->interrupted;
    }
    if (!error)
        fsh_backoff_reset (&self->busy_backoff);
    if (!error)
        return -1;
    if (stopped) {
        zstr_free (&error);
        return 0;               //  asked to stop while logging in: not a failure
    }
    fprintf (stderr, "fshare-tap: %s\n", error);
    zstr_free (&error);
    return 1;
}

tap_result_t
observer_keep (observer_t *self, int64_t deadline, bool *renewed)
{
    *renewed = false;
    if (fsh_loginclient_token (self->client) && fsh_loginclient_keepalive (self->client))
        return TAP_GO_ON;
    if (self->in_session) {
        if (self->options->verbose)
            fprintf (stderr, "fshare-tap: session lost, logging in again\n");
        observer_lost (self);
    }
    if (zclock_mono () < self->retry_at)
        return TAP_GO_ON;
    bool refused;
    char *error = s_login (self, deadline, &refused);
    if (error) {
        //  Busy: a doubling wait, -1 once busy for LOGIN_BUSY_TOTAL_MS
        int delay = self->busy? fsh_backoff_next (&self->busy_backoff, zclock_mono ())
                              : LOGIN_RETRY_MS;
        if (!self->busy)
            fsh_backoff_reset (&self->busy_backoff);
        if (delay == -1) {
            zstr_free (&error);
            error = s_busy_error (self);
            refused = true;
        }
        if (refused || self->options->verbose)
            fprintf (stderr, "fshare-tap: %s\n", error);
        zstr_free (&error);
        self->retry_at = zclock_mono () + delay;
        if (self->interrupted)
            return TAP_DONE;
        return refused? TAP_FAILED: TAP_GO_ON;
    }
    fsh_backoff_reset (&self->busy_backoff);
    *renewed = true;
    return TAP_GO_ON;
}

void
observer_lost (observer_t *self)
{
    fsh_loginclient_drop (self->client);
    self->in_session = false;
    self->retry_at = 0;
}

int64_t
observer_next (observer_t *self)
{
    return fsh_loginclient_token (self->client)? fsh_loginclient_next_ping (self->client)
                                               : self->retry_at;
}
