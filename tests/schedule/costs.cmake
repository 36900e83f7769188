# SPDX-License-Identifier: Apache-2.0
# Run order for `ctest -j`: ctest starts the tests with the highest COST first. A fresh clone has
# no Testing/Temporary/CTestCostData.txt, so without these every test costs 0, tests run in the
# order they are declared, and the long end-to-end tests (declared last, in tests/) start at the
# end and run alone. COST = seconds measured on a 2-core machine (docs/testing.md); ctest uses it
# in place of its own measurements. A name that is not in the tree is ignored, so the list may
# name tests of optional parts. Tests not listed take a few seconds or less. Parameterised
# GoogleTest cases carry their parameter in the name (bracket arguments below).
set(_fota_costs
  agent_e2e 112
  bench.agent_smoke 60
  esp32.package 36
  flash_resume 40
  vstm32_stm32flash_peer 38
  Vstm32PowerCutStepsTest.EveryFlashStepOfTheExerciser 36
  flash_e2e_rom 35
  flash_provision_e2e 30
  release_e2e 32
  flash_power_cuts 30
  PackCli.RejectsEachWrongInputWithItsOwnMessage 29
  NativeVirtual.BitErrorsOnTheLineAreRepairedByRetransmission 26
  flash_e2e_update 25
  agent_faults 24
  NativePowerCut.RandomCutsNeverBrickAndARerunCompletes 24
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/hardfault_B  # GetParam() = "hardfault-B"]=] 16
  bench.native 13
  PackCli.PacksElfPairAndHeaderMatchesIndependentTools 11
  release_ci_examples 10
  bench_flash_smoke 10
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/secure_update_B  # GetParam() = "secure-update-B"]=] 9
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/secure_tampered_B  # GetParam() = "secure-tampered-B"]=] 9
  bench.native_i2c 8
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/no_confirm  # GetParam() = "no-confirm"]=] 8
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/first_boot  # GetParam() = "first-boot"]=] 7
  [=[bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/update_B  # GetParam() = "update-B"]=] 7
  cross_core.arm 8
  cross_core.xtensa 8
)
while(_fota_costs)
  list(POP_FRONT _fota_costs _name _cost)
  set_tests_properties(${_name} PROPERTIES COST ${_cost})
endwhile()
