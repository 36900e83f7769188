// SPDX-License-Identifier: Apache-2.0
#include "rom_target.h"

#include <utility>

namespace fota::cli {
namespace {

an3155::RomTargetOptions core_options(RomConnection& connection, const RomTargetOptions& options) {
  an3155::RomTargetOptions core;
  core.parallelism = options.parallelism == "x8"    ? an3155::Parallelism::kX8
                     : options.parallelism == "x16" ? an3155::Parallelism::kX16
                                                    : an3155::Parallelism::kX32;
  core.use_pins = connection.pins() != nullptr;
  return core;
}

}  // namespace

RomTarget::RomTarget(RomConnection& connection, RomTargetOptions options)
    : connection_(connection),
      on_console_(std::move(options.on_console)),
      core_(connection.rom(), connection.port(), connection.clock(), read_cache_,
            core_options(connection, options), this) {}

DeviceIdentity RomTarget::identity() const {
  DeviceIdentity id;
  id.info = core_.device_info();
  id.uid = core_.device_id().uid;
  id.flash_kb = core_.device_id().flash_kb;
  return id;
}

void RomTarget::on_console_line(std::string_view line) {
  if (on_console_) on_console_(std::string(line));
}

const char* RomTarget::pin_detail() const {
  const ports::Pins* pins = connection_.pins();
  return pins != nullptr ? pins->last_error().c_str() : "";
}

}  // namespace fota::cli
