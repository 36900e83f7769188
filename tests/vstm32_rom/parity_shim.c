// SPDX-License-Identifier: Apache-2.0
/* LD_PRELOAD shim for running stm32flash unchanged (8E1) on a pseudo-terminal: Linux ptys drop
 * PARENB/PARODD/CSTOPB, so stm32flash's check of what it set fails. Remember the parity bits
 * asked for in tcsetattr and OR them back into what tcgetattr returns. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <termios.h>

static tcflag_t requested_bits;

int tcsetattr(int fd, int actions, const struct termios* tio) {
  int (*real)(int, int, const struct termios*) =
      (int (*)(int, int, const struct termios*))dlsym(RTLD_NEXT, "tcsetattr");
  requested_bits = tio->c_cflag & (PARENB | PARODD | CSTOPB);
  return real(fd, actions, tio);
}

int tcgetattr(int fd, struct termios* tio) {
  int (*real)(int, struct termios*) = (int (*)(int, struct termios*))dlsym(RTLD_NEXT, "tcgetattr");
  int rc = real(fd, tio);
  if (rc == 0) tio->c_cflag |= requested_bits;
  return rc;
}
