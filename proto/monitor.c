/*  monitor.c - the ROUTER's connection events. See monitor.h.

    A monitor event is two frames: six bytes (the event number, 16 bits,
    then its value, 32 bits, host order) and the endpoint.
*/
#include "monitor.h"
#include "socknew.h"

#define MONITOR_EVENTS (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)

struct _monitor_t {
    zsock_t *watched;
    zsock_t *pair;
};

monitor_t *
monitor_new (zsock_t *sock, const char *name)
{
    char *endpoint = zsys_sprintf ("inproc://fshare-monitor-%s", name);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, MONITOR_EVENTS) == -1) {
        zstr_free (&endpoint);
        return NULL;
    }
    monitor_t *self = (monitor_t *) zmalloc (sizeof (monitor_t));
    self->watched = sock;
    self->pair = fsh_socket_new (ZMQ_PAIR);
    if (self->pair)
        zsock_set_linger (self->pair, 0);
    if (!self->pair || zsock_connect (self->pair, "%s", endpoint) == -1)
        monitor_destroy (&self);
    zstr_free (&endpoint);
    return self;
}

void
monitor_destroy (monitor_t **self_p)
{
    monitor_t *self = *self_p;
    if (!self)
        return;
    //  Stop the monitor before its reader goes
    zmq_socket_monitor (zsock_resolve (self->watched), NULL, 0);
    zsock_destroy (&self->pair);
    free (self);
    *self_p = NULL;
}

zsock_t *
monitor_socket (monitor_t *self)
{
    return self->pair;
}

int
monitor_read (monitor_t *self, int *event, int *value)
{
    zmsg_t *msg = zmsg_recv (self->pair);
    if (!msg)
        return -1;
    zframe_t *head = zmsg_first (msg);
    int rc = -1;
    if (head && zframe_size (head) == 6) {
        uint16_t number;
        uint32_t number_value;
        memcpy (&number, zframe_data (head), 2);
        memcpy (&number_value, zframe_data (head) + 2, 4);
        *event = number;
        *value = (int) number_value;
        rc = 0;
    }
    zmsg_destroy (&msg);
    return rc;
}
