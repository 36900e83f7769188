// SPDX-License-Identifier: Apache-2.0
#include "signing/signing.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fota::signing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSecretTag = "fota-ed25519-secret";
constexpr std::string_view kPublicTag = "fota-ed25519-public";

// libsodium must be initialised once before use; sodium_init() is idempotent and thread-safe.
void ensure_sodium() {
  static const bool initialised = sodium_init() >= 0;
  (void)initialised;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

Expected<std::string> read_small_text(const fs::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(std::string(what) + " " + path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 4096)
    return fail(std::string(what) + " " + path.string() + ": too large for a key file");
  return text;
}

Expected<void> write_new_file(const fs::path& path, const std::string& text, mode_t mode,
                              bool overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  if (overwrite) ::unlink(path.c_str());  // recreate so the mode below applies
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(path.string() + " already exists (refusing to overwrite a key; use --force)");
    }
    return fail(path.string() + ": cannot create: " + std::strerror(errno));
  }
  ::fchmod(fd, mode);  // independent of the umask
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return fail(path.string() + ": cannot write: " + why);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return fail(path.string() + ": cannot write: " + std::strerror(errno));
  }
  return {};
}

}  // namespace

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

SecretKey SecretKey::from_seed(std::span<const uint8_t, kSeedSize> seed) {
  ensure_sodium();
  SecretKey key;
  PublicKey pk;
  crypto_sign_ed25519_seed_keypair(pk.data(), key.bytes_.data(), seed.data());
  return key;
}

PublicKey SecretKey::public_key() const {
  PublicKey pk;
  std::memcpy(pk.data(), bytes_.data() + kSeedSize, pk.size());
  return pk;
}

KeyId key_id(const PublicKey& key) {
  ensure_sodium();
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), key.data(), key.size());
  KeyId id;
  std::memcpy(id.data(), digest.data(), id.size());
  return id;
}

bool from_hex(std::string_view text, std::span<uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

Signature sign(std::span<const uint8_t> message, const SecretKey& key) {
  ensure_sodium();
  Signature sig;
  crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(),
                               key.bytes().data());
  return sig;
}

bool verify(std::span<const uint8_t> message, const Signature& signature, const PublicKey& key) {
  ensure_sodium();
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(),
                                             key.data()) == 0;
}

Expected<KeyFiles> generate_key_files(const fs::path& name, bool overwrite) {
  ensure_sodium();
  KeyFiles files;
  files.secret_path = name;
  files.secret_path += ".key";
  files.public_path = name;
  files.public_path += ".pub";
  std::array<uint8_t, kSeedSize> seed;
  randombytes_buf(seed.data(), seed.size());
  const SecretKey key = SecretKey::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  const PublicKey pk = key.public_key();
  files.id = key_id(pk);
  std::string secret_text = std::string(kSecretTag) + " " + to_hex(key.seed()) + "\n";
  auto written = write_new_file(files.secret_path, secret_text, 0600, overwrite);
  sodium_memzero(secret_text.data(), secret_text.size());
  FOTA_TRY_EXPECTED(written);
  const std::string public_text =
      std::string(kPublicTag) + " " + to_hex(pk) + " " + to_hex(files.id) + "\n";
  auto pub = write_new_file(files.public_path, public_text, 0644, overwrite);
  if (!pub.ok()) {
    ::unlink(files.secret_path.c_str());  // no half key pair
    return pub.failure();
  }
  return files;
}

