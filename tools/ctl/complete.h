/*  complete.h - `fshare-ctl __complete`: words for shell completion.

    A hidden command for tools/completion/fshare, asked live at each TAB:

        fshare-ctl [--user NAME | --control EP] __complete [--quote] agents [PREFIX]
        fshare-ctl [--user NAME | --control EP] __complete [--quote] users [PREFIX]
        fshare-ctl [--user NAME | --control EP] __complete [--quote] owners [PREFIX]
        fshare-ctl [--user NAME | --control EP] __complete [--quote] paths OWNER [PREFIX]

    `agents`: users whose agent runs on this machine (for --user); `users`:
    the online users other than the agent's own (for get OWNER: one does
    not download one's own files); `owners`: every online user, the agent's
    own too (for ls --all --user, which lists one's own files as well);
    `paths`: OWNER's published paths that begin with PREFIX, completed one
    directory at a time as a shell completes files (`docs/` stands for
    everything below it). One word a line, nothing on standard error, exit 0
    with words, 1 without (no agent, agent not responding, no match), 2 for
    a bad request. Each request waits at most a second: a TAB must not hang.
    --quote prints each word as the shell reads it (a backslash before each
    special character), which costs bash nothing for 10,000 words.
*/
#ifndef CTL_COMPLETE_H_INCLUDED
#define CTL_COMPLETE_H_INCLUDED

#include "ctlclient.h"

#define CTL_COMPLETE_TIMEOUT_MS 1000

//  Runs `__complete` with the words after it, against the agent the client
//  names (or the only one running). Returns the exit status.
int ctl_complete (fsh_ctlclient_t *client, int argc, char **argv);

#endif
