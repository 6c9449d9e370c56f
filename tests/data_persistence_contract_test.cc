// The DataPersistence contract on both local layouts (WriteAheadLog). The
// etcd backend runs the same suite in etcd_persistence_test.cc.
#include "data_persistence_contract.h"

namespace wal::testing {
namespace {

struct SeedBackend {
  static constexpr size_t kMaxRecordBytes = 1u << 20;

  std::string skip_reason() const { return ""; }
  std::unique_ptr<DataPersistence> open(uint32_t threshold) {
    WriteAheadLogOptions options = options_for(dir.path() / "data", threshold);
    options.max_record_bytes = kMaxRecordBytes;
    return open_log(options);
  }
  size_t max_record_bytes() const { return kMaxRecordBytes; }

  TempDir dir;
};

struct SegmentedBackend {
  static constexpr size_t kMaxRecordBytes = 1u << 20;

  std::string skip_reason() const { return ""; }
  std::unique_ptr<DataPersistence> open(uint32_t) {
    WriteAheadLogOptions options = segmented_options_for(dir.path() / "data");
    options.segmented.segment_bytes = 4u << 20;  // room for the big payloads
    options.segmented.checkpoint_bytes = 8u << 20;
    options.max_record_bytes = kMaxRecordBytes;
    return open_log(options);
  }
  size_t max_record_bytes() const { return kMaxRecordBytes; }

  TempDir dir;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Seed, DataPersistenceContract, SeedBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Segmented, DataPersistenceContract, SegmentedBackend);

}  // namespace
}  // namespace wal::testing
