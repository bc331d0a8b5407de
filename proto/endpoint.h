/*  endpoint.h - where things live: endpoints, state and control directories.

    The loopback test decides the secure-by-default rules (SPEC 3, 6); the
    directory helpers give every program the same defaults.
*/
#ifndef FSH_ENDPOINT_H_INCLUDED
#define FSH_ENDPOINT_H_INCLUDED

//  True for ipc://, inproc:// and tcp:// on 127.0.0.0/8, ::1 or localhost.
bool fsh_endpoint_is_local (const char *endpoint);

//  NULL when `endpoint` is one fshare can bind (`bind`) or connect to,
//  else why not, a static text. tcp://HOST:PORT with a port of 1 to 65535
//  (libzmq takes 99999 as 34463), a host of letters, digits, '.', '-' and
//  '_' or a bracketed IPv6 address, '*' as host or port only to bind;
//  ipc://PATH of 1 to 107 bytes (the kernel's limit). No byte below 0x21
//  or above 0x7e anywhere, no other transport: not inproc:// either, which
//  only the programs' own sockets use, never the user's endpoints.
const char *fsh_endpoint_invalid (const char *endpoint, bool bind);

//  $XDG_STATE_HOME/fshare, else ~/.local/state/fshare: ~ is $HOME, else
//  the user's home in the password database (getpwuid). Only absolute
//  paths count. NULL when there is no home at all (never a path relative
//  to the current directory), and when the home (or XDG_STATE_HOME's
//  parent) does not exist: fshare makes its own directories below it,
//  never it. Caller frees.
char *fsh_state_dir (void);

//  Why fsh_state_dir gives NULL, for an error line (naming the missing
//  home), or NULL when it does not. Caller frees.
char *fsh_state_dir_problem (void);

//  Why fsh_state_dir gave NULL when there is no home at all.
#define FSH_NO_STATE_DIR "no home directory (HOME is unset and the password database " \
                         "has none): set HOME or XDG_STATE_HOME"

//  $XDG_RUNTIME_DIR/fshare, else /tmp/fshare-<uid>. Caller frees.
char *fsh_control_dir (void);

//  ipc://<control dir>/<user>.ctl. Caller frees.
char *fsh_control_endpoint (const char *user);

//  NULL when `dir` is fit to hold what only its user may touch (sockets,
//  the agent's log, a page carrying a token): made if missing (mkdir -p,
//  mode 0700 for what it creates), a directory owned by us that neither
//  group nor others may write into. Else why not, a static text. The
//  fallback /tmp/fshare-<uid> is a name anyone can take first, with a
//  mode of their choosing, and fill with symlinks or FIFOs.
const char *fsh_private_dir (const char *dir);

//  For an ipc:// endpoint, create its directory and check it
//  (fsh_private_dir). Other transports: nothing to do. NULL, or why the
//  directory cannot be used (static text).
const char *fsh_endpoint_prepare (const char *endpoint);

//  True when a process accepts connections on an ipc:// endpoint's socket
//  file (a running broker or agent): libzmq's bind would silently unlink
//  it and take the name over, where a TCP bind fails "address in use".
//  Retries for a moment: a listener closed a few ms ago in this process
//  may still accept (libzmq closes listeners in its I/O thread). False
//  for other transports.
bool fsh_endpoint_in_use (const char *endpoint);

//  mkdir -p with the given mode for directories it creates. 0 or -1.
int fsh_mkdirs (const char *path, mode_t mode);

//  `path` made absolute against the current directory, without trailing
//  slashes ("/" stays "/"); no link is resolved. Caller frees.
char *fsh_path_absolute (const char *path);

#endif
