// SPDX-License-Identifier: Apache-2.0
// Startup for the STM32F407 (bootloader and applications alike): the 98-entry vector table
// (16 Cortex-M4 system vectors + 82 interrupts, RM0090 table 61), the reset handler (FPU on,
// .data copied, .bss zeroed, constructors, main) and weak default handlers any program can
// override by defining a function of the same name.
#include <cstdint>

extern "C" {

// From the linker script (linker/sections.ld).
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
extern void (*__preinit_array_start[])();
extern void (*__preinit_array_end[])();
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int main();

[[noreturn]] void Reset_Handler();
void Default_Handler();

// Called through a vtable slot of an abstract class if ever reached; never pulls in libsupc++'s
// terminate machinery.
void __cxa_pure_virtual() {
  Default_Handler();
}

#define FOTA_WEAK_HANDLER(name) void name() __attribute__((weak, alias("Default_Handler")))

FOTA_WEAK_HANDLER(NMI_Handler);
FOTA_WEAK_HANDLER(HardFault_Handler);
FOTA_WEAK_HANDLER(MemManage_Handler);
FOTA_WEAK_HANDLER(BusFault_Handler);
FOTA_WEAK_HANDLER(UsageFault_Handler);
FOTA_WEAK_HANDLER(SVC_Handler);
FOTA_WEAK_HANDLER(DebugMon_Handler);
FOTA_WEAK_HANDLER(PendSV_Handler);
FOTA_WEAK_HANDLER(SysTick_Handler);
FOTA_WEAK_HANDLER(WWDG_IRQHandler);
FOTA_WEAK_HANDLER(PVD_IRQHandler);
FOTA_WEAK_HANDLER(TAMP_STAMP_IRQHandler);
FOTA_WEAK_HANDLER(RTC_WKUP_IRQHandler);
FOTA_WEAK_HANDLER(FLASH_IRQHandler);
FOTA_WEAK_HANDLER(RCC_IRQHandler);
FOTA_WEAK_HANDLER(EXTI0_IRQHandler);
FOTA_WEAK_HANDLER(EXTI1_IRQHandler);
FOTA_WEAK_HANDLER(EXTI2_IRQHandler);
FOTA_WEAK_HANDLER(EXTI3_IRQHandler);
FOTA_WEAK_HANDLER(EXTI4_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream0_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream1_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream2_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream3_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream4_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream5_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream6_IRQHandler);
FOTA_WEAK_HANDLER(ADC_IRQHandler);
FOTA_WEAK_HANDLER(CAN1_TX_IRQHandler);
FOTA_WEAK_HANDLER(CAN1_RX0_IRQHandler);
FOTA_WEAK_HANDLER(CAN1_RX1_IRQHandler);
FOTA_WEAK_HANDLER(CAN1_SCE_IRQHandler);
FOTA_WEAK_HANDLER(EXTI9_5_IRQHandler);
FOTA_WEAK_HANDLER(TIM1_BRK_TIM9_IRQHandler);
FOTA_WEAK_HANDLER(TIM1_UP_TIM10_IRQHandler);
FOTA_WEAK_HANDLER(TIM1_TRG_COM_TIM11_IRQHandler);
FOTA_WEAK_HANDLER(TIM1_CC_IRQHandler);
FOTA_WEAK_HANDLER(TIM2_IRQHandler);
FOTA_WEAK_HANDLER(TIM3_IRQHandler);
FOTA_WEAK_HANDLER(TIM4_IRQHandler);
FOTA_WEAK_HANDLER(I2C1_EV_IRQHandler);
FOTA_WEAK_HANDLER(I2C1_ER_IRQHandler);
FOTA_WEAK_HANDLER(I2C2_EV_IRQHandler);
FOTA_WEAK_HANDLER(I2C2_ER_IRQHandler);
FOTA_WEAK_HANDLER(SPI1_IRQHandler);
FOTA_WEAK_HANDLER(SPI2_IRQHandler);
FOTA_WEAK_HANDLER(USART1_IRQHandler);
FOTA_WEAK_HANDLER(USART2_IRQHandler);
FOTA_WEAK_HANDLER(USART3_IRQHandler);
FOTA_WEAK_HANDLER(EXTI15_10_IRQHandler);
FOTA_WEAK_HANDLER(RTC_Alarm_IRQHandler);
FOTA_WEAK_HANDLER(OTG_FS_WKUP_IRQHandler);
FOTA_WEAK_HANDLER(TIM8_BRK_TIM12_IRQHandler);
FOTA_WEAK_HANDLER(TIM8_UP_TIM13_IRQHandler);
FOTA_WEAK_HANDLER(TIM8_TRG_COM_TIM14_IRQHandler);
FOTA_WEAK_HANDLER(TIM8_CC_IRQHandler);
FOTA_WEAK_HANDLER(DMA1_Stream7_IRQHandler);
FOTA_WEAK_HANDLER(FSMC_IRQHandler);
FOTA_WEAK_HANDLER(SDIO_IRQHandler);
FOTA_WEAK_HANDLER(TIM5_IRQHandler);
FOTA_WEAK_HANDLER(SPI3_IRQHandler);
FOTA_WEAK_HANDLER(UART4_IRQHandler);
FOTA_WEAK_HANDLER(UART5_IRQHandler);
FOTA_WEAK_HANDLER(TIM6_DAC_IRQHandler);
FOTA_WEAK_HANDLER(TIM7_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream0_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream1_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream2_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream3_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream4_IRQHandler);
FOTA_WEAK_HANDLER(ETH_IRQHandler);
FOTA_WEAK_HANDLER(ETH_WKUP_IRQHandler);
FOTA_WEAK_HANDLER(CAN2_TX_IRQHandler);
FOTA_WEAK_HANDLER(CAN2_RX0_IRQHandler);
FOTA_WEAK_HANDLER(CAN2_RX1_IRQHandler);
FOTA_WEAK_HANDLER(CAN2_SCE_IRQHandler);
FOTA_WEAK_HANDLER(OTG_FS_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream5_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream6_IRQHandler);
FOTA_WEAK_HANDLER(DMA2_Stream7_IRQHandler);
FOTA_WEAK_HANDLER(USART6_IRQHandler);
FOTA_WEAK_HANDLER(I2C3_EV_IRQHandler);
FOTA_WEAK_HANDLER(I2C3_ER_IRQHandler);
FOTA_WEAK_HANDLER(OTG_HS_EP1_OUT_IRQHandler);
FOTA_WEAK_HANDLER(OTG_HS_EP1_IN_IRQHandler);
FOTA_WEAK_HANDLER(OTG_HS_WKUP_IRQHandler);
FOTA_WEAK_HANDLER(OTG_HS_IRQHandler);
FOTA_WEAK_HANDLER(DCMI_IRQHandler);
FOTA_WEAK_HANDLER(HASH_RNG_IRQHandler);
FOTA_WEAK_HANDLER(FPU_IRQHandler);

}  // extern "C"

