// SPDX-License-Identifier: Apache-2.0
#include "release/image.h"

#include <cstdio>
#include <fstream>
#include <system_error>

#include "format/crc32.h"
#include "format/sha256.h"

namespace fota::release {

ImageHeader make_header(std::span<const uint8_t> payload, uint32_t vector_address,
                        const Version& version, const std::string& product) {
  ImageHeader h;
  h.vector_address = vector_address;
  h.payload_size = static_cast<uint32_t>(payload.size());
  h.version = version;
  h.payload_crc32 = crc32(payload);
  h.payload_sha256 = sha256(payload);
  // NUL-padded; one byte always stays NUL so the field is a C string on the target.
  for (size_t i = 0; i < product.size() && i + 1 < h.product.size(); ++i) h.product[i] = product[i];
  return h;
}

std::vector<uint8_t> build_image(const ImageHeader& header, std::span<const uint8_t> payload) {
  std::vector<uint8_t> out(kImageHeaderSize);
  encode_image_header(header, std::span<uint8_t, kImageHeaderSize>(out.data(), kImageHeaderSize));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Expected<ImageFile> parse_image(std::span<const uint8_t> bytes, const std::string& name) {
  auto header = parse_image_header(bytes);
  if (!header) return fail(name + ": " + to_string(header.error()));
  const auto payload = bytes.subspan(kImageHeaderSize);
  const HeaderError e = check_payload(*header, payload, /*check_sha=*/true);
  if (e != HeaderError::kOk) return fail(name + ": " + to_string(e));
  ImageFile image;
  image.header = *header;
  image.payload.assign(payload.begin(), payload.end());
  return image;
}

Expected<ImageFile> read_image_file(const std::filesystem::path& path) {
  auto data = read_file(path, kImageHeaderSize + flash_map::kMaxPayloadSize);
  if (!data) return data.failure();
  return parse_image(*data, path.filename().string());
}

Expected<std::vector<uint8_t>> read_file(const std::filesystem::path& path, uintmax_t max_size) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return fail(path.string() + ": no such file");
  if (!std::filesystem::is_regular_file(status)) {
    return fail(path.string() + ": not a regular file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return fail(path.string() + ": cannot read size: " + ec.message());
  if (size > max_size) {
    return fail(path.string() + ": file too large (" + std::to_string(size) + " bytes, at most " +
                std::to_string(max_size) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path.string() + ": cannot open for reading");
  std::vector<uint8_t> out(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size))
    return fail(path.string() + ": short read");
  return out;
}

Expected<void> write_file(const std::filesystem::path& path, std::span<const uint8_t> data) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(tmp.string() + ": cannot open for writing");
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) return fail(tmp.string() + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(path.string() + ": cannot rename into place: " + ec.message());
  return {};
}

std::string crc_hex(uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", crc);
  return buf;
}

}  // namespace fota::release
