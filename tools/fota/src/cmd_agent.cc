// SPDX-License-Identifier: Apache-2.0
// `fota agent`: the Linux gateway daemon. Reads the TOML configuration, then runs one
// gateway::DeviceAgent per [[device]] (each on its own thread, over the update engine with the ROM
// path or our bootloader's native update mode as its Target) until SIGTERM/SIGINT. Reference:
// docs/agent.md.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "command.h"
#include "exit_code.h"
#include "gateway/config.h"
#include "gateway/device_agent.h"
#include "native/host.h"
#include "ports_linux/file_progress_store.h"
#include "ports_linux/mqtt_client.h"
#include "ports_linux/sodium_verifier.h"
#include "ports_linux/update_clock.h"
#include "rom_connection.h"
#include "signing/signing.h"
#include "target_factory.h"
#include "update/forwarding_target.h"

namespace fota::cli {
namespace {

// The transport's Target as the engine sees it; on the native path each commit is logged with the
// rate and the frame counts of the transfer (what the operator and the tests check).
class LoggedTarget final : public update::ForwardingTarget {
 public:
  LoggedTarget(DeviceTarget& device, std::string name)
      : ForwardingTarget(&device.target()), device_(device), name_(std::move(name)) {}

  update::TargetError commit(flash_map::Slot slot, const ImageHeader& header) override {
    const update::TargetError e = ForwardingTarget::commit(slot, header);
    if (e == update::TargetError::kOk && device_.native()) {
      const native::HostSession& session = device_.native_target()->session();
      spdlog::info(
          "[{}] native: image sent at {} baud ({} frames, {} resent, from payload byte {})", name_,
          session.baud(), session.stats().frames_sent, session.stats().frames_resent,
          session.stats().resumed_from);
    }
    return e;
  }

 private:
  DeviceTarget& device_;
  std::string name_;
};

// One device: serial port + BOOT0/NRST pins, the Target of its transport (the same choice as
// `fota flash --transport`), the engine's Linux ports.
class SerialServices final : public gateway::DeviceServices {
 public:
  SerialServices(const gateway::AgentConfig& config, const gateway::DeviceConfig& device)
      : config_(config), device_(device) {}

  Expected<void> open() {
    ConnectionOptions options;
    options.port = device_.port;
    options.pins = device_.pins;
    options.baud = device_.baud;
    if (auto opened = connection_.open(options); !opened) {
      return fail(device_.name + ": " + opened.error());
    }
    TransportOptions transport;
    transport.transport = device_.transport;
    transport.native_baud = device_.native_baud;
    transport.native_hello = device_.native_entry == "hello";
    // auto probes now (a reset); the application runs again until the first update.
    transport.leave_after_probe = true;
    const std::string name = device_.name;
    transport.on_console = [name](const std::string& line) {
      spdlog::debug("[{}] console: {}", name, line);
    };
    target_ = DeviceTarget::make(connection_, transport);
    logged_.emplace(*target_, name);
    if (!target_->probe_note().empty()) spdlog::info("[{}] {}", name, target_->probe_note());
    if (target_->native()) {
      spdlog::info("[{}] transport native (our bootloader's update mode), up to {} baud", name,
                   device_.native_baud);
    } else {
      spdlog::info("[{}] transport rom (ST's ROM bootloader), {} baud", name, device_.baud);
    }
    for (const std::string& hex : config_.release.public_keys) {
      std::array<uint8_t, update::kPublicKeySize> key{};
      if (!signing::from_hex(hex, key)) return fail("release.public_keys: bad key " + hex);
      verifier_.add_key(key);
    }
    return {};
  }

  update::Target& target() override { return *logged_; }
  update::Clock& clock() override { return clock_; }
  update::SignatureVerifier* verifier() override {
    return verifier_.key_count() > 0 ? &verifier_ : nullptr;
  }
  update::ProgressStore* store(const std::string& uid_hex) override {
    store_.emplace(config_.state_dir / (uid_hex + ".progress"));
    return &*store_;
  }

