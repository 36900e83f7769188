// SPDX-License-Identifier: Apache-2.0
// fota pack: turns the application built for slot A and for slot B (ELF or raw .bin) into
// <name>-<version>-A.img, -B.img (512-byte header + payload) and manifest.json (pack.h).
#include <cstdio>
#include <string>

#include "command.h"
#include "pack.h"
#include "release/image.h"

namespace fota::cli {
namespace {

struct PackOptions {
  PackInputs inputs;
  std::string out;
};

int run_pack(const PackOptions& o) {
  auto packed = pack_release(o.inputs, o.out);
  if (!packed) {
    std::fprintf(stderr, "fota pack: error: %s\n", packed.error().c_str());
    return 2;
  }
  for (const PackedFile& image : packed->images) {
    std::printf("%s: %u bytes, crc32 %s\n", image.path.c_str(), image.size,
                release::crc_hex(image.crc32).c_str());
  }
  std::printf("%s\n", packed->manifest_path.c_str());
  return 0;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<PackOptions>(
      app, "pack", "Pack the slot A and slot B builds into a release", exit_code, run_pack);
  add_pack_inputs(*cmd, o->inputs, /*required=*/true);
  cmd->add_option("--product", o->inputs.product, "Product name (header and manifest)");
  cmd->add_option("--channel", o->inputs.channel, "Release channel");
  cmd->add_option("--url-base", o->inputs.url_base, "URL prefix for the manifest's slot URLs");
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->add_option("--sign", o->inputs.sign_key,
                  "Sign the image headers and the manifest with this private key (fota keygen)");
}

const Registration kRegistration("pack", setup);

}  // namespace
}  // namespace fota::cli
