// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/file_progress_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace fota::ports {
namespace {

bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

update::StoreStatus FileProgressStore::load(update::Progress& out) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return update::StoreStatus::kEmpty;
    error_ = path_.string() + ": " + std::strerror(errno);
    return update::StoreStatus::kIoError;
  }
  std::array<uint8_t, update::kProgressSize + 1> bytes{};
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = path_.string() + ": " + std::strerror(errno);
      ::close(fd);
      return update::StoreStatus::kIoError;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != update::kProgressSize) {
    error_ = path_.string() + ": " + std::to_string(got) + " bytes, a progress record has " +
             std::to_string(update::kProgressSize);
    return update::StoreStatus::kCorrupt;
  }
  const auto decoded = update::decode_progress(std::span(bytes).first(update::kProgressSize));
  if (!decoded.ok()) {
    error_ = path_.string() + ": " + update::to_string(decoded.error());
    return update::StoreStatus::kCorrupt;
  }
  out = decoded.value();
  return update::StoreStatus::kOk;
}

update::StoreStatus FileProgressStore::save(const update::Progress& progress) {
  std::array<uint8_t, update::kProgressSize> bytes{};
  update::encode_progress(progress, bytes);
  const std::filesystem::path temporary = path_.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error_ = temporary.string() + ": " + std::strerror(errno);
    return update::StoreStatus::kIoError;
  }
  const bool written = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path_.c_str()) != 0) {
    error_ = path_.string() + ": " + std::strerror(written ? errno : saved_errno);
    ::unlink(temporary.c_str());
    return update::StoreStatus::kIoError;
  }
  // The rename is durable once the directory is.
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return update::StoreStatus::kOk;
}

update::StoreStatus FileProgressStore::clear() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    error_ = path_.string() + ": " + std::strerror(errno);
    return update::StoreStatus::kIoError;
  }
  return update::StoreStatus::kOk;
}

}  // namespace fota::ports
