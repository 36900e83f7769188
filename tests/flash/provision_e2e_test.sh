#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota provision` end to end on `vstm32 run` with the real bootloader-secure and demo releases:
#   bad input (missing / garbage key, oversized or non-bootloader binary, --rdp1 unconfirmed)
#     -> clear error, device untouched
#   blank device -> provision through the ROM (bootloader + key block, read back, nWRP 0-2)
#   stm32flash cannot write the protected bootloader sector; re-run is a no-op; another key
#     block on the protected device is refused untouched
#   `fota flash` of the signed release through the ROM confirms; an unsigned one is refused by the
#     device (reason reported), the signed one keeps running; once v2 confirmed, v1 is below the
#     anti-rollback floor and refused by fota before anything is erased
#   key retirement: stm32flash -u, provision the next key alone; the retired key's v3 is refused
#   --rdp1 --confirm-rdp1 -> stm32flash reads fail, provision refuses with the reason, the device
#     still boots its signed image; the protection survives a vstm32 restart (option bytes file)
#   `fota info` at each step: protection (RDP, nWRP), the trusted key ids, the anti-rollback
#     floor; on RDP 1 it fails naming the readout protection
# The native update on an RDP 1 device: tests/native/secure_provision_test.cc.
# Usage: provision_e2e_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR DEMO_PUB PARITY_SHIM
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start fota-provision-e2e FOTA VSTM32 ARTIFACTS RELEASES DEMO_PUB SHIM -- "$@"

BL="$ARTIFACTS/bootloader-secure.bin"
info() { "$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" "$@"; }
provision() { "$FOTA" provision --port "$T/tty" --pins "vstm32:$T/ctl" --bootloader "$BL" "$@"; }
flash() {
  "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --confirm-timeout 4 --outcome-timeout 90 "$@"
}
# stm32flash (8E1 through the parity shim) with the chip held in the ROM.
stm32() {
  ctl boot0 1 > /dev/null && ctl reset > /dev/null
  wait_until "ROM ready" rom_ready
  LD_PRELOAD="$SHIM" timeout 120 stm32flash -b 115200 "$@" "$T/tty" > "$T/stm32flash.log" 2>&1
}
flash_bytes() { head -c "$2" "$T/flash.bin" | tail -c +"$(($1 + 1))"; }

"$FOTA" keygen --out "$T/next" > /dev/null
"$FOTA" keygen --out "$T/other" > /dev/null
"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
start_vstm32
cp "$T/flash.bin" "$T/blank.bin"

# --- bad input: nothing touched
run_out provision --key "$T/missing.pub"
check "missing key file: exit 2" '[ $code -eq 2 ]'
check "missing key file named" 'grep -q "missing.pub" "$T/out.txt"'
echo "not a key" > "$T/garbage.pub"
run_out provision --key "$T/garbage.pub"
check "garbage key file: exit 2" '[ $code -eq 2 ]'
check "garbage key file named" 'grep -q "garbage.pub" "$T/out.txt"'
head -c 40000 /dev/zero > "$T/big.bin"
BL="$T/big.bin" run_out provision --key "$DEMO_PUB"
check "oversized bootloader: exit 2" '[ $code -eq 2 ]'
check "oversized bootloader: says the limit" 'grep -q "40000 bytes: the bootloader must fit sectors 0-1" "$T/out.txt"'
BL="$ARTIFACTS/bootloader-secure.elf" run_out provision --key "$DEMO_PUB"
check "an .elf as bootloader: exit 2" '[ $code -eq 2 ] && grep -q "not a bootloader binary" "$T/out.txt"'
run_out provision --key "$DEMO_PUB" --rdp1
check "--rdp1 without --confirm-rdp1: exit 1" '[ $code -eq 1 ] && grep -q "confirm-rdp1" "$T/out.txt"'
check "bad input left the device blank" 'cmp -s "$T/flash.bin" "$T/blank.bin"'
check "bad input: no option bytes changed" '[ ! -e "$T/flash.bin.opt" ]'

# --- fota info on the blank device: nothing protected, no keys, no floor
run_out info
check "info on a blank device: exit 0" '[ $code -eq 0 ]'
check "info: RDP 0, nothing write-protected" 'grep -q "^protection  RDP level 0, no sector write-protected (nWRP 0xFFF)" "$T/out.txt"'
check "info: no key block" 'grep -q "^keys        none (no key block" "$T/out.txt"'

