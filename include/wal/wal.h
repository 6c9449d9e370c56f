// Everything a user of wal needs.
#pragma once

#include "wal/client_id.h"
#include "wal/consumer_state_interpreter.h"
#include "wal/data_persistence.h"
#include "wal/file_system_storage.h"
#include "wal/json.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"
#include "wal/storage.h"
#include "wal/write_ahead_log.h"
