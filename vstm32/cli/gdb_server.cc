// SPDX-License-Identifier: Apache-2.0
#include "gdb_server.h"

#include <cstdio>
#include <cstdlib>

namespace vstm32::cli {

namespace {

constexpr unsigned kRegisterCount = 40;
constexpr unsigned kFirstDouble = 17, kDoubles = 16;

unsigned register_bytes(unsigned n) {
  return n >= kFirstDouble && n < kFirstDouble + kDoubles ? 8 : 4;
}

// Cortex-M4F as GDB's ARM target knows it: the M-profile core registers, the single-precision
// FPU as d0-d15 (VFPv4-D16) and the system registers. Numbers follow the order below.
std::string target_xml() {
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\"><architecture>arm</architecture>"
      "<feature name=\"org.gnu.gdb.arm.m-profile\">";
  for (int i = 0; i <= 12; ++i) {
    xml += "<reg name=\"r" + std::to_string(i) + "\" bitsize=\"32\" type=\"uint32\"/>";
  }
  xml +=
      "<reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>"
      "<reg name=\"lr\" bitsize=\"32\" type=\"uint32\"/>"
      "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>"
      "<reg name=\"xpsr\" bitsize=\"32\" type=\"uint32\"/></feature>"
      "<feature name=\"org.gnu.gdb.arm.vfp\">";
  for (unsigned i = 0; i < kDoubles; ++i) {
    xml += "<reg name=\"d" + std::to_string(i) +
           "\" bitsize=\"64\" type=\"ieee_double\" group=\"float\"/>";
  }
  xml +=
      "<reg name=\"fpscr\" bitsize=\"32\" type=\"int\" group=\"float\"/></feature>"
      "<feature name=\"org.gnu.gdb.arm.m-system\">"
      "<reg name=\"msp\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>"
      "<reg name=\"psp\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>"
      "<reg name=\"primask\" bitsize=\"32\" type=\"uint32\" group=\"system\"/>"
      "<reg name=\"basepri\" bitsize=\"32\" type=\"uint32\" group=\"system\"/>"
      "<reg name=\"faultmask\" bitsize=\"32\" type=\"uint32\" group=\"system\"/>"
      "<reg name=\"control\" bitsize=\"32\" type=\"uint32\" group=\"system\"/>"
      "</feature></target>\n";
  return xml;
}

std::string hex_le(uint64_t value, unsigned bytes) {
  std::string out;
  char two[3];
  for (unsigned i = 0; i < bytes; ++i) {
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>((value >> (8 * i)) & 0xFFu));
    out += two;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Little-endian bytes in hex (a register value) to a number; false on bad hex.
bool parse_le(std::string_view hex, uint64_t& value) {
  value = 0;
  if (hex.size() % 2 != 0 || hex.size() > 16) return false;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    value |= static_cast<uint64_t>(hi * 16 + lo) << (4 * i);
  }
  return true;
}

// A big-endian hex number as GDB writes addresses and lengths.
bool parse_number(std::string_view text, uint64_t& value) {
  value = 0;
  if (text.empty() || text.size() > 16) return false;
  for (char c : text) {
    const int d = hex_digit(c);
    if (d < 0) return false;
    value = value * 16 + static_cast<unsigned>(d);
  }
  return true;
}

// "ADDR,LEN" (and what follows after `end`, if any).
bool parse_range(std::string_view text, uint64_t& address, uint64_t& length) {
  const size_t comma = text.find(',');
  return comma != std::string_view::npos && parse_number(text.substr(0, comma), address) &&
         parse_number(text.substr(comma + 1), length);
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string to_hex(std::string_view text) {
  std::string out;
  for (char c : text) out += hex_le(static_cast<uint8_t>(c), 1);
  return out;
}

}  // namespace

GdbServer::GdbServer(std::unique_ptr<TcpPort> port, DebugTarget& target)
    : port_(std::move(port)), target_(target) {}

std::vector<int> GdbServer::fds() const {
  std::vector<int> fds{port_->listen_fd()};
  if (port_->client_fd() >= 0) fds.push_back(port_->client_fd());
  return fds;
}

void GdbServer::service() {
  port_->accept_client();
  if (attached() && !was_attached_) {
    was_attached_ = true;
    no_ack_ = false;
    input_.clear();
    last_frame_.clear();
    target_.halt();  // a debugger that connects finds the core halted, as with a probe
  }
  for (uint8_t b : port_->read_available()) input_.push_back(static_cast<char>(b));
  while (!input_.empty()) {
    if (input_[0] == '\x03') {  // Ctrl-C
      input_.erase(0, 1);
      target_.halt();
      if (waiting_for_stop_) stop_reply(2);  // SIGINT
      continue;
    }
    if (input_[0] == '-') {  // the debugger did not take our last packet: send it again
      input_.erase(0, 1);
      if (!no_ack_ && !last_frame_.empty()) write_raw(last_frame_);
      continue;
    }
    if (input_[0] != '$') {  // acks and line noise
      input_.erase(0, 1);
      continue;
    }
    const size_t hash = input_.find('#');
    if (hash == std::string::npos) {
      if (input_.size() > kMaxPacketBytes) {
        std::fprintf(stderr, "vstm32: gdb sent %zu bytes without a packet end ('#'): dropped\n",
                     input_.size());
        input_.clear();
      }
      break;
    }
    if (input_.size() < hash + 3) break;  // the checksum has not arrived yet
    const std::string packet = input_.substr(1, hash - 1);
    const int hi = hex_digit(input_[hash + 1]), lo = hex_digit(input_[hash + 2]);
    input_.erase(0, hash + 3);
    unsigned sum = 0;
    for (char c : packet) sum += static_cast<uint8_t>(c);
    if (hi < 0 || lo < 0 || static_cast<unsigned>(hi * 16 + lo) != (sum & 0xFFu)) {
      std::fprintf(stderr, "vstm32: gdb packet with a bad checksum dropped%s\n",
                   no_ack_ ? "" : " (asked again with '-')");
      if (!no_ack_) write_raw("-");
      continue;
    }
    if (!no_ack_) write_raw("+");
    handle(packet);
  }
  if (waiting_for_stop_ && target_.take_stop()) {  // SIGTRAP: a breakpoint or a watchpoint
    if (const std::optional<DebugTarget::WatchStop> w = target_.take_watch()) {
      char text[48];
      std::snprintf(text, sizeof text, "T05%s:%x;thread:1;",
                    w->type == 2   ? "watch"
                    : w->type == 3 ? "rwatch"
                                   : "awatch",
                    w->address);
      waiting_for_stop_ = false;
      reply(text);
    } else {
      stop_reply(5);
    }
  }
  if (!attached() && was_attached_) {
    was_attached_ = false;
    waiting_for_stop_ = false;
    input_.clear();
    if (target_.halted()) target_.resume();  // the debugger went away: the firmware runs on
  }
}

void GdbServer::reply(std::string_view payload) {
  unsigned sum = 0;
  for (char c : payload) sum += static_cast<uint8_t>(c);
  std::string frame = "$";
  frame += payload;
  frame += '#';
  frame += hex_le(sum & 0xFFu, 1);
  write_raw(frame);
  last_frame_ = std::move(frame);
}

void GdbServer::write_raw(std::string_view bytes) {
  port_->write(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void GdbServer::stop_reply(int signal) {
  waiting_for_stop_ = false;
  char text[8];
  std::snprintf(text, sizeof text, "T%02x", signal);
  reply(std::string(text) + "thread:1;");
}

std::string GdbServer::read_registers() const {
  std::string out;
  for (unsigned n = 0; n < kRegisterCount; ++n) {
    out += hex_le(target_.read_register(n), register_bytes(n));
  }
  return out;
}

std::string GdbServer::query(std::string_view p) {
  if (p.rfind("qSupported", 0) == 0) {
    return "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+";
  }
  if (p.rfind("qXfer:features:read:target.xml:", 0) == 0) {
    uint64_t offset = 0, length = 0;
    if (!parse_range(p.substr(31), offset, length)) return "E01";
    const std::string xml = target_xml();
    if (offset >= xml.size()) return "l";
    const std::string part = xml.substr(offset, length);
    return (offset + part.size() >= xml.size() ? "l" : "m") + part;
  }
  if (p == "qAttached") return "1";
  if (p == "qC") return "QC1";
  if (p == "qfThreadInfo") return "m1";
  if (p == "qsThreadInfo") return "l";
  if (p.rfind("qRcmd,", 0) == 0) {
    const std::string command = from_hex(p.substr(6));
    if (command == "reset" || command == "reset halt") {
      target_.reset();
      return "OK";
    }
    return to_hex("vstm32: monitor commands: reset\n");
  }
  return "";  // not supported: GDB falls back
}

void GdbServer::handle(std::string_view p) {
  if (p.empty()) return reply("");
  switch (p[0]) {
    case '?': return stop_reply(target_.halted() ? 5 : 0);
    case 'g': return reply(read_registers());
    case 'G': {
      size_t at = 1;
      for (unsigned n = 0; n < kRegisterCount && at < p.size(); ++n) {
        uint64_t v = 0;
        const unsigned bytes = register_bytes(n);
        if (!parse_le(p.substr(at, 2 * bytes), v)) return reply("E01");
        target_.write_register(n, v);
        at += 2 * bytes;
      }
      return reply("OK");
    }
    case 'p': {
      uint64_t n = 0;
      if (!parse_number(p.substr(1), n) || n >= kRegisterCount) return reply("E01");
      const auto r = static_cast<unsigned>(n);
      return reply(hex_le(target_.read_register(r), register_bytes(r)));
    }
    case 'P': {
      const size_t eq = p.find('=');
      uint64_t n = 0, v = 0;
      if (eq == std::string_view::npos || !parse_number(p.substr(1, eq - 1), n) ||
          n >= kRegisterCount || !parse_le(p.substr(eq + 1), v)) {
        return reply("E01");
      }
      target_.write_register(static_cast<unsigned>(n), v);
      return reply("OK");
    }
    case 'm': {
      uint64_t address = 0, length = 0;
      if (!parse_range(p.substr(1), address, length) || length > 0x1000) return reply("E01");
      std::string out;
      for (uint64_t i = 0; i < length; ++i) {
        uint8_t b = 0;
        if (!target_.read_memory(static_cast<uint32_t>(address + i), b)) {
          return reply(out.empty() ? "E01" : out);  // what could be read
        }
        out += hex_le(b, 1);
      }
      return reply(out);
    }
    case 'M': {
      const size_t colon = p.find(':');
      uint64_t address = 0, length = 0;
      if (colon == std::string_view::npos ||
          !parse_range(p.substr(1, colon - 1), address, length) ||
          p.size() - colon - 1 != 2 * length) {
        return reply("E01");
      }
      for (uint64_t i = 0; i < length; ++i) {
        uint64_t b = 0;
        if (!parse_le(p.substr(colon + 1 + 2 * i, 2), b) ||
            !target_.write_memory(static_cast<uint32_t>(address + i), static_cast<uint8_t>(b))) {
          return reply("E01");
        }
      }
      return reply("OK");
    }
    case 'Z':
    case 'z': {
      // Z0 (software) and Z1 (hardware) breakpoints are the same to the machine; Z2/Z3/Z4 are
      // write/read/access watchpoints (kind: the length in bytes).
      if (p.size() < 3 || p[1] < '0' || p[1] > '4' || p[2] != ',') return reply("");
      uint64_t address = 0, kind = 0;
      if (!parse_range(p.substr(3), address, kind) || address > 0xFFFF'FFFFu) return reply("E01");
      if (p[1] >= '2') {
        if (kind == 0 || kind > 0x1000) return reply("E01");
        const int type = p[1] - '0';
        if (p[0] == 'Z') {
          target_.add_watchpoint(static_cast<uint32_t>(address), static_cast<uint32_t>(kind), type);
        } else {
          target_.remove_watchpoint(static_cast<uint32_t>(address), static_cast<uint32_t>(kind),
                                    type);
        }
        return reply("OK");
      }
      if (p[0] == 'Z') {
        target_.add_breakpoint(static_cast<uint32_t>(address));
      } else {
        target_.remove_breakpoint(static_cast<uint32_t>(address));
      }
      return reply("OK");
    }
    case 'c':
    case 'C':
      waiting_for_stop_ = true;
      target_.resume();
      return;
    case 's':
    case 'S': target_.step(); return stop_reply(5);
    case 'H': return reply("OK");
    case 'T': return reply("OK");
    case 'D':
      reply("OK");
      if (target_.halted()) target_.resume();
      return;
    case 'k':
      if (target_.halted()) target_.resume();
      return;
    case 'v':
      if (p == "vCont?") return reply("vCont;c;C;s;S");
      if (p.rfind("vCont;", 0) == 0 && p.size() > 6) {
        const char action = p[6];
        if (action == 's' || action == 'S') {
          target_.step();
          return stop_reply(5);
        }
        if (action == 'c' || action == 'C') {
          waiting_for_stop_ = true;
          target_.resume();
          return;
        }
      }
      return reply("");
    case 'Q':
      if (p == "QStartNoAckMode") {
        reply("OK");
        no_ack_ = true;
        return;
      }
      return reply("");
    case 'q': return reply(query(p));
    default: return reply("");
  }
}

}  // namespace vstm32::cli
