/*  login.h - the broker's login pipeline (SPEC 4.1, 6).

    A Login goes through, in this order: the protocol version; the user
    name and password lengths; the failed-login throttle (throttle.h: a
    login that must wait is held in the lobby, lobby.h, and comes back
    later); the password, verified or hashed for a registration in the
    hasher's threads (hasher.h) against the account file (accounts.h,
    owned here: re-read when it changes or on login_reload). Only a caller
    who gave the right password reaches the broker's accept callback,
    which decides what else the account's state says (already logged in,
    a session takeover, too many observers): so nobody learns who is
    online without the password, and a wrong password for an online user
    is throttled like any other.

    Every refusal is an error reply with its code; failed passwords are
    answered after the throttle's delay, through the lobby.
*/
#ifndef LOGIN_H_INCLUDED
#define LOGIN_H_INCLUDED

#include "fshare.h"
#include "accounts.h"
#include "gate.h"
#include "ratelog.h"
#include "outflow.h"

//  The longest Login.instance kept (an agent sends 16 random bytes).
#define LOGIN_INSTANCE_MAX  64
//  Accounts beyond which first logins register no more: every one is an
//  argon2id hash anyone on the machine can have made, and the account file
//  must stay one that the broker can load again (ACCOUNTS_FILE_MAX)
#define LOGIN_REGISTER_MAX  10000

//  A login whose password was right, as the accept callback sees it.
//  Valid during the call only.
typedef struct {
    const char *user;
    zframe_t *routing_id;
    uint64_t request_id;
    bool observer;
    const byte *instance;       //  Login.instance (may be empty)
    size_t instance_size;
    const gate_caller_t *caller;
} login_grant_t;

//  Returns FSH_ERR_NONE once it has answered the login (LoginOk), else
//  the code the login pipeline refuses it with, and in *text a static
//  text for it (left NULL: the code's own).
typedef fsh_err_t (login_accept_fn) (void *arg, const login_grant_t *grant,
                                     const char **text);

typedef struct {
    const char *accounts;       //  the account file
    bool registration;          //  unknown users become accounts
    passhash_cost_t cost;       //  hash cost for registrations
    int delay_ms;               //  first failed-login delay; 0 = default
    int delay_max_ms;           //  its cap; 0 = default
    int queue;                  //  logins waiting per address; 0 = default
} login_config_t;

typedef struct _login_t login_t;

//  Loads the account file; NULL with *error (caller frees) when it cannot.
//  Replies go out through outflow (outflow.h); the lobby's timers, the hasher's results and
//  the account file's check run on loop.
//  Bad input is warned of through ratelog (the broker's).
login_t *login_new (const login_config_t *config, zloop_t *loop, outflow_t *outflow,
                    fsh_ratelog_t *ratelog, login_accept_fn *accept, void *arg,
                    char **error);
//  After the loop has been destroyed: its timers point at the login.
void login_destroy (login_t **self_p);

//  A Login request from caller.
void login_handle (login_t *self, zframe_t *routing_id, const Fshare__Message *msg,
                   const gate_caller_t *caller);

//  Re-read the account file now (SIGHUP); a missing or broken file
//  leaves the previous accounts in force (logged).
void login_reload (login_t *self);

//  Accounts loaded (logs).
size_t login_accounts (login_t *self);
const char *login_accounts_path (login_t *self);

#endif
