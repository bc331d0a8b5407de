/*  link_int.h - the inside of the link (link.h), shared by its two files:
    link.c holds the state table and its handlers, linkio.c the DEALER,
    the timers, the Publish pages and the outbox. Nobody else includes it.
*/
#ifndef LINK_INT_H_INCLUDED
#define LINK_INT_H_INCLUDED

#include "link.h"
#include "outbox.h"
#include "ratelog.h"
#include "backoff.h"

struct _link_t {
    char *user;
    bool verbose;
    zloop_t *loop;
    fsh_loginclient_t *client;
    fileset_t *files;
    view_t *view;
    strangers_t *strangers;     //  not owned; NULL: none
    link_handler_t handler;
    void *arg;
    outbox_t *outbox;
    fsh_ratelog_t *ratelog;

    link_state_t state;
    bool ever_session;          //  some login succeeded once
    unsigned login_replies;     //  answers to Login seen (the first decides)
    unsigned dealer_gen;        //  changes whenever the DEALER is replaced
    uint64_t awaiting;          //  the Publish or Snapshot the state waits for
    int64_t login_sent_at;
    int64_t heard_at;           //  last sign of life, whatever the DEALER
    int64_t ticked_at;          //  the last heartbeat tick, 0 before the first
    fsh_backoff_t backoff;      //  before the next login after a failed one
    char retry_why [256];       //  the last failed try, while not online; "" else
    fsh_err_t retry_code;       //  its code: busy or broker_unreachable
    int64_t retry_at;           //  the next try (zclock_mono)
    uint32_t heartbeat_ms;
    uint32_t page_bytes;
    int heartbeat_timer;
    int retry_timer;
    int stop_timer;
    int flush_timer;
    int snapshot_timer;         //  a snapshot refused busy is asked again
    fsh_backoff_t snapshot_backoff;  //  ...after this
    uint64_t pongs, sessions, refusals, resyncs;
};


#define s_debug(self, ...) do { if ((self)->verbose) zsys_debug (__VA_ARGS__); } while (0)

//  linkio.c
bool link_in_session (link_state_t state);
void link_set_state (link_t *self, link_state_t state);
void link_timer_cancel (link_t *self, int *timer_id);
int link_timer (link_t *self, int delay, zloop_timer_fn handler);
void link_dealer_drop (link_t *self);
//  Forget the session and the DEALER; try again after `delay` ms.
void link_reconnect (link_t *self, const char *why, int delay);
//  The same with the current backoff, which doubles.
void link_reconnect_later (link_t *self, const char *why);
//  The same, for a try that failed with `code` (busy, not unreachable).
void link_reconnect_later_code (link_t *self, fsh_err_t code, const char *why);
//  The link is over: stopped is called; -1 (the agent's loop ends).
int link_end (link_t *self, bool confirmed);
void link_heartbeat_start (link_t *self, uint32_t interval);
void link_ping (link_t *self);
void link_connect (link_t *self);
//  The host directory's files as Publish pages, into the outbox.
void link_cut_pages (link_t *self);
void link_snapshot_request (link_t *self);
//  Send from the outbox while the window is open.
void link_flush (link_t *self);
//  link.c
const char *link_state_text (link_state_t state);

#endif
