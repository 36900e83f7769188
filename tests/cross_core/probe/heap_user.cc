// SPDX-License-Identifier: Apache-2.0
// A module that allocates: linking it into the probe must fail (heap_trap.cmake checks that).
#include <cstddef>
#include <cstdlib>
#include <new>

namespace fota::probe {

int* make_counter() {
  return new int(0);
}
void drop_counter(int* counter) {
  delete counter;
}
void* raw_buffer(size_t n) {
  return std::malloc(n);
}
void drop_buffer(void* p) {
  std::free(p);
}

}  // namespace fota::probe
