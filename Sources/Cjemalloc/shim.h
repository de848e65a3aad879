#ifndef SLUICE_CJEMALLOC_SHIM_H
#define SLUICE_CJEMALLOC_SHIM_H
// Linked for its malloc, not for an API: an executable that depends on this module gets jemalloc as its
// allocator (pkg-config `jemalloc`), ahead of glibc's. Nothing is declared here; SluiceRuntime finds jemalloc at
// run time (`mallctl`) to report which allocator a worker runs on.
#endif
