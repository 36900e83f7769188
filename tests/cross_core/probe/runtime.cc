// SPDX-License-Identifier: Apache-2.0
// The only C and C++ runtime functions the core may use, as every host's libc and libstdc++
// provide them (ESP-IDF: newlib; its libstdc++ aborts where it would throw); plain loops, since
// the probe is linked and measured, never run. Anything else the core calls is an undefined
// symbol and fails the probe's link; cross_core.sh lists the ones used.
#include <cstddef>
#include <string_view>

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  while (n-- > 0) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    while (n-- > 0) *d++ = *s++;
  } else {
    while (n-- > 0) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int value, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  while (n-- > 0) *d++ = static_cast<unsigned char>(value);
  return dst;
}

void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const unsigned char*>(s);
  for (; n > 0; --n, ++p) {
    if (*p == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p);
  }
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n > 0; --n, ++a, ++b) {
    const auto x = static_cast<unsigned char>(*a);
    const auto y = static_cast<unsigned char>(*b);
    if (x != y) return x < y ? -1 : 1;
    if (x == 0) return 0;
  }
  return 0;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (; n > 0; --n, ++x, ++y) {
    if (*x != *y) return *x < *y ? -1 : 1;
  }
  return 0;
}

// Called through a vtable slot of an abstract class only (never happens in a correct program).
void __cxa_pure_virtual() {
  for (;;) {
  }
}

}  // extern "C"

// libstdc++ calls this where a range check fails (string_view::substr); without exceptions the
// host's runtime stops there.
void std::__throw_out_of_range_fmt(const char* /*format*/, ...) {
  for (;;) {
  }
}
