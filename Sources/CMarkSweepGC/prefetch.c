// CMarkSweepGC is header-only (see include/CMarkSweepGC.h); SwiftPM needs one source file per C target.
#include "CMarkSweepGC.h"
