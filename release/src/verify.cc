// SPDX-License-Identifier: Apache-2.0
#include "release/verify.h"

#include "format/crc32.h"
#include "format/sha256.h"

namespace fota::release {

Expected<void> verify_release_signatures(const Release& release, const signing::PublicKey& key,
                                         const std::string& where) {
  const Manifest& m = release.manifest;
  const std::string manifest_name = where + "manifest.json";
  if (m.signature.empty()) return fail(manifest_name + ": the release is not signed");
  const std::string want = signing::to_hex(signing::key_id(key));
  if (m.key_id != want) {
    return fail(manifest_name + ": signed by key id " + m.key_id + ", not by the given key (" +
                want + ")");
  }
  auto manifest_ok = signing::verify_manifest(release.manifest_text, key);
  if (!manifest_ok) return fail(manifest_name + ": " + manifest_ok.error().substr(10));
  FOTA_TRY_EXPECTED(signing::verify_image_signature(release.image_a, key, where + m.slot_a.file));
  FOTA_TRY_EXPECTED(signing::verify_image_signature(release.image_b, key, where + m.slot_b.file));
  return {};
}

Expected<std::string> sign_release(Manifest& manifest, std::vector<uint8_t>& image_a,
                                   std::vector<uint8_t>& image_b, const signing::SecretKey& key) {
  for (const auto& pair :
       {std::pair{&image_a, &manifest.slot_a}, std::pair{&image_b, &manifest.slot_b}}) {
    auto signed_ok = signing::sign_image(*pair.first, key);
    if (!signed_ok) return fail(pair.second->file + ": " + signed_ok.error());
    pair.second->size = static_cast<uint32_t>(pair.first->size());
    pair.second->crc32 = crc32(*pair.first);
    pair.second->sha256 = sha256(*pair.first);
  }
  manifest.key_id = signing::to_hex(signing::key_id(key.public_key()));
  manifest.signature = signing::manifest_signature_placeholder();
  auto text = signing::sign_manifest(manifest_to_json(manifest), key);
  if (!text) return text.failure();
  const auto at =
      text->find(signing::kManifestSignatureKey) + signing::kManifestSignatureKey.size();
  manifest.signature = text->substr(at, signing::kManifestSignatureHexSize);
  return text;
}

}  // namespace fota::release
