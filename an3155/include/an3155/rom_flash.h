// bootcore's Flash interface over the ROM bootloader: the host appends the TRIAL record with
// bootcore's own MetaLog (the same code the bootloader runs), reading and programming the log
// sectors through AN3155 commands.
#pragma once

#include "an3155/an3155.h"
#include "bootcore/flash.h"

namespace fota::an3155 {

class RomFlash final : public bootcore::Flash {
 public:
  // verify_reads: Read Memory data carries no checksum, so a bit error on the line would go
  // unnoticed; with it on every chunk is read until two reads agree (bounded).
  explicit RomFlash(Bootloader& rom, bool verify_reads = true)
      : rom_(rom), verify_reads_(verify_reads) {}

  bootcore::FlashStatus read(uint32_t address, std::span<uint8_t> out) override;
  bootcore::FlashStatus program_words(uint32_t address, std::span<const uint32_t> words) override;
  bootcore::FlashStatus erase_sector(unsigned sector) override;

  Status last_status() const { return last_; }

 private:
  bootcore::FlashStatus map(Status status);
  Bootloader& rom_;
  bool verify_reads_;
  Status last_ = Status::kOk;
};

// Reads `out` with Read Memory in 256-byte commands; when verify is set each chunk is read until
// two consecutive reads agree (at most 8 reads: at a bit-error rate of 1e-4 one 256-byte read in
// five is damaged), else kBadReply.
[[nodiscard]] Status read_checked(Bootloader& rom, uint32_t address, std::span<uint8_t> out,
                                  bool verify);

}  // namespace fota::an3155
