/*  hub.c - live messages fanned out to every page. See hub.h. */
#include "hub.h"
#include "fshare.h"
#include "webutil.h"
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _hub_t {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *ring [HUB_RING];      //  whole SSE frames, by number % HUB_RING
    uint64_t last;              //  number of the newest message
    char *state;                //  JSON of the agent's state
    char *text;                 //  the banner's text
    size_t clients;             //  readers now
    bool stopped;
};

struct _hub_client_t {
    hub_t *hub;
    uint64_t next;              //  number of the next message to send
    bool started;
    char *pending;              //  a frame partly sent
    size_t offset;
};

hub_t *
hub_new (void)
{
    hub_t *self = (hub_t *) calloc (1, sizeof (hub_t));
    assert (self);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->changed, NULL);
    self->state = strdup ("{\"agent\":\"starting\",\"text\":\"Connecting to the agent…\"}");
    self->text = strdup ("Connecting to the agent…");
    return self;
}

void
hub_destroy (hub_t **self_p)
{
    if (*self_p) {
        hub_t *self = *self_p;
        for (size_t i = 0; i < HUB_RING; i++)
            free (self->ring [i]);
        free (self->state);
        free (self->text);
        pthread_cond_destroy (&self->changed);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
hub_stop (hub_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->stopped = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

static char *
s_frame (uint64_t id, const char *event, const char *data)
{
    webbuf_t buf;
    webbuf_init (&buf);
    if (id)
        webbuf_printf (&buf, "id: %llu\n", (unsigned long long) id);
    webbuf_printf (&buf, "event: %s\ndata: %s\n\n", event, data);
    return webbuf_take (&buf, NULL);
}

void
hub_publish (hub_t *self, const char *event, const char *data)
{
    pthread_mutex_lock (&self->lock);
    uint64_t id = ++self->last;
    free (self->ring [id % HUB_RING]);
    self->ring [id % HUB_RING] = s_frame (id, event, data);
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

void
hub_set_state (hub_t *self, const char *data, const char *text)
{
    pthread_mutex_lock (&self->lock);
    bool same = streq (self->state, data);
    if (!same) {
        free (self->state);
        self->state = strdup (data);
        free (self->text);
        self->text = strdup (text);
    }
    pthread_mutex_unlock (&self->lock);
    if (!same)
        hub_publish (self, "state", data);
}

char *
hub_state_text (hub_t *self)
{
    pthread_mutex_lock (&self->lock);
    char *text = strdup (self->text);
    pthread_mutex_unlock (&self->lock);
    return text;
}

uint64_t
hub_last (hub_t *self)
{
    pthread_mutex_lock (&self->lock);
    uint64_t last = self->last;
    pthread_mutex_unlock (&self->lock);
    return last;
}

hub_client_t *
hub_client_new (hub_t *self, uint64_t since)
{
    pthread_mutex_lock (&self->lock);
    if (self->clients == HUB_CLIENTS) {
        pthread_mutex_unlock (&self->lock);
        return NULL;
    }
    self->clients++;
    hub_client_t *client = (hub_client_t *) calloc (1, sizeof (hub_client_t));
    assert (client);
    client->hub = self;
    client->next = since && since <= self->last? since + 1: self->last + 1;
    //  Asked to resume from beyond what the ring holds: start afresh
    if (since && (since > self->last || self->last - since >= HUB_RING))
        client->pending = s_frame (0, "reload", "{}");
    pthread_mutex_unlock (&self->lock);
    return client;
}

void
hub_client_destroy (hub_client_t **self_p)
{
    if (*self_p) {
        hub_t *hub = (*self_p)->hub;
        pthread_mutex_lock (&hub->lock);
        hub->clients--;
        pthread_mutex_unlock (&hub->lock);
        free ((*self_p)->pending);
        free (*self_p);
        *self_p = NULL;
    }
}

static struct timespec
s_deadline (int wait_ms)
{
    struct timespec when;
    clock_gettime (CLOCK_REALTIME, &when);
    when.tv_sec += wait_ms / 1000;
    when.tv_nsec += (long) (wait_ms % 1000) * 1000000;
    if (when.tv_nsec >= 1000000000) {
        when.tv_sec++;
        when.tv_nsec -= 1000000000;
    }
    return when;
}

//  The next frame to send, waiting for one; NULL when stopped. Lock held.
static char *
s_next_frame (hub_client_t *self, int wait_ms)
{
    hub_t *hub = self->hub;
    if (!self->started) {
        self->started = true;
        webbuf_t buf;
        webbuf_init (&buf);
        webbuf_printf (&buf, "retry: 1000\nevent: state\ndata: %s\n\n", hub->state);
        return webbuf_take (&buf, NULL);
    }
    struct timespec deadline = s_deadline (wait_ms);
    while (!hub->stopped && self->next > hub->last)
        if (pthread_cond_timedwait (&hub->changed, &hub->lock, &deadline))
            break;
    if (hub->stopped)
        return NULL;
    if (self->next > hub->last)
        return strdup (": keep-alive\n\n");
    if (hub->last - self->next >= HUB_RING) {
        self->next = hub->last + 1;
        return s_frame (0, "reload", "{}");
    }
    return strdup (hub->ring [self->next++ % HUB_RING]);
}

ssize_t
hub_client_read (hub_client_t *self, char *buf, size_t max, int wait_ms)
{
    if (!self->pending) {
        pthread_mutex_lock (&self->hub->lock);
        self->pending = s_next_frame (self, wait_ms);
        pthread_mutex_unlock (&self->hub->lock);
        self->offset = 0;
        if (!self->pending)
            return -1;
    }
    size_t left = strlen (self->pending + self->offset);
    size_t size = left < max? left: max;
    memcpy (buf, self->pending + self->offset, size);
    self->offset += size;
    if (self->offset == strlen (self->pending)) {
        free (self->pending);
        self->pending = NULL;
    }
    return (ssize_t) size;
}

bool
hub_client_ready (hub_client_t *self, int wait_ms)
{
    if (self->pending || !self->started)
        return true;
    hub_t *hub = self->hub;
    struct timespec deadline = s_deadline (wait_ms);
    pthread_mutex_lock (&hub->lock);
    while (!hub->stopped && self->next > hub->last)
        if (pthread_cond_timedwait (&hub->changed, &hub->lock, &deadline))
            break;
    bool ready = hub->stopped || self->next <= hub->last;
    pthread_mutex_unlock (&hub->lock);
    return ready;
}
