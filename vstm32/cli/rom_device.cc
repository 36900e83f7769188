// The ROM bootloader over a persisted flash file, without a CPU: what the stm32flash peer test
// and host-side flashing need. Flash writes go through to the file at once (pwrite), so the
// file is right even if vstm32 is killed.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "device.h"
#include "format/flash_map.h"

namespace vstm32::cli {
namespace {

namespace fm = fota::flash_map;

constexpr uint32_t kSramBase = 0x2000'0000;
constexpr uint32_t kSramSize = 128 * 1024;
constexpr uint32_t kSysBase = 0x1FFF'0000;
constexpr uint32_t kSysSize = 0x7A24;  // system memory, OTP, UID, flash size register
constexpr uint32_t kOptBase = 0x1FFF'C000;
constexpr uint64_t kProgramNs = 16'000;  // DS8626: byte/half-word/word program, typical

// DS8626 typical sector erase times (ms) for x8 / x16 / x32 (x64 as x32).
uint64_t sector_erase_ns(unsigned sector, unsigned psize) {
  static constexpr uint64_t k16[] = {400, 300, 250, 250};
  static constexpr uint64_t k64[] = {1200, 700, 550, 550};
  static constexpr uint64_t k128[] = {2000, 1300, 1000, 1000};
  const uint32_t size = fm::kSectors[sector].size;
  const uint64_t ms = size == 16 * 1024 ? k16[psize] : size == 64 * 1024 ? k64[psize] : k128[psize];
  return ms * 1'000'000;
}

std::string hex32(uint32_t v) {
  char t[16];
  std::snprintf(t, sizeof t, "0x%08X", v);
  return t;
}

class RomOnlyDevice : public Device, public RomBus {
 public:
  RomOnlyDevice(const RomOnlyConfig& config, int fd, std::vector<uint8_t> flash)
      : config_(config), fd_(fd), flash_(std::move(flash)), rom_(*this, config.rom_version) {
    boot0_ = config.boot0;
    sram_.assign(kSramSize, 0);
    sys_.assign(kSysSize, 0x00);
    std::fill(sys_.begin() + 0x7800, sys_.begin() + 0x7A10, 0xFF);  // OTP erased
    sys_[0x77DE] = rom::version_id_byte(config.rom_version);
    std::copy(config.unique_id.begin(), config.unique_id.end(), sys_.begin() + 0x7A10);
    sys_[0x7A22] = 0x00;  // 1024 KB
    sys_[0x7A23] = 0x04;
    rom_.set_trace([this](uint64_t at, const std::string& line) { event(at, line); });
    power_on();
  }
  ~RomOnlyDevice() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // --- Device (now_ns also serves RomBus) ---
  uint64_t now_ns() const override { return now_; }
  void advance_to(uint64_t t_ns) override {
    if (pending_reset_ && *pending_reset_ <= t_ns) {
      now_ = std::max(now_, *pending_reset_);
      pending_reset_.reset();
      do_reset("software");
    }
    now_ = std::max(now_, t_ns);
  }
  std::optional<uint64_t> next_event_ns() const override {
    if (pending_reset_) return pending_reset_;
    // The end of the ROM's start-up: fast timing skips straight to it.
    if (rom_.state() == RomBootloader::State::kStarting && rom_.ready_at_ns() > now_) {
      return rom_.ready_at_ns();
    }
    return std::nullopt;
  }
  void rx_byte(uint8_t byte, uint64_t at_ns) override {
    advance_to(at_ns);
    if (powered_ && !nrst_low_ && rom_.active()) rom_.on_rx_byte(byte, at_ns);
  }
  std::vector<TimedByte> take_tx() override { return std::exchange(tx_, {}); }
  unsigned bits_per_byte() const override { return 11; }  // the ROM uses 8E1

