// SPDX-License-Identifier: Apache-2.0
// The path of a socket or link vstm32 creates (control socket, pty link): what an earlier run left
// there is removed, anything else is refused, so that vstm32 never deletes a file it does not own.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "status/expected.h"

namespace vstm32 {

// Frees `path` when nothing is there or `stale(path)` says it is left over from an earlier run;
// otherwise fails with `refusal`.
template <typename Stale>
fota::Expected<> free_path(const std::filesystem::path& path, Stale stale,
                           const std::string& refusal) {
  std::error_code ec;
  if (std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::not_found) {
    return {};
  }
  if (!stale(path)) return fota::fail(refusal);
  std::filesystem::remove(path, ec);
  return {};
}

}  // namespace vstm32
