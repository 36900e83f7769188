// SPDX-License-Identifier: Apache-2.0
// sizeof() of the objects an ESP32 sketch places in static RAM, as the Xtensa compiler lays them
// out: each becomes the size of a symbol, which cross_core.sh reads with nm.
#include "StmFota.h"

#define FOTA_SIZE(name, type) extern "C" const char fota_size_##name[sizeof(type)] = {}

FOTA_SIZE(Engine, fota::update::Engine);
FOTA_SIZE(Bootloader, fota::an3155::Bootloader);
FOTA_SIZE(RomTarget, fota::an3155::RomTarget);
FOTA_SIZE(NativeTarget, fota::native::NativeTarget);
FOTA_SIZE(StmTarget, fota::esp32::StmTarget);
FOTA_SIZE(UartLink, fota::esp32::UartLink);
FOTA_SIZE(GpioPins, fota::esp32::GpioPins);
FOTA_SIZE(HttpRangeSource, fota::esp32::HttpRangeSource);
FOTA_SIZE(MqttLink, fota::esp32::MqttLink);
FOTA_SIZE(MqttStatusReporter, fota::esp32::MqttStatusReporter);
FOTA_SIZE(Notice, fota::agent::Notice);
FOTA_SIZE(DeviceLoop, fota::agent::DeviceLoop);
FOTA_SIZE(AgentPort, fota::esp32::AgentPort);
FOTA_SIZE(NvsProgressStore, fota::esp32::NvsProgressStore);
FOTA_SIZE(ManifestPointer, fota::esp32::ManifestPointer);
FOTA_SIZE(RejectedList, fota::agent::RejectedList);
FOTA_SIZE(AgentApp, fota::esp32::AgentApp);
