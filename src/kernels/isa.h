// The CPU instruction set the int8 kernels run with on this machine. A `.bin` for march
// `host` records it; a machine whose ISA lacks what the file was compiled for refuses it.
#pragma once

#include <string>

namespace edgeq::kernels {

// "avx512_core_amx", "avx512_core_vnni", "avx512_core", "avx2_vnni", "avx2", "sse41" or
// "any", the best that oneDNN uses here.
std::string host_isa();

// True when a machine with ISA `host` can run code compiled for ISA `file_isa` (the
// names above, ordered from the most capable to the least).
bool isa_can_run(const std::string& host, const std::string& file_isa);

// What edgeq's own AVX-512 kernels need of this CPU (computed once): AVX-512 F, BW and VL;
// and, for the int8 dot-product kernels, VNNI too.
bool cpu_has_avx512bw();
bool cpu_has_avx512_vnni();

}  // namespace edgeq::kernels
