// SPDX-License-Identifier: Apache-2.0
// fota keygen: creates an ed25519 signing key pair, NAME.key (private, mode 0600) and NAME.pub.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "signing/signing.h"

namespace fota::cli {
namespace {

struct KeygenOptions {
  std::string out;
  bool force = false;
};

int run_keygen(const KeygenOptions& o) {
  auto files = signing::generate_key_files(o.out, o.force);
  if (!files) {
    std::fprintf(stderr, "fota keygen: error: %s\n", files.error().c_str());
    return 2;
  }
  std::printf("private key: %s (mode 0600: keep it secret, e.g. in the CI's credential store)\n",
              files->secret_path.c_str());
  std::printf("public key:  %s\n", files->public_path.c_str());
  std::printf("key id:      %s\n", signing::to_hex(files->id).c_str());
  return 0;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<KeygenOptions>(
      app, "keygen", "Create an ed25519 signing key pair (NAME.key, NAME.pub)", exit_code,
      run_keygen);
  cmd->add_option("--out", o->out, "Key name: writes NAME.key and NAME.pub")->required();
  cmd->add_flag("--force", o->force, "Overwrite an existing key pair");
}

const Registration kRegistration("keygen", setup);

}  // namespace
}  // namespace fota::cli
