// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/update_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fota::ports {

Expected<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string why = S_ISDIR(st.st_mode) ? "is a directory" : std::strerror(errno);
    ::close(fd);
    return fail(path.string() + ": " + why);
  }
  const std::string etag =
      std::to_string(st.st_size) + "-" +
      std::to_string(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
  return std::unique_ptr<FileSource>(
      new FileSource(fd, path.string(), static_cast<uint64_t>(st.st_size), etag));
}

FileSource::FileSource(int fd, std::string name, uint64_t size, std::string etag)
    : fd_(fd), name_(std::move(name)), size_(size), etag_(std::move(etag)) {}

FileSource::~FileSource() {
  ::close(fd_);
}

update::SourceStatus FileSource::read(uint32_t offset, std::span<uint8_t> out, size_t& got) {
  got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + got, out.size() - got,
                              static_cast<off_t>(offset) + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = name_ + ": " + std::strerror(errno);
      return update::SourceStatus::kIoError;
    }
    if (n == 0) return update::SourceStatus::kEnd;
    got += static_cast<size_t>(n);
  }
  return update::SourceStatus::kOk;
}

update::SourceStatus MemorySource::read(uint32_t offset, std::span<uint8_t> out, size_t& got) {
  got = 0;
  if (offset >= bytes_.size()) return update::SourceStatus::kEnd;
  got = std::min(out.size(), bytes_.size() - offset);
  std::memcpy(out.data(), bytes_.data() + offset, got);
  return got == out.size() ? update::SourceStatus::kOk : update::SourceStatus::kEnd;
}

}  // namespace fota::ports
