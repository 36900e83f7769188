// SPDX-License-Identifier: Apache-2.0
// USART1 as a pseudo-terminal with a user-chosen symlink.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "free_path.h"
#include "vstm32/serial.h"

namespace vstm32 {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// A link left behind by a vstm32 that did not exit cleanly: a symlink into /dev/pts whose
// target is gone. Anything else at the path belongs to someone else.
bool stale_link_of_ours(const std::filesystem::path& link) {
  std::error_code ec;
  if (!std::filesystem::is_symlink(std::filesystem::symlink_status(link, ec))) return false;
  const std::filesystem::path target = std::filesystem::read_symlink(link, ec);
  if (ec || target.string().rfind("/dev/pts/", 0) != 0) return false;
  return !std::filesystem::exists(target, ec);
}

uint32_t speed_to_baud(speed_t speed) {
  switch (speed) {
    case B1200: return 1200;
    case B2400: return 2400;
    case B4800: return 4800;
    case B9600: return 9600;
    case B19200: return 19200;
    case B38400: return 38400;
    case B57600: return 57600;
    case B115200: return 115200;
    case B230400: return 230400;
    case B460800: return 460800;
    case B500000: return 500000;
    case B576000: return 576000;
    case B921600: return 921600;
    case B1000000: return 1000000;
    case B1500000: return 1500000;
    case B2000000: return 2000000;
    default: return 0;
  }
}

}  // namespace

fota::Expected<std::unique_ptr<PtyPort>> PtyPort::open(const std::filesystem::path& link) {
  if (link.empty()) {
    return fota::fail("uart path is empty");
  }
  FOTA_TRY_EXPECTED(free_path(
      link, stale_link_of_ours,
      "uart path " + link.string() +
          " already exists and is not a stale vstm32 pty link; remove it or choose another path"));
  std::unique_ptr<PtyPort> port(new PtyPort());
  port->master_fd_ = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (port->master_fd_ < 0) {
    return fota::fail("cannot allocate a pseudo-terminal: " + errno_text());
  }
  char name[128];
  if (grantpt(port->master_fd_) != 0 || unlockpt(port->master_fd_) != 0 ||
      ptsname_r(port->master_fd_, name, sizeof name) != 0) {
    return fota::fail("cannot set up the pseudo-terminal: " + errno_text());
  }
  port->slave_name_ = name;
  port->slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (port->slave_fd_ < 0) {
    return fota::fail("cannot open " + port->slave_name_ + ": " + errno_text());
  }
  // Raw, 8 bits, no echo, default 115200 until the serial program sets its own rate.
  termios tio{};
  if (tcgetattr(port->slave_fd_, &tio) == 0) {
    cfmakeraw(&tio);
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    tcsetattr(port->slave_fd_, TCSANOW, &tio);
  }
  std::error_code ec;
  std::filesystem::create_symlink(port->slave_name_, link, ec);
  if (ec) {
    return fota::fail("cannot create uart link " + link.string() + ": " + ec.message());
  }
  port->link_ = link;
  return port;
}

PtyPort::~PtyPort() {
  if (!link_.empty()) {
    std::error_code ec;
    if (std::filesystem::read_symlink(link_, ec) == slave_name_) std::filesystem::remove(link_, ec);
  }
  if (slave_fd_ >= 0) ::close(slave_fd_);
  if (master_fd_ >= 0) ::close(master_fd_);
}

std::vector<uint8_t> PtyPort::read_available() {
  std::vector<uint8_t> out;
  uint8_t chunk[4096];
  for (;;) {
    const ssize_t n = ::read(master_fd_, chunk, sizeof chunk);
    if (n <= 0) break;  // EAGAIN: nothing more; EIO cannot happen while slave_fd_ is open
    out.insert(out.end(), chunk, chunk + n);
  }
  return out;
}

size_t PtyPort::write(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(master_fd_, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    done += static_cast<size_t>(n);
  }
  return bytes.size() - done;
}

uint32_t PtyPort::baud() const {
  termios tio{};
  if (tcgetattr(slave_fd_, &tio) != 0) return 0;
  return speed_to_baud(cfgetospeed(&tio));
}

}  // namespace vstm32
