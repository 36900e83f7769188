// SPDX-License-Identifier: Apache-2.0
// Checks a release's signatures (after check_release/read_release checked sizes, checksums,
// slots, product and version): the manifest's detached signature, its key id, and each image
// header's signature and key id. Used by `fota verify`, `fota release` and the agent.
#pragma once

#include <string>

#include "release/manifest.h"
#include "signing/signing.h"
#include "status/expected.h"

namespace fota::release {

// `where` prefixes file names in errors, as in check_release.
Expected<void> verify_release_signatures(const Release& release, const signing::PublicKey& key,
                                         const std::string& where);

// Signs a packed release in memory: both image headers, then the manifest (which is rebuilt
// with the new sizes/checksums, the key id and the signature). Returns the signed manifest text.
Expected<std::string> sign_release(Manifest& manifest, std::vector<uint8_t>& image_a,
                                   std::vector<uint8_t>& image_b, const signing::SecretKey& key);

}  // namespace fota::release