  void set_boot0(bool high) override {
    boot0_ = high;
    event(now_, std::string("pin boot0=") + (high ? "1" : "0"));
  }
  void set_nrst(bool asserted) override {
    if (asserted == nrst_low_) return;
    nrst_low_ = asserted;
    event(now_, std::string("pin nrst=") + (asserted ? "low" : "high"));
    if (asserted) {
      rom_.stop();
      mode_ = "reset";
    } else if (powered_) {
      do_reset("pin");
    }
  }
  void pulse_nrst() override {
    set_nrst(true);
    set_nrst(false);
  }
  void set_power(bool on) override {
    if (on == powered_) return;
    if (on) {
      power_on();
    } else {
      powered_ = false;
      rom_.stop();
      pending_reset_.reset();
      std::fill(sram_.begin(), sram_.end(), 0);
      mode_ = "off";
      event(now_, "power off");
    }
  }
  std::string status() const override {
    const RomBootloader::Stats& s = rom_.stats();
    return std::string("power=") + (powered_ ? "on" : "off") + " boot0=" + (boot0_ ? "1" : "0") +
           " nrst=" + (nrst_low_ ? "low" : "high") + " mode=" + mode_ + " rom=" + rom_state() +
           " rom_version=" + (config_.rom_version == RomVersion::kV3_1 ? "3.1" : "9.1") +
           " sim_ms=" + std::to_string(now_ / 1'000'000) + " cpu=none" +
           " rom_acks=" + std::to_string(s.acks) + " rom_nacks=" + std::to_string(s.nacks) +
           " rom_overruns=" + std::to_string(s.bytes_overrun);
  }
  // "starting" turns into "wait-sync" once the start-up delay is over, even before a byte came.
  std::string rom_state() const {
    if (rom_.state() == RomBootloader::State::kStarting && now_ >= rom_.ready_at_ns()) {
      return to_string(RomBootloader::State::kWaitSync);
    }
    return to_string(rom_.state());
  }
  std::vector<std::string> take_events() override { return std::exchange(events_, {}); }
  std::optional<std::string> cut_after_instructions(uint64_t) override {
    return std::string("cut instructions needs the CPU machine; this vstm32 runs the ROM only");
  }
  std::optional<std::string> cut_at_flash_step(uint64_t, double) override {
    return std::string("cut flash-step needs the machine's flash controller; ROM-only device");
  }
  std::optional<std::string> cut_random(uint64_t) override {
    return std::string("cut random needs the CPU machine; this vstm32 runs the ROM only");
  }
  bool save(std::string* error) override {
    if (::pwrite(fd_, flash_.data(), flash_.size(), 0) != static_cast<ssize_t>(flash_.size()) ||
        ::fsync(fd_) != 0) {
      *error = "cannot write the flash file " + config_.flash_file.string() + ": " +
               std::strerror(errno);
      return false;
    }
    return true;
  }

  // --- RomBus ---
  void uart_transmit(uint8_t byte, uint64_t at_ns) override { tx_.push_back({byte, at_ns}); }
  BusStatus read(uint32_t address, std::span<uint8_t> out) override {
    const uint8_t* p = map(address, out.size());
    if (p == nullptr) return BusStatus::kUnmapped;
    std::memcpy(out.data(), p, out.size());
    return BusStatus::kOk;
  }
  BusStatus program_flash(uint32_t address, std::span<const uint8_t> data, unsigned psize,
                          uint64_t& duration_ns) override {
    duration_ns = 0;
    if (address < fm::kFlashBase || uint64_t{address} + data.size() > fm::kFlashEnd) {
      return BusStatus::kUnmapped;
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if ((nwrp_ & (1u << fm::sector_of(static_cast<uint32_t>(address + i)))) == 0) {
        return BusStatus::kProtected;
      }
    }
    const uint32_t off = address - fm::kFlashBase;
    for (size_t i = 0; i < data.size(); ++i) flash_[off + i] &= data[i];  // only 1 -> 0
    write_through(off, static_cast<uint32_t>(data.size()));
    const size_t access = size_t{1} << psize;
    duration_ns = (data.size() + access - 1) / access * kProgramNs;
    return BusStatus::kOk;
  }
  BusStatus erase_sector(unsigned sector, unsigned psize, uint64_t& duration_ns) override {
    duration_ns = 0;
    if (sector >= fm::kSectorCount) return BusStatus::kProgramError;
    if ((nwrp_ & (1u << sector)) == 0) return BusStatus::kProtected;
    const uint32_t off = fm::kSectors[sector].address - fm::kFlashBase;
    std::fill_n(flash_.begin() + off, fm::kSectors[sector].size, 0xFF);
    write_through(off, fm::kSectors[sector].size);
    duration_ns = sector_erase_ns(sector, psize);
    event(now_, "flash erase sector=" + std::to_string(sector) +
                    " ms=" + std::to_string(duration_ns / 1'000'000));
    return BusStatus::kOk;
  }
  BusStatus mass_erase(unsigned psize, uint64_t& duration_ns) override {
    static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
    duration_ns = 0;
    if (nwrp_ != 0x0FFF) return BusStatus::kProtected;
    std::fill(flash_.begin(), flash_.end(), 0xFF);
    write_through(0, fm::kFlashSize);
    duration_ns = kMassMs[psize] * 1'000'000;
    event(now_, "flash mass-erase ms=" + std::to_string(kMassMs[psize]));
    return BusStatus::kOk;
  }
  BusStatus write_memory(uint32_t address, std::span<const uint8_t> data) override {
    if (address >= kSramBase && uint64_t{address} + data.size() <= kSramBase + kSramSize) {
      std::memcpy(&sram_[address - kSramBase], data.data(), data.size());
      return BusStatus::kOk;
    }
    if (address >= rom::kOtpBegin && uint64_t{address} + data.size() <= rom::kOtpEnd) {
      for (size_t i = 0; i < data.size(); ++i) sys_[address - kSysBase + i] &= data[i];
      return BusStatus::kOk;
    }
    return BusStatus::kUnmapped;
  }
  uint8_t rdp_level_byte() const override { return rdp_; }
  uint16_t nwrp_bits() const override { return nwrp_; }
  void set_option_bytes(uint8_t rdp, uint16_t nwrp) override {
    rdp_ = rdp;
    nwrp_ = nwrp & 0x0FFF;
    char text[64];
    std::snprintf(text, sizeof text, "option-bytes rdp=0x%02X nwrp=0x%03X", rdp_, nwrp_);
    event(now_, text);
  }
  void go(uint32_t address, uint64_t at_ns) override {
    uint8_t vec[8] = {};
    read(address, vec);
    const uint32_t msp = vec[0] | vec[1] << 8 | vec[2] << 16 | static_cast<uint32_t>(vec[3]) << 24;
    const uint32_t pc = vec[4] | vec[5] << 8 | vec[6] << 16 | static_cast<uint32_t>(vec[7]) << 24;
    mode_ = "go";
    event(at_ns, "rom go address=" + hex32(address) + " msp=" + hex32(msp) + " pc=" + hex32(pc) +
                     " (no CPU in the ROM-only device: execution not modelled)");
  }
  void system_reset(uint64_t at_ns) override { pending_reset_ = at_ns; }

