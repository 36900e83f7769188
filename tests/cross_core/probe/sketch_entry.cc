// SPDX-License-Identifier: Apache-2.0
// Entry of the sketch probe: what the FotaAgent sketch (ports/esp32/examples/FotaAgent) runs,
// linked with section GC as ESP-IDF links an application, so the probe keeps exactly the code of
// the core and the adapters that a sketch reaches. ESP-IDF's own functions stay undefined (they
// are ESP-IDF's cost, not ours); cross_core.sh checks that each is one the stubs declare. Linked
// and measured, never run.
#include <new>
#include <string_view>

#include "fota_esp32/agent_app.h"

namespace {

constexpr std::string_view kUrlPrefixes[] = {"https://example.com/releases"};
constexpr fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[1] = {};

// The app as a sketch holds it: one static object (placement new: the probe has no static
// constructors to run and no heap).
alignas(fota::esp32::AgentApp) unsigned char app_storage[sizeof(fota::esp32::AgentApp)];

}  // namespace

extern "C" void fota_sketch_entry() {
  auto* app = new (app_storage) fota::esp32::AgentApp(
      {"mqtts://broker.example.com:8883", nullptr, nullptr, kUrlPrefixes, kTrustedKeys});
  if (!app->begin()) return;
  for (;;) (void)app->step();
}