# --- blank device -> provisioned
provision --key "$DEMO_PUB" --key "$T/next.pub" > "$T/prov.txt" 2>&1
code=$?
cat "$T/prov.txt"
check "provision: exit 0" '[ $code -eq 0 ]'
check "provision: bootloader written" 'grep -q "bootloader: [0-9]* bytes written to 0x08000000 and read back" "$T/prov.txt"'
check "provision: key block written" 'grep -q "key block: 2 key(s) written" "$T/prov.txt"'
check "provision: nWRP on 0-2" 'grep -q "write protection: sectors 0-2 (nWRP 0xFF8)" "$T/prov.txt"'
check "provision: says RDP 0 consequence" 'grep -q "readout protection: level 0" "$T/prov.txt"'
check "flash holds the bootloader" 'cmp -s <(flash_bytes 0 "$(stat -c %s "$BL")") "$BL"'
check "key block magic at 0x08008000" '[ "$(flash_bytes 32768 32772)" = "FKEY" ]'
ctl events > "$T/events.txt"
check "option bytes programmed by the ROM" 'grep -q "option-bytes rdp=0xAA nwrp=0xFF8" "$T/events.txt"'

current_id=$(sed -n 's/^trusted key 0 (current): id //p' "$T/prov.txt")
next_id=$(sed -n 's/^trusted key 1 (next): id //p' "$T/prov.txt")
run_out info
check "info after provisioning: exit 0" '[ $code -eq 0 ]'
check "info: sectors 0-2 write-protected" 'grep -q "^protection  RDP level 0, write-protected sectors 0,1,2 (nWRP 0xFF8)" "$T/out.txt"'
check "info: both key ids, as provision printed them" '[ -n "$current_id" ] && grep -q "^keys        2 trusted: $current_id (current), $next_id (next)" "$T/out.txt"'

# --- the ROM refuses to write the protected bootloader sector (stm32flash)
head -c 256 /dev/zero > "$T/zeros.bin"
cp "$T/flash.bin" "$T/provisioned.bin"
stm32 -w "$T/zeros.bin" -S 0x08000000
code=$?
check "stm32flash write to sector 0 fails (nWRP)" '[ $code -ne 0 ]'
check "sector 0 unchanged" 'cmp -s "$T/flash.bin" "$T/provisioned.bin"'

# --- re-run: no-op; another key block: refused untouched
run_out provision --key "$DEMO_PUB" --key "$T/next.pub"
check "re-run: exit 0, nothing to do" '[ $code -eq 0 ] && grep -q "nothing to do: already provisioned" "$T/out.txt"'
run_out provision --key "$T/other.pub"
check "other key block on a protected device: exit 4" '[ $code -eq 4 ]'
check "other key block: reason" 'grep -q "already write-protected.*another key block" "$T/out.txt"'
check "other key block: untouched" 'cmp -s "$T/flash.bin" "$T/provisioned.bin"'

# --- signed release through the ROM: confirmed; unsigned: refused by the device
run_out flash --release "$RELEASES/demo-v1" --console
check "signed v1: exit 0 (confirmed)" '[ $code -eq 0 ]'
check "signed v1 runs" 'grep -q "confirmed: slot A runs 1.0.0" "$T/out.txt"'
"$FOTA" pack --app-a "$ARTIFACTS/demo-v2-A.elf" --app-b "$ARTIFACTS/demo-v2-B.elf" --version 2.0.0 \
  --product stm32f407-demo --name demo-v2 --out "$T/unsigned" > /dev/null
run_out flash --release "$T/unsigned" --console
cat "$T/out.txt" | tail -5
check "unsigned v2: exit 6 (reverted)" '[ $code -eq 6 ]'
check "unsigned v2: the device's reason" 'grep -q "refused=B:unsigned" "$T/out.txt"'
check "unsigned v2: fota names the refusal" 'grep -q "refused the image in slot B: unsigned" "$T/out.txt"'
check "unsigned v2: the verdict says why" 'grep -q "reverted: 2.0.0 was refused by the device.s secure boot (unsigned)" "$T/out.txt"'

