# SPDX-License-Identifier: Apache-2.0
# Reads a GNU ld map file and prints, per input archive (or object), the bytes it puts into the
# .text and .rodata output sections ("padding" for alignment fill): which module a linked
# program's code comes from. Plain POSIX awk (no strtonum).
/^[^ \t]/ { out = $1; pending = ""; next }
out != ".text" && out != ".rodata" { next }
/^ [.*]/ {
  if (NF >= 4 && $2 ~ /^0x/) {
    add($3, $4)
  } else if (NF == 1) {
    pending = $1  # a long section name: address, size and file follow on the next line
  }
  next
}
/^[ \t]+0x/ {
  if (pending != "" && NF >= 3) add($2, $3)
  pending = ""
  next
}
function add(size_text, file,   size, key) {
  size = hex(size_text)
  if (size == 0) return
  key = file
  if (key ~ /^0x?0*$/ || key == "00000000") key = "padding"
  sub(/\(.*/, "", key)
  sub(/.*\//, "", key)
  total[key] += size
}
function hex(text,   value, i) {
  value = 0
  text = tolower(text)
  sub(/^0x/, "", text)
  for (i = 1; i <= length(text); i++) value = value * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
  return value
}
END { for (key in total) printf "%s %d\n", key, total[key] }
