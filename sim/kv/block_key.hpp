// How a KV block's prefix key is laid out: the high 58 bits name a group of consecutive engine blocks
// whose identity is settled together (the engine blocks of one trace block), the low 6 bits the block's
// position in the group. The block pool indexes groups, not blocks (see block_pool.hpp).
#pragma once
#include <cstdint>

namespace dynosim::sim::kv {

inline constexpr std::uint64_t kBlockSubBits = 6;
inline constexpr std::uint64_t kBlockSubMask = (1u << kBlockSubBits) - 1;  // at most 64 blocks per group
inline constexpr std::uint64_t block_group(std::uint64_t key) { return key & ~kBlockSubMask; }
inline constexpr std::uint32_t block_sub(std::uint64_t key) { return static_cast<std::uint32_t>(key & kBlockSubMask); }

}  // namespace dynosim::sim::kv
