// SPDX-License-Identifier: Apache-2.0
// Resume cost of the update engine: the largest image a slot takes (384 KB) is cut at 50 % of
// its write, then the next run resumes. Prints, for the second run, the bytes read from the
// Source (re-downloaded), written to the target and read back, beyond what a perfect resume
// would move (the header and the blocks from the cut on), as a share of the image. Runs over the
// engine's test fakes (a RAM flash with the silicon's rules); the ROM path adds no bytes of its
// own. Usage: update_resume_bench
#include <cstdio>
#include <cstring>

#include "fakes.h"

namespace {

using namespace fota;
using namespace fota::update;
using namespace fota::update::test;

struct Figures {
  uint64_t source_bytes, written, read_back, missing;
  uint32_t image, resumed_from;
};

Figures measure(bool host_crash) {
  FakeFlash flash;
  FakeClock clock;
  FakeTarget target(flash, clock);
  RecordingReporter reporter;
  MemoryStore store;
  const uint32_t payload = flash_map::kMaxPayloadSize;
  auto b = bootcore::test::make_image(flash_map::Slot::kB, Version{2, 0, 0, 0}, payload, 7);
  auto a = bootcore::test::make_image(flash_map::Slot::kA, Version{2, 0, 0, 0}, payload, 8);
  MemorySource src_a(a.bytes), src_b(b.bytes);
  Policy policy;
  policy.require_signature = false;
  policy.match_running_product = false;
  policy.version = VersionPolicy::kAny;
  policy.wait_outcome = false;
  policy.slot = SlotChoice::kB;
  const uint32_t blocks = (payload + 512 + 255) / 256;
  const uint32_t cut = blocks / 2;
  if (host_crash) {
    // The process dies right before a save would have recorded the cut point: the store holds
    // the previous save (at most save_every_bytes / save_every_ms behind).
    target.fail_write_at = cut;
    store.freeze_after = -1;
  } else {
    src_b.fail_at_read = cut + 1;  // read 0 is the header
  }
  Release release{{&src_a, &src_b}};
  {
    Engine engine(target, clock, reporter, nullptr, &store);
    (void)engine.run(release, policy);
  }
  if (host_crash) {
    // Roll the record back to the save before the last one, as a crash between saves leaves it.
    auto p = decode_progress(store.bytes).value();
    p.bytes_written -= policy.save_every_bytes;
    // The hash state must match the rolled-back point: recompute it from the image.
    Crc32 crc;
    Sha256 sha;
    const auto data = std::span<const uint8_t>(b.bytes).subspan(512, p.bytes_written - 512);
    crc.update(data);
    sha.update(data);
    p.crc32_state = crc.state();
    (void)sha.midstate(p.sha256);
    store.bytes.assign(kProgressSize, 0);
    encode_progress(p, std::span<uint8_t, kProgressSize>(store.bytes.data(), kProgressSize));
  }
  target.fail_write_at = -1;
  src_b.fail_at_read = -1;
  const uint64_t read0 = src_b.bytes_read, written0 = target.bytes_written,
                 back0 = target.bytes_read;
  Engine engine(target, clock, reporter, nullptr, &store);
  const Outcome out = engine.run(release, policy);
  if (out.state != State::kTrial || !out.resumed) {
    std::fprintf(stderr, "resume failed: %s\n", to_string(out.failure.reason));
    return {};
  }
  const uint32_t image = static_cast<uint32_t>(b.bytes.size());
  // What a perfect resume moves: the header (always fetched first and written last) and every
  // block from the cut on.
  const uint32_t cut_offset = 512 + cut * 256;
  return {src_b.bytes_read - read0,
          target.bytes_written - written0,
          target.bytes_read - back0,
          image - cut_offset + 512,
          image,
          out.resumed_from};
}

void print(const char* name, const Figures& f) {
  const double image = f.image;
  const double extra_read = static_cast<double>(f.source_bytes) - static_cast<double>(f.missing);
  const double extra_written = static_cast<double>(f.written) - static_cast<double>(f.missing);
  std::printf(
      "%-22s image %u B, resumed at %u B (%.1f %%): re-downloaded %+.0f B (%.2f %%), "
      "re-written %+.0f B (%.2f %%), read back %llu B (%.2f %%)\n",
      name, f.image, f.resumed_from, 100.0 * f.resumed_from / image, extra_read,
      100.0 * extra_read / image, extra_written, 100.0 * extra_written / image,
      static_cast<unsigned long long>(f.read_back),
      100.0 * static_cast<double>(f.read_back) / image);
}

}  // namespace

int main() {
  std::printf(
      "update engine, 384 KB image cut at 50 %% of the write, second run; figures beyond "
      "what a perfect resume moves (header + blocks from the cut on)\n");
  print("network failure:", measure(false));
  print("host crash:", measure(true));
  return 0;
}
