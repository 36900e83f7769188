# SPDX-License-Identifier: Apache-2.0
# Run order for `ctest -j`: ctest starts the tests with the highest COST first. A fresh clone has
# no Testing/Temporary/CTestCostData.txt, so without these every test costs 0, tests run in the
# order they are declared, and the long end-to-end tests (declared last, in tests/) start at the
# end and run alone. COST = seconds measured on a 2-core machine (docs/testing.md); ctest uses it
# in place of its own measurements. A name that is not in the tree is ignored, so the list may
# name tests of optional parts. Tests not listed take a few seconds or less. Parameterised
# GoogleTest cases carry their parameter in the name (bracket arguments below).
set(_fota_costs
  bench.agent_smoke 126
  agent_e2e 93
  release_e2e 47
  flash_e2e_rom 47
  vstm32_stm32flash_peer 45
  flash_resume 45
  Vstm32PowerCutStepsTest.EveryFlashStepOfTheExerciser 44
  flash_power_cuts 37
  agent_native 34
  flash_e2e_update 33
  flash_provision_e2e 32
  NativePowerCut.RandomCutsNeverBrickAndARerunCompletes 29
  agent_faults 28
  VirtualEsp32Agent.ARevertedReleaseIsKeptInNvsAndNotTriedAgainAfterARestart 29
  NativeVirtual.BitErrorsOnTheLineAreRepairedByRetransmission 25
  bench.native 21
  bench_flash_smoke 18
  native_i2c_flash_e2e 17
  esp32.package 17
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/hardfault_B  # GetParam() = "hardfault-B"]=] 16
  NativeI2c.AFullSlotImageCompletesAtFullSpeedAndConfirms 15
  VirtualEsp32Polling.ThePointerIsPolledAtStartAndItsReleaseInstalledWithoutMqtt 15
  NativeSession.ResumesAfterPowerCutsAndNeverBootsAPartialImage 14
  release_ci_examples 13
  flash_e2e_native 10
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/secure_update_B  # GetParam() = "secure-update-B"]=] 9
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/secure_tampered_B  # GetParam() = "secure-tampered-B"]=] 9
  vstm32_gdb_session 8
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/no_confirm  # GetParam() = "no-confirm"]=] 8
  cross_core.arm 7
  bench.native_i2c 7
  SecureProvision.BlankDeviceThenSignedBootsUnsignedRefusedAndRerunIsANoOp 7
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/first_boot  # GetParam() = "first-boot"]=] 7
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/update_B  # GetParam() = "update-B"]=] 7
  vstm32_cli_user_firmware 6
  ports_net 6
  cross_core.xtensa 6
  bench_release_smoke 6
  PackCli.RejectsEachWrongInputWithItsOwnMessage 6
  NativeI2c.AHostThatVanishesMidTransferLeavesTheOldImageRunning 5
  Ed25519Differential.SameVerdictAsLibsodium 5
  vstm32_tcp_control 4
  vstm32_cli_errors 4
  vstm32_bad_input 4
  Vstm32DebuggerTest.WriteWatchpointStopsAfterEachStore 4
  Vstm32DebuggerTest.ReadAndAccessWatchpoints 4
  Scenarios/BootcorePowerCut.EveryStepOfTheScenario/8 4
  Scenarios/BootcorePowerCut.EveryStepOfTheScenario/16 4
  Scenarios/BootcorePowerCut.EveryStepOfTheScenario/11 4
  Scenarios/BootcorePowerCut.EveryStepOfTheScenario/10 4
  NativeSession.BitErrorsAreRepairedByRetransmission 4
  vstm32_cli_machine 3
  fuzz_smoke.fuzz_native_frames 3
)
while(_fota_costs)
  list(POP_FRONT _fota_costs _name _cost)
  set_tests_properties(${_name} PROPERTIES COST ${_cost})
endwhile()
