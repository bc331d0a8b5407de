/*  agent.h - the peer agent of one user, as a CZMQ actor.

    The agent (agent.c: the actor and its loop) logs in to the broker
    (link.c: the session as a state machine), publishes its host directory
    and keeps it published as it changes, keeps a live view of every
    logged-in user's files, answers fshare-ctl on its control socket
    (commands.c), serves and fetches downloads (transfer.h), and comes back
    by itself when the broker restarts. Being an actor, several agents can
    run in one process (tests, benchmarks).

    Pipe protocol (actor -> owner), one string frame each:
      (signal)              zactor_new returns: the agent is running
      "ONLINE"              first time logged in, published, view loaded
      "FAILED <reason>"     the broker refused the login (credentials,
                            version, already logged in); the actor ends
      "ERROR <what>: <why>" the agent could not start (another agent of
                            the user holds the state directory, control
                            endpoint, host directory...); the actor ends
      "STOPPED"             the agent logged out on a ctl "disconnect"
                            and ends
    An unreachable broker is not a failure: the agent keeps trying, and
    says "ONLINE" when it gets through. Owner -> actor: "$TERM" logs out
    (waiting up to 2 s for the broker) and ends. SIGINT and SIGTERM are
    blocked in the actor's thread: the owner handles them.
*/
#ifndef AGENT_H_INCLUDED
#define AGENT_H_INCLUDED

#include "fshare.h"

typedef struct {
    const char *user;
    const char *password;
    const char *dir;            //  host directory (created if missing)
    const char *downloads;      //  downloads directory (created if missing)
    const char *broker;         //  request endpoint
    const char *events;         //  event endpoint; NULL: the one from LoginOk
    const char *control;        //  control endpoint
    const char *server_key;     //  broker's CURVE public key (Z85); NULL: no CURVE
    //  The state directory (statedir.h: instance id and lock); NULL: none,
    //  so no instance id is sent and nothing is locked (tests, benches)
    const char *state_dir;
    const char *const *ignore;  //  extra ignore patterns, NULL-terminated; NULL: none
    int settle_ms;              //  settle window: 0 the default, < 0 none (hostdir.h)
    bool verbose;
} agent_config_t;

//  args is an agent_config_t *; it is copied before zactor_new returns.
void agent_actor (zsock_t *pipe, void *args);

#endif