namespace {

using Handler = void (*)();
constexpr unsigned kVectorCount = 98;

// Entry 0 is the initial stack pointer, the rest are handlers (0 = reserved).
__attribute__((section(".isr_vector"), used)) const Handler g_vector_table[kVectorCount] = {
    reinterpret_cast<Handler>(_estack),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    SVC_Handler,
    DebugMon_Handler,
    nullptr,
    PendSV_Handler,
    SysTick_Handler,
    // IRQ 0..81
    WWDG_IRQHandler,
    PVD_IRQHandler,
    TAMP_STAMP_IRQHandler,
    RTC_WKUP_IRQHandler,
    FLASH_IRQHandler,
    RCC_IRQHandler,
    EXTI0_IRQHandler,
    EXTI1_IRQHandler,
    EXTI2_IRQHandler,
    EXTI3_IRQHandler,
    EXTI4_IRQHandler,
    DMA1_Stream0_IRQHandler,
    DMA1_Stream1_IRQHandler,
    DMA1_Stream2_IRQHandler,
    DMA1_Stream3_IRQHandler,
    DMA1_Stream4_IRQHandler,
    DMA1_Stream5_IRQHandler,
    DMA1_Stream6_IRQHandler,
    ADC_IRQHandler,
    CAN1_TX_IRQHandler,
    CAN1_RX0_IRQHandler,
    CAN1_RX1_IRQHandler,
    CAN1_SCE_IRQHandler,
    EXTI9_5_IRQHandler,
    TIM1_BRK_TIM9_IRQHandler,
    TIM1_UP_TIM10_IRQHandler,
    TIM1_TRG_COM_TIM11_IRQHandler,
    TIM1_CC_IRQHandler,
    TIM2_IRQHandler,
    TIM3_IRQHandler,
    TIM4_IRQHandler,
    I2C1_EV_IRQHandler,
    I2C1_ER_IRQHandler,
    I2C2_EV_IRQHandler,
    I2C2_ER_IRQHandler,
    SPI1_IRQHandler,
    SPI2_IRQHandler,
    USART1_IRQHandler,
    USART2_IRQHandler,
    USART3_IRQHandler,
    EXTI15_10_IRQHandler,
    RTC_Alarm_IRQHandler,
    OTG_FS_WKUP_IRQHandler,
    TIM8_BRK_TIM12_IRQHandler,
    TIM8_UP_TIM13_IRQHandler,
    TIM8_TRG_COM_TIM14_IRQHandler,
    TIM8_CC_IRQHandler,
    DMA1_Stream7_IRQHandler,
    FSMC_IRQHandler,
    SDIO_IRQHandler,
    TIM5_IRQHandler,
    SPI3_IRQHandler,
    UART4_IRQHandler,
    UART5_IRQHandler,
    TIM6_DAC_IRQHandler,
    TIM7_IRQHandler,
    DMA2_Stream0_IRQHandler,
    DMA2_Stream1_IRQHandler,
    DMA2_Stream2_IRQHandler,
    DMA2_Stream3_IRQHandler,
    DMA2_Stream4_IRQHandler,
    ETH_IRQHandler,
    ETH_WKUP_IRQHandler,
    CAN2_TX_IRQHandler,
    CAN2_RX0_IRQHandler,
    CAN2_RX1_IRQHandler,
    CAN2_SCE_IRQHandler,
    OTG_FS_IRQHandler,
    DMA2_Stream5_IRQHandler,
    DMA2_Stream6_IRQHandler,
    DMA2_Stream7_IRQHandler,
    USART6_IRQHandler,
    I2C3_EV_IRQHandler,
    I2C3_ER_IRQHandler,
    OTG_HS_EP1_OUT_IRQHandler,
    OTG_HS_EP1_IN_IRQHandler,
    OTG_HS_WKUP_IRQHandler,
    OTG_HS_IRQHandler,
    DCMI_IRQHandler,
    nullptr,  // 79: CRYP (not on the F407)
    HASH_RNG_IRQHandler,
    FPU_IRQHandler,
};

volatile uint32_t& reg(uint32_t address) {
  return *reinterpret_cast<volatile uint32_t*>(address);
}

}  // namespace

extern "C" {

void Default_Handler() {
  for (;;) {
  }
}

// Runs before anything else may touch the FPU: the compiler is free to use VFP registers from
// here on (hard-float ABI), and QEMU faults (NOCP) on VFP use while CPACR denies it.
void Reset_Handler() {
  reg(0xE000'ED88) = reg(0xE000'ED88) | (0xFu << 20);  // SCB->CPACR: CP10, CP11 full access
  asm volatile("dsb\n isb" ::: "memory");
  // Our own table, wherever we were started from (the bootloader sets VTOR too).
  reg(0xE000'ED08) = reinterpret_cast<uint32_t>(&g_vector_table[0]);

  for (uint32_t *src = _sidata, *dst = _sdata; dst < _edata;) *dst++ = *src++;
  for (uint32_t* dst = _sbss; dst < _ebss;) *dst++ = 0;
  for (auto* f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();

    // The startup code is the one place that calls main (ISO C++ reserves that to the runtime).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
  (void)main();
#pragma GCC diagnostic pop
  for (;;) {
  }
}

}  // extern "C"
