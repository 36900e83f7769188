// SPDX-License-Identifier: Apache-2.0
// Packing: the application built for slot A and for slot B (ELF or raw .bin) into
// <name>-<version>-A.img, -B.img (512-byte header + payload) and manifest.json, optionally
// signed. `fota pack` runs it; `fota release --app-a/--app-b` packs and releases in one step.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "status/expected.h"

namespace fota::cli {

struct PackInputs {
  std::string app_a;
  std::string app_b;
  std::string version;
  uint32_t build = 0;
  std::string product = "stm32f407";
  std::string name;  // "" = the product
  std::string channel = "stable";
  std::string url_base;
  std::string min_bootloader = "1.0.0";
  std::string sign_key;  // NAME.key: sign the image headers and the manifest
};

// What packing wrote into the output directory.
struct PackedFile {
  std::string path;
  uint32_t size = 0;
  uint32_t crc32 = 0;
};
struct Packed {
  std::vector<PackedFile> images;  // A, then B
  std::string manifest_path;
};

// --app-a, --app-b, --version, --build, --name, --min-bootloader (the options both commands share;
// each adds its own --product, --channel, --sign, ...). `required`: --app-a/-b and --version must
// be given.
void add_pack_inputs(CLI::App& cmd, PackInputs& in, bool required);

// Checks the inputs, builds and self-checks both images and the manifest, writes them into
// `out_dir` (created). A Failure names the option or the file that is wrong.
Expected<Packed> pack_release(const PackInputs& in, const std::string& out_dir);

}  // namespace fota::cli
