/*  socknew.h - a ZeroMQ socket made without CZMQ's abort.

    CZMQ's zsock_new asserts when libzmq cannot make the socket: when the
    process has no file descriptor left (each socket takes an eventfd for
    its mailbox) or the context's ZMQ_MAX_SOCKETS are taken. A program
    that a browser, a flood of requests or a low `ulimit -n` can bring to
    that point must get an error it can act on instead (wait, refuse the
    request), never an abort. fsh_socket_new looks first: it holds
    FSH_SOCKET_SPARE_FDS descriptors for an instant, so that the socket,
    its connection (opened later by libzmq's I/O thread) and one taken
    meanwhile by another thread of the program still find room.
    Looking first is a race with the program's other threads, and making
    the socket first and taking EMFILE from libzmq would close it, but
    CZMQ 4.2's zsock_new asserts on a NULL handle (src/zsock.c:88,
    checked) and a zsock_t cannot be made around a handle of our own:
    the look stays, with room enough for the worst single socket.
    It cannot look at libzmq's count of sockets, and zmq_close frees a
    socket's slot among ZMQ_MAX_SOCKETS only later (its reaper thread):
    a program that makes sockets quickly (fshare-web, one control socket
    per file of a folder) calls fsh_sockets_limit first, so that there
    are at least as many slots as descriptors, and descriptors (which the
    look sees) run out first.
*/
#ifndef FSH_SOCKNEW_H_INCLUDED
#define FSH_SOCKNEW_H_INCLUDED

#include "fshare.h"

//  The first socket of a context also starts libzmq's reaper and I/O
//  threads, a mailbox and an epoll descriptor each: with 4, a limit that
//  left room for 4 and not 8 passed the look and zsock_new aborted.
#define FSH_SOCKET_SPARE_FDS    8

//  A new socket of `type` (destroyed with zsock_destroy), or NULL with
//  errno (EMFILE: out of descriptors) when libzmq could not make it.
zsock_t *fsh_socket_new (int type);
//  Before zsys_init: ZMQ_MAX_SOCKETS no lower than the descriptor limit
//  (RLIMIT_NOFILE), within libzmq's ceiling.
void fsh_sockets_limit (void);

#endif
