# Looks for the peers walbench (bench/) runs against, all Debian 12 packages
# (scripts/setup.sh installs them):
#   SQLite    libsqlite3-dev
#   RocksDB   librocksdb-dev
#   LevelDB   libleveldb-dev
# Sets WAL_BENCH_DEPS_FOUND, WAL_BENCH_DEPS_MISSING (what is not there), and
# the imported targets walbench::sqlite3, walbench::rocksdb, walbench::leveldb.

set(WAL_BENCH_DEPS_MISSING "")
foreach(peer sqlite3 rocksdb leveldb)
  if(peer STREQUAL "sqlite3")
    set(header sqlite3.h)
    set(package libsqlite3-dev)
  else()
    set(header ${peer}/db.h)
    set(package lib${peer}-dev)
  endif()
  string(TOUPPER ${peer} upper)
  find_path(WAL_${upper}_INCLUDE_DIR ${header})
  find_library(WAL_${upper}_LIBRARY ${peer})
  if(WAL_${upper}_INCLUDE_DIR AND WAL_${upper}_LIBRARY)
    if(NOT TARGET walbench::${peer})
      add_library(walbench::${peer} UNKNOWN IMPORTED)
      set_target_properties(walbench::${peer} PROPERTIES
        IMPORTED_LOCATION "${WAL_${upper}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${WAL_${upper}_INCLUDE_DIR}")
    endif()
  else()
    list(APPEND WAL_BENCH_DEPS_MISSING ${package})
  endif()
endforeach()

if(WAL_BENCH_DEPS_MISSING)
  set(WAL_BENCH_DEPS_FOUND OFF)
else()
  set(WAL_BENCH_DEPS_FOUND ON)
endif()
