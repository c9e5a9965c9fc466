// CSystemHeaps is header-only (see include/CSystemHeaps.h); SwiftPM needs one source file per C target.
#include "CSystemHeaps.h"
