# SPDX-License-Identifier: Apache-2.0
# Run order for `ctest -j`: ctest starts the tests with the highest COST first. A fresh clone has
# no Testing/Temporary/CTestCostData.txt, so without these every test costs 0, tests run in the
# order they are declared, and the long end-to-end tests (declared last, in tests/) start at the
# end and run alone. COST = seconds measured on a 2-core machine (docs/testing.md); ctest uses it
# in place of its own measurements. A name that is not in the tree is ignored, so the list may
# name tests of optional parts. Tests not listed take a few seconds or less.
set(_fota_costs
  agent_e2e 64
  flash_resume 40
  Vstm32PowerCutStepsTest.EveryFlashStepOfTheExerciser 36
  flash_e2e_rom 35
  release_e2e 32
  flash_power_cuts 30
  PackCli.RejectsEachWrongInputWithItsOwnMessage 29
  NativeVirtual.BitErrorsOnTheLineAreRepairedByRetransmission 26
  flash_e2e_update 25
  agent_faults 24
  NativePowerCut.RandomCutsNeverBrickAndARerunCompletes 24
  bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/hardfault_B 16
  bench.native 13
  PackCli.PacksElfPairAndHeaderMatchesIndependentTools 11
  release_ci_examples 10
  bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/no_confirm 8
  bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/first_boot 7
  bootloader.Flows/BootPowerCut.RandomCutsNeverBrickTheDevice/update_B 7
  cross_core.arm 8
  cross_core.xtensa 8
)
while(_fota_costs)
  list(POP_FRONT _fota_costs _name _cost)
  set_tests_properties(${_name} PROPERTIES COST ${_cost})
endwhile()
