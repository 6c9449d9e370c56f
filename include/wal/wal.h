// Everything a user of wal needs.
#pragma once

#include "wal/caching_persistence.h"
#include "wal/client_id.h"
#include "wal/consumer_state_interpreter.h"
#include "wal/data_persistence.h"
#include "wal/file_system_storage.h"
#include "wal/in_memory_persistence.h"
#include "wal/json.h"
#include "wal/latest_state_interpreter.h"
#include "wal/list_state_interpreter.h"
#include "wal/merge_patch_state_interpreter.h"
#include "wal/state_interpreter.h"
#include "wal/state_interpreter_factory.h"
#include "wal/status.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"