 private:
  const gateway::AgentConfig& config_;
  const gateway::DeviceConfig& device_;
  RomConnection connection_;
  std::unique_ptr<DeviceTarget> target_;
  std::optional<LoggedTarget> logged_;
  ports::UpdateClock clock_;
  ports::SodiumVerifier verifier_;
  std::optional<ports::FileProgressStore> store_;
};

struct AgentOptions {
  std::string config_path = "/etc/fota/agent.toml";
  std::string log_level;  // overrides the file's
  bool check_config = false;
  bool reprobe = false;
};

int run_agent(const AgentOptions& options) {
  auto config = gateway::load_config(options.config_path);
  if (!config) {
    std::fprintf(stderr, "fota agent: error: %s\n", config.error().c_str());
    return kExitUsage;
  }
  const std::string level = options.log_level.empty() ? config->log_level : options.log_level;
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  config->reprobe = options.reprobe;
  // Read once here so that a wrong path stops the agent (and --check-config) before any device
  // is touched, instead of each device's MQTT session failing on its own later.
  if (!config->broker.password_file.empty()) {
    if (auto password = ports::read_password_file(config->broker.password_file); !password) {
      std::fprintf(stderr, "fota agent: error: %s: broker.password_file: %s\n",
                   options.config_path.c_str(), password.error().c_str());
      return kExitUsage;
    }
  }
  if (options.check_config) {
    std::printf("%s: valid (%zu device(s))\n", options.config_path.c_str(), config->devices.size());
    return kExitOk;
  }
  std::error_code ec;
  std::filesystem::create_directories(config->state_dir, ec);
  if (ec) {
    std::fprintf(stderr, "fota agent: error: state_dir %s: %s\n",
                 config->state_dir.string().c_str(), ec.message().c_str());
    return kExitUsage;
  }
  // Signals are taken by this thread only (sigwait): every thread started below inherits the
  // blocked mask, so no handler runs in the middle of an update.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::unique_ptr<gateway::DeviceAgent>> agents;
  for (const gateway::DeviceConfig& device : config->devices) {
    auto services = std::make_unique<SerialServices>(*config, device);
    if (auto opened = services->open(); !opened) {
      std::fprintf(stderr, "fota agent: error: %s\n", opened.error().c_str());
      return kExitNoDevice;
    }
    agents.push_back(std::make_unique<gateway::DeviceAgent>(*config, device, std::move(services)));
  }
  spdlog::info("fota agent: {} device(s), product {}, channel {}", agents.size(),
               config->release.product, config->release.channel);
  std::vector<std::thread> threads;
  for (auto& agent : agents) threads.emplace_back([&agent] { agent->run(); });
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("fota agent: {}: finishing the current safe step of each update",
               signal == SIGTERM  ? "SIGTERM"
               : signal == SIGINT ? "SIGINT"
                                  : "SIGHUP");
  for (auto& agent : agents) agent->stop();
  for (auto& thread : threads) thread.join();
  spdlog::info("fota agent: stopped");
  return kExitOk;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, options] = add_command<AgentOptions>(
      app, "agent",
      "Run the update agent: learn about releases (MQTT / HTTP polling), install them "
      "into the configured devices, publish their status (docs/agent.md)",
      exit_code, run_agent);
  cmd->add_option("--config,-c", options->config_path, "configuration file (TOML)")
      ->capture_default_str();
  cmd->add_option("--log-level", options->log_level,
                  "trace, debug, info, warn, error (overrides the file's log_level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cmd->add_flag("--check-config", options->check_config,
                "only read and check the configuration, then exit");
  cmd->add_flag("--reprobe", options->reprobe,
                "identify every device again through its bootloader (resets it) instead of "
                "using the identity cached in state_dir");
}

const Registration registration("agent", setup);

}  // namespace
}  // namespace fota::cli
