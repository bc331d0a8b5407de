/*  commands.h - what the agent's control commands mean (fshare-ctl -> agent).

    One table of {name, what it needs, handler}: status, ls, peers, events,
    get, cancel, disconnect, ping. The transport (decoding, replies, paging)
    is control.h's; the downloads are transfer.h's.

    What a command needs decides when it runs (SPEC 4.1):
      nothing       at once (status, own files, ping, events, disconnect)
      the view      when the link is online (ls --all, peers)
      the session   when online, and the broker has just proved it still
                    knows our session (a pong to a ping sent for it, or a
                    new login): "get", so that a broker that restarted a
                    moment ago is found out by our ping, not by the download
    A command that cannot run yet waits, at most COMMANDS_WAIT_MS, while
    the link is logging in again with a broker that answers (after
    "unknown session"); it fails at once with broker_unreachable when no
    broker answers.
*/
#ifndef COMMANDS_H_INCLUDED
#define COMMANDS_H_INCLUDED

#include "control.h"
#include "link.h"
#include "hostdir.h"
#include "transfer.h"
#include "strangers.h"

#define COMMANDS_WAIT_MS    2000

typedef struct {
    const char *user;
    const char *dir;
    const char *downloads;
    const char *broker;             //  request endpoint, for status
    control_t *control;
    link_t *link;
    view_t *view;
    hostdir_t *hostdir;
    transfers_t *transfers;
    strangers_t *strangers;         //  for status: events of another broker
    //  "disconnect": the agent stops. -1 when its loop must end now.
    int (*stop) (void *arg);
    void *arg;
    bool verbose;
} commands_config_t;

typedef struct _commands_t commands_t;

//  `loop` carries the timer of waiting commands; everything in config
//  stays the caller's and must outlive the commands.
commands_t *commands_new (zloop_t *loop, const commands_config_t *config);
void commands_destroy (commands_t **self_p);

//  One request from the control socket (taken). -1 when the agent's loop
//  must end.
int commands_handle (commands_t *self, control_request_t **request_p);

//  The link changed (state, a pong): waiting commands run or fail.
void commands_link_changed (commands_t *self);

//  The event endpoint the agent subscribed to, for status.
void commands_set_events (commands_t *self, const char *endpoint);

//  The agent stopped: answer the "disconnect" that asked for it, if any
//  (confirmed: the broker has no session of ours left), and every waiting
//  command. True when a ctl asked for the stop.
bool commands_stopped (commands_t *self, bool confirmed);

#endif