# --- signed v2 confirms (floor 2.0); v1 is then refused by fota before anything is erased
run_out flash --release "$RELEASES/demo-v2"
check "signed v2: exit 0 (confirmed)" '[ $code -eq 0 ] && grep -q "confirmed: slot B runs 2.0.0" "$T/out.txt"'
cp "$T/flash.bin" "$T/before.bin"
flash --release "$RELEASES/demo-v1" --json > "$T/out.json" 2> "$T/err.txt"
code=$?
check "v1 below the floor: exit 2" '[ $code -eq 2 ]'
check "v1 below the floor: named" 'grep -q "below the device.s anti-rollback floor" "$T/err.txt"'
check "v1 below the floor: both slots untouched" 'cmp -s <(head -c 917504 "$T/before.bin" | tail -c +131073) <(flash_bytes 131072 917504)'
run_out info
cat "$T/out.txt"
check "info: floor 2.0" 'grep -q "^floor       2.0 (anti-rollback" "$T/out.txt"'
info --json > "$T/info.json"
check "info --json: protection, keys and floor" 'grep -q "\"rdp_level\":0" "$T/info.json" && grep -q "\"write_protected_sectors\":\[0,1,2\]" "$T/info.json" && grep -q "\"key_id\":\"$next_id\",\"role\":\"next\"" "$T/info.json" && grep -q "\"security_floor\":\"2.0\"" "$T/info.json"'

# --- key retirement (docs/security.md): Write Unprotect with stm32flash, provision the next key
#     alone; the confirmed v2 keeps booting, an image signed by the retired key is refused
stm32 -u
code=$?
check "stm32flash -u (Write Unprotect)" '[ $code -eq 0 ]'
run_out provision --key "$T/next.pub"
cat "$T/out.txt"
check "retirement: exit 0" '[ $code -eq 0 ]'
check "retirement: only the key block rewritten" 'grep -q "bootloader: already on the device" "$T/out.txt" && grep -q "key block: 1 key(s) written" "$T/out.txt"'
check "retirement: protected again" 'grep -q "write protection: sectors 0-2 (nWRP 0xFF8)" "$T/out.txt"'
run_out info
check "info after retirement: the next key alone, now current" 'grep -q "^keys        1 trusted: $next_id (current)$" "$T/out.txt"'
run_out flash --release "$RELEASES/demo-v3"
check "v3 signed by the retired key: exit 6, unknown-key" '[ $code -eq 6 ] && grep -q "refused by the device.s secure boot (unknown-key)" "$T/out.txt"'

# --- RDP level 1
provision --key "$T/next.pub" --rdp1 --confirm-rdp1 > "$T/rdp.txt" 2>&1
code=$?
cat "$T/rdp.txt"
check "--rdp1: exit 0" '[ $code -eq 0 ]'
check "--rdp1: warns about the ROM" 'grep -q "WARNING: RDP level 1 disables the ROM bootloader.s memory commands" "$T/rdp.txt"'
stm32 -r "$T/read.bin" -S 0x08000000:256
code=$?
check "RDP 1: stm32flash read fails" '[ $code -ne 0 ]'
run_out provision --key "$DEMO_PUB"
check "RDP 1: provision refuses with the reason" '[ $code -eq 4 ] && grep -q "readout-protected (RDP level 1)" "$T/out.txt"'
run_out info
check "RDP 1: info fails naming the readout protection" '[ $code -eq 3 ] && grep -q "readout-protected (RDP level 1).*native path" "$T/out.txt"'
run_out info --transport native
cat "$T/out.txt"
check "RDP 1: info through the native path: exit 0" '[ $code -eq 0 ]'
check "RDP 1: native info shows our bootloader and the UID" 'grep -q "^device      our bootloader .*update mode" "$T/out.txt" && grep -q "^unique ID   [0-9A-F]\{24\}$" "$T/out.txt"'
check "RDP 1: native info shows the confirmed v2 in B" 'grep -q "^slot B      2.0.0, crc 0x[0-9A-F]\{8\}; log: confirmed" "$T/out.txt"'
check "RDP 1: native info says where the next update goes" 'grep -q "^next update goes to slot A" "$T/out.txt"'
mark=$(stat -c %s "$T/console.log")
ctl boot0 0 > /dev/null && ctl reset > /dev/null
check "RDP 1: the signed v2 still boots" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'
stop_vstm32
start_vstm32
stm32 -r "$T/read.bin" -S 0x08000000:256
code=$?
check "RDP 1 survives a vstm32 restart" '[ $code -ne 0 ]'
stop_vstm32

echo "$fails failure(s)"
[ $fails -eq 0 ]
