// SPDX-License-Identifier: Apache-2.0
// Entry symbol of the cross-built core probe. The modules come in whole (--whole-archive), so
// nothing needs to be called from here; the program is linked and measured, never run.
extern "C" void fota_probe_entry() {}
