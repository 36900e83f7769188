// SPDX-License-Identifier: Apache-2.0
// update::ProgressStore in a file: each save writes a temporary file, fsyncs it and renames it
// over the old one (then fsyncs the directory), so after a crash or power loss the file holds
// the previous or the new record, never a mix. A torn or foreign file reads as kCorrupt.
#pragma once

#include <filesystem>
#include <string>

#include "update/progress.h"

namespace fota::ports {

class FileProgressStore final : public update::ProgressStore {
 public:
  explicit FileProgressStore(std::filesystem::path path) : path_(std::move(path)) {}
  update::StoreStatus load(update::Progress& out) override;
  update::StoreStatus save(const update::Progress& progress) override;
  update::StoreStatus clear() override;
  // A sentence about the last failure (kIoError / kCorrupt); "" if none.
  const std::string& last_error() const { return error_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string error_;
};

}  // namespace fota::ports
