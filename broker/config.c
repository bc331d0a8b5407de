/*  config.c - the broker's options and their defaults. See broker.h. */
#include "broker.h"
#include "relay.h"
#include "catalog.h"

#define STATS_MS_DEFAULT        2000
#define MAX_FILES_DEFAULT       1000000
#define OBSERVERS_MAX_DEFAULT   8       //  per account

void
broker_config_defaults (broker_config_t *config)
{
    if (!config->listen)
        config->listen = FSH_DEFAULT_LISTEN;
    if (!config->publish)
        config->publish = FSH_DEFAULT_PUBLISH;
    if (config->heartbeat_ms <= 0)
        config->heartbeat_ms = FSH_DEFAULT_HEARTBEAT_MS;
    if (config->liveness <= 0)
        config->liveness = FSH_DEFAULT_LIVENESS;
    if (config->stats_ms <= 0)
        config->stats_ms = STATS_MS_DEFAULT;
    if (config->max_message <= 0)
        config->max_message = FSH_DEFAULT_MAX_MESSAGE;
    if (config->max_files <= 0)
        config->max_files = MAX_FILES_DEFAULT;
    if (config->max_path <= 0 || config->max_path > FSH_PATH_MAX)
        config->max_path = FSH_PATH_MAX;
    if (config->max_depth <= 0 || config->max_depth > FSH_DEPTH_MAX)
        config->max_depth = FSH_DEPTH_MAX;
    if (config->max_observers == 0)
        config->max_observers = OBSERVERS_MAX_DEFAULT;
    else
    if (config->max_observers < 0)
        config->max_observers = 0;
    if (config->max_transfers <= 0)
        config->max_transfers = RELAY_MAX_PER_REQUESTER;
    if (config->max_serving <= 0)
        config->max_serving = RELAY_MAX_PER_OWNER;
    if (config->max_list_bytes == 0)
        config->max_list_bytes = CATALOG_LIST_BYTES_DEFAULT;
    if (config->max_total_bytes == 0)
        config->max_total_bytes = CATALOG_TOTAL_BYTES_DEFAULT;
    if (config->max_change_rate == 0)
        config->max_change_rate = SESSION_CHANGE_RATE_DEFAULT;
    if (config->stall_timeout_ms <= 0)
        config->stall_timeout_ms = RELAY_STALL_TIMEOUT_MS;
}
