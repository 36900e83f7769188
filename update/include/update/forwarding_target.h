// SPDX-License-Identifier: Apache-2.0
// A Target that passes every call to another Target. Hosts derive from it to add to one call
// (the agent logs each commit) or to switch the path between updates (the ESP32's ROM/native
// choice), while the engine keeps one Target reference for its whole life.
#pragma once

#include <cstdint>
#include <span>

#include "update/target.h"

namespace fota::update {

class ForwardingTarget : public Target {
 public:
  TargetKind kind() const override { return to_->kind(); }
  TargetError open(DeviceId& id) override { return to_->open(id); }
  TargetError read_boot_state(BootState& state) override { return to_->read_boot_state(state); }
  TargetError begin_write() override { return to_->begin_write(); }
  TargetError resume_point(flash_map::Slot slot, ResumePoint& point) override {
    return to_->resume_point(slot, point);
  }
  TargetError begin_image(flash_map::Slot slot, std::span<const uint8_t, kImageHeaderSize> header,
                          uint32_t start_payload) override {
    return to_->begin_image(slot, header, start_payload);
  }
  TargetError erase_sector(unsigned sector) override { return to_->erase_sector(sector); }
  TargetError write(uint32_t address, std::span<const uint8_t> data) override {
    return to_->write(address, data);
  }
  TargetError read(uint32_t address, std::span<uint8_t> out) override {
    return to_->read(address, out);
  }
  TargetError commit(flash_map::Slot slot, const ImageHeader& header) override {
    return to_->commit(slot, header);
  }
  TargetError reboot() override { return to_->reboot(); }
  TargetError observe(flash_map::Slot slot, uint32_t wait_ms, Observation& seen) override {
    return to_->observe(slot, wait_ms, seen);
  }
  bool can_reset() const override { return to_->can_reset(); }
  const char* last_error() const override { return to_->last_error(); }
  const char* refusal() const override { return to_->refusal(); }

 protected:
  explicit ForwardingTarget(Target* to) : to_(to) {}
  ~ForwardingTarget() = default;
  // Between updates only: the engine must not be running on the old target.
  void forward_to(Target* to) { to_ = to; }
  bool forwarding() const { return to_ != nullptr; }

 private:
  Target* to_;
};

}  // namespace fota::update