Expected<SecretKey> read_secret_key(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail("private key " + path.string() + ": cannot open: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return fail("private key " + path.string() + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail("private key " + path.string() + " is readable by others (mode " + mode +
                "): refusing to use it; run chmod 600 " + path.string());
  }
  auto text = read_small_text(path, "private key");
  if (!text) return text.failure();
  std::string line = trim(*text);
  sodium_memzero(text->data(), text->size());
  const std::string prefix = std::string(kSecretTag) + " ";
  std::array<uint8_t, kSeedSize> seed;
  const bool ok =
      line.rfind(prefix, 0) == 0 && from_hex(std::string_view(line).substr(prefix.size()), seed);
  sodium_memzero(line.data(), line.size());
  if (!ok) {
    return fail("private key " + path.string() + ": not a fota key file (expected \"" +
                std::string(kSecretTag) + " <64 hex digits>\"; create one with fota keygen)");
  }
  SecretKey key = SecretKey::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Expected<PublicKey> parse_public_key(std::string_view text_in, const std::string& name) {
  std::string text = trim(std::string(text_in));
  const std::string prefix = std::string(kPublicTag) + " ";
  std::string_view rest = text;
  if (text.rfind(prefix, 0) == 0) rest = std::string_view(text).substr(prefix.size());
  const std::string_view hex_key = rest.substr(0, std::min<size_t>(rest.size(), 64));
  PublicKey pk;
  if (!from_hex(hex_key, pk)) {
    return fail("public key " + name + ": not a fota public key (expected \"" +
                std::string(kPublicTag) + " <64 hex digits>\")");
  }
  // The optional key id after the key must be the key's own.
  std::string_view tail = rest.substr(hex_key.size());
  while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
  if (!tail.empty() && tail != to_hex(key_id(pk))) {
    return fail("public key " + name + ": key id " + std::string(tail) +
                " does not belong to the key (expected " + to_hex(key_id(pk)) + ")");
  }
  return pk;
}

Expected<PublicKey> read_public_key(const fs::path& path) {
  auto text = read_small_text(path, "public key");
  if (!text) return text.failure();
  return parse_public_key(*text, path.string());
}

Expected<void> sign_image(std::span<uint8_t> image, const SecretKey& key) {
  auto parsed = parse_image_header(image);
  if (!parsed) return fail(std::string("cannot sign: ") + to_string(parsed.error()));
  ImageHeader header = *parsed;
  header.flags |= kImageFlagSigned;
  header.key_id = key_id(key.public_key());
  header.signature = {};
  auto bytes = encode_image_header(header);
  header.signature = sign(std::span(bytes).first(kSignedSize), key);
  encode_image_header(header, std::span<uint8_t, kImageHeaderSize>(image.data(), kImageHeaderSize));
  return {};
}

Expected<void> verify_image_signature(std::span<const uint8_t> image, const PublicKey& key,
                                      const std::string& name) {
  auto parsed = parse_image_header(image);
  if (!parsed) return fail(name + ": " + to_string(parsed.error()));
  const ImageHeader& h = *parsed;
  if ((h.flags & kImageFlagSigned) == 0) return fail(name + ": image header is not signed");
  const KeyId want = key_id(key);
  if (h.key_id != want) {
    return fail(name + ": signed by key id " + to_hex(h.key_id) + ", not by the given key (" +
                to_hex(want) + ")");
  }
  if (!verify(image.first(kSignedSize), h.signature, key)) {
    return fail(name + ": image header signature does not verify (header or payload hash altered)");
  }
  return {};
}

std::string manifest_signature_placeholder() {
  return std::string(kManifestSignatureHexSize, '0');
}

namespace {

// Offset of the signature value's first hex digit; the key must occur exactly once.
Expected<size_t> find_signature_value(std::string_view text) {
  const size_t at = text.find(kManifestSignatureKey);
  if (at == std::string_view::npos) {
    return fail("manifest: no \"signature\" value to sign or check (unsigned manifest?)");
  }
  if (text.find(kManifestSignatureKey, at + 1) != std::string_view::npos) {
    return fail("manifest: \"signature\" occurs more than once");
  }
  const size_t value = at + kManifestSignatureKey.size();
  if (text.size() < value + kManifestSignatureHexSize + 1 ||
      text[value + kManifestSignatureHexSize] != '"') {
    return fail("manifest: the signature is not 128 hex digits (unsigned manifest?)");
  }
  return value;
}

}  // namespace

Expected<std::string> sign_manifest(std::string text, const SecretKey& key) {
  auto at = find_signature_value(text);
  if (!at) return at.failure();
  if (text.compare(*at, kManifestSignatureHexSize, manifest_signature_placeholder()) != 0) {
    return fail("manifest: the signature value must be the placeholder (128 '0') before signing");
  }
  const Signature sig =
      sign(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), key);
  text.replace(*at, kManifestSignatureHexSize, to_hex(sig));
  return text;
}

Expected<void> verify_manifest(std::string_view text, const PublicKey& key) {
  auto at = find_signature_value(text);
  if (!at) return at.failure();
  Signature sig;
  if (!from_hex(text.substr(*at, kManifestSignatureHexSize), sig)) {
    return fail("manifest: the signature is not 128 hex digits");
  }
  std::string message(text);
  message.replace(*at, kManifestSignatureHexSize, manifest_signature_placeholder());
  if (!verify(std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()), sig,
              key)) {
    return fail("manifest: signature does not verify with key " + to_hex(key_id(key)) +
                " (manifest altered or signed by another key)");
  }
  return {};
}

}  // namespace fota::signing
