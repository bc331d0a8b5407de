/*  fshare.h - the protocol library shared by every fshare program.

    Wire helpers (encode, decode, send, receive, validate) for the messages
    of proto/fshare.proto, plus the small pieces of policy that every program
    must agree on: endpoints and defaults, name and path rules, password
    sources, config files. One header so a program includes one thing.
*/
#ifndef FSHARE_H_INCLUDED
#define FSHARE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "fshare.pb-c.h"

#define FSH_PROTOCOL_VERSION   3   //  2: error codes, digests, instance ids; 3: receipts

//  Defaults (SPEC section 3)
#define FSH_DEFAULT_LISTEN     "tcp://127.0.0.1:5555"
#define FSH_DEFAULT_PUBLISH    "tcp://127.0.0.1:5556"
#define FSH_DEFAULT_MAX_MESSAGE (4 * 1024 * 1024)
#define FSH_DEFAULT_HEARTBEAT_MS 1000
#define FSH_DEFAULT_LIVENESS   3       //  missed heartbeats before a peer is gone
#define FSH_PAGE_BYTES         (64 * 1024)  //  target size of one file-list page
//  A transfer makes progress, for every stall clock (the broker's and the
//  agents'), by moving at least this much or its last chunk: a side that
//  trickles bytes or credit a few at a time is stalled like a silent one
#define FSH_PROGRESS_BYTES     (64 * 1024)
//  Events are small, so that a high-water mark in messages bounds bytes:
//  a join page holds at most this many bytes of files, and no event is
//  larger than FSH_EVENT_MAX_BYTES (a file event's two paths included).
#define FSH_EVENT_PAGE_BYTES   (4 * 1024)
#define FSH_EVENT_MAX_BYTES    (2 * FSH_PATH_MAX + 1024)
//  What one subscriber that never reads may cost the broker, at most
#define FSH_SUBSCRIBER_BYTES   (32 * 1024 * 1024)
#define FSH_SNDHWM             10000
#define FSH_RCVHWM             10000
#define FSH_SUB_RCVHWM         200000  //  events a subscriber may hold unread

//  Limits on names (SPEC section 6)
#define FSH_USER_MAX           64
#define FSH_PATH_MAX           4096
#define FSH_NAME_MAX           255
#define FSH_DEPTH_MAX          64

#include "errcode.h"
#include "wire.h"
#include "validate.h"
#include "endpoint.h"
#include "event.h"
#include "glob.h"
#include "password.h"
#include "options.h"

#endif
