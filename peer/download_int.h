/*  download_int.h - the inside of the requester's downloads (download.h),
    shared by its two files: download.c asks, checks the owner's messages
    and keeps the clock; dlend.c ends a download and says so to the ctl.
    Nobody else includes it.
*/
#ifndef DOWNLOAD_INT_H_INCLUDED
#define DOWNLOAD_INT_H_INCLUDED

#include "download.h"
#include "sink.h"
#include "already.h"

typedef enum {
    DL_LOOKING,
    DL_ASKED,
    DL_PREPARING,
    DL_RUNNING
} dl_state_t;

typedef struct {
    uint64_t id;                //  our Get's id (key)
    uint64_t transfer;          //  the broker's, from Opened; 0 before
    dl_state_t state;
    sink_t *sink;               //  NULL before the Get, and once failed
    already_search_t *search;   //  DL_LOOKING
    char *owner;
    char *path;
    char *dir;                  //  destination directory and name
    char *name;
    char *switched_from;        //  the first owner, when another took over
    unsigned idle_switches;     //  switches since the last real progress
    uint64_t switch_written;    //  written at the last switch
    bool whole_again;           //  a resume failed its check: fetched whole
    zframe_t *ctl;              //  the ctl waiting; NULL when gone
    bool answered;              //  the ctl has its answer
    bool abandoned;             //  ended here before Opened: cancel it then
    bool has_sha256;            //  the content's published digest
    uint8_t sha256 [DIGEST_SIZE];
    bool has_published;         //  what the view said when we asked
    uint64_t pub_size;
    int64_t pub_mtime;
    int64_t started;
    int64_t heard;              //  the owner's last progress, for the stall clock
    uint64_t heard_bytes;       //  written then (FSH_PROGRESS_BYTES)
    int64_t checking_sent;
    uint64_t start_offset;
} download_t;

struct _downloads_t {
    tlink_t *link;
    control_t *control;
    view_t *view;
    char *downloads_dir;
    zhashx_t *table;            //  &id -> download_t
    uint64_t next_id;
    already_t *already;
    uint64_t work_turn;         //  fsh_idtable_turn's
};
#endif
