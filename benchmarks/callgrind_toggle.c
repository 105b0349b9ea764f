/* Count instructions only around the measured messages: benchmarks/instructions.py loads this
   into the test process run under valgrind's callgrind (scripts/benchmark --instructions). */
#include <valgrind/callgrind.h>

void lowi_count_start(void) {
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
}

void lowi_count_stop(void) {
  CALLGRIND_STOP_INSTRUMENTATION;
  CALLGRIND_DUMP_STATS_AT("measured");
}
