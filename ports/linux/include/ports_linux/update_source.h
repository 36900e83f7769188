// SPDX-License-Identifier: Apache-2.0
// update::Source implementations on Linux: an image file read in place (pread), and an image
// already in memory. The HTTP Range reader lives with the agent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "status/expected.h"
#include "update/source.h"

namespace fota::ports {

class FileSource final : public update::Source {
 public:
  // Opens `path` for reading; the ETag is "<size>-<mtime in ns>", so an edited file is a new
  // release for the resume logic.
  static Expected<std::unique_ptr<FileSource>> open(const std::filesystem::path& path);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  update::SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override;
  const char* etag() const override { return etag_.c_str(); }
  const char* last_error() const override { return error_.c_str(); }
  uint64_t size() const { return size_; }

 private:
  FileSource(int fd, std::string name, uint64_t size, std::string etag);
  int fd_;
  std::string name_;
  uint64_t size_;
  std::string etag_;
  std::string error_;
};

class MemorySource final : public update::Source {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes, std::string etag = "")
      : bytes_(bytes), etag_(std::move(etag)) {}
  update::SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override;
  const char* etag() const override { return etag_.c_str(); }

 private:
  std::span<const uint8_t> bytes_;
  std::string etag_;
};

}  // namespace fota::ports
