// SPDX-License-Identifier: Apache-2.0
#include "i2c_target.h"

#include <fmt/format.h>

#include "native/i2c.h"

namespace fota::cli {

Expected<std::unique_ptr<I2cTarget>> I2cTarget::open(const std::string& spec,
                                                     const std::string& pins,
                                                     native::NativeTargetOptions options) {
  const auto parsed = ports_linux::parse_i2c_target(spec, native::kI2cAddress);
  if (!parsed) return fail(parsed.error());
  std::unique_ptr<I2cTarget> t(new I2cTarget());
  auto bus = ports_linux::open_i2c_master(parsed->spec);
  if (!bus) return fail(bus.error());
  t->bus_ = std::move(*bus);
  native::I2cLinkOptions link_options;
  link_options.address = parsed->address;
  t->link_ = std::make_unique<native::I2cLink>(*t->bus_, t->clock_, link_options);
  if (pins != "none") {
    auto made = ports::make_pins(pins, nullptr);
    if (!made) return fail(made.error());
    t->pins_ = std::move(*made);
  } else {
    options.entry = native::Entry::kHello;
  }
  t->where_ = fmt::format("{} address 0x{:02X}", t->bus_->name(), parsed->address);
  t->target_ = std::make_unique<native::NativeTarget>(*t->link_, t->clock_, t->pins_.get(),
                                                      t->ring_, options);
  return t;
}

std::string I2cTarget::link_detail() const {
  if (link_->last_error() == native::I2cLinkError::kNone) return "";
  std::string detail = native::to_string(link_->last_error());
  if (!bus_->last_detail().empty()) detail += " (" + bus_->last_detail() + ")";
  return detail;
}

}  // namespace fota::cli
