// SPDX-License-Identifier: Apache-2.0
// libFuzzer: release notifications, seed-000 messages and commands on arbitrary bytes. Nothing
// may crash or throw; whatever is accepted must be consistent, and no forged notification may
// pass the signature check.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "gateway/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto n = fota::gateway::parse_release_notice(in); n.ok()) {
    if (n->manifest.product.empty() || n->manifest_bytes.empty()) std::abort();
    static const std::vector<std::array<uint8_t, 32>> kKeys = {std::array<uint8_t, 32>{1, 2, 3}};
    if (fota::gateway::verify_notice(*n, kKeys).ok()) std::abort();
  } else if (n.error().empty()) {
    std::abort();
  }
  if (auto n = fota::gateway::parse_legacy_notice(in); n.ok()) {
    if (!n->legacy || n->url.empty()) std::abort();
  }
  if (auto c = fota::gateway::parse_command(in); !c.ok() && c.error().empty()) std::abort();
  return 0;
}