 private:
  void power_on() {
    powered_ = true;
    event(now_, "power on");
    do_reset("por");
  }
  void do_reset(const char* cause) {
    std::fill(sram_.begin(), sram_.end(), 0);
    event(now_, std::string("reset cause=") + cause + " boot=" + (boot0_ ? "system" : "flash"));
    if (boot0_) {
      mode_ = "rom";
      rom_.reset(now_);
    } else {
      rom_.stop();
      mode_ = "flash";  // no CPU: the firmware in flash does not run in this device
    }
  }
  void event(uint64_t at_ns, const std::string& text) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "t=%.3fms ", static_cast<double>(at_ns) / 1e6);
    events_.push_back(stamp + text);
    if (events_.size() > 10'000) events_.erase(events_.begin());  // keep memory bounded
  }
  void write_through(uint32_t offset, uint32_t size) {
    if (::pwrite(fd_, flash_.data() + offset, size, offset) != static_cast<ssize_t>(size)) {
      event(now_, std::string("error: cannot write the flash file: ") + std::strerror(errno));
    }
  }
  const uint8_t* map(uint32_t address, size_t size) {
    const uint64_t end = uint64_t{address} + size;
    if (address >= fm::kFlashBase && end <= fm::kFlashEnd) return &flash_[address - fm::kFlashBase];
    if (address >= kSramBase && end <= kSramBase + kSramSize) return &sram_[address - kSramBase];
    if (address >= kSysBase && end <= kSysBase + kSysSize) return &sys_[address - kSysBase];
    if (address >= kOptBase && end <= kOptBase + 16) {
      // RM0090 option bytes: USER, RDP at 0x1FFF'C000; nWRP at 0x1FFF'C008.
      opt_ = {0xEC,
              rdp_,
              0xFF,
              0xFF,
              0xFF,
              0xFF,
              0xFF,
              0xFF,
              static_cast<uint8_t>(nwrp_),
              static_cast<uint8_t>(nwrp_ >> 8),
              0xFF,
              0xFF,
              0xFF,
              0xFF,
              0xFF,
              0xFF};
      return &opt_[address - kOptBase];
    }
    return nullptr;
  }

  RomOnlyConfig config_;
  int fd_;
  std::vector<uint8_t> flash_, sram_, sys_;
  std::array<uint8_t, 16> opt_{};
  RomBootloader rom_;
  uint64_t now_ = 0;
  bool powered_ = false;
  bool boot0_ = false;
  bool nrst_low_ = false;
  uint8_t rdp_ = 0xAA;
  uint16_t nwrp_ = 0x0FFF;
  std::string mode_ = "off";
  std::optional<uint64_t> pending_reset_;
  std::vector<TimedByte> tx_;
  std::vector<std::string> events_;
};

}  // namespace

std::unique_ptr<Device> make_rom_only_device(const RomOnlyConfig& config, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::exists(config.flash_file, ec)) {
    *error = "flash image " + config.flash_file.string() +
             " does not exist (create one: vstm32 flash-image create FILE)";
    return nullptr;
  }
  const auto size = std::filesystem::file_size(config.flash_file, ec);
  if (ec || size > fm::kFlashSize) {
    *error = "flash image " + config.flash_file.string() + " is " + std::to_string(size) +
             " bytes; the STM32F407 has " + std::to_string(fm::kFlashSize) + " bytes of flash";
    return nullptr;
  }
  const int fd = ::open(config.flash_file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open flash image " + config.flash_file.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  std::vector<uint8_t> flash(fm::kFlashSize, 0xFF);  // a short file reads as erased beyond its end
  if (::pread(fd, flash.data(), size, 0) != static_cast<ssize_t>(size)) {
    *error = "cannot read flash image " + config.flash_file.string();
    ::close(fd);
    return nullptr;
  }
  auto device = std::make_unique<RomOnlyDevice>(config, fd, std::move(flash));
  if (size != fm::kFlashSize && !device->save(error)) return nullptr;
  return device;
}

}  // namespace vstm32::cli
