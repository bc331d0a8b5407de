/*  hub.h - the live messages of fshare-web, fanned out to every page.

    The bridge publishes small messages (a group changed, the downloads
    changed, the agent's state); each open page reads them as a
    Server-Sent Events stream. Messages are numbered and kept in a ring:
    a page resumes after the number it last saw (the page it loaded says
    which, and so does EventSource's Last-Event-ID), and a page that fell
    further behind than the ring gets `reload`. Thread-safe: one writer,
    readers in the HTTP threads, each blocking until there is something
    to send, at most a keep-alive interval.
*/
#ifndef HUB_H_INCLUDED
#define HUB_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HUB_RING        1024        //  messages kept for late readers
#define HUB_KEEPALIVE_MS 10000
//  Readers at once: each holds one of the server's connections (and its
//  thread) for as long as its page is open, so they are fewer than those
//  (SERVER_CONNECTIONS): more open pages cannot keep the rest from loading.
#define HUB_CLIENTS     64

typedef struct _hub_t hub_t;
typedef struct _hub_client_t hub_client_t;

hub_t *hub_new (void);
void hub_destroy (hub_t **self_p);
//  Wake every reader and let them end their streams.
void hub_stop (hub_t *self);

//  One message: SSE event name and data (one line of JSON).
void hub_publish (hub_t *self, const char *event, const char *data);
//  The agent's state as the banner shows it (JSON for the stream, text
//  for people, "" when all is well); sent first to a new reader and
//  published when it changes.
void hub_set_state (hub_t *self, const char *data, const char *text);
//  The banner's text now (caller frees).
char *hub_state_text (hub_t *self);
//  The number of the last message published.
uint64_t hub_last (hub_t *self);

//  A reader that resumes after message `since` (0: from now on); NULL
//  when HUB_CLIENTS read already.
hub_client_t *hub_client_new (hub_t *self, uint64_t since);
void hub_client_destroy (hub_client_t **self_p);
//  Fill buf with the next part of the stream, waiting at most
//  `wait_ms` (then a keep-alive comment). Bytes written, or -1 when the
//  hub stopped.
ssize_t hub_client_read (hub_client_t *self, char *buf, size_t max, int wait_ms);
//  Wait at most `wait_ms` for something to send (or the stop): true when
//  hub_client_read would not wait.
bool hub_client_ready (hub_client_t *self, int wait_ms);

#endif
