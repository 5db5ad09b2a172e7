// A long-lived process giving back the pages of code it ran once: the
// monitor maps most of corral's code while it starts a container (each page
// fault maps 64 KiB around it) and then only waits on its sockets.
#pragma once

#include <cstddef>

namespace corral {

/// Unmaps this program's read-only segments (code, read-only data) from the
/// calling process, as reclaim would: the pages stay in the page cache and
/// whatever runs next maps its pages back on first touch. Never touches a
/// writable segment or the RELRO part, which the start-up wrote (its pages
/// would fall back to the file's). Shared libraries are left alone.
/// Returns the bytes of the ranges given up; 0 when nothing could be.
size_t release_program_pages();

}  // namespace corral
