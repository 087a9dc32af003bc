// A double-ended queue of trivially copyable values on one growable ring buffer: push/pop at both ends
// without allocation once it has grown to its peak size (std::deque allocates chunks as it moves).
#pragma once
#include <cstddef>
#include <vector>

namespace dynosim::sim::core {

template <class T>
class RingDeque {
public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    T& front() { return buf_[head_]; }
    const T& operator[](std::size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }
    void push_back(T v) {
        grow_if_full();
        buf_[(head_ + size_) & (buf_.size() - 1)] = v;
        ++size_;
    }
    void push_front(T v) {
        grow_if_full();
        head_ = (head_ + buf_.size() - 1) & (buf_.size() - 1);
        buf_[head_] = v;
        ++size_;
    }
    void pop_front() {
        head_ = (head_ + 1) & (buf_.size() - 1);
        --size_;
    }

private:
    void grow_if_full() {
        if (size_ < buf_.size()) return;
        std::vector<T> next(buf_.empty() ? 16 : buf_.size() * 2);
        for (std::size_t i = 0; i < size_; ++i) next[i] = (*this)[i];
        buf_.swap(next);
        head_ = 0;
    }
    std::vector<T> buf_;  // capacity is a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace dynosim::sim::core
