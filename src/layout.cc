#include "layout.h"

#include "seed/client_scan.h"
#include "seed/file_names.h"
#include "segmented/file_names.h"
#include "util/paths.h"

namespace wal {

Result<Layout> detect_layout(Storage& storage, const std::string& base_dir) {
  WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, storage.list_dir(base_dir));
  for (const DirEntry& entry : entries) {
    // A folder named LAYOUT is a seed client's (the original allowed the id).
    if (entry.name == segmented::kLayoutFileName && entry.type != DirEntry::Type::kDirectory) {
      return Layout::kSegmented;
    }
  }
  WAL_ASSIGN_OR_RETURN(seed::BaseDirListing listing, seed::list_base_dir(storage, base_dir));
  if (!listing.clients.empty()) return Layout::kSeed;
  for (const DirEntry& entry : entries) {
    // A segmented directory that lost its LAYOUT file is still one.
    const segmented::FileKind kind = segmented::parse_file_name(entry.name).kind;
    if (entry.type == DirEntry::Type::kFile &&
        (kind == segmented::FileKind::kSegment || kind == segmented::FileKind::kSnapshot)) {
      return Layout::kSegmented;
    }
  }
  for (const DirEntry& entry : entries) {
    if (entry.name == seed::kTrashDirName && entry.type == DirEntry::Type::kDirectory) {
      WAL_ASSIGN_OR_RETURN(std::vector<DirEntry> trash,
                           storage.list_dir(join_path(base_dir, entry.name)));
      if (!trash.empty()) return Layout::kSeed;  // a clear to finish
    }
  }
  return Layout::kAuto;
}

Result<Layout> choose_layout(Layout requested, Layout found, const std::string& base_dir) {
  if (found == Layout::kAuto) {
    return requested == Layout::kAuto ? Layout::kSegmented : requested;
  }
  if (requested != Layout::kAuto && requested != found) {
    return Status::invalid_argument(
        base_dir + " holds the " + layout_name(found) + " layout but the options ask for the " +
        layout_name(requested) + " layout; leave options.layout at kAuto to open it as it is");
  }
  return found;
}

}  // namespace wal
