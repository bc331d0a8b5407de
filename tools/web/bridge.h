/*  bridge.h - fshare-web's link to the agent: one thread, one zloop.

    Owns every ZeroMQ socket of the program: the agent's event stream
    (applied to the model, then announced through the hub), a status poll
    every 250 ms (the banner, and a new listing after a reconnect, a new
    agent or a gap in the stream), and one control socket per running
    download, so that each can be cancelled on its own. The HTTP threads
    never touch a socket: they change the model or the downloads table
    under its lock and poke the bridge, which does the rest.
*/
#ifndef BRIDGE_H_INCLUDED
#define BRIDGE_H_INCLUDED

#include "model.h"
#include "downloads.h"
#include "hub.h"

#define BRIDGE_TICK_MS        250
#define BRIDGE_STATUS_LATE_MS 1500   //  no status answer: agent not responding
#define BRIDGE_ITEM_SILENT_MS 15000  //  a download that says nothing: failed
#define BRIDGE_ITEM_QUIET_MS  1000   //  ...and past this, is the agent still there?

typedef struct _bridge_t bridge_t;

bridge_t *bridge_new (const char *endpoint, model_t *model, downloads_t *downloads,
                      hub_t *hub, bool verbose);
void bridge_destroy (bridge_t **self_p);
//  From any thread: there is work (a new download, a cancel).
void bridge_poke (bridge_t *self);
//  Run until a signal arrives on signal_fd. 0.
int bridge_run (bridge_t *self, int signal_fd);

#endif
